// The bootstrap of one runner Envoy, assembled from the same pieces as the
// plain-Envoy example (deploy/envoy-config.ts): per listener shape of the
// proxy an HCM with the proxy's Wasm filters (inline, or through ECDS from a
// file as istio-agent delivers them) and the path hardening, routed to a
// cluster with the shape's name and filter metadata; the node; the stats_tags.
// What only the runner adds: ports chosen by the OS, admin on 127.0.0.1, a
// JSON access log into Envoy's own log file, PROXY protocol on the client's
// listeners, a fence listener (engine/envoy/envoy-log.ts), and clusters that
// speak the downstream's protocol.
import {
  adminConfig, directResponseRoute, ecdsDiscoveryResponse, fileEcdsHttpFilter, httpConnectionManager, inlineHttpFilter, listener, localFileCode,
  routeAllTo, singleEndpointCluster, staticBootstrap, statsConfig, wasmFilterTypedConfig, type TrafficDirection,
} from "../../deploy/envoy-config.ts";
import type { ClusterSpec, Direction, PluginSpec, ProxySpec } from "../types.ts";
import { fenceAccessLog, streamAccessLog } from "./access-log.ts";

export const FENCE_LISTENER = "mwf_fence";
export const DEFAULT_CLUSTER = "upstream";

export type WasmDelivery = "inline" | "ecds";

export interface RunnerListener {
  /** Envoy listener name. */
  name: string;
  direction?: Direction;
  cluster: ClusterSpec;
}

export interface RunnerPlugin {
  /** Unique HttpFilter (and ECDS resource) name. */
  filterName: string;
  spec: PluginSpec;
  /** The module as istio-agent leaves it: a local file named by its sha256. */
  file: string;
}

export interface RunnerConfig {
  proxy: ProxySpec;
  listeners: RunnerListener[];
  plugins: RunnerPlugin[];
  /** Where every cluster sends: the next proxy's listener or the recording upstream. */
  upstreamPort: number;
  /** Accept PROXY protocol headers from the client (first proxy only). */
  proxyProtocol: boolean;
  logPath: string;
  filterStateKeys: readonly string[];
  delivery: WasmDelivery;
  /** ECDS file of a filter (delivery "ecds"). */
  ecdsPath: (filterName: string) => string;
}

const TRAFFIC_DIRECTION: Record<Direction, TrafficDirection> = { inbound: "INBOUND", outbound: "OUTBOUND" };

const PROXY_PROTOCOL = {
  name: "envoy.filters.listener.proxy_protocol",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol",
    allow_requests_without_proxy_protocol: true,
  },
};

/** The upstream speaks whatever the downstream spoke (HTTP/2 for gRPC), as Istio's inbound clusters do. */
const DOWNSTREAM_PROTOCOL = {
  "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
  use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
};

export function wasmTypedConfig(p: RunnerPlugin): Record<string, unknown> {
  return wasmFilterTypedConfig({
    name: p.spec.name,
    rootId: p.spec.rootId ?? "",
    vmId: p.spec.vmId ?? "",
    code: localFileCode(p.file),
    configuration: p.spec.configuration,
    failure: { failure_policy: p.spec.failurePolicy ?? "FAIL_CLOSED" },
  });
}

/** The bootstrap, and the ECDS files to write before Envoy starts (delivery "ecds"). */
export function runnerBootstrap(c: RunnerConfig): { bootstrap: Record<string, unknown>; ecdsFiles: { path: string; content: Record<string, unknown> }[] } {
  const ecdsFiles: { path: string; content: Record<string, unknown> }[] = [];
  const httpFilters = c.plugins.map((p) => {
    if (c.delivery === "inline") return inlineHttpFilter(p.filterName, wasmTypedConfig(p));
    const path = c.ecdsPath(p.filterName);
    ecdsFiles.push({ path, content: ecdsDiscoveryResponse([{ name: p.filterName, typedConfig: wasmTypedConfig(p) }]) });
    return fileEcdsHttpFilter(p.filterName, path);
  });
  const clusters = new Map<string, ClusterSpec>();
  for (const l of c.listeners) {
    const seen = clusters.get(l.cluster.name);
    if (seen && canonical(seen.filterMetadata) !== canonical(l.cluster.filterMetadata)) {
      throw new Error(`${c.proxy.name}: cluster '${l.cluster.name}' is declared with two different filter metadata`);
    }
    clusters.set(l.cluster.name, l.cluster);
  }
  const listeners = c.listeners.map((l, i) => listener({
    name: l.name,
    address: "127.0.0.1",
    port: 0,
    direction: l.direction ? TRAFFIC_DIRECTION[l.direction] : undefined,
    listenerFilters: c.proxyProtocol ? [PROXY_PROTOCOL] : undefined,
    hcm: httpConnectionManager({
      statPrefix: `${l.direction ?? "http"}${i ? `_${i}` : ""}`,
      routeConfig: routeAllTo(l.name, l.cluster.name),
      httpFilters,
      accessLog: [streamAccessLog(c.logPath, c.filterStateKeys)],
    }),
  }));
  listeners.push(listener({
    name: FENCE_LISTENER,
    address: "127.0.0.1",
    port: 0,
    statPrefix: FENCE_LISTENER,
    hcm: httpConnectionManager({
      statPrefix: FENCE_LISTENER,
      routeConfig: directResponseRoute(FENCE_LISTENER, 200),
      httpFilters: [],
      accessLog: [fenceAccessLog(c.logPath)],
    }),
  }));
  // Any xDS subscription, a file-based one included, needs a node id and cluster (seen in 1.40.0:
  // "node 'id' and 'cluster' are required"); Istio's sidecars always have both.
  const node = c.delivery === "ecds" ? { ...c.proxy.node, id: c.proxy.node?.id || c.proxy.name, cluster: c.proxy.node?.cluster || c.proxy.name } : c.proxy.node;
  const bootstrap = staticBootstrap({
    node,
    admin: adminConfig("127.0.0.1", 0),
    statsConfig: statsConfig(c.proxy.statsTags ?? [], {
      // The fence listener's own stats stay out of /stats/prometheus.
      stats_matcher: { exclusion_list: { patterns: [{ prefix: `http.${FENCE_LISTENER}.` }, { prefix: `listener.${FENCE_LISTENER}.` }] } },
    }),
    listeners,
    extra: { stats_flush_on_admin: true },
    clusters: [...clusters.values()].map((cl) => singleEndpointCluster({
      name: cl.name, host: "127.0.0.1", port: c.upstreamPort, filterMetadata: cl.filterMetadata, protocolOptions: DOWNSTREAM_PROTOCOL,
    })),
  });
  return { bootstrap, ecdsFiles };
}

/** JSON with sorted keys: equal metadata, equal text. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x)) ?? "";
}
