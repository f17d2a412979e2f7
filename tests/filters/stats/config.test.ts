// Configuration: every error rejected (one log line each, load fails), knobs that change names.
import { beforeAll, describe, expect, it } from "vitest";
import { PluginLoadError, ProxyWasmHost } from "../../../host/index.ts";
import { statsModule, statsProxy, clientNode, serverMetadata, peerBytes, istioStatsTags, OUTBOUND, series } from "./helpers.ts";

beforeAll(async () => { await statsModule(); });

async function loadError(configuration: string, rootId = "stats"): Promise<string[]> {
  const host = new ProxyWasmHost({ node: clientNode() });
  try {
    await host.loadPlugin({ module: await statsModule(), rootId, configuration });
  } catch (e) {
    expect(e).toBeInstanceOf(PluginLoadError);
    return (e as PluginLoadError).logs.filter((l) => l.level === "error").map((l) => l.message);
  }
  throw new Error("configuration was accepted: " + configuration);
}

const GET: [string, string][] = [[":path", "/"], [":method", "GET"], [":authority", "server:9080"], ["x-tenant", "acme"]];

describe("configuration errors", () => {
  const cases: [string, string, string?][] = [
    ["not json", "stats: invalid configuration: invalid JSON: line 1, column 1"],
    ["[]", "stats: invalid configuration: configuration: expected a JSON object, got array"],
    ['{"max_series": 0}', "max_series: must be between 1 and 1000000, got 0"],
    ['{"max_series": 1.5}', "max_series"],
    ['{"max_series": "10"}', "max_series"],
    ['{"direction": "sideways"}', "direction"],
    ['{"direction": "inbound"}', "contradicts the root id", "stats_outbound"],
    ['{"disable_host_header_fallback": "yes"}', "disable_host_header_fallback"],
    ['{"field_separator": ""}', "field_separator: must be 1 to 8 printable ASCII characters"],
    ['{"value_separator": "a b"}', "value_separator: must be 1 to 8"],
    ['{"field_separator": ";", "value_separator": ";"}', "value_separator: must differ from field_separator"],
    ['{"stat_prefix": "9x"}', "stat_prefix: must be a Prometheus-safe name"],
    ['{"debug": 1}', "debug: expected true, false"],
    ['{"definitions": []}', "definitions: custom metric definitions are not supported"],
    ['{"tcp_reporting_duration": "15s"}', "tcp_reporting_duration: TCP metrics are not supported"],
    ['{"metrics": {}}', "metrics"],
    ['{"metrics": [{"name": "requests_count"}]}', "metrics[0].name: unknown metric 'requests_count'"],
    ['{"metrics": [{"dimensions": {"reporter": "request.host"}}]}', "metrics[0].dimensions.reporter: overriding a standard Istio label is not supported"],
    ['{"metrics": [{"dimensions": {"bad-name": "request.host"}}]}', "metrics[0].dimensions.bad-name: dimension name must match"],
    ['{"metrics": [{"dimensions": {"tenant": "request.headers[\'X-Tenant\']"}}]}', "header name must be a lower-case HTTP header name"],
    ['{"metrics": [{"dimensions": {"tenant": "request.headers[x]"}}]}', "metrics[0].dimensions.tenant: expected request.headers"],
    ['{"metrics": [{"dimensions": {"tenant": "has(request.host)"}}]}', "metrics[0].dimensions.tenant: expected request.headers"],
    ['{"metrics": [{"dimensions": {"t": 3}}]}', "metrics[0].dimensions.t: expected string, got number"],
    ['{"metrics": [{"dimensions": {"t": "request.host"}}, {"dimensions": {"t": "request.path"}}]}', "defined differently"],
    ['{"metrics": [{"tags_to_remove": ["no_such_label"]}]}', "metrics[0].tags_to_remove[0]: unknown label 'no_such_label'"],
    ['{"metrics": [{"drop": "true"}]}', "metrics[0].drop"],
    ['{"metrics": [{"nmae": "x"}]}', "metrics[0]: unknown field 'nmae'"],
    ['{"max_seriess": 5}', "unknown field 'max_seriess'"],
  ];
  for (const [config, message, rootId] of cases) {
    it(`rejects ${config}`, async () => {
      const errors = await loadError(config, rootId);
      expect(errors.some((m) => m.startsWith("stats: invalid configuration: ") && m.includes(message)), errors.join("\n")).toBe(true);
    });
  }

  it("logs one line per error, all of them", async () => {
    const errors = await loadError('{"max_series": -1, "stat_prefix": "", "bogus": 1, "metrics": [{"name": "x", "tags_to_remove": ["y"]}]}');
    expect(errors).toHaveLength(5);
  });

  it("accepts Istio's own deployment configuration and the example", async () => {
    const host = new ProxyWasmHost({ node: clientNode() });
    await host.loadPlugin({ module: await statsModule(), rootId: "stats_outbound", configuration: '{"debug": "false", "stat_prefix": "istio"}' });
    await host.loadPlugin({ module: await statsModule(), rootId: "stats_inbound", configuration: '{"debug": "false", "stat_prefix": "istio", "disable_host_header_fallback": true}' });
    const { readFileSync } = await import("node:fs");
    await host.loadPlugin({ module: await statsModule(), configuration: readFileSync("filters/stats/example-config.json") });
    await host.loadPlugin({ module: await statsModule(), configuration: "" });
  });
});

describe("knobs", () => {
  const props = () => ({ ...OUTBOUND, upstream_peer: peerBytes(serverMetadata()) });

  it("extra dimensions from a header and a property, sorted after the standard labels; tags_to_remove per metric; drop", async () => {
    const config = {
      metrics: [
        { dimensions: { tenant: "request.headers['x-tenant']", api_path: "request.path", port: "destination.port" } },
        { name: "request_bytes", tags_to_remove: ["source_principal", "tenant"] },
        { name: "response_bytes", drop: true },
      ],
    };
    const p = await statsProxy({
      node: clientNode(), configuration: JSON.stringify(config),
      statsTags: [...istioStatsTags(), ...["tenant", "api_path", "port"].map((t) => ({ tag_name: t, regex: `(${t}=\\.=(.*?);\\.;)` }))],
    });
    await p.host.chain([p.plugin]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: { ...props(), "destination.port": 9080 } });
    const name = p.host.metrics.all().map((s) => s.name).find((n) => n.endsWith(";.;istio_requests_total"))!;
    expect(name).toMatch(/grpc_response_status=\.=;\.;api_path=\.=\/;\.;port=\.=9080;\.;tenant=\.=acme;\.;istio_requests_total$/);
    const l = series(p.host, "istio_requests_total")[0]!.labels;
    expect([l.tenant, l.api_path, l.port]).toEqual(["acme", "/", "9080"]);
    const rb = series(p.host, "istio_request_bytes_count")[0]!.labels;
    expect(rb.tenant).toBeUndefined();
    expect(rb.source_principal).toBeUndefined();
    expect(rb.api_path).toBe("/");
    expect(series(p.host, "istio_response_bytes_count")).toEqual([]);
    expect(p.host.metrics.all().some((s) => s.name.endsWith("istio_response_bytes"))).toBe(false);
  });

  it("a missing dimension value is unknown", async () => {
    const p = await statsProxy({ node: clientNode(), configuration: JSON.stringify({ metrics: [{ dimensions: { tenant: "request.headers['x-none']" } }] }) });
    await p.host.chain([p.plugin]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: props() });
    expect(p.host.metrics.all().find((s) => s.name.endsWith("istio_requests_total"))!.name).toContain("tenant=.=unknown;.;");
  });

  it("custom separators and stat_prefix", async () => {
    const p = await statsProxy({ node: clientNode(), configuration: '{"field_separator": "|", "value_separator": ":", "stat_prefix": "mesh"}' });
    await p.host.chain([p.plugin]).send({ request: { headers: GET }, upstream: { status: 200 }, properties: props() });
    const n = p.host.metrics.all().map((s) => s.name).find((x) => x.endsWith("mesh_requests_total"))!;
    expect(n.startsWith("wasmcustom.reporter:source|source_workload:productpage-v1|")).toBe(true);
  });

  it("a value containing the field separator cannot end its field early", async () => {
    const p = await statsProxy({ node: clientNode() });
    await p.host.chain([p.plugin]).send({
      request: { headers: [[":path", "/"], [":method", "GET"], [":authority", "a;.;reporter=.=x;.;b"]] }, upstream: { status: 200 }, properties: props(),
    });
    const l = series(p.host, "istio_requests_total")[0]!.labels;
    expect(l.reporter).toBe("source");
    // the first characters of both separators are replaced (README "Labels no request can forge")
    expect(l.destination_service).toBe("a_._reporter_._x_._b");
  });
});
