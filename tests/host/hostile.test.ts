// Hostile modules are contained: a trap fails that plugin's VM (503 wasm_fail_stream when fail
// closed, skipped when fail open), bad pointers get InvalidMemoryAccess, runaway growth hits the
// memory cap; each is reported, and other plugins keep serving.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ProxyWasmHost } from "../../host/index.ts";
import { wat, messages } from "./wat.ts";

const HOSTILE = wat(readFileSync(path.join(import.meta.dirname, "../fixtures/host/hostile.wat"), "utf8"));
const FLOOR = wat(readFileSync(path.join(import.meta.dirname, "../fixtures/host/floor.wat"), "utf8"));

describe("a trapping module", () => {
  test("fail closed (default): the request gets Envoy's 503 wasm_fail_stream, and so do later ones; other plugins serve", async () => {
    const host = new ProxyWasmHost();
    const bad = await host.loadPlugin({ module: await HOSTILE, configuration: "t", name: "bad" });
    const good = await host.loadPlugin({ module: await FLOOR, name: "good" });
    const c = host.chain([good, bad]);
    const r1 = await c.send({ request: { headers: [] } });
    expect(r1.response).toMatchObject({ status: 503, local: true, details: "wasm_fail_stream" });
    expect(r1.response.body.length).toBe(0);
    expect(r1.upstreamRequest).toBeNull();
    expect(bad.failed).toBe(true);
    expect(bad.traps).toHaveLength(1);
    expect(bad.traps[0]).toMatchObject({ plugin: "bad", worker: 0, callback: "proxy_on_request_headers" });
    expect(bad.traps[0]!.message).toMatch(/Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/);
    const r2 = await c.send({ request: { headers: [] } });
    expect(r2.response).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(bad.traps).toHaveLength(1); // the failed VM is not called again
    // The healthy plugin keeps serving on its own chain.
    const r3 = await host.chain([good]).send({ request: { headers: [] }, upstream: { status: 204 } });
    expect(r3.response.status).toBe(204);
    expect(good.failed).toBe(false);
  });

  test("fail open: the stream that trapped still fails (as in Envoy 1.40); later ones skip the failed plugin and reach the upstream", async () => {
    const host = new ProxyWasmHost();
    const bad = await host.loadPlugin({ module: await HOSTILE, configuration: "t", failOpen: true });
    const c = host.chain([bad]);
    const r1 = await c.send({ request: { headers: [] } });
    expect(r1.response).toMatchObject({ status: 503, local: true, details: "wasm_fail_stream" });
    expect(r1.upstreamRequest).toBeNull();
    const r2 = await c.send({ request: { headers: [] } });
    expect(r2.response).toMatchObject({ status: 200, local: false });
    expect(r2.upstreamRequest).not.toBeNull();
  });

  test("a failure is per worker VM: the other worker keeps serving until it fails too", async () => {
    const host = new ProxyWasmHost({ workers: 2 });
    const bad = await host.loadPlugin({ module: await HOSTILE, configuration: "t" });
    await host.chain([bad]).send({ request: { headers: [] } });
    expect(bad.failedWorkers()).toEqual([0]);
  });
});

describe("garbage pointers", () => {
  test("out-of-bounds pointers get InvalidMemoryAccess (6) and the module keeps running", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await HOSTILE, configuration: "p" });
    const r = await host.chain([p]).send({ request: { headers: [[":path", "/x"]] } });
    expect(messages(r.logs)).toEqual(["06", "06", "06"]);
    expect(r.response.status).toBe(200);
    expect(p.failed).toBe(false);
  });

  test("a malloc that returns a pointer outside memory makes the returning call InvalidMemoryAccess", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await HOSTILE, configuration: "m" });
    const r = await host.chain([p]).send({ request: { headers: [[":path", "/x"]] } });
    expect(messages(r.logs)).toEqual(["06"]);
    expect(p.failed).toBe(false);
  });
});

describe("unbounded allocation", () => {
  test("memory growth stops at the cap; the resulting trap is reported with the cap; other plugins serve", async () => {
    const host = new ProxyWasmHost({ maxMemoryPages: 64 });
    const p = await host.loadPlugin({ module: await HOSTILE, configuration: "g", name: "hog" });
    const good = await host.loadPlugin({ module: await FLOOR });
    const r = await host.chain([p]).send({ request: { headers: [] } });
    expect(r.response).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(p.memoryPages()).toBe(64);
    expect(p.traps[0]!.message).toContain("memory at its cap of 64 pages");
    expect((await host.chain([good]).send({ request: { headers: [] } })).response.status).toBe(200);
  });
});
