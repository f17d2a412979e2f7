// proxy-runtime's context classes, with silent defaults: a callback a filter
// does not override costs a virtual call and nothing else (proxy-runtime's
// defaults build a debug string and call the host on every one).
import * as imports from "../imports";
import {
  BufferTypeValues, FilterDataStatusValues, FilterHeadersStatusValues, FilterMetadataStatusValues,
  FilterStatusValues, FilterTrailersStatusValues, PeerTypeValues, StreamTypeValues, WasmResultValues,
} from "./enums";
import { get_buffer_bytes } from "./buffers";
import { sizeSlot } from "./host-memory";
import { Headers, serializePairs } from "./pairs";

export abstract class BaseContext {
  context_id: u32;
  /** Set by the registry: a root context (else a stream context). */
  isRoot: bool = false;

  constructor(context_id_: u32) {
    this.context_id = context_id_;
  }

  continueRequest(): void {
    imports.proxy_continue_stream(StreamTypeValues.Request);
  }

  continueResponse(): void {
    imports.proxy_continue_stream(StreamTypeValues.Response);
  }

  /** The host is done with this context; return false to finish later with proxy_done. */
  onDone(): bool {
    return true;
  }

  /** The context is gone; no further callbacks will come. */
  onDelete(): void {}
}

/** Callback of an HTTP call (AssemblyScript 0.17 has no closures). */
export class HttpCallback {
  origin_context: BaseContext;
  cb: (origin_context: BaseContext, headers: u32, body_size: usize, trailers: u32) => void;

  constructor(origin_context: BaseContext, cb: (origin_context: BaseContext, headers: u32, body_size: usize, trailers: u32) => void) {
    this.origin_context = origin_context;
    this.cb = cb;
  }
}

// HTTP calls are opt-in: the table of pending calls and the code that serves
// it are reached only through these two hooks, which httpCall() installs, so a
// module that never calls httpCall carries none of it (~1.1 KB).
function noHttpCallResponse(root: RootContext, token: u32, headers: u32, body_size: u32, trailers: u32): void {}
function noPendingRequests(root: RootContext): void {}
let httpCallResponseHook: (root: RootContext, token: u32, headers: u32, body_size: u32, trailers: u32) => void = noHttpCallResponse;
let cancelPendingHook: (root: RootContext) => void = noPendingRequests;

function serveHttpCallResponse(root: RootContext, token: u32, headers: u32, body_size: u32, trailers: u32): void {
  const calls = root.http_calls_;
  if (calls === null || !calls.has(token)) return;
  const callback = calls.get(token);
  calls.delete(token);
  imports.proxy_set_effective_context(callback.origin_context.context_id);
  callback.cb(callback.origin_context, headers, body_size, trailers);
}

function cancelPending(root: RootContext): void {
  const calls = root.http_calls_;
  if (calls === null) return;
  const callbacks = calls.values();
  for (let i = 0; i < callbacks.length; ++i) {
    const c = callbacks[i];
    c.cb(c.origin_context, 0, 0, 0);
  }
  calls.clear();
}

/**
 * One per plugin per VM: holds what is derived from configuration, shared by
 * every stream of that plugin on that VM.
 */
export class RootContext extends BaseContext {
  private configuration_: string = "";
  /** Pending HTTP calls by token (created by the first httpCall). */
  http_calls_: Map<u32, HttpCallback> | null = null;

  constructor(context_id: u32) {
    super(context_id);
  }

  getConfiguration(): string {
    return this.configuration_;
  }

  /** Filters override this to create their stream context. */
  createContext(context_id: u32): Context {
    return new Context(context_id, this);
  }

  validateConfiguration(configuration_size: usize): bool {
    return true;
  }

  /** Reads the plugin configuration; filters call super.onConfigure then parse it. */
  onConfigure(configuration_size: u32): bool {
    this.configuration_ = configuration_size == 0
      ? ""
      : String.UTF8.decode(get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, configuration_size));
    return true;
  }

  onStart(vm_configuration_size: usize): bool {
    return true;
  }

  onTick(): void {}

  onQueueReady(token: u32): void {}

  onDone(): bool {
    this.cancelPendingRequests();
    return true;
  }

  /** Reports completion after onDone returned false. */
  done(): void {
    imports.proxy_done();
  }

  /** Pending HTTP calls get their callback with no response when the VM goes away. */
  cancelPendingRequests(): void {
    cancelPendingHook(this);
  }

  httpCall(cluster: string, headers: Headers, body: ArrayBuffer, trailers: Headers, timeout_milliseconds: u32,
    origin_context: BaseContext, cb: (origin_context: BaseContext, headers: u32, body_size: usize, trailers: u32) => void): WasmResultValues {
    const c = String.UTF8.encode(cluster);
    const h = serializePairs(headers);
    const t = serializePairs(trailers);
    const result = imports.proxy_http_call(changetype<usize>(c), c.byteLength, changetype<usize>(h), h.byteLength,
      changetype<usize>(body), body.byteLength, changetype<usize>(t), t.byteLength, timeout_milliseconds, sizeSlot());
    if (result == WasmResultValues.Ok) {
      let calls = this.http_calls_;
      if (calls === null) {
        calls = new Map<u32, HttpCallback>();
        this.http_calls_ = calls;
        httpCallResponseHook = serveHttpCallResponse;
        cancelPendingHook = cancelPending;
      }
      calls.set(load<u32>(sizeSlot()), new HttpCallback(origin_context, cb));
    }
    return result;
  }

  onHttpCallResponse(token: u32, headers: u32, body_size: u32, trailers: u32): void {
    httpCallResponseHook(this, token, headers, body_size, trailers);
  }
}

/** One per stream: the per-request callbacks. */
export class Context extends BaseContext {
  root_context: RootContext;

  constructor(context_id_: u32, root_context: RootContext) {
    super(context_id_);
    this.root_context = root_context;
  }

  onNewConnection(): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onUpstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamConnectionClose(t: PeerTypeValues): void {}
  onUpstreamConnectionClose(t: PeerTypeValues): void {}

  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues { return FilterHeadersStatusValues.Continue; }
  onRequestMetadata(a: u32): FilterMetadataStatusValues { return FilterMetadataStatusValues.Continue; }
  onRequestBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues { return FilterDataStatusValues.Continue; }
  onRequestTrailers(a: u32): FilterTrailersStatusValues { return FilterTrailersStatusValues.Continue; }
  onResponseHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues { return FilterHeadersStatusValues.Continue; }
  onResponseMetadata(a: u32): FilterMetadataStatusValues { return FilterMetadataStatusValues.Continue; }
  onResponseBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues { return FilterDataStatusValues.Continue; }
  onResponseTrailers(s: u32): FilterTrailersStatusValues { return FilterTrailersStatusValues.Continue; }

  /** Access-log time: the stream is complete (Envoy calls this before onDone). */
  onLog(): void {}

  setEffectiveContext(): WasmResultValues {
    return imports.proxy_set_effective_context(this.context_id);
  }
}
