// Hostile input against stats (issue 18): bounded memory under peer-id and large-label floods
// (findings 1 and 2), labels no request can forge through the stat-name encoding (finding 3),
// separators that could be confused, and configurations with thousands of entries (finding 9).
// Labels are read back as Envoy reads them: the host renders Prometheus text with the stats_tags
// the generated configurations carry (deploy/stats-tags.ts), applied as Envoy applies them.
import { beforeAll, describe, expect, it } from "vitest";
import { PluginLoadError, ProxyWasmHost, type Plugin } from "../../../host/index.ts";
import { STATS_TAGS, ISTIO_LABELS } from "../../../deploy/stats-tags.ts";
import { FLOOD_NODE, FLOOD_SCENARIOS, MEMORY_BOUNDS, peerMetadata, filler } from "../../robustness/flood-scenarios.ts";
import { encodeHeader, mxModule } from "../metadata-exchange/helpers.ts";
import { statsModule, parsePrometheus, type Series } from "./helpers.ts";

beforeAll(async () => { await statsModule(); await mxModule(); });

const MiB = 1024 * 1024;
const TAGS = STATS_TAGS.map((t) => ({ tag_name: t.tag_name, regex: t.regex }));
const INBOUND = { "xds.listener_direction": 1 };
/** README "Robustness": a label value is cut to this many UTF-8 bytes. */
const MAX_LABEL_BYTES = 256;

async function stats(rootId: string, configuration = "", withMx = false): Promise<{ host: ProxyWasmHost; plugins: Plugin[] }> {
  const host = new ProxyWasmHost({ node: FLOOD_NODE, statsTags: TAGS, retainLogs: false });
  const plugins: Plugin[] = [];
  if (withMx) plugins.push(await host.loadPlugin({ module: await mxModule(), rootId: "metadata_exchange" }));
  plugins.push(await host.loadPlugin({ module: await statsModule(), rootId, configuration }));
  return { host, plugins };
}

async function flood(name: string, count?: number): Promise<{ peakBytes: number; host: ProxyWasmHost; stats: Plugin }> {
  const s = FLOOD_SCENARIOS.find((x) => x.name === name)!;
  const { host, plugins } = await stats(s.plugins.at(-1)!.rootId, JSON.stringify(s.plugins.at(-1)!.configuration), s.plugins.length > 1);
  const statsPlugin = plugins.at(-1)!;
  const chain = host.chain(plugins);
  let peak = 0;
  for (let i = 0; i < (count ?? s.streams); i++) {
    const st = s.stream(i);
    await chain.send({ request: st.request, upstream: st.upstream, properties: st.properties });
    if (i % 250 === 0) {
      peak = Math.max(peak, statsPlugin.memoryPages() * 65536);
      expect(statsPlugin.traps, `stream ${i}`).toEqual([]);
      expect(peak, `stats wasm memory after ${i} streams`).toBeLessThanOrEqual(MEMORY_BOUNDS.stats);
    }
  }
  return { peakBytes: Math.max(peak, statsPlugin.memoryPages() * 65536), host, stats: statsPlugin };
}

const requests = (host: ProxyWasmHost): Series[] => parsePrometheus(host.metrics.prometheus()).filter((x) => x.name === "istio_requests_total");

describe("finding 1: a peer-id flood", () => {
  it("one valid peer with a new 8,000-byte id per request keeps the stats VM under its bound, every request still labeled with the peer", async () => {
    const { peakBytes, host, stats: p } = await flood("stats-peer-id-flood");
    expect(p.traps).toEqual([]);
    expect(peakBytes).toBeLessThanOrEqual(MEMORY_BOUNDS.stats);
    const s = requests(host);
    expect(s).toHaveLength(1);
    expect([s[0]!.labels.source_workload, s[0]!.value]).toEqual(["productpage-v1", FLOOD_SCENARIOS[0]!.streams]);
  }, 300_000);
});

describe("finding 2: large label values", () => {
  it("distinct 4-48 KiB :authority values keep the stats VM under its bound; each label value is cut to 256 bytes", async () => {
    const { peakBytes, host } = await flood("stats-authority-flood");
    expect(peakBytes).toBeLessThanOrEqual(MEMORY_BOUNDS.stats);
    const s = requests(host);
    expect(s.length).toBeGreaterThan(1);
    for (const x of s) {
      expect(Object.keys(x.labels).sort()).toEqual([...ISTIO_LABELS].sort());
      for (const [k, v] of Object.entries(x.labels)) expect(Buffer.byteLength(v), k).toBeLessThanOrEqual(MAX_LABEL_BYTES);
    }
  }, 300_000);

  it("a cut never splits a UTF-8 character", async () => {
    const { host, plugins } = await stats("stats_outbound");
    await host.chain(plugins).send({ request: { headers: [[":path", "/"], [":authority", "a" + "é".repeat(300)]] }, upstream: { status: 200 }, properties: { "xds.listener_direction": 2 } });
    const v = requests(host)[0]!.labels.destination_service!;
    expect(v).toBe("a" + "é".repeat(127));
  });
});

/** What a label value becomes (README "Labels"): ';', '=', line terminators and other controls → '_'. */
const expectedValue = (v: string) => v.replace(/[;=\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "_");

describe("finding 3: labels no request can forge", () => {
  const truth = { connection_security_policy: "none", response_code: "503", source_principal: "spiffe://cluster.local/ns/shop/sa/productpage", reporter: "destination" };
  // A plaintext inbound request answered 503, its peer known through metadata-exchange.
  async function one(authority: string, workload = "productpage-v1") {
    const { host, plugins } = await stats("stats_inbound", "", true);
    const md = peerMetadata({ WORKLOAD_NAME: workload });
    await host.chain(plugins).send({
      request: { headers: [[":method", "GET"], [":path", "/"], [":authority", authority], ["x-envoy-peer-metadata", encodeHeader(md as never)], ["x-envoy-peer-metadata-id", "peer-1"]] },
      upstream: { status: 503 },
      properties: { ...INBOUND, "connection.mtls": false, "xds.cluster_name": "inbound|9080||", "connection.uri_san_peer_certificate": truth.source_principal },
    });
    for (const p of plugins) expect(p.traps).toEqual([]);
    // (metadata-exchange's own counters left out)
    const all = parsePrometheus(host.metrics.prometheus()).filter((x) => !x.name.startsWith("metadata_exchange_"));
    return { all, s: all.filter((x) => x.name === "istio_requests_total") };
  }

  const hostile: [string, string, string?][] = [
    ["a field separator and another tag", "h;.;connection_security_policy=.=mutual_tls"],
    ["another tag's name=.=value without a separator", "hconnection_security_policy=.=mutual_tls"],
    ["a value ending in ';.' (a proper prefix of the field separator)", "x;."],
    ["a value ending in ';'", "x;"],
    ["a faked response_code", "xresponse_code=.=200"],
    ["a faked response_code ending its field", "x;.;response_code=.=200;."],
    ["a line feed", "a\nb"],
    ["a carriage return", "a\rb"],
    ["U+2028", "a\u2028b"],
    ["a value separator", "x=.=y"],
    ["separators only", ";.;=.=;.;"],
    ["a forged source_principal in the peer's workload name", "reviews:9080", "w;.;source_principal=.=spiffe://cluster.local/ns/admin/sa/root;."],
    ["a forged source_principal without separator", "reviews:9080", "wsource_principal=.=spiffe://cluster.local/ns/admin/sa/root"],
  ];
  for (const [what, authority, workload] of hostile) {
    it(`${what}: one istio_requests_total series, its 25 labels, the true values`, async () => {
      const { all, s } = await one(authority, workload);
      // Nothing left in a metric name: every family is one of the four.
      expect(new Set(all.map((x) => x.name.replace(/_(bucket|sum|count)$/, "")))).toEqual(new Set(["istio_requests_total", "istio_request_duration_milliseconds", "istio_request_bytes", "istio_response_bytes"]));
      expect(s).toHaveLength(1);
      const l = s[0]!.labels;
      expect(Object.keys(l).sort()).toEqual([...ISTIO_LABELS].sort());
      for (const [k, v] of Object.entries(truth)) expect(l[k], k).toBe(v);
      expect(l.destination_service).toBe(expectedValue(authority));
      expect(l.source_workload).toBe(expectedValue(workload ?? "productpage-v1"));
    });
  }

  it("random values of separator pieces, tag names and line terminators never move a label (300 requests)", async () => {
    const pieces = [";", ".", "=", ";.;", "=.=", ";.", ".;", "=.", ".=", "\n", "\r", "\u2028", "\u2029", "\\", "\"", "%", "x", "mutual_tls", "200",
      ...ISTIO_LABELS.map((n) => `${n}=.=`)];
    let seed = 7;
    const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const { host, plugins } = await stats("stats_inbound", "", true);
    const chain = host.chain(plugins);
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      let authority = "";
      for (let k = 1 + rnd(6); k > 0; k--) authority += pieces[rnd(pieces.length)];
      let workload = "";
      for (let k = 1 + rnd(4); k > 0; k--) workload += pieces[rnd(pieces.length)];
      sent.push(authority);
      await chain.send({
        request: { headers: [[":path", "/"], [":authority", authority], ["x-envoy-peer-metadata", encodeHeader(peerMetadata({ WORKLOAD_NAME: workload }) as never)], ["x-envoy-peer-metadata-id", `peer-${i}`]] },
        upstream: { status: 503 },
        properties: { ...INBOUND, "connection.mtls": false, "xds.cluster_name": "inbound|9080||", "connection.uri_san_peer_certificate": truth.source_principal },
      });
    }
    const all = parsePrometheus(host.metrics.prometheus()).filter((x) => !x.name.startsWith("metadata_exchange_"));
    expect(new Set(all.map((x) => x.name.replace(/_(bucket|sum|count)$/, "")))).toEqual(new Set(["istio_requests_total", "istio_request_duration_milliseconds", "istio_request_bytes", "istio_response_bytes"]));
    const s = all.filter((x) => x.name === "istio_requests_total");
    expect(s.reduce((a, x) => a + x.value, 0)).toBe(300);
    for (const x of s) {
      expect(Object.keys(x.labels).sort()).toEqual([...ISTIO_LABELS].sort());
      for (const [k, v] of Object.entries(truth)) expect(x.labels[k], `${k} of ${JSON.stringify(x.labels)}`).toBe(v);
      expect(sent.map(expectedValue)).toContain(x.labels.destination_service);
    }
  });
});

describe("finding 9: configuration", () => {
  async function loadError(configuration: string, rootId = "stats"): Promise<string[]> {
    const host = new ProxyWasmHost({ node: FLOOD_NODE });
    try {
      await host.loadPlugin({ module: await statsModule(), rootId, configuration });
    } catch (e) {
      expect(e).toBeInstanceOf(PluginLoadError);
      return (e as PluginLoadError).logs.filter((l) => l.level === "error").map((l) => l.message.replace("stats: invalid configuration: ", ""));
    }
    throw new Error("configuration was accepted: " + configuration);
  }

  for (const [fs, vs, field] of [[";.;", ".", "value_separator"], [";", ";.;", "value_separator"], ["=.=", "=", "value_separator"], [".", "=.=", "value_separator"]] as const) {
    it(`rejects separators that contain each other: field ${JSON.stringify(fs)}, value ${JSON.stringify(vs)}`, async () => {
      const errors = await loadError(JSON.stringify({ field_separator: fs, value_separator: vs }));
      expect(errors.some((m) => m.startsWith(`${field}: `) && /contain/.test(m)), errors.join("\n")).toBe(true);
    });
  }

  it("rejects separators a label name or value could be read as (letters, digits, '_')", async () => {
    expect((await loadError('{"field_separator": "AND"}')).some((m) => m.startsWith("field_separator: "))).toBe(true);
    expect((await loadError('{"value_separator": "_"}')).some((m) => m.startsWith("value_separator: "))).toBe(true);
  });

  it("rejects a dimension named like the end of another label, or ending with one (Envoy's unanchored tag regexes would match inside it)", async () => {
    let errors = await loadError(JSON.stringify({ metrics: [{ dimensions: { app: "request.host" } }] }));
    expect(errors.some((m) => m.startsWith("metrics[0].dimensions.app: ") && /source_app/.test(m)), errors.join("\n")).toBe(true);
    errors = await loadError(JSON.stringify({ metrics: [{ dimensions: { my_source_app: "request.host" }, tags_to_remove: ["source_app"] }] }));
    expect(errors.some((m) => m.startsWith("metrics[0].dimensions.my_source_app: ") && /source_app/.test(m)), errors.join("\n")).toBe(true);
    errors = await loadError(JSON.stringify({ metrics: [{ dimensions: { tenant: "request.host" } }, { dimensions: { org_tenant: "request.path" } }] }));
    expect(errors.some((m) => m.startsWith("metrics[1].dimensions.org_tenant: ") && /'tenant'/.test(m)), errors.join("\n")).toBe(true);
  });

  // How configure time scales with the entries is a benchmark target (npm run bench,
  // configure-scaling: 10x the entries within 30x the time), not a timed test.
  it("20,000 dimensions and tags_to_remove: every entry checked (20,001 problems counted), the log capped at 21 lines", async () => {
    const errors = await loadError(JSON.stringify({
      metrics: [{ dimensions: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`d${i}`, `request.headers['x-d${i}']`])), tags_to_remove: Array.from({ length: 20_000 }, (_, i) => `t${i}`) }],
    }));
    // 20,000 unknown tags_to_remove names and the dimension count (at most 16).
    expect(errors).toHaveLength(21);
    expect(errors[0]).toBe("metrics[0].tags_to_remove[0]: unknown label 't0'");
    expect(errors[19]).toBe("metrics[0].tags_to_remove[19]: unknown label 't19'");
    expect(errors[20]).toBe("19981 more problems not shown (20001 in all)");
  }, 120_000);
});
