// The known difference kinds (fidelity/kinds.ts) pinned: for each, what the host
// does that makes the difference (so a change to it shows here), and that the
// kind explains exactly that difference and nothing next to it — a kind that
// explained too much would hide a real difference from the differential suite.
// No Envoy needed: the Envoy side of each difference is written as it was seen.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HostEngine } from "../../engine/host/host-engine.ts";
import type { HeaderList, StreamResult } from "../../engine/types.ts";
import { classify, summarize } from "../../fidelity/classify.ts";
import type { DiffContext, Difference, Observed } from "../../fidelity/differential.ts";
import { KINDS } from "../../fidelity/kinds.ts";
import { metadataJson } from "../../fidelity/metadata-proto.ts";
import { watModule } from "../../fidelity/modules.ts";
import { ATTRIBUTES_MODULE } from "../../fidelity/scenarios/fuzz.ts";
import { emptyTally } from "../../fidelity/scenario.ts";
import { HEADER_RULES } from "../../fidelity/normalize.ts";
import { WIRE_RULES } from "../../fidelity/sendable.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";

const diff = (d: Partial<Difference> & Pick<Difference, "field">): Difference => ({ scenario: "s", stream: 0, host: null, envoy: null, ...d });

/** A result with only the response headers a kind looks at. */
const withHeaders = (headers: HeaderList): StreamResult => ({ response: { status: 200, headers, body: new Uint8Array() } } as unknown as StreamResult);

/** The x-envoy-upstream-service-time of each side, as the context of a difference. */
const serviceTimes = (host: string, envoy: string): DiffContext => ({
  host: withHeaders([["x-envoy-upstream-service-time", host]]),
  envoy: withHeaders([["x-envoy-upstream-service-time", envoy]]),
});

const int64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b.toString("hex");
};

describe("the known kinds", () => {
  it("each says what, why and the test that pins it, under a unique id", () => {
    expect(new Set(KINDS.map((k) => k.id)).size).toBe(KINDS.length);
    for (const k of KINDS) {
      expect(k.what.length, k.id).toBeGreaterThan(20);
      expect(k.why.length, k.id).toBeGreaterThan(20);
      expect(k.pinnedBy, k.id).toBe(`tests/fidelity/kinds.test.ts › ${k.id}`);
    }
  });

  it("are each listed in host/README.md; the normalization and sendable rules in fidelity/README.md", () => {
    const hostReadme = readFileSync(path.join(PROJECT_ROOT, "host/README.md"), "utf8");
    const section = hostReadme.slice(hostReadme.indexOf("## Where the host differs from Envoy"));
    for (const k of KINDS) expect(section, k.id).toContain(`\`${k.id}\``);
    const fidelityReadme = readFileSync(path.join(PROJECT_ROOT, "fidelity/README.md"), "utf8");
    for (const r of HEADER_RULES) expect(fidelityReadme, r.name).toContain(`\`${r.name}\``);
    for (const r of Object.values(WIRE_RULES)) expect(fidelityReadme, r.id).toContain(`\`${r.id}\``);
  });

  it("leave anything else unexplained, and the summary counts it so", () => {
    const status = diff({ field: "response.status", host: 200, envoy: 404 });
    expect(classify(status, {})).toBeNull();
    const observed = { scenario: { name: "s", group: "g", wire: emptyTally() }, streams: 1, fields: 9, differences: [{ diff: status, context: {} }], ms: 0 } as unknown as Observed;
    expect(summarize([observed])[0]).toMatchObject({ unexplained: 1, explained: 0, examples: [{ diff: status }] });
  });
});

describe("metadata-field-order", () => {
  it("the host serves xds.cluster_metadata with the Struct's fields sorted by key, whatever the topology's order", async () => {
    const d = await new HostEngine().start({
      proxies: [{
        name: "p", direction: "outbound",
        cluster: { name: "c", filterMetadata: { istio: { zeta: "last", alpha: "first" } } },
        plugins: [{ name: "attributes", module: await watModule(ATTRIBUTES_MODULE) }],
      }],
    });
    try {
      const r = await d.send({ request: { headers: [[":method", "GET"], [":path", "/"], [":authority", "a"]] }, upstream: { status: 200 } });
      const hex = /xds\.cluster_metadata = ([0-9a-f]+)$/.exec(r.logs.map((l) => l.message).find((m) => m.includes("xds.cluster_metadata"))!)![1]!;
      const bytes = Buffer.from(hex, "hex");
      expect(bytes.indexOf("alpha")).toBeLessThan(bytes.indexOf("zeta"));
      expect(JSON.parse(metadataJson(bytes)!)).toEqual({ filter_metadata: { istio: { alpha: "first", zeta: "last" } } });
    } finally {
      await d.stop();
    }
  });

  it("explains the same Metadata in another order, not other Metadata", async () => {
    // Metadata { filter_metadata: { "istio": Struct } } written by hand, fields in either order.
    const field = (n: number, b: number[]) => [(n << 3) | 2, b.length, ...b];
    const str = (s: string) => [...Buffer.from(s)];
    const entry = (k: string, v: string) => field(1, [...field(1, str(k)), ...field(2, field(3, str(v)))]);
    const metadata = (...entries: number[][]) => Buffer.from(field(1, [...field(1, str("istio")), ...field(2, entries.flat())])).toString("hex");
    const line = (hex: string) => `[info] attributes: xds.cluster_metadata = ${hex}`;
    const ab = metadata(entry("a", "1"), entry("b", "2")), ba = metadata(entry("b", "2"), entry("a", "1")), other = metadata(entry("a", "1"), entry("b", "3"));
    const logLine = (host: string, envoy: string) => diff({ field: "hops[0].logs", key: "22", host, envoy });
    expect(classify(logLine(line(ab), line(ba)), {})).toBe("metadata-field-order");
    expect(classify(logLine(line(ab), line(other)), {})).toBeNull();
    // Not a metadata line, or a whole list of another length: not this kind.
    expect(classify(logLine("[info] attributes: request.path = 2f", "[info] attributes: request.path = 2f2f"), {})).toBeNull();
    expect(classify(diff({ field: "hops[0].logs", host: [line(ab)], envoy: [line(ba), line(ba)] }), {})).toBeNull();
  });
});

describe("service-time-in-total-size", () => {
  it("the host adds x-envoy-upstream-service-time to an upstream's answer, counted in response.total_size", async () => {
    const d = await new HostEngine().start({ proxies: [{ name: "p", plugins: [{ name: "attributes", module: await watModule(ATTRIBUTES_MODULE) }] }] });
    try {
      const r = await d.send({ request: { headers: [[":method", "GET"], [":path", "/"], [":authority", "a"]] }, upstream: { status: 200 } });
      expect(r.response.headers.find(([k]) => k === "x-envoy-upstream-service-time")?.[1]).toMatch(/^\d+$/);
      expect(r.logs.some((l) => /response\.total_size = [0-9a-f]{16}$/.test(l.message))).toBe(true);
    } finally {
      await d.stop();
    }
  });

  it("explains a total size off by the service times' difference in digits, nothing else", () => {
    const size = (n: number) => `[info] attributes: response.total_size = ${int64(n)}`;
    const line = (host: string, envoy: string) => diff({ field: "hops[0].logs", key: "17", host, envoy });
    expect(classify(line(size(174), size(175)), serviceTimes("9", "12"))).toBe("service-time-in-total-size");
    expect(classify(line(size(175), size(174)), serviceTimes("12", "3"))).toBe("service-time-in-total-size");
    // Same digits on both sides: the size differs for another reason.
    expect(classify(line(size(174), size(175)), serviceTimes("7", "8"))).toBeNull();
    // Two bytes off for one digit.
    expect(classify(line(size(174), size(176)), serviceTimes("9", "12"))).toBeNull();
    // Another attribute.
    expect(classify(line("[info] attributes: response.size = 01", "[info] attributes: response.size = 02"), serviceTimes("9", "12"))).toBeNull();
  });
});

describe("service-time-in-response-bytes", () => {
  const metric = (name: string, host: number, envoy: number) => diff({ field: "metrics[sidecar]", key: `${name}{reporter="destination"}`, stream: null, host, envoy });

  it("explains istio_response_bytes off by what the streams with another service-time length can move", () => {
    // One such stream: a sample one bin over (240-250 to 250-260), or one bucket over.
    // The sums Envoy 1.40.0 and the host printed for one sample in [240, 250) and one in [250, 260).
    expect(classify(metric("istio_response_bytes_sum", 244.89795918367346, 254.90196078431373), { serviceTimeMismatches: 1 })).toBe("service-time-in-response-bytes");
    expect(classify(metric("istio_response_bytes_bucket", 3, 4), { serviceTimeMismatches: 1 })).toBe("service-time-in-response-bytes");
    // None: nothing to explain it.
    expect(classify(metric("istio_response_bytes_sum", 244.9, 254.9), { serviceTimeMismatches: 0 })).toBeNull();
    // More than those streams can move, or another metric.
    expect(classify(metric("istio_response_bytes_sum", 244.89795918367346, 264.9056603773585), { serviceTimeMismatches: 1 })).toBeNull();
    expect(classify(metric("istio_response_bytes_bucket", 3, 5), { serviceTimeMismatches: 1 })).toBeNull();
    expect(classify(metric("istio_request_bytes_sum", 244.9, 254.9), { serviceTimeMismatches: 1 })).toBeNull();
    expect(classify(metric("istio_response_bytes_count", 3, 4), { serviceTimeMismatches: 1 })).toBeNull();
  });
});

describe("histogram-timing", () => {
  const metric = (key: string) => diff({ field: "metrics[sidecar]", key, stream: null, host: 3, envoy: 4 });

  it("explains the buckets and sum of a duration histogram, not its count nor other histograms", () => {
    expect(classify(metric('istio_request_duration_milliseconds_bucket{le="5",reporter="destination"}'), {})).toBe("histogram-timing");
    expect(classify(metric('istio_request_duration_milliseconds_sum{reporter="destination"}'), {})).toBe("histogram-timing");
    expect(classify(metric('istio_request_duration_milliseconds_count{reporter="destination"}'), {})).toBeNull();
    expect(classify(metric('istio_request_bytes_bucket{le="5",reporter="destination"}'), {})).toBeNull();
    expect(classify(metric("istio_requests_total{}"), {})).toBeNull();
  });
});
