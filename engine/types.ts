// The engine interface (docs/contracts.md, "Engines"): a scenario is data — a
// topology of proxies and the streams sent through it — and an engine runs it,
// either in the host (host/, in-process) or in real Envoy processes
// (engine/envoy/). `mesh-filters run`, the demo, the benchmarks and the
// differential suite speak only this interface, so switching engines is a
// matter of picking one. Shaped after Istio's test/envoye2e driver: proxies
// with a node, a listener direction and an upstream cluster, chained client ->
// server -> application.
import type { LogLevel } from "../host/constants.ts";
import type {
  HeaderList, LogEntry, PropertyInput, RequestInput, ResponseOutput, StatsTag, UpstreamRequest, UpstreamResponse,
} from "../host/index.ts";

export type { HeaderList, LogEntry, LogLevel, PropertyInput, RequestInput, ResponseOutput, StatsTag, UpstreamRequest, UpstreamResponse };

export type EngineName = "host" | "envoy";

/** Listener `traffic_direction`, served to modules as `xds.listener_direction` (1 inbound, 2 outbound). */
export type Direction = "inbound" | "outbound";

/** `PluginConfig.failure_policy` (Envoy ≥1.33). The host models FAIL_CLOSED and FAIL_OPEN. */
export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";

/** Envoy's bootstrap `node` (`xds.node.*`). */
export interface NodeSpec {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
}

/** The cluster a listener routes to: `xds.cluster_name` and `xds.cluster_metadata` (its `metadata.filter_metadata`). */
export interface ClusterSpec {
  name: string;
  /** Filter metadata by namespace, e.g. `{istio: {services: [{host, name, namespace}]}}` as istiod sets it. */
  filterMetadata?: Record<string, Record<string, unknown>>;
}

/** What distinguishes one listener of a proxy from another. */
export interface ListenerShape {
  /** Absent: Envoy's UNSPECIFIED (0); the host then serves no `xds.listener_direction`. */
  direction?: Direction;
  /** Absent: a cluster named `upstream` (both engines serve that name as `xds.cluster_name`). */
  cluster?: ClusterSpec;
}

/** One Proxy-Wasm plugin in a proxy's HTTP filter chain (Envoy's `PluginConfig`). */
export interface PluginSpec {
  /** `PluginConfig.name` (Envoy's log prefix and `wasm.<name>.*` stats). */
  name: string;
  /** The module: bytes, or a path to a .wasm file. */
  module: Uint8Array | string;
  /** Default "" (the module's first registered root id). */
  rootId?: string;
  /** Default "". Plugins with the same vm id, code and VM configuration share a VM. */
  vmId?: string;
  /** The plugin configuration proxy_on_configure reads (Envoy: a StringValue). */
  configuration?: string;
  /** Default FAIL_CLOSED. */
  failurePolicy?: FailurePolicy;
}

export interface ProxySpec extends ListenerShape {
  /** Unique in the topology; names the proxy in results, metrics and logs. */
  name: string;
  node?: NodeSpec;
  /** In `http_filters` order: requests flow through them in order, responses in reverse. */
  plugins: PluginSpec[];
  /** `stats_config.stats_tags`, applied by Envoy when it renders Prometheus text. */
  statsTags?: StatsTag[];
  /** Level of the `wasm` log component (modules' log lines below it are dropped). Default "info". */
  logLevel?: LogLevel;
  /**
   * Further listeners of this proxy that differ from its main one in direction
   * or cluster only (same filters, same VMs, same stats). A stream reaches one
   * of them by naming it in its properties (`xds.listener_direction`,
   * `xds.cluster_name`, `xds.cluster_metadata`); `mesh-filters run` declares
   * one per combination its streams use.
   */
  alternatives?: ListenerShape[];
}

export interface Topology {
  /**
   * Client side first: the client sends to `proxies[0]`, each proxy's upstream
   * is the next proxy's main listener, and the last proxy's upstream answers
   * with the stream's `upstream`.
   */
  proxies: ProxySpec[];
  /**
   * Filter-state keys reported per stream and hop, as stored (`wasm.<key>`).
   * Envoy cannot list filter state, so its engine reports only named keys
   * (default: the keys our filters set, engine/filter-state.ts); the host
   * reports every key unless this is given.
   */
  filterStateKeys?: string[];
}

/** What the upstream behind the last proxy answers: fixed, or computed from the request it received. */
export type Upstream = UpstreamResponse | ((request: UpstreamRequest) => UpstreamResponse | Promise<UpstreamResponse>);

/** One stream, as a line of `mesh-filters run` describes it. */
export interface Stream {
  request: RequestInput;
  /** Default: 200, no body. */
  upstream?: Upstream;
  /**
   * Attributes of the client's connection and of the listener it reaches on
   * the first proxy. The host serves them as given; Envoy derives attributes
   * from real listeners and connections, so its engine produces what it can
   * (engine/properties.ts) and rejects the rest.
   */
  properties?: Record<string, PropertyInput>;
}

/** What one proxy decided for a stream (from Envoy's access log, or the host's result). */
export interface HopResult {
  proxy: string;
  /** %RESPONSE_CODE%: the status this proxy answered downstream. */
  status: number;
  /** %RESPONSE_CODE_DETAILS%: "via_upstream" or the local reply's details. */
  details: string;
  /** The proxy answered itself (its upstream did not produce the response). */
  local: boolean;
  filterState: Record<string, Uint8Array>;
  /** The plugins' log lines while the proxy handled the stream. */
  logs: LogEntry[];
}

/**
 * The `mesh-filters run` result of a stream (README, "`mesh-filters run`"),
 * plus what each proxy decided.
 */
export interface StreamResult {
  /** What the upstream behind the last proxy received; null when the stream never reached it. */
  upstreamRequest: UpstreamRequest | null;
  /**
   * What the client got. `local` is true when some proxy answered itself, and
   * `details` is then that proxy's (the one nearest the client); otherwise the
   * first proxy's ("via_upstream").
   */
  response: ResponseOutput;
  /** The first proxy's filter state and plugin logs. */
  filterState: Record<string, Uint8Array>;
  logs: LogEntry[];
  /** One per proxy the stream reached, client side first. */
  hops: HopResult[];
  /** The client's stream was reset instead of answered (`response.status` is then 0). */
  reset?: boolean;
  /** Who reset it and why, when `reset` (a plugin's proxy_close_stream, a codec error, ...). */
  resetReason?: string;
  /** Plugins whose VM failed (trapped) while handling this stream, in any proxy. */
  traps?: StreamTrap[];
}

/** A plugin's VM failure during a stream: the plugin, the exported function that failed, the engine's message. */
export interface StreamTrap {
  proxy: string;
  plugin: string;
  function: string;
  message: string;
}

export interface EngineInfo {
  name: EngineName;
  /** "1.40.0" for Envoy; the Node and V8 versions for the host. */
  version: string;
}

/** A running topology. Sends are handled one at a time, in call order. */
export interface Deployment {
  readonly engine: EngineInfo;
  readonly topology: Topology;
  send(stream: Stream): Promise<StreamResult>;
  /** The proxy's `/stats/prometheus` text, its `stats_tags` applied. */
  prometheus(proxy: string): Promise<string>;
  /** The proxy's log: Envoy's log file, or the host's module log lines. */
  logs(proxy: string): string;
  /** Stops every process and server of the deployment. Safe to call twice. */
  stop(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  info(): Promise<EngineInfo>;
  /** Rejects with StartError when a plugin or proxy does not come up. */
  start(topology: Topology): Promise<Deployment>;
}

/** A proxy or plugin that did not start: the engine's own words and the log lines that explain it. */
export class StartError extends Error {
  constructor(message: string, readonly proxy: string, readonly plugin: string | undefined, readonly logs: string[]) {
    super(message);
    this.name = "StartError";
  }
}
