// The HTTP connection manager settings the host models, named and shaped as in
// Envoy's configuration (envoy.extensions.filters.network.http_connection_manager.v3),
// so that one object — deploy/path-hardening.ts — configures both the Envoy
// the project deploys and the host that stands in for it. Given to the host
// (`new ProxyWasmHost({hcm})`), it turns on what Envoy does to a stream
// outside the filters (host/hcm/README in host/README.md, "Envoy's HTTP front").

export type EscapedSlashesAction = "IMPLEMENTATION_SPECIFIC_DEFAULT" | "KEEP_UNCHANGED" | "REJECT_REQUEST" | "UNESCAPE_AND_REDIRECT" | "UNESCAPE_AND_FORWARD";
export type UnderscoresAction = "ALLOW" | "REJECT_REQUEST" | "DROP_HEADER";

/** The HttpConnectionManager fields the host reads; anything else in the object is ignored. */
export interface HcmOptions {
  normalize_path?: boolean;
  merge_slashes?: boolean;
  path_with_escaped_slashes_action?: EscapedSlashesAction;
  common_http_protocol_options?: { headers_with_underscores_action?: UnderscoresAction };
  /** Default 60 (Envoy's): the largest HTTP/1.1 request head, in KiB. */
  max_request_headers_kb?: number;
  /** Default "envoy": the `server` header of every response (server_header_transformation OVERWRITE). */
  server_name?: string;
}

export interface Hcm {
  normalizePath: boolean;
  mergeSlashes: boolean;
  escapedSlashes: "KEEP_UNCHANGED" | "REJECT_REQUEST" | "UNESCAPE_AND_FORWARD";
  underscores: UnderscoresAction;
  maxRequestHeadersBytes: number;
  serverName: string;
}

/** The settings with Envoy's defaults filled in; throws for a value the host does not model. */
export function resolveHcm(o: HcmOptions): Hcm {
  const escaped = o.path_with_escaped_slashes_action ?? "IMPLEMENTATION_SPECIFIC_DEFAULT";
  if (escaped === "UNESCAPE_AND_REDIRECT") {
    throw new Error("hcm.path_with_escaped_slashes_action UNESCAPE_AND_REDIRECT is not modelled by the host (KEEP_UNCHANGED, REJECT_REQUEST and UNESCAPE_AND_FORWARD are)");
  }
  const kb = o.max_request_headers_kb ?? 60;
  if (!Number.isInteger(kb) || kb < 1 || kb > 8192) throw new Error(`hcm.max_request_headers_kb must be an integer from 1 to 8192 (Envoy's bounds), not ${kb}`);
  return {
    normalizePath: o.normalize_path ?? false,
    mergeSlashes: o.merge_slashes ?? false,
    // Envoy's default keeps escaped slashes unchanged (runtime-overridable there).
    escapedSlashes: escaped === "IMPLEMENTATION_SPECIFIC_DEFAULT" ? "KEEP_UNCHANGED" : escaped,
    underscores: o.common_http_protocol_options?.headers_with_underscores_action ?? "ALLOW",
    maxRequestHeadersBytes: kb * 1024,
    serverName: o.server_name ?? "envoy",
  };
}
