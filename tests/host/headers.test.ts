// Header map functions with Envoy's semantics: lower-cased names, pseudo-headers, first value
// only, NotFound for a missing key, pairs serialization, byteSize, and when maps are reachable.
import { describe, expect, test } from "vitest";
import { ProxyWasmHost, encodePairs, decodePairs } from "../../host/index.ts";
import { arg, data, messages, mod, VM_OK } from "./wat.ts";
import { HeaderMap } from "../../host/headers.ts";

async function run(body: string, headers: [string, string][] = [], upstream = {}) {
  const host = new ProxyWasmHost();
  const p = await host.loadPlugin({ module: await mod(VM_OK + body) });
  return host.chain([p]).send({ request: { headers }, upstream });
}

describe("pairs encoding (cpp-host pairs_util)", () => {
  test("count, sizes, then NUL-terminated keys and values, little-endian", () => {
    const b = encodePairs([["a", "bc"], [":p", ""]]);
    expect([...b]).toEqual([2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 97, 0, 98, 99, 0, 58, 112, 0, 0]);
    expect(decodePairs(b)).toEqual([["a", "bc"], [":p", ""]]);
  });
  test("an empty map is a zero-length buffer", () => {
    expect(encodePairs([]).length).toBe(0);
    expect(decodePairs(new Uint8Array(0))).toEqual([]);
  });
  test("truncated input is rejected", () => {
    expect(decodePairs(encodePairs([["a", "b"]]).subarray(0, 10))).toBeNull();
  });
});

describe("a map's pairs form (what proxy_get_header_map_pairs returns)", () => {
  const pairsOf = (m: HeaderMap) => decodePairs(m.encodedPairs());

  test("follows every change, and is encoded once while nothing changes", () => {
    const m = HeaderMap.from([[":path", "/"], ["a", "1"]]);
    const first = m.encodedPairs();
    expect(m.encodedPairs()).toBe(first);
    m.add("b", "2");
    expect(pairsOf(m)).toEqual([[":path", "/"], ["a", "1"], ["b", "2"]]);
    m.replace("a", "x");
    m.remove(":path");
    expect(pairsOf(m)).toEqual([["a", "x"], ["b", "2"]]);
    m.setAll([["c", "3"]]);
    expect(pairsOf(m)).toEqual([["c", "3"]]);
  });

  test("restored from a snapshot, it is the snapshot's, encoded once across restores; a change after a restore is seen", () => {
    const snapshot: [string, string][] = [[":path", "/"], ["x-api-key", "k"]];
    const m = new HeaderMap();
    m.restore(snapshot);
    const first = m.encodedPairs();
    expect(decodePairs(first)).toEqual(snapshot);
    m.add("x-auth-principal", "alice");
    expect(pairsOf(m)).toEqual([...snapshot, ["x-auth-principal", "alice"]]);
    m.restore(snapshot);
    expect(m.encodedPairs()).toBe(first);
    m.remove("x-api-key");
    expect(pairsOf(m)).toEqual([[":path", "/"]]);
    m.restore([["other", "1"]]);
    expect(pairsOf(m)).toEqual([["other", "1"]]);
  });
});

describe("request headers", () => {
  test("get returns the first value; a missing key is NotFound (1); names match case-insensitively", async () => {
    const r = await run(`${data(1024, "X-Multi")} ${data(1040, "absent")} ${data(1060, ":method")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $get_header (i32.const 0) ${arg(1024, "X-Multi")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (call $log_num (call $get_header (i32.const 0) ${arg(1040, "absent")} (i32.const 0) (i32.const 4)))
        (call $log_num (call $get_header (i32.const 0) ${arg(1060, ":method")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (i32.const 0))`, [["X-Multi", "one"], ["x-multi", "two"], [":method", "POST"]]);
    expect(messages(r.logs)).toEqual(["0", "one", "1", "0", "POST"]);
  });

  test("the callback gets the entry count; pairs carry pseudo-headers first, names lower-cased", async () => {
    const r = await run(`
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (local.get 1)) (call $log_num (local.get 2))
        (drop (call $get_pairs (i32.const 0) (i32.const 0) (i32.const 4)))
        (drop (call $set_property ${arg(1024, "pairs")} (i32.load (i32.const 0)) (i32.load (i32.const 4))))
        (i32.const 0)) ${data(1024, "pairs")}`, [["User-Agent", "t"], [":path", "/x"], ["host", "h.example"]]);
    expect(messages(r.logs)).toEqual(["5", "1"]);
    expect(decodePairs(r.filterState["wasm.pairs"]!)).toEqual([[":path", "/x"], [":authority", "h.example"], [":method", "GET"], [":scheme", "http"], ["user-agent", "t"]]);
  });

  test("names are lower-cased in ASCII only, as Envoy's LowerCaseString (a Unicode fold would merge distinct names)", async () => {
    // U+212A KELVIN SIGN lower-cases to ASCII "k" in Unicode; Envoy keeps it, so "\u212Aey" is not "key".
    const kelvin = "\u212Aey";
    const r = await run(`${data(1024, kelvin)} ${data(1040, "kelvin")} ${data(1060, "X-\u00C4")} ${data(1080, "v")} ${data(1100, "KEY")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $add_header (i32.const 0) ${arg(1024, kelvin)} ${arg(1040, "kelvin")}))
        (drop (call $add_header (i32.const 0) ${arg(1060, "X-\u00C4")} ${arg(1080, "v")}))
        (call $log_num (call $get_header (i32.const 0) ${arg(1100, "KEY")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (i32.const 0))`, [["key", "real"]]);
    expect(messages(r.logs)).toEqual(["0", "real"]);
    expect(r.upstreamRequest!.headers.filter(([k]) => !k.startsWith(":"))).toEqual([["key", "real"], [kelvin, "kelvin"], ["x-\u00C4", "v"]]);
  });

  test("add appends, replace sets the first occurrence, remove drops all; the upstream sees the result", async () => {
    const r = await run(`${data(1024, "X-A")} ${data(1040, "v2")} ${data(1060, "x-b")} ${data(1080, "new")} ${data(1100, "x-c")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $add_header (i32.const 0) ${arg(1024, "X-A")} ${arg(1040, "v2")}))
        (drop (call $replace_header (i32.const 0) ${arg(1060, "x-b")} ${arg(1080, "new")}))
        (drop (call $remove_header (i32.const 0) ${arg(1100, "x-c")}))
        (i32.const 0))`, [["x-a", "v1"], ["x-b", "1"], ["x-b", "2"], ["x-c", "1"], ["x-c", "2"]]);
    expect(r.upstreamRequest!.headers.filter(([k]) => !k.startsWith(":"))).toEqual([["x-a", "v1"], ["x-b", "new"], ["x-b", "2"], ["x-a", "v2"]]);
    expect(r.routeCacheCleared).toBe(true);
  });

  test("set pairs replaces the whole map; size is Envoy's byteSize (sum of name and value lengths)", async () => {
    const pairs = encodePairs([[":path", "/p"], ["k", "vv"]]);
    const hex = [...pairs].map((b) => "\\" + b.toString(16).padStart(2, "0")).join("");
    const r = await run(`(data (i32.const 2048) "${hex}")
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $set_pairs (i32.const 0) (i32.const 2048) (i32.const ${pairs.length})))
        (call $log_num (call $get_map_size (i32.const 0) (i32.const 16))) (call $log_num (i32.load (i32.const 16)))
        (call $log_num (call $set_pairs (i32.const 0) (i32.const 2048) (i32.const 7)))
        (i32.const 0))`, [["a", "b"]]);
    expect(messages(r.logs)).toEqual(["0", "0", String(":path".length + 2 + 1 + 2), "2"]);
    expect(r.upstreamRequest!.headers).toEqual([[":path", "/p"], ["k", "vv"]]);
  });

  test("request headers are reachable only while Envoy holds them: not in on_response_headers (BadArgument)", async () => {
    const r = await run(`${data(1024, ":path")}
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $get_header (i32.const 0) ${arg(1024, ":path")} (i32.const 0) (i32.const 4)))
        (call $log_num (call $get_header (i32.const 1) ${arg(1024, ":path")} (i32.const 0) (i32.const 4)))
        (i32.const 0))`);
    // Request headers and (absent) request trailers are both BadArgument here.
    expect(messages(r.logs)).toEqual(["2", "2"]);
  });

  test("response headers carry :status; on_log can read request and response headers", async () => {
    const r = await run(`${data(1024, ":status")} ${data(1040, ":path")}
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $get_header (i32.const 2) ${arg(1024, ":status")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (i32.const 0))
      (func (export "proxy_on_log") (param i32)
        (call $log_num (call $get_header (i32.const 0) ${arg(1040, ":path")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (call $log_num (call $get_header (i32.const 2) ${arg(1024, ":status")} (i32.const 0) (i32.const 4))) (call $log_ret))`,
    [[":path", "/here"]], { status: 404 });
    expect(messages(r.logs)).toEqual(["0", "404", "0", "/here", "0", "404"]);
  });

  test("trailers: on_request_trailers gets the count and can edit them", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "t2")} ${data(1040, "v")}
      (func (export "proxy_on_request_trailers") (param i32 i32) (result i32)
        (call $log_num (local.get 1))
        (drop (call $add_header (i32.const 1) ${arg(1024, "t2")} ${arg(1040, "v")}))
        (i32.const 0))`) });
    const r = await host.chain([p]).send({ request: { headers: [], body: "b", trailers: [["t1", "x"]] } });
    expect(messages(r.logs)).toEqual(["1"]);
    expect(r.upstreamRequest!.trailers).toEqual([["t1", "x"], ["t2", "v"]]);
  });
});
