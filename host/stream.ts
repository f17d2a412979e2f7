// One HTTP stream through a chain of plugins, driven the way Envoy's FilterManager drives Wasm
// filters: request events flow through the filters in order, response events in reverse; a
// StopIteration holds events at a filter until it calls proxy_continue_stream; local replies
// pass back through the encoder path of filters whose contexts exist; then proxy_on_log for
// every filter, then proxy_on_done and proxy_on_delete (Envoy HTTP logs before destroying).
import { HeaderMap } from "./headers.ts";
import { StreamContext, type AnyContext, type LocalReply, type StreamHooks } from "./contexts.ts";
import { buildLocalReply } from "./local-reply.ts";
import { resolveStreamAttribute, type StreamInfo } from "./attributes.ts";
import { concat, EMPTY } from "./bytes.ts";
import type { PluginRuntime } from "./plugin.ts";
import type { Vm } from "./vm.ts";
import type { LogEntry } from "./types.ts";
import type { LogLevel } from "./constants.ts";
import type { Hcm } from "./hcm/options.ts";
import type { Rejection } from "./hcm/request.ts";
import { ResponseFlag } from "./response-flags.ts";
import {
  finishResponseHeaders, joinCookies, stampUpstreamResponse, routeUpstream, upstreamHeadersRefused, upstreamHeadersTooLarge,
} from "./hcm/response.ts";

type Ev =
  | { t: "h"; map: HeaderMap; eos: boolean }
  | { t: "d"; data: Uint8Array; eos: boolean }
  | { t: "t"; map: HeaderMap };

type Dir = "request" | "response";

interface Pass {
  dir: Dir;
  order: number[]; // filter indices in pass order
  queues: Ev[][];
  blocked: boolean[];
  held: Ev[][];
  buffered: (Uint8Array | null)[];
  headersOut: boolean;
  done: boolean;
  out: { headers: HeaderMap | null; body: Uint8Array[]; trailers: HeaderMap | null };
}

const CB = {
  request: { h: "proxy_on_request_headers", d: "proxy_on_request_body", t: "proxy_on_request_trailers" },
  response: { h: "proxy_on_response_headers", d: "proxy_on_response_body", t: "proxy_on_response_trailers" },
} as const;

export interface CallRecord { idx: number; fn: string; b: number; c: number; r: number; exists: boolean; local: boolean; other: boolean }

export type StreamState = "decoding" | "upstream" | "encoding" | "done";

/** A filter slot: a live context, a fail-closed placeholder, or nothing (fail-open skip). */
type Slot = { ctx: StreamContext; plugin: PluginRuntime; vm: Vm } | { failedClosed: true; plugin: PluginRuntime } | null;

export class HttpStream implements StreamHooks {
  readonly filterState = new Map<string, Uint8Array>();
  routeCacheCleared = false;
  logs: LogEntry[] = [];
  state: StreamState = "decoding";
  reset_ = false;
  /** Why the stream was reset (see SendResult.resetReason); null while it was not. */
  resetReason: string | null = null;
  readonly info: StreamInfo;
  private slots: Slot[];
  private dec: Pass;
  private enc: Pass | null = null;
  upstreamRequest: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap } | null = null;
  response: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap | null; local: boolean; details: string } | null = null;
  private localBy: number | null = null; // filter index that started a local reply in progress
  private pendingLocal: { idx: number; reply: LocalReply } | null = null;
  private pendingReset: string | null = null;
  private pendingContinue: { ctx: StreamContext; dir: Dir }[] = [];
  /**
   * Envoy's connection manager and router around the filters (host/hcm/), when the host models
   * them: the reply Envoy gives instead of running the filters, if any.
   */
  front: { hcm: Hcm; http2: boolean; rejection: Rejection | null } | null = null;
  private upstreamStartNs = 0n;
  private requestEnded = false;
  /** Envoy answers `connection: close` (HTTP/1.1: a reply before the whole request was read). */
  private closeAfterReply = false;

  constructor(
    readonly plugins: PluginRuntime[],
    readonly worker: number,
    requestHeaders: HeaderMap,
    private requestBody: Uint8Array[],
    private requestTrailers: HeaderMap | null,
    readonly properties: Map<string, Uint8Array>,
    private hostProps: Map<string, Uint8Array>,
    startNs: bigint,
    connectionId: number,
  ) {
    this.info = {
      requestHeaders, requestBodyBytes: 0, responseHeaders: null, responseTrailers: null, responseBodyBytes: 0,
      responseCode: null, details: null, responseFlags: 0, unrouted: false, startNs, endNs: null, connectionId, filterState: this.filterState, properties,
    };
    this.slots = plugins.map((p, i) => {
      const vm = p.vms[worker]!;
      // Envoy creates no filter for a failed fail-open plugin; fail-closed answers 503.
      if (vm.failed) return p.failOpen ? null : { failedClosed: true as const, plugin: p };
      const root = vm.roots.get(p)!;
      const ctx = new StreamContext(vm.allocContextId(), vm, root, this, i);
      vm.contexts.set(ctx.id, ctx);
      return { ctx, plugin: p, vm };
    });
    this.dec = this.newPass("request", plugins.map((_, i) => i));
  }

  private newPass(dir: Dir, order: number[]): Pass {
    return {
      dir, order, queues: order.map(() => []), blocked: order.map(() => false), held: order.map(() => []),
      buffered: order.map(() => null), headersOut: false, done: false, out: { headers: null, body: [], trailers: null },
    };
  }

  /** Feeds the whole request into the decoder path. */
  start(): void {
    if (this.front?.rejection) return this.reject(this.front.rejection);
    const chunks = this.requestBody.filter((c) => c.length > 0);
    const evs: Ev[] = [{ t: "h", map: this.info.requestHeaders, eos: chunks.length === 0 && !this.requestTrailers }];
    chunks.forEach((c, i) => evs.push({ t: "d", data: c, eos: i === chunks.length - 1 && !this.requestTrailers }));
    if (this.requestTrailers) evs.push({ t: "t", map: this.requestTrailers });
    this.info.requestBodyBytes = chunks.reduce((a, c) => a + c.length, 0);
    if (this.plugins.length === 0) { this.requestEnded = true; return this.emit(this.dec, evs); }
    this.dec.queues[0]!.push(...evs);
    this.pump(this.dec, 0);
  }

  /**
   * Envoy answers the request itself before any filter runs (codec or connection manager
   * checks): an HTTP/1.1 reply the filters only log, or an HTTP/2 reset no filter sees.
   */
  private reject(r: Rejection): void {
    this.info.details = r.details;
    this.info.responseCode = r.status;
    this.info.responseFlags |= r.flags;
    this.info.unrouted = true;
    if (r.reset) {
      this.reset_ = true;
      this.resetReason = `Envoy's HTTP/2 codec reset the stream (${r.details}) before any filter`;
      this.response = { headers: new HeaderMap(), body: EMPTY, trailers: null, local: true, details: r.details };
      this.state = "done";
      this.info.endNs = this.nowNs();
      for (const slot of this.slots) if (slot && "ctx" in slot) slot.vm.contexts.delete(slot.ctx.id);
      return;
    }
    const bodyText = new TextEncoder().encode(r.body);
    const { headers, body } = buildLocalReply({ status: r.status, body: bodyText, headers: [], grpcStatus: null, details: r.details }, this.info.requestHeaders);
    this.response = { headers, body, trailers: null, local: true, details: r.details };
    this.info.responseHeaders = headers;
    this.info.responseBodyBytes = body.length;
    if (!r.headersComplete) {
      // The codec gave up before the request's headers were complete: the log has none of them,
      // and its reply carries the body even to a HEAD it did not recognize (the client reads none).
      this.info.requestHeaders = new HeaderMap();
      this.info.responseBodyBytes = bodyText.length;
    }
    this.finish();
  }

  /** The upstream's answer arrives: run it through the encoder path. */
  deliverUpstream(status: number, headers: HeaderMap, body: Uint8Array[], trailers: HeaderMap | null): void {
    if (this.state !== "upstream") return;
    if (headers.get(":status") === undefined) headers.add(":status", String(status));
    if (this.front) {
      if (upstreamHeadersTooLarge(headers, this.front.http2)) {
        const e = upstreamHeadersRefused(this.front.http2);
        this.info.responseFlags |= e.flag;
        return this.requestLocal(-1, { status: e.status, body: new TextEncoder().encode(e.body), headers: [], grpcStatus: null, details: e.details });
      }
      if (this.front.http2) {
        joinCookies(headers);
        if (trailers) joinCookies(trailers);
      }
      stampUpstreamResponse(headers, Number(this.nowNs() - this.upstreamStartNs) / 1e6);
    }
    this.info.details = "via_upstream";
    this.startEncoding(headers, body, trailers, false, "via_upstream");
  }

  private startEncoding(headers: HeaderMap, body: Uint8Array[], trailers: HeaderMap | null, local: boolean, details: string): void {
    this.state = "encoding";
    this.response = { headers, body: EMPTY, trailers, local, details };
    this.info.responseHeaders = headers;
    this.info.responseTrailers = trailers;
    this.info.responseCode = Number(headers.get(":status") ?? 0);
    this.info.details = details;
    // Encoders run in reverse; contexts that never saw decodeHeaders skip (checked in deliver).
    const order = this.plugins.map((_, i) => i).reverse();
    this.enc = this.newPass("response", order);
    const chunks = body.filter((c) => c.length > 0);
    const evs: Ev[] = [{ t: "h", map: headers, eos: chunks.length === 0 && !trailers }];
    chunks.forEach((c, i) => evs.push({ t: "d", data: c, eos: i === chunks.length - 1 && !trailers }));
    if (trailers) evs.push({ t: "t", map: trailers });
    if (order.length === 0) this.emit(this.enc, evs);
    else { this.enc.queues[0]!.push(...evs); this.pump(this.enc, 0); }
  }

  // --- the pipeline -------------------------------------------------------------------------

  /**
   * Delivers queued events one per filter per sweep, so an event reaches every filter before
   * the next one does (headers through the chain, then data), as Envoy iterates filters.
   */
  private pump(pass: Pass, _from: number): void {
    let progress = true;
    while (progress) {
      progress = false;
      for (let pos = 0; pos < pass.order.length; pos++) {
        if (pass.blocked[pos] || !pass.queues[pos]!.length) continue;
        const ev = pass.queues[pos]!.shift()!;
        this.deliver(pass, pos, ev);
        progress = true;
        if (this.afterCall(pass) === "abort" || this.active() !== pass) return;
      }
    }
  }

  private forward(pass: Pass, pos: number, evs: Ev[]): void {
    if (pos + 1 < pass.order.length) pass.queues[pos + 1]!.push(...evs);
    else this.emit(pass, evs);
  }

  /** Events leaving the last filter reach the upstream (request) or the client (response). */
  private emit(pass: Pass, evs: Ev[]): void {
    for (const ev of evs) {
      if (ev.t === "h") { pass.out.headers = ev.map; pass.headersOut = true; if (ev.eos) pass.done = true; }
      else if (ev.t === "d") { pass.out.body.push(ev.data); if (ev.eos) pass.done = true; }
      else { pass.out.trailers = ev.map; pass.done = true; }
    }
    if (!pass.done) return;
    if (pass.dir === "request") {
      if (this.state !== "decoding") return;
      this.state = "upstream";
      this.upstreamRequest = { headers: pass.out.headers!, body: concat(pass.out.body), trailers: pass.out.trailers ?? new HeaderMap() };
      if (this.front) {
        routeUpstream(this.upstreamRequest.headers);
        this.upstreamStartNs = this.nowNs();
      }
    } else if (this.response && this.state === "encoding") {
      this.response.headers = pass.out.headers!;
      this.response.body = concat(pass.out.body);
      this.response.trailers = pass.out.trailers;
      this.info.responseBodyBytes = this.response.body.length;
      this.info.responseTrailers = pass.out.trailers;
      this.finish();
    }
  }

  private deliver(pass: Pass, pos: number, ev: Ev): void {
    // The codec handed the request's end to the connection manager ("remote decode complete").
    if (pass === this.dec && pos === 0 && (ev.t === "t" || ev.eos)) this.requestEnded = true;
    const idx = pass.order[pos]!;
    const slot = this.slots[idx];
    if (!slot) return this.forward(pass, pos, [ev]);
    if (!("ctx" in slot)) {
      // A failed fail-closed plugin answers the request with Envoy's wasm_fail_stream reply.
      if (pass.dir === "request" && ev.t === "h") { this.pendingLocal ??= { idx, reply: failReply() }; return; }
      return this.forward(pass, pos, [ev]);
    }
    const { ctx, vm } = slot;
    const resp = pass.dir === "response";
    if (resp && (!ctx.created || ctx.failureReplySent)) return this.forward(pass, pos, [ev]);
    if (!resp && !ctx.created && ev.t !== "h") return this.forward(pass, pos, [ev]);
    if (vm.failed) return this.failed(pass, pos, ev, slot.plugin, ctx);
    if (!ctx.created) {
      ctx.created = true;
      this.invoke(vm, ctx, "proxy_on_context_create", ctx.root.id);
      if (vm.failed) return this.failed(pass, pos, ev, slot.plugin, ctx);
    }
    const cb = CB[pass.dir];
    if (ev.t === "h") {
      if (resp) ctx.respHeaders = ev.map; else ctx.reqHeaders = ev.map;
      const r = this.invoke(vm, ctx, cb.h, ev.map.size, ev.eos ? 1 : 0);
      if (vm.failed) return this.failed(pass, pos, ev, slot.plugin, ctx);
      if (r === 0 || r === 2) {
        if (resp) ctx.respHeaders = null; else ctx.reqHeaders = null;
        return this.forward(pass, pos, [ev]);
      }
      // StopIteration becomes StopAllIterationAndWatermark (cpp-host): hold everything after it.
      pass.blocked[pos] = true;
      pass.held[pos]!.push(ev);
      return;
    }
    if (ev.t === "d") {
      const prior = pass.buffered[pos];
      const data = prior ? concat([prior, ev.data]) : ev.data;
      if (resp) ctx.respBody = data; else ctx.reqBody = data;
      const r = this.invoke(vm, ctx, cb.d, data.length, ev.eos ? 1 : 0);
      if (vm.failed) return this.failed(pass, pos, ev, slot.plugin, ctx);
      const now = (resp ? ctx.respBody : ctx.reqBody) ?? EMPTY;
      if (r === 0) {
        pass.buffered[pos] = null;
        if (resp) ctx.respBody = null; else ctx.reqBody = null;
        return this.forward(pass, pos, [{ t: "d", data: now, eos: ev.eos }]);
      }
      // StopIterationAndBuffer (and, in this host, Watermark/NoBuffer): keep the data here.
      pass.buffered[pos] = now;
      if (ev.eos) { pass.blocked[pos] = true; pass.held[pos]!.push({ t: "d", data: EMPTY, eos: true }); }
      return;
    }
    if (resp) ctx.respTrailers = ev.map; else ctx.reqTrailers = ev.map;
    const r = this.invoke(vm, ctx, cb.t, ev.map.size);
    if (vm.failed) return this.failed(pass, pos, ev, slot.plugin, ctx);
    if (r === 0) {
      if (resp) ctx.respTrailers = null; else ctx.reqTrailers = null;
      return this.forward(pass, pos, [...this.flushBuffered(pass, pos, ctx), ev]);
    }
    pass.blocked[pos] = true;
    pass.held[pos]!.push(ev);
  }

  private flushBuffered(pass: Pass, pos: number, ctx: StreamContext): Ev[] {
    const b = pass.buffered[pos];
    pass.buffered[pos] = null;
    if (pass.dir === "response") ctx.respBody = null; else ctx.reqBody = null;
    return b ? [{ t: "d", data: b, eos: false }] : [];
  }

  /**
   * The VM failed while this stream was on it (a slot with a context was
   * created on a live VM). Envoy 1.40 answers such a stream 503
   * wasm_fail_stream whatever the failure policy — fail open too
   * (tests/envoy/failures.test.ts); the policy decides only the later streams
   * (fail open: no filter, see the constructor; fail closed: 503).
   */
  private failed(pass: Pass, pos: number, ev: Ev, _plugin: PluginRuntime, ctx: StreamContext): void {
    if (ctx.failureReplySent) return this.forward(pass, pos, [ev]);
    ctx.failureReplySent = true;
    this.pendingLocal ??= { idx: pass.order[pos]!, reply: failReply() };
  }

  /** Applies what the last callback asked for, after it returned (Envoy's after-VM-call actions). */
  private afterCall(pass: Pass | null): "abort" | "ok" {
    if (this.pendingReset) { const why = this.pendingReset; this.pendingReset = null; this.doReset(why); return "abort"; }
    if (this.pendingLocal) {
      const { idx, reply } = this.pendingLocal;
      this.pendingLocal = null;
      this.requestLocal(idx, reply);
      return "abort";
    }
    while (this.pendingContinue.length) {
      const { ctx, dir } = this.pendingContinue.shift()!;
      this.resume(ctx, dir);
      if (this.state === "done") return "abort";
    }
    return pass && this.state === "done" ? "abort" : "ok";
  }

  private active(): Pass | null {
    return this.state === "decoding" ? this.dec : this.state === "encoding" ? this.enc : null;
  }

  private resume(ctx: StreamContext, dir: Dir): void {
    const pass = dir === "request" ? (this.state === "decoding" ? this.dec : null) : this.enc;
    if (!pass) return;
    const pos = pass.order.indexOf(ctx.index);
    if (pos < 0) return;
    let evs: Ev[] = [];
    if (pass.blocked[pos]) {
      pass.blocked[pos] = false;
      for (const ev of pass.held[pos]!) {
        if (ev.t === "d") evs.push({ t: "d", data: pass.buffered[pos] ?? EMPTY, eos: true }), (pass.buffered[pos] = null);
        else if (ev.t === "t") evs.push(...this.flushBuffered(pass, pos, ctx), ev);
        else evs.push(ev);
      }
      pass.held[pos] = [];
    } else if (pass.buffered[pos]) {
      evs = this.flushBuffered(pass, pos, ctx);
    }
    // Envoy drops the filter's access to what it held once it continues.
    if (dir === "request") { ctx.reqHeaders = null; ctx.reqBody = null; ctx.reqTrailers = null; }
    else { ctx.respHeaders = null; ctx.respBody = null; ctx.respTrailers = null; }
    this.forward(pass, pos, evs);
    this.pump(pass, pos + 1);
  }

  private requestLocal(idx: number, reply: LocalReply): void {
    if (this.state === "done") return;
    if (this.state === "encoding") {
      // Response already under way: Envoy bypasses the encoder filters (sendDirectLocalReply),
      // or resets the stream when the client already has the response headers.
      if (this.enc?.headersOut) {
        const by = idx >= 0 ? `plugin '${this.plugins[idx]!.name}'` : "the host";
        return this.doReset(`${by} sent a local reply (${reply.status} ${reply.details}) after the response headers went out`);
      }
      const { headers, body } = buildLocalReply(reply, this.info.requestHeaders);
      this.response = { headers, body, trailers: null, local: true, details: reply.details };
      this.info.responseHeaders = headers;
      this.info.responseCode = reply.status;
      this.info.details = reply.details;
      this.info.responseBodyBytes = body.length;
      return this.finish();
    }
    // HTTP/1.1 cannot reuse a connection whose request was not read to its end.
    if (this.front && !this.front.http2 && !this.requestEnded) this.closeAfterReply = true;
    // Decoding (or waiting for upstream): the request goes no further; the reply runs through
    // the encoder path (sendLocalReplyViaFilterChain).
    this.localBy = idx;
    this.upstreamRequest = null;
    const { headers, body } = buildLocalReply(reply, this.info.requestHeaders);
    this.localReplyInitial = { map: headers, list: headers.toList() };
    this.startEncoding(headers, [body], null, true, reply.details);
  }

  private doReset(reason: string): void {
    this.reset_ = true;
    this.resetReason = reason;
    this.info.responseCode ??= 0;
    this.info.details ??= "wasm_close_stream";
    this.response ??= { headers: new HeaderMap(), body: EMPTY, trailers: null, local: true, details: this.info.details };
    this.finish();
  }

  /** Stream end as Envoy HTTP does it: access log (proxy_on_log) first, then destroy. */
  private finish(): void {
    if (this.state === "done") return;
    this.state = "done";
    this.info.endNs = this.nowNs();
    // The connection manager's last touches, which the filters' proxy_on_log already sees.
    if (this.front && this.response && !this.reset_) {
      finishResponseHeaders(this.response.headers, this.front.hcm, Number(this.info.endNs / 1_000_000n));
      if (this.front.rejection?.close || this.closeAfterReply) this.response.headers.add("connection", "close");
    }
    for (const slot of this.slots) {
      if (!slot || !("ctx" in slot) || slot.vm.failed) continue;
      const { ctx, vm } = slot;
      if (!ctx.created) {
        // Context::log creates a never-created context so proxy_on_log still runs.
        ctx.created = true;
        this.invoke(vm, ctx, "proxy_on_context_create", ctx.root.id);
      }
      ctx.reqHeaders = this.info.requestHeaders;
      ctx.respHeaders = this.info.responseHeaders;
      ctx.respTrailers = this.info.responseTrailers;
      ctx.reqBody = ctx.respBody = ctx.reqTrailers = null;
      this.invoke(vm, ctx, "proxy_on_log");
      ctx.reqHeaders = ctx.respHeaders = ctx.respTrailers = null;
    }
    for (const slot of this.slots) {
      if (!slot || !("ctx" in slot)) continue;
      const { ctx, vm } = slot;
      if (ctx.created && !ctx.destroyed) {
        ctx.destroyed = true;
        this.invoke(vm, ctx, "proxy_on_done");
        this.invoke(vm, ctx, "proxy_on_delete");
      }
      ctx.destroyed = true;
      vm.contexts.delete(ctx.id);
    }
  }

  nowNs: () => bigint = () => 0n;

  /** Set by FastDriver's probe run: every callback made, with its result. */
  recorder: ((e: CallRecord) => void) | null = null;
  /** The local reply's header map as first built, for FastDriver's replay. */
  localReplyInitial: { map: HeaderMap; list: [string, string][] } | null = null;

  private invoke(vm: Vm, ctx: StreamContext, fn: string, b = 0, c = 0): number {
    const local = this.pendingLocal;
    const r = vm.call(ctx, fn, ctx.id, b, c);
    this.recorder?.({ idx: ctx.index, fn, b, c, r, exists: vm.has(fn), local: this.pendingLocal !== local, other: this.pendingContinue.length > 0 || this.pendingReset !== null || vm.failed });
    return r;
  }

  /** Nothing can move the stream any more: act as Envoy's stream idle timeout would. */
  stall(): void {
    if (this.state === "done") return;
    const before = this.state;
    this.info.responseFlags |= ResponseFlag.StreamIdleTimeout;
    this.requestLocal(-1, { status: 408, body: new TextEncoder().encode("stream timeout"), headers: [], grpcStatus: null, details: "stream_idle_timeout" });
    // The idle-timeout reply itself was held by an encoder: reset, as Envoy eventually would.
    if ((this.state as string) !== "done" && (before as string) !== "done") this.doReset("stream idle timeout: no filter continued the stream, and a filter held the timeout reply");
  }

  // --- StreamHooks (called from host functions) ---------------------------------------------

  localReply(ctx: StreamContext, reply: LocalReply): void {
    if (this.state === "done") return;
    this.pendingLocal ??= { idx: ctx.index, reply };
  }

  reset(ctx: StreamContext, type: "request" | "response"): void {
    if (this.state === "done") return;
    this.info.details ??= "wasm_close_stream";
    this.pendingReset ??= `plugin '${ctx.plugin.name}' called proxy_close_stream(${type})`;
  }

  continueStream(ctx: StreamContext, dir: Dir): void {
    this.pendingContinue.push({ ctx, dir });
  }

  afterAsync(_ctx: AnyContext): void {
    this.afterCall(this.active());
  }

  attribute(path: string[], ctx: StreamContext): Uint8Array | null | undefined {
    return resolveStreamAttribute(path, ctx.plugin, ctx.vm, this.info, this.hostProps);
  }

  addLog(level: string, plugin: string, message: string): void {
    this.logs.push({ level: level as LogLevel, plugin, message });
  }

  get localFrom(): number | null { return this.localBy; }
}

function failReply(): LocalReply {
  return { status: 503, body: EMPTY, headers: [], grpcStatus: 14, details: "wasm_fail_stream" };
}
