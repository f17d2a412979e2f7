// Label sets through the host's Prometheus rendering with Istio's stats_tags, against Istio's goldens.
import { beforeAll, describe, expect, it } from "vitest";
import {
  statsModule, statsProxy, clientNode, serverNode, clientMetadata, serverMetadata, peerBytes, clusterMetadata,
  SERVER_SERVICE, OUTBOUND_CLUSTER, INBOUND_CLUSTER, INBOUND, OUTBOUND, series, goldenLabels, local401Module,
} from "./helpers.ts";

beforeAll(async () => { await statsModule(); });

const GET: [string, string][] = [[":path", "/ratings/0"], [":method", "GET"], [":authority", "server.default.svc.cluster.local:9080"]];
const GRPC: [string, string][] = [[":path", "/ratings.Ratings/Get"], [":method", "POST"], [":authority", "server:9080"], ["content-type", "application/grpc"]];

const outboundProps = () => ({
  ...OUTBOUND, upstream_peer: peerBytes(serverMetadata()),
  "xds.cluster_name": OUTBOUND_CLUSTER, "xds.cluster_metadata": clusterMetadata(SERVER_SERVICE),
});
const inboundProps = () => ({
  ...INBOUND, downstream_peer: peerBytes(clientMetadata()),
  "xds.cluster_name": INBOUND_CLUSTER, "xds.cluster_metadata": clusterMetadata(SERVER_SERVICE), "connection.mtls": false,
});

describe("Istio golden label sets", () => {
  it("outbound (client sidecar) = metric_client_request_total.yaml.tmpl", async () => {
    const p = await statsProxy({ node: clientNode() });
    const chain = p.host.chain([p.plugin]);
    for (let i = 0; i < 3; i++) await chain.send({ request: { headers: GET }, upstream: { status: 200 }, properties: outboundProps() });
    const s = series(p.host, "istio_requests_total");
    const g = goldenLabels("client", { requestCount: 3 });
    expect(Object.keys(g.labels)).toHaveLength(25);
    expect(s).toHaveLength(1);
    expect(s[0]!.labels).toEqual(g.labels);
    expect(s[0]!.value).toBe(g.value);
    expect(p.plugin.traps).toEqual([]);
  });

  it("inbound (server sidecar, plaintext) = metric_server_request_total.yaml.tmpl", async () => {
    const p = await statsProxy({ node: serverNode(), configuration: JSON.stringify({ disable_host_header_fallback: true }) });
    const chain = p.host.chain([p.plugin]);
    for (let i = 0; i < 2; i++) await chain.send({ request: { headers: GET }, upstream: { status: 200 }, properties: inboundProps() });
    const s = series(p.host, "istio_requests_total");
    const g = goldenLabels("server", { requestCount: 2 });
    expect(s).toHaveLength(1);
    expect(s[0]!.labels).toEqual(g.labels);
    expect(s[0]!.value).toBe(2);
  });

  it("the Istio-style root ids force the reporter without a direction property", async () => {
    const out = await statsProxy({ node: clientNode(), rootId: "stats_outbound" });
    const { "xds.listener_direction": _a, ...noDirOut } = outboundProps();
    await out.host.chain([out.plugin]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: noDirOut });
    expect(series(out.host, "istio_requests_total")[0]!.labels).toEqual(goldenLabels("client", { requestCount: 1 }).labels);

    const inb = await statsProxy({ node: serverNode(), rootId: "stats_inbound", configuration: '{"disable_host_header_fallback": true}' });
    const { "xds.listener_direction": _b, ...noDirIn } = inboundProps();
    // a contradicting direction property does not matter either
    await inb.host.chain([inb.plugin]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: { ...noDirIn, "xds.listener_direction": 2 } });
    expect(series(inb.host, "istio_requests_total")[0]!.labels).toEqual(goldenLabels("server", { requestCount: 1 }).labels);
  });

  it("the legacy listener_direction property (Envoy ≤ 1.32) is read when xds.* is absent", async () => {
    const p = await statsProxy({ node: serverNode(), configuration: '{"disable_host_header_fallback": true}' });
    const { "xds.listener_direction": _b, ...rest } = inboundProps();
    await p.host.chain([p.plugin]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: { ...rest, listener_direction: 1 } });
    expect(series(p.host, "istio_requests_total")[0]!.labels.reporter).toBe("destination");
  });

  it("gRPC: request_protocol grpc and grpc_response_status from the trailers, both directions", async () => {
    const out = await statsProxy({ node: clientNode() });
    await out.host.chain([out.plugin]).send({
      request: { headers: GRPC, body: "x" },
      upstream: { status: 200, headers: [["content-type", "application/grpc"]], body: "y", trailers: [["grpc-status", "7"]] },
      properties: outboundProps(),
    });
    const so = series(out.host, "istio_requests_total");
    expect(so[0]!.labels).toEqual(goldenLabels("client", { requestCount: 1, grpcResponseStatus: "7" }).labels);

    const inb = await statsProxy({ node: serverNode(), configuration: '{"disable_host_header_fallback": true}' });
    await inb.host.chain([inb.plugin]).send({
      request: { headers: GRPC, body: "x" },
      upstream: { status: 200, headers: [["content-type", "application/grpc"]], body: "y", trailers: [["grpc-status", "0"]] },
      properties: inboundProps(),
    });
    expect(series(inb.host, "istio_requests_total")[0]!.labels).toEqual(
      goldenLabels("server", { requestCount: 1, grpcResponseStatus: "0" }).labels);
  });

  it("gRPC without a grpc-status anywhere reports the HTTP status mapped to gRPC (503 is 14), as response.grpc_status is in Envoy", async () => {
    // Envoy's Grpc::Common::getGrpcStatus falls back to Grpc::Utility::httpToGrpcStatus (measured in
    // Envoy 1.40.0 by the differential run, fidelity/modules/attributes.wat); a status it does not map is 2 (UNKNOWN).
    const p = await statsProxy({ node: clientNode() });
    await p.host.chain([p.plugin]).send({ request: { headers: GRPC }, upstream: { status: 503 }, properties: outboundProps() });
    await p.host.chain([p.plugin]).send({ request: { headers: GRPC }, upstream: { status: 418 }, properties: outboundProps() });
    const l = series(p.host, "istio_requests_total").map((s) => s.labels).sort((a, b) => a.response_code!.localeCompare(b.response_code!));
    expect(l.map((x) => [x.request_protocol, x.grpc_response_status, x.response_code])).toEqual([["grpc", "2", "418"], ["grpc", "14", "503"]]);
  });

  it("histograms: duration in ms from request.duration, request/response total sizes, Envoy's default buckets", async () => {
    const p = await statsProxy({ node: clientNode() });
    await p.host.chain([p.plugin]).send({
      request: { headers: GET }, upstream: { status: 200 },
      properties: { ...outboundProps(), "request.duration": 7_900_000, "request.total_size": 300, "response.total_size": 1234 },
    });
    const text = p.host.metrics.prometheus();
    const sum = (n: string) => Number(new RegExp(`^${n}_sum\\{[^}]*\\} (\\S+)$`, "m").exec(text)![1]);
    // Sums as Envoy's circllhist reports them: each sample's bin, two significant digits, read back
    // as the harmonic mean of the bin's bounds (7 -> [7, 7.1), 300 -> [300, 310), 1234 -> [1200, 1300)).
    const bin = (a: number, b: number) => (2 * a * b) / (a + b);
    expect(sum("istio_request_duration_milliseconds")).toBeCloseTo(bin(7, 7.1), 9);
    expect(sum("istio_request_bytes")).toBeCloseTo(bin(300, 310), 9);
    expect(sum("istio_response_bytes")).toBeCloseTo(bin(1200, 1300), 9);
    expect(text).toMatch(/^# TYPE istio_request_duration_milliseconds histogram$/m);
    expect(text).toMatch(/^istio_request_duration_milliseconds_bucket\{[^}]*le="10"\} 1$/m);
    expect(text).toMatch(/^istio_request_duration_milliseconds_bucket\{[^}]*le="5"\} 0$/m);
    // the same 25 labels on every family
    for (const n of ["istio_request_duration_milliseconds_count", "istio_request_bytes_count", "istio_response_bytes_count"]) {
      expect(Object.keys(series(p.host, n)[0]!.labels).sort()).toEqual(Object.keys(series(p.host, "istio_requests_total")[0]!.labels).sort());
    }
  });

  it("a stat name is Istio's encoding, label for label", async () => {
    const p = await statsProxy({ node: clientNode() });
    await p.host.chain([p.plugin]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: outboundProps() });
    const names = p.host.metrics.all().map((s) => s.name).filter((n) => n.endsWith("istio_requests_total"));
    expect(names).toEqual([
      "wasmcustom.reporter=.=source;.;source_workload=.=productpage-v1;.;source_workload_namespace=.=default;.;"
      + "source_principal=.=unknown;.;source_app=.=productpage;.;source_version=.=v1;.;source_canonical_service=.=productpage-v1;.;"
      + "source_canonical_revision=.=version-1;.;source_cluster=.=client-cluster;.;destination_workload=.=ratings-v1;.;"
      + "destination_workload_namespace=.=default;.;destination_principal=.=unknown;.;destination_app=.=ratings;.;"
      + "destination_version=.=v1;.;destination_service=.=server.default.svc.cluster.local;.;destination_service_name=.=server;.;"
      + "destination_service_namespace=.=default;.;destination_canonical_service=.=ratings;.;destination_canonical_revision=.=version-1;.;"
      + "destination_cluster=.=server-cluster;.;request_protocol=.=http;.;response_flags=.=-;.;connection_security_policy=.=unknown;.;"
      + "response_code=.=200;.;grpc_response_status=.=;.;istio_requests_total",
    ]);
  });
});

describe("per-request values", () => {
  it("principals from certificate URI SANs, mutual_tls inbound", async () => {
    const p = await statsProxy({ node: serverNode(), configuration: '{"disable_host_header_fallback": true}' });
    await p.host.chain([p.plugin]).send({
      request: { headers: GET }, upstream: { status: 200 },
      properties: {
        ...inboundProps(), "connection.mtls": true,
        "connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/default/sa/bookinfo-productpage",
        "connection.uri_san_local_certificate": "spiffe://cluster.local/ns/default/sa/bookinfo-ratings",
      },
    });
    const l = series(p.host, "istio_requests_total")[0]!.labels;
    expect(l.source_principal).toBe("spiffe://cluster.local/ns/default/sa/bookinfo-productpage");
    expect(l.destination_principal).toBe("spiffe://cluster.local/ns/default/sa/bookinfo-ratings");
    expect(l.connection_security_policy).toBe("mutual_tls");
  });

  it("outbound principals come from upstream.*", async () => {
    const p = await statsProxy({ node: clientNode() });
    await p.host.chain([p.plugin]).send({
      request: { headers: GET }, upstream: { status: 200 },
      properties: { ...outboundProps(), "upstream.uri_san_local_certificate": "spiffe://a", "upstream.uri_san_peer_certificate": "spiffe://b" },
    });
    const l = series(p.host, "istio_requests_total")[0]!.labels;
    expect([l.source_principal, l.destination_principal, l.connection_security_policy]).toEqual(["spiffe://a", "spiffe://b", "unknown"]);
  });

  it("response_flags: Istio's short codes in bit order, unknown high bits in decimal", async () => {
    const p = await statsProxy({ node: clientNode() });
    const chain = p.host.chain([p.plugin]);
    const flags = async (f: number) => {
      await chain.send({ request: { headers: [...GET, ["x-n", String(f)]] }, upstream: { status: 503 }, properties: { ...outboundProps(), "response.flags": f } });
    };
    await flags(0x20 | 0x2); // UF + UH
    await flags(0x8000);     // URX
    await flags(1 << 30);    // unknown bit
    const got = series(p.host, "istio_requests_total").map((s) => s.labels.response_flags).sort();
    expect(got).toEqual(["1073741824", "UH,UF", "URX"]);
  });

  it("destination_service falls back to the host header outbound when the cluster has no Istio metadata", async () => {
    const p = await statsProxy({ node: clientNode() });
    await p.host.chain([p.plugin]).send({
      request: { headers: [[":path", "/"], [":method", "GET"], [":authority", "example.com"]] }, upstream: { status: 200 },
      properties: { ...OUTBOUND, "xds.cluster_name": "outbound|80||example.com" },
    });
    const l = series(p.host, "istio_requests_total")[0]!.labels;
    expect([l.destination_service, l.destination_service_name]).toEqual(["example.com", "example.com"]);
  });

  it("special clusters name the service; disable_host_header_fallback gives unknown host", async () => {
    const p = await statsProxy({ node: clientNode(), configuration: '{"disable_host_header_fallback": true}' });
    await p.host.chain([p.plugin]).send({
      request: { headers: GET }, upstream: { status: 200 }, properties: { ...OUTBOUND, "xds.cluster_name": "PassthroughCluster" },
    });
    const l = series(p.host, "istio_requests_total")[0]!.labels;
    expect([l.destination_service, l.destination_service_name]).toEqual(["unknown", "PassthroughCluster"]);
  });

  it("a block_all route with no cluster is BlackHoleCluster", async () => {
    const p = await statsProxy({ node: clientNode() });
    await p.host.chain([p.plugin]).send({ request: { headers: GET }, upstream: { status: 502 }, properties: { ...OUTBOUND, "xds.route_name": "block_all" } });
    expect(series(p.host, "istio_requests_total")[0]!.labels.destination_service_name).toBe("BlackHoleCluster");
  });

  it("inbound without host fallback uses the local canonical-name label", async () => {
    const p = await statsProxy({ node: serverNode(), configuration: '{"disable_host_header_fallback": true}' });
    await p.host.chain([p.plugin]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: { ...INBOUND, "xds.cluster_name": "inbound|9080||" } });
    const l = series(p.host, "istio_requests_total")[0]!.labels;
    expect([l.destination_service, l.destination_service_name]).toEqual(["ratings", "ratings"]);
  });
});

describe("missing peer", () => {
  it("outbound without upstream_peer: destination_* unknown, canonical revision latest", async () => {
    const p = await statsProxy({ node: clientNode() });
    await p.host.chain([p.plugin]).send({
      request: { headers: GET }, upstream: { status: 200 },
      properties: { ...OUTBOUND, "xds.cluster_name": OUTBOUND_CLUSTER, "xds.cluster_metadata": clusterMetadata(SERVER_SERVICE) },
    });
    const l = series(p.host, "istio_requests_total")[0]!.labels;
    for (const k of ["destination_workload", "destination_workload_namespace", "destination_app", "destination_version",
      "destination_canonical_service", "destination_cluster", "destination_service_namespace", "destination_principal"]) expect(l[k], k).toBe("unknown");
    expect(l.destination_canonical_revision).toBe("latest");
    expect(l.source_workload).toBe("productpage-v1");
    expect(l.destination_service).toBe("server.default.svc.cluster.local");
  });

  it("inbound without downstream_peer: source_* unknown; an undecodable peer too", async () => {
    const p = await statsProxy({ node: serverNode(), configuration: '{"disable_host_header_fallback": true}' });
    const chain = p.host.chain([p.plugin]);
    await chain.send({ request: { headers: GET }, upstream: { status: 200 }, properties: { ...INBOUND } });
    await chain.send({ request: { headers: GET }, upstream: { status: 200 }, properties: { ...INBOUND, downstream_peer: new Uint8Array([0xff, 0xff, 0x01]) } });
    const s = series(p.host, "istio_requests_total");
    expect(s).toHaveLength(1);
    expect(s[0]!.value).toBe(2);
    const l = s[0]!.labels;
    for (const k of ["source_workload", "source_workload_namespace", "source_app", "source_version", "source_canonical_service", "source_cluster", "source_principal"]) {
      expect(l[k], k).toBe("unknown");
    }
    expect(l.destination_workload).toBe("ratings-v1");
    expect(p.plugin.traps).toEqual([]);
  });
});

describe("local replies", () => {
  it("a 401 from an earlier header-auth-like plugin is still counted, with its response code", async () => {
    const host = (await statsProxy({ node: serverNode(), configuration: '{"disable_host_header_fallback": true}' })).host;
    const auth = await host.loadPlugin({ module: await local401Module(), name: "auth" });
    const stats = host.plugins.find((x) => x !== auth)!;
    const r = await host.chain([auth, stats]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: inboundProps() });
    expect(r.response.status).toBe(401);
    expect(r.upstreamRequest).toBeNull();
    const s = series(host, "istio_requests_total");
    expect(s).toHaveLength(1);
    expect(s[0]!.labels).toEqual(goldenLabels("server", { requestCount: 1, responseCode: 401 }).labels);
  });
});
