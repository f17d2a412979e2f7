// Configure time against configuration size: parsing and validating a plugin
// configuration must stay linear (issue 18 finding 9: a quadratic pass turned a
// 20,000-entry configuration into minutes of a blocked main thread). Each filter
// is configured at 1x and 10x entries, the two sizes taken in turns, and the
// ratio of the fastest times is judged within the run: 10 is linear, 100
// quadratic, the target allows 30. A timed unit test would fail on a busy
// machine; a ratio within one run does not move with the load.
import { PluginLoadError, ProxyWasmHost } from "../../host/index.ts";
import type { TargetCheck } from "./targets.ts";

/** Its name for `bench --case`. */
export const SCALING_CASE = "configure-scaling";
export const SCALING_ENTRIES = 2_000;
export const SCALING_FACTOR = 10;
/** Linear is 10x, quadratic 100x; 30x leaves room for the allocator and GC. */
export const MAX_TIME_RATIO = 30;

export interface ScalingCase {
  filter: string;
  rootId: string;
  /** What grows (for the table and the target's text). */
  entries: string;
  configuration: (n: number) => string;
  /** true: the configuration is rejected on purpose (the validating pass is what is timed). */
  rejected: boolean;
}

/** Only the filters of ours whose configuration holds lists (build/filters.json names). */
export const SCALING_CASES: ScalingCase[] = [
  {
    filter: "header-auth", rootId: "header_auth", entries: "credentials", rejected: false,
    configuration: (n) => JSON.stringify({
      credentials: Array.from({ length: n }, (_, i) => ({ principal: `p${i}`, key: `key-${i}`, methods: ["GET"], path_prefixes: [`/t${i}/`] })),
    }),
  },
  {
    // Rejected (20,000 unknown tags_to_remove names, more than 16 dimensions), but only
    // after every entry has been read and checked against the others.
    filter: "stats", rootId: "stats", entries: "dimensions and tags_to_remove", rejected: true,
    configuration: (n) => JSON.stringify({
      metrics: [{
        dimensions: Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}`, `request.headers['x-d${i}']`])),
        tags_to_remove: Array.from({ length: n }, (_, i) => `t${i}`),
      }],
    }),
  },
];

export interface ScalingResult {
  filter: string;
  entries: string;
  smallEntries: number;
  largeEntries: number;
  /** The fastest of the runs at each size. */
  smallMs: number;
  largeMs: number;
  ratio: number;
  runs: number;
}

async function configureMs(module: Uint8Array, c: ScalingCase, text: string): Promise<number> {
  const host = new ProxyWasmHost({ logLevel: "critical", retainLogs: false });
  const t0 = process.hrtime.bigint();
  try {
    await host.loadPlugin({ module, rootId: c.rootId, configuration: text });
    if (c.rejected) throw new Error(`${c.filter}: the ${c.entries} configuration was accepted; the bench expects it rejected`);
  } catch (e) {
    if (!c.rejected || !(e instanceof PluginLoadError)) throw e;
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function measureConfigureScaling(modules: Map<string, Uint8Array>, runs: number, progress?: (line: string) => void): Promise<ScalingResult[]> {
  const out: ScalingResult[] = [];
  for (const c of SCALING_CASES) {
    const module = modules.get(c.filter);
    if (!module) continue;
    const small = c.configuration(SCALING_ENTRIES);
    const large = c.configuration(SCALING_ENTRIES * SCALING_FACTOR);
    progress?.(`configure scaling: ${c.filter} at ${SCALING_ENTRIES} and ${SCALING_ENTRIES * SCALING_FACTOR} ${c.entries}`);
    let smallMs = Infinity;
    let largeMs = Infinity;
    await configureMs(module, c, small); // compile caches, JIT
    for (let r = 0; r < runs; r++) {
      smallMs = Math.min(smallMs, await configureMs(module, c, small));
      largeMs = Math.min(largeMs, await configureMs(module, c, large));
    }
    out.push({
      filter: c.filter, entries: c.entries, smallEntries: SCALING_ENTRIES, largeEntries: SCALING_ENTRIES * SCALING_FACTOR,
      smallMs: round(smallMs), largeMs: round(largeMs), ratio: round(largeMs / smallMs), runs,
    });
  }
  return out;
}

export function checkScalingTargets(results: ScalingResult[]): TargetCheck[] {
  return results.map((r) => ({
    target: `${r.filter} configure time at ${SCALING_FACTOR}x ${r.entries} at most ${MAX_TIME_RATIO}x the time at 1x (linear: ${SCALING_FACTOR}x)`,
    met: r.ratio <= MAX_TIME_RATIO,
    detail: `${r.smallEntries}: ${r.smallMs} ms, ${r.largeEntries}: ${r.largeMs} ms, ${r.ratio}x`,
  }));
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
