// Runs benchmark cases: loads each case's plugins on a fresh host (timing VM start), drives requests
// through host/'s FastDriver (or the general stream engine when the fast path does not apply),
// runs the cases round robin, and reports each one's median per-request cost of several runs,
// their spread, and memory pages.
import { FastDriver, FastPathDiverged, ProxyWasmHost, type Plugin } from "../../host/index.ts";
import { HeaderMap } from "../../host/headers.ts";
import { NODE, type BenchCase } from "./cases.ts";

export interface BenchResult {
  name: string;
  nsPerRequest: number;
  memoryPagesBefore: number;
  memoryPagesAfter: number;
  moduleBytes: number;
  /** Per-run ns/request, slowest minus fastest, as a share of the median. */
  spreadPercent: number;
  runsNs: number[];
  vmStartMs: number;
  requests: number;
  driver: "fast" | "general";
  outcome: string;
}

function pages(plugins: Plugin[]): number {
  // Plugins sharing a VM count it once.
  const vms = new Set(plugins.map((p) => p.vms[0]!));
  let n = 0;
  for (const vm of vms) n += vm.pages();
  return n;
}

/** A case loaded and ready to run: its plugins on a fresh host, and the driver that runs it. */
export interface PreparedCase {
  case: BenchCase;
  plugins: Plugin[];
  run: (n: number) => void;
  vmStartMs: number;
  driver: BenchResult["driver"];
  outcome: () => string;
}

export async function prepare(c: BenchCase): Promise<PreparedCase> {
  const host = new ProxyWasmHost({ node: NODE, logLevel: "critical", retainLogs: false });
  const t0 = process.hrtime.bigint();
  const plugins: Plugin[] = [];
  for (const p of c.plugins) plugins.push(await host.loadPlugin({ module: p.module, name: p.name, rootId: p.rootId, configuration: p.configuration }));
  const vmStartMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const chain = host.chain(plugins);

  let run: (n: number) => void;
  let driver: BenchResult["driver"] = "fast";
  let outcome = "";
  try {
    const d = new FastDriver(chain, { requestHeaders: c.requestHeaders, response: c.response, properties: c.properties });
    outcome = d.probe.local ? `local ${d.probe.status} ${d.probe.details}` : `upstream ${d.probe.status}`;
    run = (n) => { d.run(n); };
  } catch (e) {
    if (!(e instanceof FastPathDiverged)) throw e;
    driver = "general";
    run = (n) => {
      for (let i = 0; i < n; i++) {
        const s = chain.open({ request: { headers: c.requestHeaders }, properties: c.properties });
        s.start();
        if (s.state === "upstream") s.deliverUpstream(c.response.status, HeaderMap.from(c.response.headers ?? []), [], null);
        if (s.state !== "done") throw new Error(`${c.name}: the stream does not complete synchronously; cannot benchmark it`);
        outcome = s.response!.local ? `local ${s.response!.headers.get(":status")} ${s.response!.details}` : "upstream";
      }
    };
  }
  return { case: c, plugins, run, vmStartMs, driver, outcome: () => outcome };
}

/**
 * Measures prepared cases side by side: each is warmed up, then the runs go round robin (run 1 of
 * every case, then run 2, ...), so a change in machine load during the benchmark touches every
 * case alike and the ratios between cases stay meaningful.
 */
export function measureAll(prepared: PreparedCase[], requests: number, runs: number, progress?: (round: number) => void): BenchResult[] {
  const per = Math.max(1, Math.floor(requests / runs));
  const before: number[] = [];
  for (const p of prepared) {
    // Warm up (JIT, and the module's own caches and pools) before taking the baseline.
    p.run(Math.min(20_000, Math.max(1, Math.floor(requests / 10))));
    before.push(pages(p.plugins));
  }
  const runsNs: number[][] = prepared.map(() => []);
  for (let r = 0; r < runs; r++) {
    progress?.(r);
    prepared.forEach((p, i) => {
      const t = process.hrtime.bigint();
      p.run(per);
      runsNs[i]!.push(Number(process.hrtime.bigint() - t) / per);
    });
  }
  return prepared.map((p, i) => {
    const c = p.case;
    if (p.plugins.some((pl) => pl.failed)) throw new Error(`${c.name}: a plugin failed during the run: ${p.plugins.flatMap((pl) => pl.traps).map((t) => t.message).join("; ")}`);
    const sorted = [...runsNs[i]!].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return {
      name: c.name,
      nsPerRequest: round(median),
      memoryPagesBefore: before[i]!,
      memoryPagesAfter: pages(p.plugins),
      moduleBytes: c.plugins.reduce((a, pl) => a + pl.module.length, 0),
      spreadPercent: round(((sorted[sorted.length - 1]! - sorted[0]!) / median) * 100),
      runsNs: runsNs[i]!.map(round),
      vmStartMs: round(p.vmStartMs),
      requests: per * runs,
      driver: p.driver,
      outcome: p.outcome(),
    };
  });
}

function round(n: number): number { return Math.round(n * 10) / 10; }
