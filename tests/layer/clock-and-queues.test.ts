// The layer's helpers a filter author reaches for, run in the host: the host
// clock (get_current_time_nanoseconds), the root context's timer
// (set_tick_period_milliseconds + onTick) and shared queues (register,
// resolve from another VM, enqueue, dequeue on onQueueReady).
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ProxyWasmHost } from "../../host/index.ts";
import { compileDebug, compileRelease } from "../../scripts/lib/compile-filter.ts";
import { inspectAbiSurface } from "../../scripts/lib/abi-surface.ts";
import { PACKAGE_ROOT } from "../../scripts/lib/project.ts";

let module: Uint8Array;
const NOW = 1_700_000_000_123_456_789n;

beforeAll(async () => {
  process.chdir(PACKAGE_ROOT);
  module = await compileRelease(path.join("tests", "fixtures", "layer", "clock-and-queue.ts"));
});

const GET = (p: string): [string, string][] => [[":method", "GET"], [":path", p], [":authority", "svc"]];

async function deploy(tickMs: number) {
  const host = new ProxyWasmHost({ now: () => NOW });
  const clock = await host.loadPlugin({ module, name: "clock", rootId: "clock", vmId: "clock-vm", configuration: String(tickMs) });
  const producer = await host.loadPlugin({ module, name: "producer", rootId: "producer", vmId: "producer-vm" });
  return { host, clock, chain: host.chain([producer]) };
}

describe("the layer's clock, timer and shared queues", () => {
  it("imports exactly the ABI 0.2.1 functions for them, which Envoy provides", () => {
    const report = inspectAbiSurface(module, "clock-and-queue");
    expect(report.problems).toEqual([]);
  });

  it("get_current_time_nanoseconds reads the host's clock, to the nanosecond", async () => {
    const { chain } = await deploy(0);
    const r = await chain.send({ request: { headers: GET("/") }, upstream: { status: 200 } });
    expect(r.response.headers).toContainEqual(["x-now-ns", String(NOW)]);
  });

  it("set_tick_period_milliseconds makes onTick run every period, seeing the time move", async () => {
    const { host } = await deploy(100);
    expect(host.metrics.value("clock_ticks")).toBe(0);
    host.advanceTime(350);
    expect(host.metrics.value("clock_ticks")).toBe(3);
    // The last tick fired exactly 300 ms after configure time: the caller's clock drives the
    // monotonic one, so no real time slips in between, and the clock moved to each tick's due time.
    const lastTickMs = host.metrics.value("clock_last_tick_ms")!;
    expect(lastTickMs - Number(NOW / 1_000_000n)).toBe(300);
    await host.settle();
    // Each tick enqueued into the queue its root context owns, and onQueueReady dequeued it.
    expect(host.metrics.value("clock_jobs_dequeued")).toBe(3);
  });

  it("a queue registered by one VM is resolved by name from another, and its owner dequeues every item", async () => {
    const { host, chain } = await deploy(0);
    for (const p of ["/a", "/b", "/c"]) {
      const r = await chain.send({ request: { headers: GET(p) }, upstream: { status: 200 } });
      expect(r.upstreamRequest!.headers).toContainEqual(["x-enqueue-result", "0"]); // Ok
    }
    await host.settle();
    expect(host.metrics.value("clock_jobs_dequeued")).toBe(3);
    const lines = host.logs.filter((l) => l.plugin === "clock").map((l) => l.message);
    expect(lines).toEqual(["dequeued /a", "dequeued /b", "dequeued /c"]);
  });

  it("the debug build (assertions on) runs the same, without a reference-counting abort", async () => {
    const debug = await compileDebug(path.join("tests", "fixtures", "layer", "clock-and-queue.ts"));
    const host = new ProxyWasmHost({ now: () => NOW });
    const clock = await host.loadPlugin({ module: debug, name: "clock", rootId: "clock", vmId: "clock-vm", configuration: "50" });
    const producer = await host.loadPlugin({ module: debug, name: "producer", rootId: "producer", vmId: "producer-vm" });
    await host.chain([producer]).send({ request: { headers: GET("/x") }, upstream: { status: 200 } });
    host.advanceTime(120);
    await host.settle();
    expect(host.metrics.value("clock_ticks")).toBe(2);
    expect(host.metrics.value("clock_jobs_dequeued")).toBe(3);
    expect([...clock.traps, ...producer.traps]).toEqual([]);
  });

  it("resolving a queue nobody registered answers NotFound, not a trap", async () => {
    const host = new ProxyWasmHost();
    const producer = await host.loadPlugin({ module, name: "producer", rootId: "producer", vmId: "producer-vm" });
    const r = await host.chain([producer]).send({ request: { headers: GET("/") }, upstream: { status: 200 } });
    expect(r.upstreamRequest!.headers).toContainEqual(["x-enqueue-result", "1"]); // NotFound
    expect(producer.traps).toEqual([]);
  });
});
