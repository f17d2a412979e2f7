// The benchmark's target verdicts are ratios within one run (no timing here:
// the figures are made up to exercise the judgement).
import { expect, test } from "vitest";
import { checkTargets } from "../../scripts/bench/targets.ts";
import { checkScalingTargets, type ScalingResult } from "../../scripts/bench/configure-scaling.ts";
import type { BenchResult } from "../../scripts/bench/measure.ts";

const result = (name: string, nsPerRequest: number, extra: Partial<BenchResult> = {}): BenchResult => ({
  name, nsPerRequest, memoryPagesBefore: 1, memoryPagesAfter: 1, moduleBytes: 1000, spreadPercent: 1, runsNs: [nsPerRequest],
  vmStartMs: 1, requests: 1, driver: "fast", outcome: "upstream 200", ...extra,
} as BenchResult);

test("judges every target from ratios of the same run", () => {
  const checks = checkTargets([
    result("floor", 100), result("noop-lean", 300), result("noop-stock", 5000),
    result("stats", 4000), result("header-auth-denied", 6000),
    result("metadata-exchange", 1000, { memoryPagesAfter: 3, moduleBytes: 40_000 }),
  ]);
  const verdict = Object.fromEntries(checks.map((c) => [c.target, c.met]));
  expect(verdict).toMatchObject({
    "noop-lean at least 10x cheaper than noop-stock": true,
    "noop-lean within 10x of the floor": true,
    "stats cheaper per request than noop-stock": true,
    "header-auth-denied cheaper per request than noop-stock": false,
    "metadata-exchange memory growth at most 1 page": false,
    "metadata-exchange module under 32 KiB": false,
    "stats module under 32 KiB": true,
  });
});

test("a layer slower than a tenth of the stock entry points misses its target", () => {
  const checks = checkTargets([result("floor", 100), result("noop-lean", 1200), result("noop-stock", 5000)]);
  expect(checks.find((c) => c.target.startsWith("noop-lean at least 10x"))).toMatchObject({ met: false, detail: "4.2x" });
  expect(checks.find((c) => c.target.startsWith("noop-lean within 10x"))).toMatchObject({ met: false, detail: "12.0x the floor" });
});

test("configure scaling: 10x the entries within 30x the time is met (linear 10x), a quadratic 100x is not", () => {
  const r = (filter: string, smallMs: number, largeMs: number): ScalingResult => ({
    filter, entries: "credentials", smallEntries: 2000, largeEntries: 20000, smallMs, largeMs, ratio: largeMs / smallMs, runs: 3,
  });
  const checks = checkScalingTargets([r("header-auth", 100, 1000), r("stats", 10, 1000)]);
  expect(checks.map((c) => [c.target, c.met])).toEqual([
    ["header-auth configure time at 10x credentials at most 30x the time at 1x (linear: 10x)", true],
    ["stats configure time at 10x credentials at most 30x the time at 1x (linear: 10x)", false],
  ]);
  expect(checks[1]!.detail).toBe("2000: 10 ms, 20000: 1000 ms, 100x");
});
