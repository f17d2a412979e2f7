// The fixed case names of `mesh-filters bench --engine envoy` (docs/contracts.md), in the
// order the runs take them.

export const BASELINE = "envoy:baseline";
export const NOOP_STOCK = "envoy:noop-stock";
export const CHAIN = "envoy:chain";
export const HEADER_AUTH_ALLOWED = "envoy:header-auth-allowed";
export const PEERS = { native: "envoy:native-api-key-auth", lua: "envoy:lua-api-key", goSdk: "envoy:go-sdk-api-key" } as const;
/** Filters of ours measured one by one (the chain is their sum, judged on its own). */
export const OUR_FILTER_CASES = ["envoy:add-header", HEADER_AUTH_ALLOWED, "envoy:header-auth-denied", "envoy:metadata-exchange", "envoy:stats"];

export const ENVOY_CASE_NAMES = [
  BASELINE, NOOP_STOCK, "envoy:noop-lean", ...OUR_FILTER_CASES, CHAIN, PEERS.native, PEERS.lua, PEERS.goSdk,
] as const;
