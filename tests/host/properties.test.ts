// proxy_get_property / proxy_set_property with Envoy's attribute names and encodings.
import { describe, expect, test } from "vitest";
import { ProxyWasmHost, decodePairs } from "../../host/index.ts";
import { arg, data, mod, VM_OK } from "./wat.ts";

/** A plugin that reads the given property paths in on_request_headers (or on_log) and stores them. */
async function read(paths: string[], opts: { host?: ProxyWasmHost; properties?: Record<string, unknown>; at?: string; headers?: [string, string][]; upstream?: { status: number; headers?: [string, string][]; trailers?: [string, string][] } } = {}) {
  const host = opts.host ?? new ProxyWasmHost();
  let addr = 1024;
  const segs: string[] = [];
  const body = paths.map((p, i) => {
    const a = addr; addr += p.length + 8;
    segs.push(data(a, p));
    const key = `r${i}`;
    const ka = 3000 + i * 8;
    segs.push(data(ka, key));
    return `(i32.store (i32.const 0) (i32.const 0)) (i32.store (i32.const 4) (i32.const 0))
      (i32.store (i32.const 8) (call $get_property ${arg(a, p)} (i32.const 0) (i32.const 4)))
      (if (i32.eqz (i32.load (i32.const 8)))
        (then (drop (call $set_property ${arg(ka, key)} (i32.load (i32.const 0)) (i32.load (i32.const 4)))))
        (else (call $log_num (i32.load (i32.const 8)))))`;
  }).join("\n");
  const at = opts.at ?? "request_headers";
  const fn = at === "log" ? `(func (export "proxy_on_log") (param i32) ${body})`
    : `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${body} (i32.const 0))`;
  const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${segs.join(" ")} ${fn}`), name: "reader", rootId: "rid", vmId: "vid" });
  const r = await host.chain([p]).send({ request: { headers: opts.headers ?? [[":path", "/a/b?x=1"], ["host", "svc.local"], ["user-agent", "ua"], ["x-r", "1"], ["x-r", "2"]] }, properties: opts.properties as never, upstream: opts.upstream });
  return { r, v: (i: number) => r.filterState[`wasm.r${i}`], notFound: r.logs.map((l) => l.message) };
}

const s = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString() : b);
const i64 = (b: Uint8Array | undefined) => (b ? new DataView(b.buffer, b.byteOffset).getBigInt64(0, true) : b);

describe("paths", () => {
  test("segments are NUL-separated and a trailing NUL is tolerated (C++ SDK style)", async () => {
    const { v } = await read(["request\0path", "request\0path\0"]);
    expect([s(v(0)), s(v(1))]).toEqual(["/a/b?x=1", "/a/b?x=1"]);
  });
  test("an unknown attribute is NotFound (1)", async () => {
    const { notFound } = await read(["no_such\0thing"]);
    expect(notFound).toEqual(["1"]);
  });
});

describe("request attributes", () => {
  test("strings from headers, query split, header map pairs with repeats comma-joined", async () => {
    const { v } = await read(["request\0path", "request\0url_path", "request\0query", "request\0host", "request\0method", "request\0scheme", "request\0useragent", "request\0headers\0x-r", "request\0protocol"]);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => s(v(i)))).toEqual(["/a/b?x=1", "/a/b", "x=1", "svc.local", "GET", "http", "ua", "1,2", "HTTP/1.1"]);
    const { v: v2 } = await read(["request\0headers"]);
    expect(decodePairs(v2(0)!)).toContainEqual(["x-r", "1,2"]);
  });
  test("request.time is the stream start as int64 ns; duration only exists once the stream is over", async () => {
    const host = new ProxyWasmHost({ now: () => 5_000_000_000n });
    const { v, notFound } = await read(["request\0time", "request\0duration"], { host });
    expect(i64(v(0))).toBe(5_000_000_000n);
    expect(notFound).toEqual(["1"]);
  });
});

describe("plugin and node attributes", () => {
  test("plugin_name, plugin_root_id, plugin_vm_id", async () => {
    const { v } = await read(["plugin_name", "plugin_root_id", "plugin_vm_id"]);
    expect([s(v(0)), s(v(1)), s(v(2))]).toEqual(["reader", "rid", "vid"]);
  });
  test("xds.node.id is a string; node.metadata maps are pairs-encoded; the whole node is the Node message", async () => {
    const host = new ProxyWasmHost({ node: { id: "sidecar~10.0.0.1~p.ns~ns.svc.cluster.local", cluster: "c", metadata: { NAMESPACE: "ns", LABELS: { app: "a" }, N: 2 } } });
    const { v } = await read(["xds\0node\0id", "node\0id", "node\0metadata\0NAMESPACE", "xds\0node\0metadata\0LABELS", "node\0metadata\0N", "xds\0node"], { host });
    expect([s(v(0)), s(v(1)), s(v(2))]).toEqual(["sidecar~10.0.0.1~p.ns~ns.svc.cluster.local", "sidecar~10.0.0.1~p.ns~ns.svc.cluster.local", "ns"]);
    expect(decodePairs(v(3)!)).toEqual([["app", "a"]]);
    expect(new DataView(v(4)!.buffer, v(4)!.byteOffset).getFloat64(0, true)).toBe(2);
    // Node{id=1 (0x0a), cluster=2, metadata=3}: starts with field 1, length-delimited.
    expect(v(5)![0]).toBe(0x0a);
  });
});

describe("stream properties", () => {
  test("per-stream values: ints as int64 LE, strings raw; listener_direction and xds.listener_direction alias", async () => {
    const { v } = await read(["xds\0listener_direction", "listener_direction", "source\0address"], { properties: { "xds.listener_direction": 1, "source.address": "10.0.0.1:5555" } });
    expect([i64(v(0)), i64(v(1)), s(v(2))]).toEqual([1n, 1n, "10.0.0.1:5555"]);
  });
  test("host-wide properties apply unless the stream overrides them", async () => {
    const host = new ProxyWasmHost({ properties: { "upstream.address": "1.1.1.1:80", "source.address": "h" } });
    const { v } = await read(["upstream\0address", "source\0address"], { host, properties: { "source.address": "s" } });
    expect([s(v(0)), s(v(1))]).toEqual(["1.1.1.1:80", "s"]);
  });
});

describe("filter state", () => {
  test("set_property stores wasm.<key>; a later plugin of the same stream reads it as a top-level name", async () => {
    const host = new ProxyWasmHost();
    const writer = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "peer_id")} ${data(1040, "abc")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $set_property ${arg(1024, "peer_id")} ${arg(1040, "abc")})) (i32.const 0))`) });
    const reader = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "peer_id")} ${data(1040, "filter_state\u0000wasm.peer_id")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $get_property ${arg(1024, "peer_id")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (call $log_num (call $get_property ${arg(1040, "filter_state\u0000wasm.peer_id")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (i32.const 0))`) });
    const c = host.chain([writer, reader]);
    const r = await c.send({ request: { headers: [] } });
    expect(r.logs.map((l) => l.message)).toEqual(["0", "0", "abc", "0", "abc"]);
    expect(s(r.filterState["wasm.peer_id"])).toBe("abc");
    // Filter state belongs to the stream: the next stream starts without it.
    const r2 = await host.chain([reader]).send({ request: { headers: [] } });
    expect(r2.logs[0]!.message).toBe("1");
  });
  test("each stream keeps the value it wrote, whether the module writes the same bytes again or changes them in place", async () => {
    const host = new ProxyWasmHost();
    // Writes "abc" twice from the same buffer, then bumps its first byte after every later write.
    const writer = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "k")} ${data(1040, "abc")}
      (global $n (mut i32) (i32.const 0))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $set_property ${arg(1024, "k")} ${arg(1040, "abc")}))
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (if (i32.ge_u (global.get $n) (i32.const 2))
          (then (i32.store8 (i32.const 1040) (i32.add (i32.load8_u (i32.const 1040)) (i32.const 1)))))
        (i32.const 0))`) });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await host.chain([writer]).send({ request: { headers: [] } }));
    expect(results.map((r) => s(r.filterState["wasm.k"]))).toEqual(["abc", "abc", "bbc", "cbc"]);
  });
  test("set_property in a root context is NotFound (no stream info)", async () => {
    const host = new ProxyWasmHost();
    await host.loadPlugin({ module: await mod(`${VM_OK.replace('(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))', "")} ${data(1024, "k")}
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (call $log_num (call $set_property ${arg(1024, "k")} ${arg(1024, "k")})) (i32.const 1))`) });
    expect(host.logs.map((l) => l.message)).toEqual(["1"]);
  });
});

describe("response attributes in on_log", () => {
  test("response.code, code_details via_upstream, total_size counts headers and body", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "response\u0000code")} ${data(1040, "response\u0000code_details")} ${data(1080, "response\u0000total_size")}
      (func (export "proxy_on_log") (param i32)
        (drop (call $get_property ${arg(1024, "response\u0000code")} (i32.const 0) (i32.const 4))) (call $log_num (i32.load (i32.load (i32.const 0))))
        (drop (call $get_property ${arg(1040, "response\u0000code_details")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (drop (call $get_property ${arg(1080, "response\u0000total_size")} (i32.const 0) (i32.const 4))) (call $log_num (i32.load (i32.load (i32.const 0)))))`) });
    const r = await host.chain([p]).send({ request: { headers: [] }, upstream: { status: 202, headers: [["a", "bb"]], body: "12345" } });
    expect(r.logs.map((l) => l.message)).toEqual(["202", "via_upstream", String(":status".length + 3 + 1 + 2 + 5)]);
  });
});

describe("response.grpc_status (Envoy's Grpc::Common::getGrpcStatus)", () => {
  // Regression (robustness fuzz): a non-numeric grpc-status made the host throw
  // "NaN cannot be converted to a BigInt" inside proxy_get_property, failing the VM.
  const status = async (headers: [string, string][], trailers?: [string, string][]) => {
    const { r, v } = await read(["response\u0000grpc_status"], { at: "log", upstream: { status: 200, headers, trailers } });
    expect(r.response.status).toBe(200);
    return i64(v(0));
  };
  test("trailers first, then headers, then the HTTP status mapped; not a number or above 16 is InvalidCode (-1)", async () => {
    expect(await status([["grpc-status", "7"]])).toBe(7n);
    expect(await status([["grpc-status", "3"]], [["grpc-status", "5"]])).toBe(5n);
    expect(await status([["grpc-status", "3"]], [["grpc-status", ""]])).toBe(3n);
    expect(await status([["grpc-status", ",{_fwj=1i->+x1Z"]])).toBe(-1n);
    expect(await status([["grpc-status", "-1"]])).toBe(-1n);
    expect(await status([["grpc-status", "17"]])).toBe(-1n);
    expect(await status([["grpc-status", "99999999999999999999999"]])).toBe(-1n);
    expect(await status([["grpc-status", " 16 "]])).toBe(16n);
    // No grpc-status anywhere: the HTTP status mapped (Grpc::Utility::httpToGrpcStatus), 200 is Unknown (seen in Envoy 1.40.0).
    expect(await status([])).toBe(2n);
  });
});
