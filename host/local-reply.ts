// The response Envoy builds for sendLocalReply (source/common/http/utility.cc sendLocalReply).
import { HeaderMap } from "./headers.ts";
import { RESPONSE_INLINE_HEADERS } from "./inline-headers.ts";
import { EMPTY } from "./bytes.ts";
import type { LocalReply } from "./contexts.ts";

/** Envoy's Grpc::Utility::httpToGrpcStatus. */
export function httpToGrpc(code: number): number {
  switch (code) {
    case 400: return 13; case 401: return 16; case 403: return 7; case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

/** grpc-message as gRPC percent-encodes it: bytes outside printable ASCII, and "%". */
function grpcMessage(body: Uint8Array): string {
  let out = "";
  for (const b of body) out += b < 0x20 || b > 0x7e || b === 0x25 ? "%" + b.toString(16).toUpperCase().padStart(2, "0") : String.fromCharCode(b);
  return out;
}

export function buildLocalReply(reply: LocalReply, requestHeaders: HeaderMap): { headers: HeaderMap; body: Uint8Array } {
  const ct = requestHeaders.get("content-type") ?? "";
  if (/^application\/grpc(\+|$)/.test(ct)) {
    // gRPC requests get a trailers-only gRPC response carrying the status and message, which
    // are set after the plugin's headers (so its content-type gives way to gRPC's).
    const h = HeaderMap.from([[":status", "200"]], RESPONSE_INLINE_HEADERS);
    for (const [k, v] of reply.headers) h.add(k, v);
    h.replace("content-type", "application/grpc");
    h.replace("grpc-status", String(reply.grpcStatus ?? httpToGrpc(reply.status)));
    if (reply.body.length) h.replace("grpc-message", grpcMessage(reply.body));
    return { headers: h, body: new Uint8Array(0) };
  }
  const h = HeaderMap.from([[":status", String(reply.status)]], RESPONSE_INLINE_HEADERS);
  for (const [k, v] of reply.headers) h.add(k, v);
  if (reply.body.length) {
    h.replace("content-length", String(reply.body.length));
    if (h.get("content-type") === undefined) h.add("content-type", "text/plain");
  }
  // A reply to HEAD ends with its headers: their content-length says what the body would be.
  return { headers: h, body: requestHeaders.get(":method") === "HEAD" ? EMPTY : reply.body };
}
