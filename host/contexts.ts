// Host-side state of the contexts a VM knows: one root context per plugin per VM and one
// stream context per plugin per HTTP stream. Ids are allocated per VM, root first (cpp-host).
import type { HeaderMap } from "./headers.ts";
import type { Vm } from "./vm.ts";
import type { PluginInfo } from "./plugin-info.ts";
import type { HeaderList } from "./types.ts";

export interface LocalReply {
  status: number; body: Uint8Array; headers: HeaderList; grpcStatus: number | null; details: string;
}

/** What a stream context can ask of the stream it belongs to. */
export interface StreamHooks {
  readonly filterState: Map<string, Uint8Array>;
  readonly properties: Map<string, Uint8Array>;
  routeCacheCleared: boolean;
  localReply(ctx: StreamContext, reply: LocalReply): void;
  reset(ctx: StreamContext, type: "request" | "response"): void;
  continueStream(ctx: StreamContext, type: "request" | "response"): void;
  attribute(path: string[], ctx: StreamContext): Uint8Array | null | undefined;
  afterAsync(ctx: AnyContext): void;
  addLog(level: string, plugin: string, message: string): void;
}

export class RootContext {
  readonly kind = "root" as const;
  tickPeriodMs = 0;
  nextTickNs = 0n;
  /** Plugin configuration is readable only while starting/configuring (envoy temp_plugin_). */
  configuring = false;
  constructor(readonly id: number, readonly vm: Vm, readonly plugin: PluginInfo) {}
  get root(): RootContext { return this; }
  get stream(): StreamHooks | null { return null; }
}

export class StreamContext {
  readonly kind = "stream" as const;
  /** proxy_on_context_create has run (envoy in_vm_context_created_). */
  created = false;
  destroyed = false;
  /** A fail-closed 503 was already sent for this context (envoy failure_local_reply_sent_). */
  failureReplySent = false;
  // Maps and buffers are reachable only while Envoy holds them for this filter.
  reqHeaders: HeaderMap | null = null;
  reqTrailers: HeaderMap | null = null;
  respHeaders: HeaderMap | null = null;
  respTrailers: HeaderMap | null = null;
  reqBody: Uint8Array | null = null;
  respBody: Uint8Array | null = null;
  constructor(public id: number, readonly vm: Vm, readonly root: RootContext, readonly stream: StreamHooks, readonly index: number) {}
  get plugin(): PluginInfo { return this.root.plugin; }
}

export type AnyContext = RootContext | StreamContext;
