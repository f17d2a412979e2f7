// What Envoy does around the filters on the way back and to the upstream: the
// router stamps the upstream's answer before the encoder filters see it and
// fixes the upstream request's :scheme; the connection manager removes
// connection headers and sets `date` and `server` after the last encoder
// filter. Seen in Envoy 1.40.0 (tests/fidelity/ pins them).
import { STATUS_CODES } from "node:http";
import type { HeaderMap } from "../headers.ts";
import type { Hcm } from "./options.ts";
import { ResponseFlag } from "../response-flags.ts";

const CONNECTION_HEADERS = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"];

/**
 * The upstream's answer as the filters get it: a 204 loses its content-length (the codec),
 * the router adds x-envoy-upstream-service-time, how long the upstream took, in ms.
 */
export function stampUpstreamResponse(headers: HeaderMap, elapsedMs: number): void {
  if (headers.get(":status") === "204") headers.remove("content-length");
  headers.replace("x-envoy-upstream-service-time", String(Math.max(0, Math.floor(elapsedMs))));
}

/** Envoy's limit on an upstream answer's headers (the cluster's max_response_headers_kb default, 80 in 1.40.0 over HTTP/1.1). */
const MAX_RESPONSE_HEAD_HTTP1 = 80 * 1024;
/** Over HTTP/2 the codec's header-list limit is the connection manager's 60 KiB (name and value bytes, pseudo-headers too). */
const MAX_RESPONSE_HEADER_LIST_HTTP2 = 60 * 1024;

/**
 * True when Envoy's upstream codec refuses the answer's headers (the router then answers 502
 * upstream_reset_before_response_started{protocol_error}): over HTTP/1.1 the head as written —
 * status line with its reason phrase, header lines, blank line — above 80 KiB; over HTTP/2 the
 * header list above 60 KiB.
 */
export function upstreamHeadersTooLarge(headers: HeaderMap, http2: boolean): boolean {
  const status = headers.get(":status") ?? "200";
  if (http2) {
    let n = 0;
    for (const [k, v] of headers.list) n += Buffer.byteLength(k) + Buffer.byteLength(v);
    return n > MAX_RESPONSE_HEADER_LIST_HTTP2;
  }
  let n = `HTTP/1.1 ${status} ${STATUS_CODES[Number(status)] ?? "unknown"}\r\n`.length + 2;
  for (const [k, v] of headers.list) if (k !== ":status") n += Buffer.byteLength(k) + 2 + Buffer.byteLength(v) + 2;
  return n > MAX_RESPONSE_HEAD_HTTP1;
}

/**
 * The router's answer when the upstream's headers were refused: over HTTP/1.1 a protocol
 * error (502, UPE); over HTTP/2 the codec resets the stream, which the router sees as the
 * upstream's reset (503, UR).
 */
export function upstreamHeadersRefused(http2: boolean): { status: number; body: string; details: string; flag: number } {
  const reason = http2 ? "remote_reset" : "protocol_error";
  return {
    status: http2 ? 503 : 502,
    body: `upstream connect error or disconnect/reset before headers. reset reason: ${reason.replace("_", " ")}`,
    details: `upstream_reset_before_response_started{${reason}}`,
    flag: http2 ? ResponseFlag.UpstreamRemoteReset : ResponseFlag.UpstreamProtocolError,
  };
}

/**
 * Envoy's HTTP/2 codec joins cookie crumbs with "; ", after the other fields (answers and
 * trailers too); empty crumbs add nothing.
 */
export function joinCookies(headers: HeaderMap): void {
  const crumbs = headers.list.filter((e) => e[0] === "cookie").map((e) => e[1]);
  if (!crumbs.length) return;
  headers.remove("cookie");
  const joined = crumbs.filter((c) => c !== "").join("; ");
  if (joined) headers.add("cookie", joined);
}

/** The route's timeout, which the router announces upstream (Envoy's default route timeout, 15 s). */
export const ROUTE_TIMEOUT_MS = 15000;

/**
 * The request as the router forwards it, changed in the stream's own map (so proxy_on_log sees
 * it too): :scheme http or https (anything else a client sent becomes the upstream's, http),
 * and x-envoy-expected-rq-timeout-ms.
 */
export function routeUpstream(headers: HeaderMap): void {
  const s = headers.get(":scheme");
  if (s !== "http" && s !== "https") headers.replace(":scheme", "http");
  headers.replace("x-envoy-expected-rq-timeout-ms", String(ROUTE_TIMEOUT_MS));
}

/** The response as the connection manager writes it, after every encoder filter. */
export function finishResponseHeaders(headers: HeaderMap, hcm: Hcm, nowMs: number): void {
  for (const h of CONNECTION_HEADERS) headers.remove(h);
  headers.replace("date", new Date(nowMs).toUTCString());
  headers.replace("server", hcm.serverName);
}
