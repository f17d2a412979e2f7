// The runner's access logs: one JSON line per stream with what the proxy
// decided (%RESPONSE_CODE%, %RESPONSE_CODE_DETAILS%, %RESPONSE_FLAGS%,
// %UPSTREAM_HOST%) and the filter state asked for, and one per fence request.
// Filter state is printed TYPED: a Wasm module's value is a CelState, which
// Envoy prints as a BytesValue with the exact bytes in base64 (PLAIN escapes
// bytes that are not UTF-8 ambiguously: 0xff and U+00FF both become "\u00ff").
import { ACCESS_MARK } from "./envoy-log.ts";

const FILE_ACCESS_LOG = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog";
const FS_PREFIX = "fs:";

/** Filter-state keys that fit in %FILTER_STATE(KEY:TYPED)% ("wasm.upstream_peer", "envoy.x"). */
export function checkFilterStateKey(key: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`filter-state key '${key}': only letters, digits, '_', '.' and '-' (it is spliced into %FILTER_STATE(KEY:TYPED)%)`);
}

function fileAccessLog(path: string, json: Record<string, string>): Record<string, unknown> {
  return {
    name: "envoy.access_loggers.file",
    typed_config: { "@type": FILE_ACCESS_LOG, path, log_format: { json_format: json } },
  };
}

export function streamAccessLog(path: string, filterStateKeys: readonly string[]): Record<string, unknown> {
  const json: Record<string, string> = {
    [ACCESS_MARK]: "stream",
    code: "%RESPONSE_CODE%",
    details: "%RESPONSE_CODE_DETAILS%",
    flags: "%RESPONSE_FLAGS%",
    upstream_host: "%UPSTREAM_HOST%",
    request_id: "%REQ(X-REQUEST-ID)%",
  };
  for (const k of filterStateKeys) {
    checkFilterStateKey(k);
    json[FS_PREFIX + k] = `%FILTER_STATE(${k}:TYPED)%`;
  }
  return fileAccessLog(path, json);
}

export const FENCE_HEADER = "x-mwf-fence";

export function fenceAccessLog(path: string): Record<string, unknown> {
  return fileAccessLog(path, { [ACCESS_MARK]: "fence", id: `%REQ(${FENCE_HEADER.toUpperCase()})%` });
}

export interface AccessRecord {
  status: number;
  details: string;
  flags: string;
  upstreamHost: string;
  filterState: Record<string, Uint8Array>;
}

function typedValue(v: unknown): Uint8Array | undefined {
  if (v === null || v === undefined || v === "-") return undefined;
  if (typeof v === "string") return new TextEncoder().encode(v);
  if (typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const type = String(o["@type"] ?? "");
    if (type.endsWith("/google.protobuf.BytesValue")) return new Uint8Array(Buffer.from(String(o.value ?? ""), "base64"));
    if (type.endsWith("/google.protobuf.StringValue")) return new TextEncoder().encode(String(o.value ?? ""));
  }
  return new TextEncoder().encode(JSON.stringify(v));
}

export function readAccessRecord(fields: Record<string, unknown>): AccessRecord {
  const filterState: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (!k.startsWith(FS_PREFIX)) continue;
    const bytes = typedValue(v);
    if (bytes) filterState[k.slice(FS_PREFIX.length)] = bytes;
  }
  const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  return {
    status: Number(fields.code ?? 0),
    details: str(fields.details),
    flags: str(fields.flags),
    upstreamHost: str(fields.upstream_host),
    filterState,
  };
}
