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

/**
 * Envoy's PercentEncoding::encode(value, "%"), which sendLocalReply applies to
 * grpc-message: only bytes outside ' '..'~' and '%' itself are escaped, so a
 * JSON body stays readable (`{"error":"unauthorized",...}` as is; seen in
 * Envoy 1.40.0). A trailing newline is dropped first, as Envoy does.
 */
export function grpcMessage(body: Uint8Array): string {
  const end = body.length && body[body.length - 1] === 0x0a ? body.length - 1 : body.length;
  let out = "";
  let plain = 0;
  for (let i = 0; i < end; i++) {
    const b = body[i]!;
    if (b >= 0x20 && b <= 0x7e && b !== 0x25) continue;
    out += Buffer.from(body.subarray(plain, i)).toString("latin1") + "%" + b.toString(16).toUpperCase().padStart(2, "0");
    plain = i + 1;
  }
  return out + Buffer.from(body.subarray(plain, end)).toString("latin1");
}

export function buildLocalReply(reply: LocalReply, requestHeaders: HeaderMap): { headers: HeaderMap; body: Uint8Array } {
  const ct = requestHeaders.get("content-type") ?? "";
  const h = HeaderMap.from([[":status", String(reply.status)]], RESPONSE_INLINE_HEADERS);
  for (const [k, v] of reply.headers) h.add(k, v);
  if (/^application\/grpc(\+|$)/.test(ct)) {
    // gRPC requests get a trailers-only gRPC response carrying the status and message. As Envoy
    // builds it (seen in 1.40.0): the plugin's headers first, its content-type overwritten in
    // place (setReferenceContentType), then grpc-status (unless the plugin set one) and grpc-message.
    h.replace(":status", "200");
    h.replace("content-type", "application/grpc");
    if (h.get("grpc-status") === undefined) h.add("grpc-status", String(reply.grpcStatus ?? httpToGrpc(reply.status)));
    if (reply.body.length) h.replace("grpc-message", grpcMessage(reply.body));
    return { headers: h, body: new Uint8Array(0) };
  }
  if (reply.body.length) {
    h.replace("content-length", String(reply.body.length));
    if (h.get("content-type") === undefined) h.add("content-type", "text/plain");
  }
  // A reply to HEAD ends with its headers: their content-length says what the body would be.
  return { headers: h, body: requestHeaders.get(":method") === "HEAD" ? EMPTY : reply.body };
}
