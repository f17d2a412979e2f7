// What Envoy does to a request between the client and the first filter: the
// HTTP/1.1 or HTTP/2 codec parses and checks it, then the connection manager
// checks :authority and :path, normalizes the path and adds or removes headers
// (ConnectionManagerUtility::mutateRequestHeaders, with use_remote_address
// false as in the configurations we deploy). Either the header map the filters
// get, or the reply Envoy sends instead. Every rule here was seen in Envoy
// 1.40.0 (tests/fidelity/ pins them against real Envoy).
import { HeaderMap } from "../headers.ts";
import { REQUEST_INLINE_HEADERS } from "../inline-headers.ts";
import type { HeaderList } from "../types.ts";
import type { Hcm } from "./options.ts";
import { normalizeRequestPath } from "./path.ts";
import { ResponseFlag } from "../response-flags.ts";

/** A request Envoy answers (or resets) before any filter sees it. */
export interface Rejection {
  status: number;
  /** %RESPONSE_CODE_DETAILS%. */
  details: string;
  body: string;
  /** HTTP/2: the stream is reset instead of answered (status 0). */
  reset: boolean;
  /** %RESPONSE_FLAGS% bits (host/response-flags.ts): DPE for the codec's refusals. */
  flags: number;
  /** Envoy closes the connection after this reply (`connection: close` in the response map). */
  close: boolean;
  /** The request's headers were all parsed, so proxy_on_log sees them (not after a codec error). */
  headersComplete: boolean;
  /**
   * HTTP/1.1 and the connection manager's own checks: the filters' contexts
   * still get proxy_on_log, proxy_on_done and proxy_on_delete (Envoy logs the
   * stream); an HTTP/2 codec reset reaches no filter at all.
   */
  logged: boolean;
}

export type Admission = { headers: HeaderMap } | { headers: HeaderMap; reject: Rejection };

/** Connection-specific headers the connection manager removes from every request. */
const CONNECTION_HEADERS = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"];
/**
 * Headers Envoy acts on that a client may not set: removed before the filters
 * (seen in 1.40.0 with use_remote_address false; x-forwarded-client-cert by
 * forward_client_cert_details SANITIZE, the default).
 */
const INTERNAL_HEADERS = [
  "x-envoy-expected-rq-timeout-ms", "x-envoy-force-trace", "x-envoy-hedge-on-per-try-timeout", "x-envoy-internal",
  "x-envoy-ip-tags", "x-envoy-max-retries", "x-envoy-original-url", "x-envoy-retriable-header-names",
  "x-envoy-retriable-status-codes", "x-envoy-retry-grpc-on", "x-envoy-retry-on", "x-envoy-upstream-alt-stat-name",
  "x-envoy-upstream-rq-per-try-timeout-ms", "x-envoy-upstream-rq-timeout-alt-response", "x-envoy-upstream-rq-timeout-ms",
  "x-envoy-upstream-stream-duration-ms", "x-forwarded-client-cert",
];

/** Authority characters Envoy accepts (seen in 1.40.0, as nghttp2_check_authority): unreserved, sub-delims, ":", "@", "[", "]", "%". */
const AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]*$/;
/** Its HTTP/2 codec's: the same without "@", and not empty. */
const H2_AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:[\]%]+$/;
// eslint-disable-next-line no-control-regex
const INVALID_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const NON_ASCII_TARGET = /[^\x21-\x7e]/;
/** The methods Envoy's HTTP/1 parser accepts (any other token is a codec error; seen in 1.40.0). */
const H1_METHODS = new Set([
  "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "MERGE", "MKACTIVITY", "MKCALENDAR",
  "MKCOL", "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT",
  "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
]);

const BAD_REQUEST = "Bad Request";

/** The connection manager's own answer, after the codec handed it the whole request. */
function reply(status: number, details: string, body: string): Rejection {
  return { status, details, body, reset: false, logged: true, flags: 0, headersComplete: true, close: false };
}

/** The HTTP/1.1 codec's answer: a downstream protocol error, the request's headers unknown. */
function codecReply(status: number, details: string, body: string): Rejection {
  return { status, details, body, reset: false, logged: true, flags: ResponseFlag.DownstreamProtocolError, headersComplete: false, close: true };
}

function reset(details: string): Rejection {
  return { status: 0, details, body: "", reset: true, logged: false, flags: ResponseFlag.DownstreamProtocolError, headersComplete: false, close: false };
}

interface Parsed {
  method: string;
  path: string;
  authority: string;
  regular: HeaderList;
}

function parse(list: HeaderList): Parsed {
  let method: string | undefined, path: string | undefined;
  const authorities: string[] = [], hosts: string[] = [];
  const regular: HeaderList = [];
  for (const [k, v] of list) {
    const name = k.toLowerCase();
    if (name === ":method") method = v;
    else if (name === ":path") path = v;
    else if (name === ":authority") authorities.push(v);
    else if (name === "host") hosts.push(v);
    else if (!name.startsWith(":")) regular.push([name, v]);
  }
  const given = authorities.length ? authorities : hosts;
  // Repeated, they are joined as Envoy joins an inline header (an empty value adds nothing).
  const authority = given.length ? given.filter((a) => a !== "").join(",") : "localhost";
  return { method: method ?? "GET", path: path ?? "/", authority, regular };
}

/** The bytes of the HTTP/1.1 request head a client writes: request line, host line, header lines, blank line. */
function headBytes(p: Parsed): number {
  let n = Buffer.byteLength(p.method) + 1 + Buffer.byteLength(p.path) + " HTTP/1.1\r\n".length;
  n += "host: ".length + Buffer.byteLength(p.authority) + 2;
  for (const [k, v] of p.regular) n += Buffer.byteLength(k) + 2 + Buffer.byteLength(v) + 2;
  return n + 2;
}

/**
 * The HTTP/1.1 codec's checks, in Envoy 1.40.0's order: the request line, the
 * head's size as the rest is read, each header as it is parsed, then the target's form.
 */
function http1Checks(p: Parsed, hcm: Hcm): Rejection | null {
  if (!H1_METHODS.has(p.method)) return codecReply(400, "http1.codec_error", BAD_REQUEST);
  // The target must be "/..." or "*"; a CONNECT's is any but a fragment, and refused later when it is no authority.
  const badTarget = p.method === "CONNECT" ? p.path.startsWith("#") : !p.path.startsWith("/") && p.path !== "*";
  if (NON_ASCII_TARGET.test(p.path) || badTarget) return codecReply(400, "http1.codec_error", BAD_REQUEST);
  if (headBytes(p) > hcm.maxRequestHeadersBytes) return codecReply(431, "http1.headers_too_large", "Request Header Fields Too Large");
  for (const [k, v] of p.regular) {
    if (INVALID_VALUE.test(v)) return codecReply(400, "http1.invalid_characters", BAD_REQUEST);
    if (k.includes("_") && hcm.underscores === "REJECT_REQUEST") return codecReply(400, "http1.unexpected_underscore", BAD_REQUEST);
    // CONNECT carries no body.
    if (k === "content-length" && p.method === "CONNECT") return codecReply(400, "http1.body_disallowed", BAD_REQUEST);
  }
  // CONNECT takes an authority-form target; "*" is OPTIONS' only.
  if (p.method === "CONNECT" || (p.path === "*" && p.method !== "OPTIONS")) return codecReply(400, "http1.invalid_url", BAD_REQUEST);
  // The host line is checked as the head completes; its details name the connection manager's rule.
  if (!AUTHORITY.test(p.authority)) return codecReply(400, "http.invalid_authority", BAD_REQUEST);
  return null;
}

/** RFC 3986 scheme: what Envoy's HTTP/2 codec accepts in :scheme. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*$/;
const HTTP_SCHEME = /^https?$/i;

/**
 * The HTTP/2 codec's checks, header by header in wire order (each field checked as it is
 * decoded, the list's size as it grows), then the path's form: what it refuses resets the stream.
 */
function http2Checks(list: HeaderList, hcm: Hcm): Rejection | null {
  let size = 0;
  for (const [k, v] of list) {
    const name = k.toLowerCase();
    if (name === "host") continue;
    if (name === ":authority" && !H2_AUTHORITY.test(v)) return reset("http2.invalid.header.field");
    if (name === ":scheme" && !SCHEME.test(v)) return reset("http2.invalid.header.field");
    if (!name.startsWith(":") && name.includes("_") && hcm.underscores === "REJECT_REQUEST") return reset("http2.unexpected_underscore");
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
    if (size > hcm.maxRequestHeadersBytes) return reset("http2.header_list_size_too_large");
  }
  const path = list.find(([k]) => k === ":path")?.[1] ?? "/";
  const method = list.find(([k]) => k === ":method")?.[1] ?? "GET";
  // The codec checks the path's form for http and https only (as nghttp2's check_path_flags);
  // with another scheme the request goes on, and the connection manager refuses a path
  // without "/" (404 absolute_path_rejected; seen in Envoy 1.40.0 with `:scheme demo-key`).
  const scheme = list.find(([k]) => k === ":scheme")?.[1] ?? "http";
  if (!HTTP_SCHEME.test(scheme)) return null;
  if (!path.startsWith("/") && !(path === "*" && method === "OPTIONS")) return reset("http2.violation.of.messaging.rule");
  return null;
}

/** TE as the connection manager forwards it: "trailers" if the client offered it, else nothing (an empty one stays). */
function sanitizeTe(m: HeaderMap): void {
  const te = m.get("te");
  if (te === undefined || te.trim() === "") return;
  if (te.split(",").some((t) => t.trim().toLowerCase() === "trailers")) m.replace("te", "trailers");
  else m.remove("te");
}

/**
 * The request as the filters get it, or Envoy's own answer. `protocol` is
 * request.protocol ("HTTP/1.1" unless the stream says "HTTP/2").
 */
export function admitRequest(list: HeaderList, protocol: string, hcm: Hcm, requestId: () => string): Admission {
  const p = parse(list);
  const http2 = protocol === "HTTP/2";
  const headers = new HeaderMap([], REQUEST_INLINE_HEADERS);
  const cookies: string[] = [];
  if (http2) {
    // Pseudo-headers in the order the client sent them; the scheme in lower case.
    for (const [k, v] of list) if (k.startsWith(":")) headers.add(k, k === ":scheme" ? v.toLowerCase() : v);
    if (headers.get(":method") === undefined) headers.add(":method", p.method);
    if (headers.get(":path") === undefined) headers.add(":path", p.path);
    if (headers.get(":scheme") === undefined) headers.add(":scheme", "http");
    if (headers.get(":authority") === undefined) headers.add(":authority", p.authority);
  } else {
    // Envoy's HTTP/1 codec: :authority from the host line as it is parsed, :path and :method
    // once the head is complete, :scheme from the connection (plain text) by the connection manager.
    headers.add(":authority", p.authority);
    headers.add(":path", p.path);
    headers.add(":method", p.method);
  }
  for (const [k, v] of p.regular) {
    if (k.includes("_") && hcm.underscores === "DROP_HEADER") continue;
    // HTTP/2 carries cookie crumbs; Envoy's codec joins them with "; ", after the other headers.
    if (http2 && k === "cookie") cookies.push(v);
    else headers.add(k, v);
  }
  const cookie = cookies.filter((c) => c !== "").join("; ");
  if (cookie) headers.add("cookie", cookie);

  const codec = http2 ? http2Checks(list, hcm) : http1Checks(p, hcm);
  if (codec) return { headers, reject: codec };
  if (p.method === "QUERY" && headers.get("content-type") === undefined) return { headers, reject: reply(400, "query_missing_content_type", BAD_REQUEST) };
  const path = headers.get(":path") ?? "/";
  if (!path.startsWith("/")) return { headers, reject: reply(404, "absolute_path_rejected", "") };
  const normalized = normalizeRequestPath(path, hcm);
  if ("fail" in normalized) {
    // The map keeps the path as far as normalization got (escaped slashes already unescaped).
    if (normalized.path !== path) headers.replace(":path", normalized.path);
    return { headers, reject: { ...reply(400, normalized.fail, ""), close: !http2 } };
  }
  if (normalized.path !== path) headers.replace(":path", normalized.path);

  // HTTP/1.1 carries no scheme: the connection manager sets the connection's (plain text).
  if (!http2) headers.add(":scheme", "http");
  for (const h of CONNECTION_HEADERS) headers.remove(h);
  sanitizeTe(headers);
  for (const h of INTERNAL_HEADERS) headers.remove(h);
  if (headers.get("x-forwarded-proto") === undefined) headers.add("x-forwarded-proto", "http");
  // An empty one counts as none.
  if (!headers.get("x-request-id")) headers.replace("x-request-id", requestId());
  return { headers };
}
