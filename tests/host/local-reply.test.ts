// The gRPC form of a local reply as Envoy 1.40 builds it (tests/envoy/header-auth.test.ts
// compares the two engines' replies header by header): the plugin's content-type overwritten
// in place, grpc-status and grpc-message after the plugin's headers, and grpc-message escaped
// the way Envoy's PercentEncoding::encode escapes it.
import { describe, expect, test } from "vitest";
import { HeaderMap } from "../../host/headers.ts";
import { buildLocalReply, grpcMessage } from "../../host/local-reply.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("local replies to gRPC requests", () => {
  test("grpc-message escapes only bytes outside ' '..'~' and '%', and drops one trailing newline", () => {
    expect(grpcMessage(bytes('{"error":"unauthorized"}'))).toBe('{"error":"unauthorized"}');
    expect(grpcMessage(bytes("100% é\tok\n"))).toBe("100%25 %C3%A9%09ok");
    expect(grpcMessage(bytes("a\n\n"))).toBe("a%0A");
  });

  test("headers: :status 200, the plugin's headers with content-type overwritten in place, then grpc-status and grpc-message", () => {
    const request = HeaderMap.from([["content-type", "application/grpc+proto"]]);
    const { headers, body } = buildLocalReply(
      { status: 401, body: bytes('{"e":1}'), headers: [["content-type", "application/json"], ["www-authenticate", "Bearer"]], grpcStatus: null, details: "d" },
      request,
    );
    expect(headers.list.map(([k, v]) => [k, v])).toEqual([[":status", "200"], ["content-type", "application/grpc"], ["www-authenticate", "Bearer"], ["grpc-status", "16"], ["grpc-message", '{"e":1}']]);
    expect(body.length).toBe(0);
  });
});
