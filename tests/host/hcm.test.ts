// Envoy's HTTP front in the host (host/hcm/): what the connection manager and
// its codecs do to a request before any filter, with the project's hardened
// settings (deploy/path-hardening.ts). Each case is what Envoy 1.40.0 was seen
// doing in the differential run (tests/fidelity/differential.test.ts), where a
// regression would also show; here it is pinned without Envoy.
import { describe, expect, it } from "vitest";
import { HCM_PATH_HARDENING } from "../../deploy/path-hardening.ts";
import type { HeaderList } from "../../engine/types.ts";
import { resolveHcm } from "../../host/hcm/options.ts";
import { canonicalPath, mergeSlashes, normalizeRequestPath } from "../../host/hcm/path.ts";
import { admitRequest } from "../../host/hcm/request.ts";

const hcm = resolveHcm(HCM_PATH_HARDENING);
const admit = (list: HeaderList, protocol = "HTTP/1.1") => admitRequest(list, protocol, hcm, () => "id");
const rejection = (a: ReturnType<typeof admit>) => ("reject" in a ? a.reject : null);

describe("path normalization (normalize_path, then merge_slashes)", () => {
  it("merges runs of slashes, but a path of slashes only keeps its first and last", () => {
    expect(mergeSlashes("/a//b///c")).toBe("/a/b/c");
    expect(mergeSlashes("/a//")).toBe("/a/");
    expect(mergeSlashes("/a/b")).toBe("/a/b");
    // PathUtil::mergeSlashes joins the non-empty segments between the leading and trailing "/".
    expect(mergeSlashes("//")).toBe("//");
    expect(mergeSlashes("////")).toBe("//");
  });

  it("reads a backslash as a slash, so '/\\\\' reaches the upstream as '//'", () => {
    expect(canonicalPath("/\\")).toBe("//");
    expect(normalizeRequestPath("/\\", hcm)).toEqual({ path: "//" });
    expect(normalizeRequestPath("/a\\\\b?x=//", hcm)).toEqual({ path: "/a/b?x=//" });
  });

  it("removes dot segments and decodes unreserved escapes", () => {
    expect(normalizeRequestPath("/a/./b/../c/%7Ex", hcm)).toEqual({ path: "/a/c/~x" });
  });
});

describe("HTTP/2 request checks", () => {
  const h2 = (path: string, method: string, scheme: string): HeaderList => [[":method", method], [":path", path], [":scheme", scheme], [":authority", "svc"]];

  it("resets a stream whose http(s) :path is neither '/...' nor OPTIONS' '*'", () => {
    expect(rejection(admit(h2("*", "GET", "http"), "HTTP/2"))).toMatchObject({ details: "http2.violation.of.messaging.rule" });
    expect(rejection(admit(h2("x", "GET", "HTTPS"), "HTTP/2"))).toMatchObject({ details: "http2.violation.of.messaging.rule" });
    expect(rejection(admit(h2("*", "OPTIONS", "http"), "HTTP/2"))).toMatchObject({ status: 404, details: "absolute_path_rejected" });
  });

  it("lets another scheme's path through the codec; the connection manager refuses it with a 404", () => {
    expect(rejection(admit(h2("*", "GET", "demo-key"), "HTTP/2"))).toMatchObject({ status: 404, details: "absolute_path_rejected" });
    expect(rejection(admit(h2("/ok", "GET", "demo-key"), "HTTP/2"))).toBeNull();
  });
});
