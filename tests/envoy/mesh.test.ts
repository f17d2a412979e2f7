// metadata-exchange and stats between two sidecars, Istio's end-to-end test
// topology (istio/proxy test/envoye2e, tests/fixtures/istio/): the client's
// outbound sidecar (productpage-v1) -> the server's inbound sidecar
// (ratings-v1) -> the application, each proxy with Istio's e2e node metadata,
// cluster metadata and Istio's bootstrap stats_tags. In real Envoy (two
// processes on loopback) and in the host, the same expectations: each side
// learns the other (wasm.upstream_peer / wasm.downstream_peer in the access
// log), no metadata-exchange header reaches either application, and both
// sidecars' /stats/prometheus carry istio_requests_total with exactly Istio's
// golden label sets and counts, with the three histograms beside it.
import { beforeAll, expect, it } from "vitest";
import type { HeaderList, StreamResult, Topology } from "../../engine/types.ts";
import { ISTIO_BOOTSTRAP_STATS_TAGS } from "../fixtures/istio/bootstrap-stats-tags.ts";
import { nodeMetadata } from "../fixtures/istio/node-metadata.ts";
import { requestTotalLabels } from "../fixtures/istio/request-total-labels.ts";
import { decodeStructBytes, expectedFull, MD, MD_ID } from "../filters/metadata-exchange/helpers.ts";
import { parsePrometheus, SERVER_SERVICE, type Series } from "../filters/stats/helpers.ts";
import { onBothEngines } from "./both-engines.ts";
import { ourPlugin } from "./helpers.ts";

const CLIENT = "client";
const SERVER = "server";
// As in Istio's e2e bootstraps (testdata/bootstrap/{client,server}.yaml.tmpl): node ids, node cluster, clusters.
const services = { istio: { services: [SERVER_SERVICE] } };
const telemetry = (rootId: string) => [
  ourPlugin("metadata-exchange", { vmId: "metadata_exchange", failurePolicy: "FAIL_OPEN" }),
  ourPlugin("stats", { rootId, vmId: rootId, failurePolicy: "FAIL_OPEN" }),
];
const topology = (): Topology => ({
  proxies: [
    {
      name: CLIENT, node: { id: "client", cluster: "test-cluster", metadata: nodeMetadata("client") },
      direction: "outbound", cluster: { name: "server-outbound-cluster", filterMetadata: services },
      plugins: telemetry("stats_outbound"), statsTags: ISTIO_BOOTSTRAP_STATS_TAGS,
    },
    {
      name: SERVER, node: { id: "server", cluster: "test-cluster", metadata: nodeMetadata("server") },
      direction: "inbound", cluster: { name: "server-inbound-cluster", filterMetadata: services },
      plugins: telemetry("stats_inbound"), statsTags: ISTIO_BOOTSTRAP_STATS_TAGS,
    },
  ],
});

// The traffic: Istio's TestStatsPayload sends 10 HTTP calls; we add gRPC calls for the grpc form of the golden set.
const HTTP_CALLS = 10;
const GRPC_CALLS = 3;
const http = { request: { headers: [[":method", "GET"], [":path", "/"], [":authority", "server"]] as HeaderList }, upstream: { status: 200, body: "hello, world!" } };
const grpc = {
  request: { headers: [[":method", "POST"], [":path", "/hello.Greeter/Hi"], [":authority", "server"], ["content-type", "application/grpc"], ["te", "trailers"]] as HeaderList, body: "\u0000\u0000\u0000\u0000\u0000" },
  upstream: { status: 200, headers: [["content-type", "application/grpc"]] as HeaderList, body: "\u0000\u0000\u0000\u0000\u0000", trailers: [["grpc-status", "0"]] as HeaderList },
};

const names = (h: HeaderList) => h.map(([k]) => k.toLowerCase());
const sortedLabels = (l: Record<string, string>) => Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));

/** The golden series a sidecar must show for the traffic sent (tests/fixtures/istio/request-total-labels.ts). */
function golden(reporter: "client" | "server") {
  return [
    requestTotalLabels(reporter, { requestCount: HTTP_CALLS }),
    requestTotalLabels(reporter, { requestCount: GRPC_CALLS, grpcResponseStatus: "0" }),
  ].map((g) => ({ labels: sortedLabels(g.labels), value: g.value }));
}

onBothEngines("metadata-exchange and stats between two sidecars (Istio's e2e topology)", topology, ({ deployment }) => {
  const results: StreamResult[] = [];
  let prom: Record<string, Series[]> = {};
  beforeAll(async () => {
    for (let i = 0; i < HTTP_CALLS; i++) results.push(await deployment().send(http));
    for (let i = 0; i < GRPC_CALLS; i++) results.push(await deployment().send(grpc));
    prom = { [CLIENT]: parsePrometheus(await deployment().prometheus(CLIENT)), [SERVER]: parsePrometheus(await deployment().prometheus(SERVER)) };
  });

  it("every call goes through both sidecars to the application", () => {
    for (const r of results) {
      expect(r.hops.map((h) => [h.proxy, h.status, h.details])).toEqual([[CLIENT, 200, "via_upstream"], [SERVER, 200, "via_upstream"]]);
      expect(r.upstreamRequest).not.toBeNull();
    }
  });

  it("each side learns the other: the client its upstream peer, the server its downstream peer", () => {
    for (const r of results) {
      const [client, server] = r.hops;
      expect(decodeStructBytes(client!.filterState["wasm.upstream_peer"]!)).toEqual(expectedFull(nodeMetadata("server")));
      expect(Buffer.from(client!.filterState["wasm.upstream_peer_id"]!).toString()).toBe("server");
      expect(decodeStructBytes(server!.filterState["wasm.downstream_peer"]!)).toEqual(expectedFull(nodeMetadata("client")));
      expect(Buffer.from(server!.filterState["wasm.downstream_peer_id"]!).toString()).toBe("client");
      // Each learns only in its own direction.
      expect(Object.keys(client!.filterState).sort()).toEqual(["wasm.upstream_peer", "wasm.upstream_peer_id"]);
      expect(Object.keys(server!.filterState).sort()).toEqual(["wasm.downstream_peer", "wasm.downstream_peer_id"]);
    }
  });

  it("no metadata-exchange header reaches the application or the client", () => {
    for (const r of results) {
      expect(names(r.upstreamRequest!.headers)).not.toContain(MD);
      expect(names(r.upstreamRequest!.headers)).not.toContain(MD_ID);
      expect(names(r.response.headers)).not.toContain(MD);
      expect(names(r.response.headers)).not.toContain(MD_ID);
    }
  });

  it.each([[CLIENT, "client"], [SERVER, "server"]] as const)("%s: istio_requests_total carries exactly Istio's golden label sets and counts", (proxy, reporter) => {
    const got = prom[proxy]!.filter((s) => s.name === "istio_requests_total").map((s) => ({ labels: sortedLabels(s.labels), value: s.value }));
    const want = golden(reporter);
    const key = (s: { labels: Record<string, string> }) => JSON.stringify(s.labels);
    expect(got.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(want.sort((a, b) => key(a).localeCompare(key(b))));
  });

  it.each([CLIENT, SERVER])("%s: the three histograms, with the same label sets, one sample per call", (proxy) => {
    const series = prom[proxy]!;
    const requests = series.filter((s) => s.name === "istio_requests_total");
    for (const h of ["istio_request_duration_milliseconds", "istio_request_bytes", "istio_response_bytes"]) {
      for (const r of requests) {
        const same = (s: { labels: Record<string, string> }) => JSON.stringify(sortedLabels(s.labels)) === JSON.stringify(sortedLabels(r.labels));
        expect(series.find((s) => s.name === `${h}_count` && same(s))?.value, `${h}_count`).toBe(r.value);
        expect(series.find((s) => s.name === `${h}_sum` && same(s)), `${h}_sum`).toBeDefined();
        // Envoy's default buckets, with le added to the same labels; the +Inf bucket holds every sample.
        const buckets = series.filter((s) => s.name === `${h}_bucket` && same({ labels: Object.fromEntries(Object.entries(s.labels).filter(([k]) => k !== "le")) }));
        expect(buckets.length, `${h}_bucket`).toBeGreaterThan(10);
        expect(buckets.find((b) => b.labels.le === "+Inf")?.value, `${h}_bucket +Inf`).toBe(r.value);
      }
    }
  });
});
