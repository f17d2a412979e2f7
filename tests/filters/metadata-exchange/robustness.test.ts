// metadata-exchange: the peer cache and every kind of bad input.
import { beforeAll, describe, expect, it } from "vitest";
import {
  MD, MD_ID, INBOUND, OUTBOUND, mxModule, server, client, proxy, encodeHeader, encodeStruct, decodeStructBytes,
  header, decodeErrors, decodes, type Proxy,
} from "./helpers.ts";
import { SAMPLE_ISTIO_HEADER } from "../../fixtures/istio/sample-istio-header.ts";

beforeAll(async () => { await mxModule(); });

async function inbound(p: Proxy, headers: [string, string][]) {
  return p.host.chain([p.plugin]).send({ request: { headers: [[":path", "/"], ...headers] }, properties: INBOUND });
}

describe("peer cache", () => {
  it("decodes a peer once per id", async () => {
    const s = await server({ logLevel: "debug" });
    const md = encodeHeader({ NAME: "a", NAMESPACE: "ns" });
    for (let i = 0; i < 5; i++) {
      const r = await inbound(s, [[MD, md], [MD_ID, "peer-1"]]);
      expect(decodeStructBytes(r.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "a", NAMESPACE: "ns" });
    }
    expect(decodes(s)).toBe(1);
    expect(s.host.logs.filter((l) => l.message.includes("decoded peer")).length).toBe(1);
    await inbound(s, [[MD, md], [MD_ID, "peer-2"]]);
    expect(decodes(s)).toBe(2);
    // a cached id wins over what the header now says (Istio: the id names the peer)
    const r = await inbound(s, [[MD, encodeHeader({ NAME: "b" })], [MD_ID, "peer-1"]]);
    expect(decodeStructBytes(r.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "a", NAMESPACE: "ns" });
    expect(decodes(s)).toBe(2);
  });

  it("a cached id needs a usable metadata header too: absent, empty or oversized, nothing is learned (a non-empty one is still answered)", async () => {
    const s = await server();
    const md = encodeHeader({ NAME: "a", NAMESPACE: "ns" });
    await inbound(s, [[MD, md], [MD_ID, "peer-1"]]);
    expect(decodes(s)).toBe(1);
    for (const [value, errors] of [[undefined, 0], ["", 0], ["A".repeat(8193), 1]] as const) {
      const before = decodeErrors(s);
      const r = await inbound(s, value === undefined ? [[MD_ID, "peer-1"]] : [[MD, value], [MD_ID, "peer-1"]]);
      expect(r.filterState["wasm.downstream_peer"], String(value?.length)).toBeUndefined();
      expect(new TextDecoder().decode(r.filterState["wasm.downstream_peer_id"])).toBe("peer-1");
      expect(r.upstreamRequest!.headers.some(([k]) => k === MD || k === MD_ID)).toBe(false);
      expect(header(r.response.headers, MD) !== undefined, String(value?.length)).toBe(!!value);
      expect(header(r.response.headers, MD_ID)).toBeDefined();
      expect(decodeErrors(s) - before).toBe(errors);
    }
    // a non-empty header of exactly the largest accepted size still selects the cached peer
    const r = await inbound(s, [[MD, "A".repeat(8192)], [MD_ID, "peer-1"]]);
    expect(decodeStructBytes(r.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "a", NAMESPACE: "ns" });
    expect(header(r.response.headers, MD)).toBeDefined();
    expect(decodes(s)).toBe(1);
  });

  it("does not cache peers without an id, nor with max_peer_cache_size 0", async () => {
    const s = await server();
    const md = encodeHeader({ NAME: "a" });
    for (let i = 0; i < 3; i++) await inbound(s, [[MD, md]]);
    expect(decodes(s)).toBe(3);
    const z = await server({ configuration: JSON.stringify({ max_peer_cache_size: 0 }) });
    for (let i = 0; i < 3; i++) await inbound(z, [[MD, md], [MD_ID, "p"]]);
    expect(decodes(z)).toBe(3);
  });

  it("when full, evicts the first max/4 (least recently used)", async () => {
    const s = await server({ configuration: JSON.stringify({ max_peer_cache_size: 8 }) });
    const md = encodeHeader({ NAME: "a" });
    for (let i = 0; i < 8; i++) await inbound(s, [[MD, md], [MD_ID, `p${i}`]]);
    expect(decodes(s)).toBe(8);
    // touch p0 and p1: p2, p3 become the least recently used
    await inbound(s, [[MD, md], [MD_ID, "p0"]]);
    await inbound(s, [[MD, md], [MD_ID, "p1"]]);
    expect(decodes(s)).toBe(8);
    await inbound(s, [[MD, md], [MD_ID, "p8"]]); // full: evicts 8/4 = 2 (p2, p3)
    expect(decodes(s)).toBe(9);
    for (const id of ["p0", "p1", "p4", "p5", "p6", "p7", "p8"]) await inbound(s, [[MD, md], [MD_ID, id]]);
    expect(decodes(s)).toBe(9);
    await inbound(s, [[MD, md], [MD_ID, "p2"]]);
    expect(decodes(s)).toBe(10);
  });

  it("stays within its bound and keeps memory flat over many peers", async () => {
    const s = await server({ configuration: JSON.stringify({ max_peer_cache_size: 20 }) });
    const md = encodeHeader({ NAME: "a", LABELS: { app: "x" } });
    for (let i = 0; i < 300; i++) await inbound(s, [[MD, md], [MD_ID, `peer-${i}`]]);
    const pages = s.plugin.memoryPages();
    for (let i = 300; i < 1500; i++) await inbound(s, [[MD, md], [MD_ID, `peer-${i}`]]);
    expect(s.plugin.memoryPages()).toBe(pages);
    expect(s.plugin.traps).toEqual([]);
  });
});

describe("bad input: peer unknown, headers removed, decode_error counted, no trap", () => {
  const valid = encodeStruct({ NAME: "a", NAMESPACE: "ns", LABELS: { app: "x" } });
  const b64 = (b: Uint8Array | number[]) => Buffer.from(Uint8Array.from(b)).toString("base64");
  /** n levels of {"k": {...}} under an unknown key. */
  const varint = (n: number) => { const o: number[] = []; while (n >= 0x80) { o.push((n & 0x7f) | 0x80); n >>>= 7; } o.push(n); return o; };
  const ld = (field: number, body: number[]) => [(field << 3) | 2, ...varint(body.length), ...body];
  const str = (t: string) => [...Buffer.from(t)];
  /** Struct {NAME: "a", DEEP: n levels of {"k": {...}}}, written by hand (bufbuild's JSON stops at 100). */
  const nested = (n: number) => {
    let value = ld(3, str("leaf")); // Value{string_value}
    for (let i = 0; i < n; i++) value = ld(5, ld(1, [...ld(1, str("k")), ...ld(2, value)])); // Value{struct_value{fields{k: value}}}
    const entry = (k: string, v: number[]) => ld(1, [...ld(1, str(k)), ...ld(2, v)]);
    return Uint8Array.from([...entry("NAME", ld(3, str("a"))), ...entry("DEEP", value)]);
  };
  const cases: [string, string][] = [
    ["invalid base64 character", "not*base64"],
    ["whitespace inside", b64(valid).slice(0, 8) + " " + b64(valid).slice(8)],
    ["length 4k+1", "QUJDRA" + "E"],
    ["non-zero unused bits", "QR=="],
    ["truncated protobuf", b64(valid.subarray(0, valid.length - 3))],
    ["length beyond the end", b64([0x0a, 0x7f, 0x0a, 0x01, 0x41])],
    ["field number 0", b64([0x02, 0x00])],
    ["wire type 7", b64([0x0f])],
    ["overlong varint", b64([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ["random bytes", b64([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03])],
    ["invalid UTF-8 in a string", b64([0x0a, 0x0b, 0x0a, 0x04, 0x4e, 0x41, 0x4d, 0x45, 0x12, 0x03, 0x1a, 0x01, 0xff])],
    ["NAMESPACE is a number", b64(encodeStruct({ NAMESPACE: 3 }))],
    ["NAME is a bool", b64(encodeStruct({ NAME: true }))],
    ["LABELS is a string", b64(encodeStruct({ LABELS: "app=x" }))],
    ["a LABELS value is a number", b64(encodeStruct({ LABELS: { app: 1 } }))],
    ["PLATFORM_METADATA is a list", b64(encodeStruct({ PLATFORM_METADATA: ["a"] }))],
    ["INSTANCE_IPS is null", b64(encodeStruct({ INSTANCE_IPS: null }))],
    ["nesting 40 deep", b64(nested(40))],
    ["nesting 300 deep", b64(nested(300))],
    ["header over 8 KiB (valid Struct)", b64(encodeStruct({ NAME: "a", PADDING: "x".repeat(6200) }))],
  ];

  for (const [what, value] of cases) {
    it(what, async () => {
      const s = await server({ logLevel: "debug" });
      const r = await inbound(s, [[MD, value], [MD_ID, "bad-peer"]]);
      expect(s.plugin.traps).toEqual([]);
      expect(header(r.upstreamRequest!.headers, MD)).toBeUndefined();
      expect(header(r.upstreamRequest!.headers, MD_ID)).toBeUndefined();
      expect(r.filterState["wasm.downstream_peer"]).toBeUndefined();
      expect(decodeErrors(s)).toBe(1);
      expect(r.logs.some((l) => l.level === "debug" && l.message.includes("unknown peer"))).toBe(true);
      // the filter keeps working, and still answers (the request asked)
      expect(header(r.response.headers, MD)).toBeDefined();
      const ok = await inbound(s, [[MD, b64(valid)], [MD_ID, "good-peer"]]);
      expect(decodeStructBytes(ok.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "a", NAMESPACE: "ns", LABELS: { app: "x" } });
      expect(decodeErrors(s)).toBe(1);
    });
  }

  it("nesting within the limit and unknown keys of any type are accepted (and not stored)", async () => {
    const s = await server();
    const r = await inbound(s, [[MD, b64(nested(10))], [MD_ID, "p"]]);
    expect(decodeStructBytes(r.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "a" });
    const r2 = await inbound(s, [[MD, b64(encodeStruct({ NAME: "b", X: 1, Y: [true, null], Z: { q: 2 } }))], [MD_ID, "p2"]]);
    expect(decodeStructBytes(r2.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "b" });
    expect(decodeErrors(s)).toBe(0);
  });

  it("padded and unpadded base64 both decode", async () => {
    const s = await server();
    const md = encodeHeader({ NAME: "ab" }, false);
    expect(md.endsWith("=")).toBe(false);
    expect(encodeHeader({ NAME: "ab" }).endsWith("=")).toBe(true);
    const r = await inbound(s, [[MD, md]]);
    expect(decodeStructBytes(r.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "ab" });
    const r2 = await inbound(s, [[MD, encodeHeader({ NAME: "ab" })]]);
    expect(decodeStructBytes(r2.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "ab" });
  });

  it("an id over 8 KiB: nothing learned, headers removed, counted", async () => {
    const s = await server();
    const r = await inbound(s, [[MD, b64(valid)], [MD_ID, "i".repeat(9000)]]);
    expect(r.filterState).toEqual({});
    expect(header(r.upstreamRequest!.headers, MD_ID)).toBeUndefined();
    expect(header(r.upstreamRequest!.headers, MD)).toBeUndefined();
    expect(decodeErrors(s)).toBe(1);
    expect(s.plugin.traps).toEqual([]);
  });

  it("bad upstream headers on the response are handled the same way", async () => {
    const c = await client();
    const r = await c.host.chain([c.plugin]).send({
      request: { headers: [[":path", "/"]] }, properties: OUTBOUND,
      upstream: { headers: [[MD, "%%%"], [MD_ID, "srv"]] },
    });
    expect(header(r.response.headers, MD)).toBeUndefined();
    expect(header(r.response.headers, MD_ID)).toBeUndefined();
    expect(r.filterState["wasm.upstream_peer"]).toBeUndefined();
    expect(decodeErrors(c)).toBe(1);
  });

  it("nothing is logged per request at info level", async () => {
    const s = await server();
    const r = await inbound(s, [[MD, "***"], [MD_ID, "x"]]);
    const r2 = await inbound(s, [[MD, b64(valid)], [MD_ID, "y"]]);
    expect([...r.logs, ...r2.logs]).toEqual([]);
  });
});

describe("interop with Istio's own header", () => {
  it("decodes proxy's SampleIstioHeader (unpadded, unsorted, extra keys) to namespace default", async () => {
    const s = await server();
    const r = await inbound(s, [[MD, SAMPLE_ISTIO_HEADER], [MD_ID, "sample"]]);
    const peer = decodeStructBytes(r.filterState["wasm.downstream_peer"]!);
    expect(peer.NAMESPACE).toBe("default");
    expect(peer).toEqual({
      NAME: "productpage-v1-84975bc778-pxz2w",
      NAMESPACE: "default",
      OWNER: "kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1",
      WORKLOAD_NAME: "productpage-v1",
      ISTIO_VERSION: "1.5-dev",
      MESH_ID: "mesh",
      CLUSTER_ID: "client-cluster",
      LABELS: {
        app: "productpage", "pod-template-hash": "84975bc778", version: "v1",
        "service.istio.io/canonical-name": "productpage-v1", "service.istio.io/canonical-revision": "version-1",
      },
      PLATFORM_METADATA: { gcp_gke_cluster_name: "test-cluster", gcp_location: "us-east4-b", gcp_project: "test-project", gcp_project_number: "123" },
      APP_CONTAINERS: "test,bonzai",
      INSTANCE_IPS: "10.52.0.34,fe80::a075:11ff:fe5e:f1cd",
    });
    expect(decodeErrors(s)).toBe(0);
  });
});

describe("determinism", () => {
  it("byte-identical headers whatever order node metadata (and labels) arrive in, equal to sorted @bufbuild output", async () => {
    const base = {
      NAMESPACE: "default", NAME: "pod-1", WORKLOAD_NAME: "w", OWNER: "o", CLUSTER_ID: "c", MESH_ID: "m", ISTIO_VERSION: "1.20.0",
      LABELS: { version: "v1", app: "a", "service.istio.io/canonical-name": "a", "zz": "", "Z": "upper", "é": "utf8" },
      PLATFORM_METADATA: { b: "2", a: "1" }, APP_CONTAINERS: "", INSTANCE_IPS: "10.0.0.1",
      UNRELATED: "x",
    };
    const reversed = (o: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(o).reverse().map(([k, v]) => [k, v && typeof v === "object" ? reversed(v as Record<string, unknown>) : v]));
    const a = await proxy({ node: { id: "n", metadata: base } });
    const b = await proxy({ node: { id: "n", metadata: reversed(base) } });
    const ra = await a.host.chain([a.plugin]).send({ request: { headers: [] }, properties: OUTBOUND });
    const rb = await b.host.chain([b.plugin]).send({ request: { headers: [] }, properties: OUTBOUND });
    const ha = header(ra.upstreamRequest!.headers, MD)!;
    expect(header(rb.upstreamRequest!.headers, MD)).toBe(ha);
    const { UNRELATED, ...expected } = base;
    const { sortedDeep } = await import("./helpers.ts");
    expect(Buffer.from(ha, "base64")).toEqual(Buffer.from(encodeStruct(sortedDeep(expected) as never)));
    // the empty string value is written (1a 00)
    expect(Buffer.from(ha, "base64").includes(Buffer.from([0x12, 0x02, 0x1a, 0x00]))).toBe(true);
  });
});
