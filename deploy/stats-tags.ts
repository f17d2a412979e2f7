// Envoy stats_config.stats_tags that turn the stats filter's
// `<tag>=.=<value>;.;...istio_requests_total` names into tagged metrics (facts
// §6.3). The label regexes are Istio's, verbatim from its rendered sidecar
// bootstrap (istio/istio pkg/bootstrap/testdata/default_golden.json @394c4efc, checked
// by tests/manifests against tests/fixtures/istio/bootstrap-stats-tags.ts), which also carries the
// fixed response_code entries; then the cache/component/tag/wasm_filter ones.

/** The 25 labels of istio_requests_total, in stat-name order (facts §6.2). */
export const ISTIO_LABELS = [
  "reporter", "source_workload", "source_workload_namespace", "source_principal", "source_app", "source_version",
  "source_canonical_service", "source_canonical_revision", "source_cluster", "destination_workload",
  "destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
  "destination_service", "destination_service_name", "destination_service_namespace", "destination_canonical_service",
  "destination_canonical_revision", "destination_cluster", "request_protocol", "response_flags",
  "connection_security_policy", "response_code", "grpc_response_status",
];

/** Istio's DefaultStatTags order in the golden (29 names: the labels except response_code, plus 5 more). */
const GOLDEN_LABEL_ORDER = [
  "reporter", "source_namespace", "source_workload", "source_workload_namespace", "source_principal", "source_app",
  "source_version", "source_cluster", "destination_namespace", "destination_workload", "destination_workload_namespace",
  "destination_principal", "destination_app", "destination_version", "destination_service", "destination_service_name",
  "destination_service_namespace", "destination_port", "destination_cluster", "request_protocol", "request_operation",
  "request_host", "response_flags", "grpc_response_status", "connection_security_policy", "source_canonical_service",
  "destination_canonical_service", "source_canonical_revision", "destination_canonical_revision",
];

export interface StatsTag {
  tag_name: string;
  regex: string;
}

export function labelTag(name: string): StatsTag {
  return { regex: `(${name}=\\.=(.*?);\\.;)`, tag_name: name };
}

export const STATS_TAGS: StatsTag[] = [
  { regex: "(response_code=\\.=(.+?);\\.;)", tag_name: "response_code" },
  { regex: "_rq(_(\\d{3}))$", tag_name: "response_code" },
  { regex: "_rq(_(\\dxx))$", tag_name: "response_code_class" },
  ...GOLDEN_LABEL_ORDER.map(labelTag),
  { regex: "(cache\\.(.+?)\\.)", tag_name: "cache" },
  { regex: "(component\\.(.+?)\\.)", tag_name: "component" },
  { regex: "(tag\\.(.+?);\\.)", tag_name: "tag" },
  { regex: "(wasm_filter\\.(.+?)\\.)", tag_name: "wasm_filter" },
];

/** For `sidecar.istio.io/extraStatTags` (Istio ≥1.18 renders only these plus a few fixed ones). */
export const EXTRA_STAT_TAGS = ISTIO_LABELS;
