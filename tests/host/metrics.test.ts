// Metrics with Envoy's rules, and Prometheus text with stats_tags extraction as Envoy does it.
import { describe, expect, test } from "vitest";
import { ProxyWasmHost, extractTags } from "../../host/index.ts";
import { arg, data, mod, VM_OK } from "./wat.ts";

const ISTIO_NAME = "reporter=.=destination;.;response_code=.=200;.;istio_requests_total";

async function metricsModule(body: string) {
  return mod(`${VM_OK} ${data(1024, "c_total")} ${data(1040, "g")} ${data(1050, "h_ms")} ${data(1100, ISTIO_NAME)}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${body} (i32.const 0))`);
}

describe("metric host functions", () => {
  test("counter: increment > 0 ok, <= 0 BadArgument; record adds; get reads; gauge can go down; histogram increment/get BadArgument", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await metricsModule(`
      (drop (call $define_metric (i32.const 0) ${arg(1024, "c_total")} (i32.const 16)))
      (drop (call $define_metric (i32.const 1) ${arg(1040, "g")} (i32.const 20)))
      (drop (call $define_metric (i32.const 2) ${arg(1050, "h_ms")} (i32.const 24)))
      (call $log_num (call $increment_metric (i32.load (i32.const 16)) (i64.const 2)))
      (call $log_num (call $increment_metric (i32.load (i32.const 16)) (i64.const -1)))
      (call $log_num (call $increment_metric (i32.load (i32.const 16)) (i64.const 0)))
      (call $log_num (call $record_metric (i32.load (i32.const 16)) (i64.const 3)))
      (call $log_num (call $get_metric (i32.load (i32.const 16)) (i32.const 32))) (call $log_num (i32.load (i32.const 32)))
      (call $log_num (call $increment_metric (i32.load (i32.const 20)) (i64.const -4)))
      (call $log_num (call $increment_metric (i32.load (i32.const 24)) (i64.const 1)))
      (call $log_num (call $record_metric (i32.load (i32.const 24)) (i64.const 7)))
      (call $log_num (call $get_metric (i32.load (i32.const 24)) (i32.const 32)))
      (call $log_num (call $get_metric (i32.const 999) (i32.const 32)))
      (call $log_num (call $define_metric (i32.const 3) ${arg(1024, "c_total")} (i32.const 16)))`) });
    const r = await host.chain([p]).send({ request: { headers: [] } });
    expect(r.logs.map((l) => l.message)).toEqual(["0", "2", "2", "0", "0", "5", "0", "2", "0", "2", "1", "2"]);
    expect(host.metrics.value("c_total")).toBe(5);
    expect(host.metrics.value("wasmcustom.g")).toBe(-4);
  });

  test("defining a name again yields a new id bound to the same stat, shared by every worker's VM", async () => {
    const host = new ProxyWasmHost({ workers: 2 });
    const p = await host.loadPlugin({ module: await metricsModule(`
      (drop (call $define_metric (i32.const 0) ${arg(1024, "c_total")} (i32.const 16)))
      (drop (call $increment_metric (i32.load (i32.const 16)) (i64.const 1)))`) });
    const c = host.chain([p]);
    for (let i = 0; i < 4; i++) await c.send({ request: { headers: [] } });
    expect(host.metrics.value("c_total")).toBe(4);
    expect(host.metrics.all().map((m) => m.name)).toEqual(["wasmcustom.c_total"]);
  });
});

describe("Prometheus rendering", () => {
  const TAGS = [
    { tag_name: "reporter", regex: "(reporter=\\.=(.*?);\\.;)" },
    { tag_name: "response_code", regex: "(response_code=\\.=(.+?);\\.;)" },
    { tag_name: "response_code", regex: "_rq(_(\\d{3}))$" },
  ];

  test("tag extraction: group 1 removed from the name, group 2 the value, each regex once on the original name", () => {
    expect(extractTags(`wasmcustom.${ISTIO_NAME}`, TAGS)).toEqual({
      name: "wasmcustom.istio_requests_total", tags: [["reporter", "destination"], ["response_code", "200"]],
    });
    expect(extractTags("cluster.x.upstream_rq_503", TAGS)).toEqual({ name: "cluster.x.upstream_rq", tags: [["response_code", "503"]] });
    expect(extractTags("a.b", [{ tag_name: "fixed", fixed_value: "v" }])).toEqual({ name: "a.b", tags: [["fixed", "v"]] });
  });

  test("wasmcustom is stripped, no envoy_ prefix; counters, gauges and histograms with Envoy's default buckets", async () => {
    const host = new ProxyWasmHost({ statsTags: TAGS });
    const p = await host.loadPlugin({ module: await metricsModule(`
      (drop (call $define_metric (i32.const 0) ${arg(1100, ISTIO_NAME)} (i32.const 16)))
      (drop (call $increment_metric (i32.load (i32.const 16)) (i64.const 1)))
      (drop (call $define_metric (i32.const 1) ${arg(1040, "g")} (i32.const 20)))
      (drop (call $record_metric (i32.load (i32.const 20)) (i64.const 9)))
      (drop (call $define_metric (i32.const 2) ${arg(1050, "h_ms")} (i32.const 24)))
      (drop (call $record_metric (i32.load (i32.const 24)) (i64.const 3)))
      (drop (call $record_metric (i32.load (i32.const 24)) (i64.const 700)))`) });
    await host.chain([p]).send({ request: { headers: [] } });
    const text = host.metrics.prometheus();
    expect(text).toContain("# TYPE istio_requests_total counter\nistio_requests_total{reporter=\"destination\",response_code=\"200\"} 1\n");
    expect(text).toContain("# TYPE g gauge\ng 9\n");
    expect(text).toContain("# TYPE h_ms histogram\n");
    expect(text).toContain('h_ms_bucket{le="1"} 0\nh_ms_bucket{le="5"} 1\n');
    expect(text).toContain('h_ms_bucket{le="500"} 1\nh_ms_bucket{le="1000"} 2\n');
    // The sum as Envoy's circllhist reports it: each sample's bin representative, 3 -> 3.0491..., 700 -> 704.964... (Envoy 1.40.0).
    const sum = Number(/h_ms_sum (\S+)/.exec(text)![1]);
    expect(sum).toBeCloseTo(2 * 3 * 3.1 / 6.1 + 2 * 700 * 710 / 1410, 9);
    expect(text).toContain('h_ms_bucket{le="3600000"} 2\nh_ms_bucket{le="+Inf"} 2\nh_ms_sum ');
    expect(text).toContain("h_ms_count 2\n");
    expect(text).not.toContain("envoy_");
  });
});
