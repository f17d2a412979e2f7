// The pieces of an Envoy v3 configuration the project generates, in one place:
// the plain-Envoy bootstrap of examples/envoyfilter/envoy/envoy.yaml
// (deploy/envoy-bootstrap.ts), the Istio EnvoyFilter forms' Wasm filter
// (deploy/envoyfilter.ts), the Envoy runner's bootstraps (engine/envoy/) and
// doctor's Wasm probe (tools/envoy-wasm-check.ts) are all assembled from these, so a change here reaches every one of them.
// Field names follow the v3 protos (facts §2: wasm.proto, listener.proto,
// http_connection_manager.proto, cluster.proto, bootstrap.proto).
import { isIP } from "node:net";
import { HCM_PATH_HARDENING } from "./path-hardening.ts";

export const WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
export const STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue";
export const HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
export const ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
export const HCM = "envoy.filters.network.http_connection_manager";
export const ROUTER = "envoy.filters.http.router";
export const V8 = "envoy.wasm.runtime.v8";

export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";
export type TrafficDirection = "INBOUND" | "OUTBOUND" | "UNSPECIFIED";

/** One Proxy-Wasm plugin as `envoy.extensions.wasm.v3.PluginConfig` holds it. */
export interface WasmPluginFields {
  name: string;
  rootId: string;
  vmId: string;
  /** `VmConfig.code` (an AsyncDataSource: `{local: {filename}}` or `{remote: ...}`). */
  code: Record<string, unknown>;
  /** The bytes proxy_on_configure reads, as a StringValue; omitted when undefined. */
  configuration?: string;
  /** `failure_policy` (Envoy ≥1.33) or, for older proxies, `fail_open` — see deploy/envoyfilter.ts failureFields. */
  failure: Record<string, unknown>;
}

/** `envoy.extensions.filters.http.wasm.v3.Wasm` (the HttpFilter's typed_config, or an ECDS resource's). */
export function wasmFilterTypedConfig(p: WasmPluginFields): Record<string, unknown> {
  return {
    "@type": WASM_TYPE,
    config: {
      name: p.name,
      root_id: p.rootId,
      vm_config: { vm_id: p.vmId, runtime: V8, code: p.code },
      ...(p.configuration === undefined ? {} : { configuration: { "@type": STRING_VALUE_TYPE, value: p.configuration } }),
      ...p.failure,
    },
  };
}

export function localFileCode(filename: string): Record<string, unknown> {
  return { local: { filename } };
}

/** An HttpFilter that carries its configuration inline. */
export function inlineHttpFilter(name: string, typedConfig: Record<string, unknown>): Record<string, unknown> {
  return { name, typed_config: typedConfig };
}

/**
 * An HttpFilter whose configuration comes from ECDS read from a file (facts
 * §2.2): Envoy reads a DiscoveryResponse of `TypedExtensionConfig` named like
 * the filter from `path`, the way istio-agent hands Envoy the filter after
 * pulling the module (its ECDS stream carries a local file, see
 * deploy/envoyfilter.ts).
 */
export function fileEcdsHttpFilter(name: string, path: string): Record<string, unknown> {
  return {
    name,
    config_discovery: {
      config_source: { path_config_source: { path }, resource_api_version: "V3" },
      type_urls: [WASM_TYPE],
    },
  };
}

/** The ECDS file's content: one `TypedExtensionConfig` resource per filter. */
export function ecdsDiscoveryResponse(resources: { name: string; typedConfig: Record<string, unknown> }[], version = "1"): Record<string, unknown> {
  const type = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";
  return {
    version_info: version,
    type_url: type,
    resources: resources.map((r) => ({ "@type": type, name: r.name, typed_config: r.typedConfig })),
  };
}

export const ROUTER_FILTER = { name: ROUTER, typed_config: { "@type": ROUTER_TYPE } };

/** A route configuration that sends everything to one cluster. */
export function routeAllTo(name: string, cluster: string): Record<string, unknown> {
  return { name, virtual_hosts: [{ name: "backend", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster } }] }] };
}

/** A route configuration that answers everything itself with `status` (no cluster). */
export function directResponseRoute(name: string, status: number): Record<string, unknown> {
  return { name, virtual_hosts: [{ name, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status } }] }] };
}

/**
 * The HTTP connection manager every generated configuration uses: the given
 * filters, then the router, and the path and header hardening of
 * deploy/path-hardening.ts.
 */
export function httpConnectionManager(o: {
  statPrefix: string;
  routeConfig: Record<string, unknown>;
  httpFilters: Record<string, unknown>[];
  accessLog?: Record<string, unknown>[];
  extra?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    name: HCM,
    typed_config: {
      "@type": HCM_TYPE,
      stat_prefix: o.statPrefix,
      codec_type: "AUTO",
      ...(o.accessLog ? { access_log: o.accessLog } : {}),
      route_config: o.routeConfig,
      http_filters: [...o.httpFilters, ROUTER_FILTER],
      ...HCM_PATH_HARDENING,
      ...o.extra,
    },
  };
}

export function socketAddress(address: string, port: number): Record<string, unknown> {
  return { socket_address: { address, port_value: port } };
}

/** A listener with one filter chain holding `hcm`; `direction` is what `xds.listener_direction` reports (1 INBOUND, 2 OUTBOUND). */
export function listener(o: {
  name: string;
  address: string;
  port: number;
  direction?: TrafficDirection;
  hcm: Record<string, unknown>;
  listenerFilters?: Record<string, unknown>[];
  statPrefix?: string;
}): Record<string, unknown> {
  return {
    name: o.name,
    address: socketAddress(o.address, o.port),
    ...(o.statPrefix ? { stat_prefix: o.statPrefix } : {}),
    ...(o.direction ? { traffic_direction: o.direction } : {}),
    ...(o.listenerFilters ? { listener_filters: o.listenerFilters } : {}),
    filter_chains: [{ filters: [o.hcm] }],
  };
}

/** A cluster of one endpoint; `metadata` becomes `metadata.filter_metadata` (what `xds.cluster_metadata` serves). */
export function singleEndpointCluster(o: {
  name: string;
  host: string;
  port: number;
  filterMetadata?: Record<string, unknown>;
  protocolOptions?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    name: o.name,
    type: isIP(o.host) ? "STATIC" : "STRICT_DNS",
    connect_timeout: "1s",
    ...(o.filterMetadata ? { metadata: { filter_metadata: o.filterMetadata } } : {}),
    ...(o.protocolOptions ? { typed_extension_protocol_options: { "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": o.protocolOptions } } : {}),
    load_assignment: {
      cluster_name: o.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(o.host, o.port) } }] }],
    },
  };
}

export function adminConfig(address: string, port: number): Record<string, unknown> {
  return { address: socketAddress(address, port) };
}

/** `stats_config`: the tag extractors (Istio's label regexes for the stats filter, deploy/stats-tags.ts). */
export function statsConfig(tags: { tag_name: string; regex?: string; fixed_value?: string }[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    stats_tags: tags.map((t) => ({ tag_name: t.tag_name, ...(t.regex !== undefined ? { regex: t.regex } : {}), ...(t.fixed_value !== undefined ? { fixed_value: t.fixed_value } : {}) })),
    ...extra,
  };
}

export interface NodeFields {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
}

/** A static bootstrap: node, admin, stats_config, then the listeners and clusters. */
export function staticBootstrap(o: {
  node?: NodeFields;
  admin?: Record<string, unknown>;
  statsConfig?: Record<string, unknown>;
  listeners: Record<string, unknown>[];
  clusters: Record<string, unknown>[];
  extra?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    ...(o.node ? { node: o.node } : {}),
    ...(o.admin ? { admin: o.admin } : {}),
    ...(o.statsConfig ? { stats_config: o.statsConfig } : {}),
    static_resources: { listeners: o.listeners, clusters: o.clusters },
    ...o.extra,
  };
}
