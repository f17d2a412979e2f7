// The response Envoy builds for sendLocalReply (source/common/http/utility.cc sendLocalReply).
import { HeaderMap } from "./headers.ts";
import type { LocalReply } from "./contexts.ts";

/** Envoy's Grpc::Utility::httpToGrpcStatus. */
function httpToGrpc(code: number): number {
  switch (code) {
    case 400: return 13; case 401: return 16; case 403: return 7; case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

export function buildLocalReply(reply: LocalReply, requestHeaders: HeaderMap): { headers: HeaderMap; body: Uint8Array } {
  const ct = requestHeaders.get("content-type") ?? "";
  if (/^application\/grpc(\+|$)/.test(ct)) {
    // gRPC requests get a trailers-only gRPC response carrying the status and message.
    const h = HeaderMap.from([[":status", "200"], ["content-type", "application/grpc"]]);
    h.add("grpc-status", String(reply.grpcStatus ?? httpToGrpc(reply.status)));
    if (reply.body.length) h.add("grpc-message", encodeURIComponent(new TextDecoder().decode(reply.body)));
    for (const [k, v] of reply.headers) h.add(k, v);
    return { headers: h, body: new Uint8Array(0) };
  }
  const h = HeaderMap.from([[":status", String(reply.status)]]);
  for (const [k, v] of reply.headers) h.add(k, v);
  if (reply.body.length) {
    h.replace("content-length", String(reply.body.length));
    if (h.get("content-type") === undefined) h.add("content-type", "text/plain");
  }
  return { headers: h, body: reply.body };
}
