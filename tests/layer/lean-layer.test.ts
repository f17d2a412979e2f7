// The lean layer (assembly/): dispatch by root id, proxy-runtime's API served
// correctly, no per-request host calls or log strings, no leak.
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ProxyWasmHost, PluginLoadError, FastDriver } from "../../host/index.ts";
import { compileRelease, compileStock } from "../../scripts/lib/compile-filter.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";

const fixture = (name: string) => path.join(PROJECT_ROOT, "tests/fixtures", name);
let twoRoots: Uint8Array;
let noopLean: Uint8Array;
let noopStock: Uint8Array;
let helpersInFilter: Uint8Array;

beforeAll(async () => {
  process.chdir(PROJECT_ROOT);
  [twoRoots, noopLean, noopStock, helpersInFilter] = await Promise.all([
    compileRelease(path.relative(PROJECT_ROOT, fixture("layer/two-roots.ts"))),
    compileRelease(path.relative(PROJECT_ROOT, fixture("bench/noop-lean.ts"))),
    compileStock(path.relative(PROJECT_ROOT, fixture("bench/noop-stock.ts"))),
    compileRelease(path.relative(PROJECT_ROOT, fixture("layer/helpers-in-filter.ts"))),
  ]);
});

const GET = (p: string): [string, string][] => [[":method", "GET"], [":path", p], [":authority", "svc"], [":scheme", "http"]];
const header = (list: [string, string][], name: string) => list.filter(([k]) => k === name).map(([, v]) => v);

describe("root context dispatch", () => {
  it.each([["", "first"], ["first", "first"], ["second", "second"]])("root id %j selects %s", async (rootId, expected) => {
    const host = new ProxyWasmHost();
    const plugin = await host.loadPlugin({ module: twoRoots, rootId });
    const { response } = await host.chain([plugin]).send({ request: { headers: GET("/") }, upstream: { status: 200 } });
    expect(header(response.headers, "x-root")).toEqual([expected]);
  });

  it("rejects a root id the module does not register, saying which it does", async () => {
    const host = new ProxyWasmHost();
    const err = await host.loadPlugin({ module: twoRoots, rootId: "third" }).catch((e) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect((err as PluginLoadError).logs.map((l) => l.message)).toContain(
      "no root context registered for root id 'third'; this module registers: first, second");
  });

  it("lets onConfigure reject a configuration", async () => {
    const host = new ProxyWasmHost();
    const err = await host.loadPlugin({ module: twoRoots, rootId: "second", configuration: "reject" }).catch((e) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect(String(err)).toMatch(/configuration rejected on purpose/);
  });

  it("keeps both root contexts of one module apart in one chain", async () => {
    const host = new ProxyWasmHost();
    const a = await host.loadPlugin({ module: twoRoots, rootId: "first", vmId: "shared" });
    const b = await host.loadPlugin({ module: twoRoots, rootId: "second", vmId: "shared" });
    const { response } = await host.chain([a, b]).send({ request: { headers: GET("/") }, upstream: { status: 200 } });
    // Responses run through the chain in reverse: second adds first.
    expect(header(response.headers, "x-root")).toEqual(["second", "first"]);
  });
});

describe("proxy-runtime API through the layer", () => {
  it("modifies request headers, sets filter state, survives a missing property", async () => {
    const host = new ProxyWasmHost();
    const plugin = await host.loadPlugin({ module: twoRoots, rootId: "first" });
    const r = await host.chain([plugin]).send({ request: { headers: GET("/hello") }, upstream: { status: 200 } });
    expect(header(r.upstreamRequest!.headers, "x-root")).toEqual(["first"]);
    expect(header(r.upstreamRequest!.headers, "x-unexpected")).toEqual([]);
    expect(new TextDecoder().decode(r.filterState["wasm.layer_seen"])).toBe("/hello");
    expect(plugin.traps).toEqual([]);
  });

  it("sends a local reply with details and headers; the upstream never sees the request", async () => {
    const host = new ProxyWasmHost();
    const plugin = await host.loadPlugin({ module: twoRoots, rootId: "first" });
    const r = await host.chain([plugin]).send({ request: { headers: GET("/deny") }, upstream: { status: 200 } });
    expect(r.upstreamRequest).toBeNull();
    expect(r.response).toMatchObject({ status: 403, local: true, details: "layer_test_denied" });
    expect(new TextDecoder().decode(r.response.body)).toBe("denied by test");
    expect(header(r.response.headers, "x-why")).toEqual(["test"]);
    // Envoy runs the reply through the encoder path of the plugin that sent it.
    expect(header(r.response.headers, "x-root")).toEqual(["first"]);
  });

  it("replaces a buffered response body (proxy-runtime's binding could not)", async () => {
    const host = new ProxyWasmHost();
    const plugin = await host.loadPlugin({ module: twoRoots, rootId: "first" });
    const r = await host.chain([plugin]).send({
      request: { headers: GET("/replace") },
      upstream: { status: 200, headers: [["content-type", "text/plain"]], body: ["original ", "body"] },
    });
    expect(new TextDecoder().decode(r.response.body)).toBe("replaced body");
  });

  it("counts with a metric defined once", async () => {
    const host = new ProxyWasmHost();
    const plugin = await host.loadPlugin({ module: twoRoots, rootId: "first" });
    const chain = host.chain([plugin]);
    for (let i = 0; i < 3; i++) await chain.send({ request: { headers: GET("/") }, upstream: { status: 200 } });
    expect(host.metrics.value("layer_test.requests")).toBe(3);
  });

  it("builds and sends a debug line only when the host's level asks for it", async () => {
    for (const [logLevel, expected] of [["info", 0], ["debug", 1]] as const) {
      const host = new ProxyWasmHost({ logLevel });
      const plugin = await host.loadPlugin({ module: twoRoots, rootId: "first" });
      const r = await host.chain([plugin]).send({ request: { headers: GET("/") }, upstream: { status: 200 } });
      expect(r.logs.filter((l) => l.message.startsWith("response for context")).length).toBe(expected);
    }
  });
});

describe("shared helpers inside a filter build", () => {
  it("initializes the helpers' tables (base64, SHA-256, hex) in a release filter module", async () => {
    const host = new ProxyWasmHost();
    const plugin = await host.loadPlugin({ module: helpersInFilter });
    const { response } = await host.chain([plugin]).send({ request: { headers: GET("/") }, upstream: { status: 200 } });
    expect(header(response.headers, "x-base64")).toEqual(["bWVzaA=="]);
    expect(header(response.headers, "x-base64-decoded")).toEqual(["mesh"]);
    expect(header(response.headers, "x-base64-invalid")).toEqual(["rejected"]);
    expect(header(response.headers, "x-sha256")).toEqual(["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]);
    expect(plugin.traps).toEqual([]);
  });
});

describe("per-request cost", () => {
  // Drives the exports directly with imports that count calls: the layer
  // itself must make none on a stream of a filter that asks for nothing.
  async function countHostCalls(bytes: Uint8Array, requests: number) {
    let calls = 0;
    let exports: Record<string, any> = {};
    const rootId = new TextEncoder().encode("noop");
    const env = new Proxy({}, {
      get: (_t, name: string) => (...args: number[]) => {
        calls++;
        if (name === "proxy_get_property") {
          const ptr = exports.malloc(rootId.length);
          new Uint8Array(exports.memory.buffer).set(rootId, ptr);
          const view = new DataView(exports.memory.buffer);
          view.setUint32(args[2], ptr, true);
          view.setUint32(args[3], rootId.length, true);
        }
        if (name === "proxy_get_log_level") new DataView(exports.memory.buffer).setUint32(args[0], 2, true);
        return 0;
      },
    });
    const { instance } = (await WebAssembly.instantiate(bytes, { env, wasi_unstable: { proc_exit() {} } })) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
    exports = instance.exports as Record<string, any>;
    exports.proxy_on_context_create(1, 0);
    exports.proxy_on_vm_start(1, 0);
    exports.proxy_on_configure(1, 0);
    const before = calls;
    const pagesBefore = exports.memory.buffer.byteLength / 65536;
    for (let id = 2; id < 2 + requests; id++) {
      exports.proxy_on_context_create(id, 1);
      exports.proxy_on_request_headers(id, 4, 1);
      exports.proxy_on_response_headers(id, 2, 1);
      exports.proxy_on_log(id);
      exports.proxy_on_done(id);
      exports.proxy_on_delete(id);
    }
    return { callsPerRequest: (calls - before) / requests, pagesBefore, pagesAfter: exports.memory.buffer.byteLength / 65536 };
  }

  it("makes no host call and keeps memory flat for a do-nothing filter", async () => {
    const lean = await countHostCalls(noopLean, 200_000);
    expect(lean.callsPerRequest).toBe(0);
    expect(lean.pagesAfter).toBe(lean.pagesBefore);
  });

  it("is measured against proxy-runtime's stock entry points, which call the host on every callback", async () => {
    const stock = await countHostCalls(noopStock, 2_000);
    expect(stock.callsPerRequest).toBeGreaterThan(5);
  });

  it("keeps memory flat through the host's fast path", async () => {
    const host = new ProxyWasmHost();
    const plugin = await host.loadPlugin({ module: twoRoots, rootId: "first" });
    const driver = new FastDriver(host.chain([plugin]), { requestHeaders: GET("/fast"), response: { status: 200 } });
    driver.run(10_000);
    const warm = plugin.memoryPages();
    driver.run(200_000);
    expect(plugin.memoryPages() - warm).toBeLessThanOrEqual(1);
  });
});
