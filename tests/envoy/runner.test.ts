// The Envoy runner against real Envoy: it starts, serves real HTTP through a
// built filter, reports what Envoy decided (access log), what plugins logged
// and stored, derives attributes from real listeners and connections, reads
// Prometheus, delivers filters inline and through ECDS from a file, refuses
// what it cannot produce, and always stops.
import { expect, it } from "vitest";
import { runningEnvoyPids } from "../../engine/envoy/process.ts";
import { UnproducibleProperty } from "../../engine/properties.ts";
import { StartError, type PluginSpec, type Topology } from "../../engine/types.ts";
import { envoySuite, ourPlugin, startEnvoy, stopEnvoysAfterEach, useEnvoy } from "./helpers.ts";
import { probeModule } from "./probe.ts";

const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("utf8") : undefined);
const header = (h: [string, string][], name: string) => h.find(([k]) => k === name)?.[1];

envoySuite("add-header through the runner", () => {
  const envoy = useEnvoy(() => ({
    proxies: [{ name: "edge", direction: "inbound", plugins: [ourPlugin("add-header", { configuration: '{"name":"x-hello","value":"world"}' })] }],
  }));

  it("serves real HTTP: the filter's header on the response, the upstream's answer and what the upstream received", async () => {
    const r = await envoy().send({
      request: { headers: [[":method", "POST"], [":path", "/items?x=1"], ["host", "svc.local"], ["x-client", "a"]], body: "payload" },
      upstream: { status: 201, headers: [["content-type", "text/plain"], ["x-up", "1"]], body: "created" },
    });
    expect(r.response.status).toBe(201);
    expect(r.response.headers[0]).toEqual([":status", "201"]);
    expect(header(r.response.headers, "x-hello")).toBe("world");
    expect(header(r.response.headers, "x-up")).toBe("1");
    expect(text(r.response.body)).toBe("created");
    expect(r.response).toMatchObject({ local: false, details: "via_upstream" });
    const up = r.upstreamRequest!;
    expect(up.headers.slice(0, 4)).toEqual([[":method", "POST"], [":path", "/items?x=1"], [":authority", "svc.local"], [":scheme", "http"]]);
    expect(header(up.headers, "x-client")).toBe("a");
    // What Envoy adds on its way upstream (the host does not): see engine/README.md.
    expect(header(up.headers, "x-forwarded-proto")).toBe("http");
    expect(header(up.headers, "x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(header(up.headers, "x-envoy-expected-rq-timeout-ms")).toBe("15000");
    expect(text(up.body)).toBe("payload");
    expect(r.hops).toEqual([{ proxy: "edge", status: 201, details: "via_upstream", local: false, filterState: {}, logs: [] }]);
  });

  it("answers HTTP/2 gRPC with trailers end to end", async () => {
    const r = await envoy().send({
      request: { headers: [[":method", "POST"], [":path", "/pkg.Svc/Call"], [":authority", "svc"], ["content-type", "application/grpc"], ["te", "trailers"]], body: "\u0000\u0000\u0000\u0000\u0000" },
      upstream: { status: 200, headers: [["content-type", "application/grpc"]], body: "\u0000\u0000\u0000\u0000\u0000", trailers: [["grpc-status", "0"], ["grpc-message", "ok"]] },
    });
    expect(r.response.status).toBe(200);
    expect(r.response.trailers).toEqual([["grpc-status", "0"], ["grpc-message", "ok"]]);
    expect(header(r.upstreamRequest!.headers, "content-type")).toBe("application/grpc");
    expect(header(r.response.headers, "x-hello")).toBe("world");
  });

  it("carries the HCM hardening of every generated configuration (deploy/path-hardening.ts)", async () => {
    const send = (headers: [string, string][]) => envoy().send({ request: { headers } });
    const merged = await send([[":path", "/a/../b//c"]]);
    expect(header(merged.upstreamRequest!.headers, ":path")).toBe("/b/c");
    const escaped = await send([[":path", "/a%2Fb"]]);
    expect(escaped.response).toMatchObject({ status: 400, local: true, details: "path_normalization_failed" });
    expect(escaped.upstreamRequest).toBeNull();
    const underscore = await send([[":path", "/"], ["x_auth_principal", "admin"]]);
    expect(underscore.response).toMatchObject({ status: 400, details: "http1.unexpected_underscore" });
    // Over HTTP/2 Envoy resets the stream instead of answering: a reset result, as the host gives one.
    const h2 = await send([[":path", "/"], ["content-type", "application/grpc"], ["x_auth_principal", "admin"]]);
    expect(h2).toMatchObject({
      reset: true, resetReason: "edge reset the stream: http2.unexpected_underscore, response flags DR",
      response: { status: 0, local: true, details: "http2.unexpected_underscore" }, upstreamRequest: null,
    });
  });

  it("reads Envoy's own /stats/prometheus", async () => {
    const prom = await envoy().prometheus("edge");
    expect(prom).toMatch(/^envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="inbound"\} \d+$/m);
    expect(prom).toMatch(/^envoy_wasm_envoy_wasm_runtime_v8_created\{\} [1-9]/m);
    // The fence listener's stats are excluded.
    expect(prom).not.toContain("mwf_fence");
  });
});

envoySuite("header-auth: a local reply in Envoy", () => {
  const envoy = useEnvoy(() => ({ proxies: [{ name: "reviews", direction: "inbound", plugins: [ourPlugin("header-auth")] }] }));

  it("is local, with the filter's details from %RESPONSE_CODE_DETAILS%, and never reaches the upstream", async () => {
    const r = await envoy().send({ request: { headers: [[":path", "/reviews/1"], ["host", "reviews"]] }, upstream: { status: 200, body: "secret" } });
    expect(r.response.status).toBe(401);
    expect(r.response).toMatchObject({ local: true, details: "header_auth_missing_credential" });
    expect(r.upstreamRequest).toBeNull();
    expect(header(r.response.headers, "www-authenticate")).toBeDefined();
  });

  it("lets a good key through and sets the principal upstream", async () => {
    const r = await envoy().send({ request: { headers: [[":path", "/reviews/1"], ["host", "reviews"], ["x-api-key", "demo-billing-key"]] } });
    expect(r.response).toMatchObject({ status: 200, local: false, details: "via_upstream" });
    expect(header(r.upstreamRequest!.headers, "x-auth-principal")).toBe("billing");
  });
});

envoySuite("what the runner maps and reads back", () => {
  let probe: Uint8Array;
  const plugin = (): PluginSpec => ({ name: "probe", module: probe, rootId: "probe_root", vmId: "probe_vm" });
  const topology = (): Topology => ({
    proxies: [{
      name: "sidecar", direction: "outbound", cluster: { name: "outbound|80||svc.ns.svc.cluster.local" },
      alternatives: [{ direction: "inbound", cluster: { name: "inbound|80||" } }],
      plugins: [plugin()],
      statsTags: [{ tag_name: "reporter", regex: "(reporter=\\.=(.*?);\\.;)" }],
    }],
    filterStateKeys: ["wasm.src", "wasm.dir", "wasm.cluster", "wasm.bin", "wasm.never_set"],
  });
  const envoy = useEnvoy(async () => {
    probe = await probeModule();
    return topology();
  });

  it("plugin logs with level and plugin name, including those after the access log (on_done)", async () => {
    const r = await envoy().send({ request: { headers: [[":path", "/"]] } });
    expect(r.logs).toEqual([
      { level: "info", plugin: "probe", message: "request headers" },
      { level: "info", plugin: "probe", message: "on log" },
      { level: "warn", plugin: "probe", message: "on done" },
    ]);
    // The next stream starts clean: nothing of this one leaks into it.
    const again = await envoy().send({ request: { headers: [[":path", "/"]] } });
    expect(again.logs).toHaveLength(3);
  });

  it("filter state byte for byte (TYPED), attributes from the listener and cluster, and only the keys that were set", async () => {
    const r = await envoy().send({ request: { headers: [[":path", "/"]] } });
    expect([...r.filterState["wasm.bin"]!]).toEqual([0, 0xff, 1, 0x22, 0x0a]);
    expect([...r.filterState["wasm.dir"]!]).toEqual([2, 0, 0, 0, 0, 0, 0, 0]);
    expect(text(r.filterState["wasm.cluster"])).toBe("outbound|80||svc.ns.svc.cluster.local");
    expect(r.filterState["wasm.never_set"]).toBeUndefined();
    // Without a PROXY header the source is the client's real loopback address.
    expect(text(r.filterState["wasm.src"])).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("a stream's properties pick the listener and build the connection that produce them", async () => {
    const r = await envoy().send({
      request: { headers: [[":path", "/"]] },
      properties: { "xds.listener_direction": 1, "xds.cluster_name": "inbound|80||", "source.address": "10.0.0.1:5555", "connection.mtls": false },
    });
    expect([...r.filterState["wasm.dir"]!]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(text(r.filterState["wasm.cluster"])).toBe("inbound|80||");
    expect(text(r.filterState["wasm.src"])).toBe("10.0.0.1:5555");
  });

  it("refuses a property it cannot produce, naming it, instead of ignoring it", async () => {
    await expect(envoy().send({ request: { headers: [] }, properties: { "request.time": 5 } })).rejects.toThrow(UnproducibleProperty);
    await expect(envoy().send({ request: { headers: [] }, properties: { "xds.listener_direction": 2, "xds.cluster_name": "nowhere" } }))
      .rejects.toThrow(/no listener with direction outbound and cluster nowhere/);
    await expect(envoy().send({ request: { headers: [] }, properties: { "connection.mtls": true } })).rejects.toThrow(/connection\.mtls/);
  });

  it("Prometheus from Envoy with the stats_tags applied by Envoy, histograms included", async () => {
    await envoy().send({ request: { headers: [[":path", "/"]] } });
    const prom = await envoy().prometheus("sidecar");
    expect(prom).toMatch(/^probe_requests_total\{reporter="probe"\} [1-9]\d*$/m);
    expect(prom).toMatch(/^probe_size_count\{\} [1-9]\d*$/m);
    expect(prom).toMatch(/^probe_size_sum\{\} \d+/m);
  });

  it("a proxy's log level is Envoy's wasm log level: lines below it are dropped", async () => {
    const quiet = await startEnvoy({ proxies: [{ name: "quiet", logLevel: "warn", plugins: [plugin()] }] });
    try {
      const r = await quiet.send({ request: { headers: [[":path", "/"]] } });
      expect(r.logs).toEqual([{ level: "warn", plugin: "probe", message: "on done" }]);
    } finally {
      await quiet.stop();
    }
  });

  it("logs(proxy) is Envoy's log file", () => {
    const log = envoy().logs("sidecar");
    expect(log).toContain("wasm log probe probe_root probe_vm: request headers");
    expect(log).toContain("envoy.wasm.runtime.v8");
  });

  it("ECDS from a file (as istio-agent hands Envoy a pulled module) gives the same results as inline", async () => {
    const ecds = await startEnvoy(topology(), { wasmDelivery: "ecds" });
    try {
      const inline = await envoy().send({ request: { headers: [[":path", "/"]] }, properties: { "xds.listener_direction": 1, "xds.cluster_name": "inbound|80||" } });
      const viaFile = await ecds.send({ request: { headers: [[":path", "/"]] }, properties: { "xds.listener_direction": 1, "xds.cluster_name": "inbound|80||" } });
      // Equal but for what differs per connection and per second.
      const { "wasm.src": _src, ...state } = viaFile.filterState;
      const decided = (r: typeof inline) => r.hops.map((h) => ({ ...h, filterState: { ...h.filterState, "wasm.src": undefined } }));
      expect(viaFile.response.status).toBe(inline.response.status);
      expect(decided(viaFile)).toEqual(decided(inline));
      expect(Object.keys(state).sort()).toEqual(["wasm.bin", "wasm.cluster", "wasm.dir"]);
      const config = ecds.logs("sidecar");
      expect(config).toContain("wasm log probe probe_root probe_vm: request headers");
    } finally {
      await ecds.stop();
    }
  });
});

envoySuite("startup failures and stopping", () => {
  stopEnvoysAfterEach();

  it("a rejected plugin configuration fails start with Envoy's words, the plugin's name and our log line", async () => {
    const err = await startEnvoy({ proxies: [{ name: "bad", plugins: [ourPlugin("header-auth", { name: "auth", configuration: '{"bogus":1}' })] }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    const e = err as StartError;
    expect(e.proxy).toBe("bad");
    expect(e.plugin).toBe("auth");
    expect(e.message).toMatch(/Unable to create Wasm plugin auth/);
    // At configure time the prefix has no plugin name (root id, vm id; empty vm id left out).
    expect(e.message).toMatch(/wasm log header_auth: header-auth: invalid configuration: unknown field 'bogus'/);
    expect(runningEnvoyPids()).toEqual([]);
  });

  it("stop() ends every Envoy of the deployment and can be called twice", async () => {
    const d = await startEnvoy({ proxies: [{ name: "a", plugins: [] }, { name: "b", plugins: [] }] });
    const pids = d.pids;
    expect(pids).toHaveLength(2);
    const r = await d.send({ request: { headers: [[":path", "/"]] }, upstream: { status: 204 } });
    expect(r.response.status).toBe(204);
    expect(r.hops.map((h) => h.proxy)).toEqual(["a", "b"]);
    await d.stop();
    await d.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(runningEnvoyPids()).toEqual([]);
  });
});
