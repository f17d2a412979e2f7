// Public API of the Envoy-faithful Proxy-Wasm host (see host/README.md, docs/contracts.md).
export { ProxyWasmHost, type HostOptions, type LoadOptions } from "./host.ts";
export { PluginRuntime as Plugin } from "./plugin.ts";
export { Chain } from "./chain.ts";
export { PluginLoadError, type TrapRecord } from "./errors.ts";
export { encodePairs, decodePairs } from "./pairs.ts";
export { encodePropertyInput } from "./property-input.ts";
export { extractTags, type StatsTag } from "./prometheus.ts";
export { DEFAULT_BUCKETS } from "./metrics.ts";
export { FastDriver, FastPathDiverged, type FastInput } from "./fast-driver.ts";
export type * from "./types.ts";
export type { NodeInfo } from "./proto.ts";
