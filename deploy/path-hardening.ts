// HTTP connection manager settings every Envoy configuration we generate
// carries, so that header-auth's path rules and the upstream see one path and
// one spelling of each header (issue 18, findings 4 and 5). They follow
// Envoy's edge best practices (docs configuration/best_practices/edge.rst):
// - normalize_path + merge_slashes: RFC 3986 normalization ("/a/../b" -> "/b")
//   and "//" -> "/", before any filter sees :path;
// - path_with_escaped_slashes_action REJECT_REQUEST: "%2F"/"%5C" in a path are
//   answered 400 instead of reaching a filter in one form and the upstream in
//   another (mesh clients, gRPC ones included, send normalized paths; a
//   browser-facing gateway may prefer UNESCAPE_AND_REDIRECT);
// - headers_with_underscores_action REJECT_REQUEST: "x_auth_principal" never
//   reaches a CGI/WSGI/Rack/PHP upstream that folds '_' and '-' together.
// Istio's own default (meshConfig.pathNormalization BASE) normalizes but
// neither merges slashes nor handles escaped slashes.

/** Fields of HttpConnectionManager (envoy.extensions.filters.network.http_connection_manager.v3). */
export const HCM_PATH_HARDENING = {
  normalize_path: true,
  merge_slashes: true,
  path_with_escaped_slashes_action: "REJECT_REQUEST",
  common_http_protocol_options: { headers_with_underscores_action: "REJECT_REQUEST" },
} as const;
