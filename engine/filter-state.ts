// The filter-state keys our filters set (metadata-exchange: the peer it learned
// and its id, per direction; assembly/peer-metadata.ts DOWNSTREAM_PEER ...).
// Envoy cannot list a stream's filter state, so the Envoy engine names the keys
// it prints (`%FILTER_STATE(KEY:TYPED)%`); these are the default.
// tests/envoy/filter-state.test.ts keeps this list in step with the filters.
export const OUR_FILTER_STATE_KEYS: readonly string[] = [
  "wasm.downstream_peer",
  "wasm.downstream_peer_id",
  "wasm.upstream_peer",
  "wasm.upstream_peer_id",
];
