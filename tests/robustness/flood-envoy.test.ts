// The memory floods of flood-scenarios.ts in real Envoy (issue 18, "Done when"): every scenario,
// so every filter of the project, through createEngine("envoy") beside a do-nothing baseline
// Envoy (flood-envoy.ts says how the filter's share is told from Envoy's own). A leaking module
// through the same measurement proves it can fail. Envoys are stopped whatever happens.
//
// Stream counts are scaled for CI (2 cores): each scenario gets enough distinct ids, peers and
// hosts to fill the caches it aims at several times over (ENVOY_STREAMS, with why), not the
// host flood's full count. ENVOY_FLOOD_SCALE=<x> multiplies them (e.g. 5 for a longer soak).
import { describe, expect, it } from "vitest";
import { envoySuite, stopEnvoysAfterEach } from "../envoy/helpers.ts";
import { FLOOD_SCENARIOS, MEMORY_BOUNDS, type FloodScenario } from "./flood-scenarios.ts";
import { describeRun, fixtureModule, floodViolations, runEnvoyFlood, type EnvoyFloodOptions } from "./flood-envoy.ts";
import { discoverFilters, PACKAGE_ROOT } from "../../scripts/lib/project.ts";

const SCALE = Number(process.env.ENVOY_FLOOD_SCALE ?? 1);

/**
 * Streams per scenario in Envoy, for a CI budget of about three minutes. What each must overrun
 * is a byte budget of the filter's caches (README "Robustness"), and every count here overruns it
 * several times: stats' peer and peer-id caches (4 MiB together) are full after ~500 8 KB ids
 * (peer-id flood) or ~250 whole peers of 16 KB with id (peer flood, overrun twice); metadata-exchange's peer cache
 * (4 MiB) after ~250 entries of 16 KB; stats' series-key cache (4 MiB) after ~90 keys of 48 KiB
 * (dimension flood) or ~200 of 4–48 KiB hosts (authority flood). Series are what Envoy itself
 * pays dearly for: each new one costs it 30–110 ms of tag extraction over its long name, so the
 * series-creating floods get fewer streams, and the series flood stops short of max_series
 * (10,000; the host flood reaches it; ENVOY_FLOOD_SCALE=21 does here).
 */
const ENVOY_STREAMS: Record<string, number> = {
  "stats-peer-id-flood": 1_500,
  "stats-peer-flood": 500,
  "stats-authority-flood": 800,
  "stats-series-flood": 500,
  "stats-dimension-flood": 300,
  "metadata-exchange-cache-flood": 1_500,
  "header-auth-flood": 1_500,
  "add-header-flood": 1_500,
};
const DEFAULT_STREAMS = 1_500;
/** Streams before the reference sample: the VMs, connections and Envoy's buffers warmed up. */
const WARMUP = 100;

function options(s: FloodScenario): EnvoyFloodOptions {
  const streams = Math.max(WARMUP + 50, Math.min(s.streams, Math.round((ENVOY_STREAMS[s.name] ?? DEFAULT_STREAMS) * SCALE)));
  return { streams, warmup: WARMUP, sampleEvery: Math.max(50, Math.floor(streams / 10)), hostEvery: 25 };
}

/** max_series of a scenario's stats plugin (its default when the configuration leaves it out). */
function maxSeries(s: FloodScenario): number | undefined {
  const stats = s.plugins.find((p) => p.filter === "stats");
  if (!stats) return undefined;
  return Number(stats.configuration.max_series ?? 10_000);
}

describe("memory floods in Envoy cover every filter", () => {
  it("each filter of this repository has a flood scenario", () => {
    // The scenarios are this repository's (ROBUSTNESS_ROOT's projects are fuzzed and soaked, not flooded).
    const flooded = new Set(FLOOD_SCENARIOS.flatMap((s) => s.plugins.map((p) => p.filter)));
    const filters = discoverFilters(PACKAGE_ROOT).map((f) => f.name);
    expect(filters.filter((f) => !flooded.has(f)), "filters no flood scenario sends traffic through (flood-scenarios.ts)").toEqual([]);
  });
});

envoySuite("memory floods (tests/robustness/flood-scenarios.ts)", () => {
  // runEnvoyFlood stops its Envoys itself; this also stops one whose twin failed to start.
  stopEnvoysAfterEach();

  for (const s of FLOOD_SCENARIOS) {
    it(`${s.name}: VM memory under its bound, Envoy's growth within the filter's allowance`, async () => {
      const run = await runEnvoyFlood(s, options(s));
      console.log(describeRun(run));
      expect(floodViolations(run, maxSeries(s))).toEqual([]);
      // The flood did reach the filters: every plugin's VMs were found and measured.
      expect(run.vmPeaks.length).toBeGreaterThanOrEqual(s.plugins.length);
      expect(run.hostCompared).toBeGreaterThan(0);
    }, 600_000);
  }

  it("a module that keeps 8 KiB per request is caught by the same checks (positive control)", async () => {
    // The add-header flood's streams through a leaking module in add-header's place, held to
    // add-header's bound: 1,500 requests leak ~12 MiB, far over 1 MiB and over the allowance.
    const s = FLOOD_SCENARIOS.find((x) => x.name === "add-header-flood")!;
    const module = await fixtureModule("leak-per-request");
    const run = await runEnvoyFlood(s, {
      ...options(s), hostEvery: 0,
      plugins: [{ name: "leak-per-request", module, vmId: "leak-per-request" }],
      bounds: [{ plugin: "leak-per-request", bytes: MEMORY_BOUNDS["add-header"] }],
    });
    console.log(describeRun(run));
    const violations = floodViolations(run);
    expect(violations.some((v) => /linear memory reached .* over the leak-per-request bound/.test(v)), violations.join("\n")).toBe(true);
    expect(violations.some((v) => /resident memory grew .* over its allowance/.test(v)), violations.join("\n")).toBe(true);
  }, 600_000);
});
