// `mesh-filters bench --engine envoy`: the Envoy cases measured, the targets
// judged, the table or the JSON object printed (docs/contracts.md).
import os from "node:os";
import { envoyVersion } from "../../../engine/envoy/envoy-engine.ts";
import { requireTool } from "../../../tools/locate.ts";
import { toolVersion } from "../../../tools/versions.ts";
import { formatTargets } from "../targets.ts";
import { loadEnvoyCases } from "./cases.ts";
import { CALL_PREFIX, callCosts, callProbeCases, countCalls, estimateNs } from "./explain.ts";
import { runEnvoyBench, type EnvoyCaseResult } from "./measure.ts";
import { checkEnvoyTargets } from "./targets.ts";

export interface EnvoyBenchArgs {
  json: boolean;
  requests: number;
  runs: number;
  connections: number;
  soak: number;
  cases?: string[];
  /** The project whose built filters are measured. */
  root?: string;
  /** Also measure what Envoy charges per Proxy-Wasm crossing and count our cases' crossings (explain.ts). */
  explain?: boolean;
}

export function envoyMachine(version: string): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? "unknown CPU"} x${cpus.length}, ${os.platform()} ${os.arch()}, Envoy ${version} (--concurrency 1)`;
}

const mib = (b: number) => (b / 1048576).toFixed(1);
const loadAverage = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

function table(results: EnvoyCaseResult[]): string {
  const head = ["case", "CPU ns/req", "added ns/req", "spread%", "p50 µs", "p99 µs", "req/s", "RSS MiB", "module bytes", "load ms", "load CPU ms", "outcome"];
  const rows = results.map((r) => [
    r.name, r.cpuNsPerRequest.toFixed(0), r.addedCpuNsPerRequest.toFixed(0), r.spreadPercent.toFixed(1), String(r.p50Us), String(r.p99Us),
    r.rps.toFixed(0), (r.rssBytes / 1048576).toFixed(1), String(r.moduleBytes), r.loadMs.toFixed(0), r.loadCpuMs.toFixed(0),
    `${r.outcome}${r.badKeyStatus !== undefined ? ` (unknown key ${r.badKeyStatus})` : ""}`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

export async function benchEnvoy(a: EnvoyBenchArgs): Promise<number> {
  const envoyBin = requireTool("envoy").path;
  const h2loadBin = requireTool("h2load").path;
  const progress = a.json ? undefined : (line: string) => process.stderr.write(`bench: ${line}\n`);
  const version = envoyVersion(envoyBin);
  const h2 = await toolVersion("h2load", h2loadBin);
  const loadGenerator = `h2load ${h2.version ?? "(version unknown)"}, HTTP/1.1, ${a.connections} connections, 1 thread, loopback`;
  progress?.("compiling the do-nothing references, reading build/, building the Go-SDK peer");
  const { cases, probes, goVersion } = await loadEnvoyCases({ only: a.cases, root: a.root, log: progress });
  const probeCases = a.explain ? await callProbeCases() : [];
  const loadAverageStart = loadAverage();
  const run = await runEnvoyBench([...cases, ...probeCases], probes, {
    envoyBin, h2loadBin, requests: a.requests, runs: a.runs, connections: a.connections, soak: a.soak, progress,
    keepWorkDir: process.env.MESH_FILTERS_KEEP_ENVOY === "1",
  });
  const loadAverageEnd = loadAverage();
  const measured = run.results.filter((r) => !r.name.startsWith(CALL_PREFIX));
  const targets = checkEnvoyTargets(measured, run.memory, run.soak);
  const machine = envoyMachine(version);
  const results = measured.map((r) => ({ ...r, loadGenerator, envoyVersion: version }));
  const explained = a.explain ? await explain(run.results) : undefined;
  if (a.json) {
    console.log(JSON.stringify({
      machine, engine: "envoy", envoyVersion: version, loadGenerator, ...(goVersion ? { goVersion } : {}),
      requests: results[0]?.requests ?? 0, runs: a.runs, warmupRequests: run.warmupRequests, cpuClock: run.cpuClock,
      loadAverage: { start: loadAverageStart, end: loadAverageEnd },
      results, ...(run.memory ? { memory: run.memory } : {}), ...(run.soak ? { soak: run.soak } : {}), targets,
      ...(explained ? { explain: explained } : {}),
    }));
  } else {
    console.log(`machine: ${machine}\nload generator: ${loadGenerator}\nload average (1, 5, 15 min): ${loadAverageStart.join(", ")} at the start, ${loadAverageEnd.join(", ")} at the end`);
    console.log(`${results[0]?.requests ?? 0} requests per case in ${a.runs} runs taken in turns; CPU is Envoy's user+system time, the median run; added is the median of per-run differences to ${"envoy:baseline"}\n`);
    console.log(table(measured));
    if (run.memory) {
      const m = run.memory;
      console.log(`\nresident memory after warm-up: all our plugins (${m.filters.join(", ")}) in one Envoy ${mib(m.allOursRssBytes)} MiB, ` +
        `${m.filters.length} do-nothing plugins ${mib(m.noopPluginsRssBytes)} MiB, no plugin ${mib(m.baselineRssBytes)} MiB`);
    }
    if (run.soak) console.log(`soak: ${run.soak.requests} requests through ${run.soak.case}, resident ${run.soak.rssSamplesBytes.map((b) => (b / 1048576).toFixed(1)).join(" → ")} MiB`);
    console.log(`\ntargets (within this run):\n${formatTargets(targets)}`);
    if (explained) console.log(`\n${explainText(explained)}`);
  }
  return 0;
}

type Explained = Awaited<ReturnType<typeof explain>>;

async function explain(all: EnvoyCaseResult[]) {
  const costs = callCosts(all);
  const ours = all.filter((r) => !r.name.startsWith(CALL_PREFIX) && r.moduleBytes > 0 && r.name !== "envoy:go-sdk-api-key").map((r) => r.name);
  const counted = await countCalls(ours);
  return {
    callCosts: costs,
    probes: all.filter((r) => r.name.startsWith(CALL_PREFIX)).map((r) => ({ name: r.name, cpuNsPerRequest: r.cpuNsPerRequest, addedCpuNsPerRequest: r.addedCpuNsPerRequest, runsAddedCpuNs: r.runsAddedCpuNs })),
    cases: counted.map((c) => ({
      ...c, measuredAddedCpuNs: all.find((r) => r.name === c.name)!.addedCpuNsPerRequest, ...(costs ? { estimatedAddedCpuNs: estimateNs(c, costs) } : {}),
    })),
  };
}

function explainText(e: Explained): string {
  const k = e.callCosts;
  const lines = ["where the time goes (--explain): Envoy's added CPU per Proxy-Wasm crossing, measured in this run with synthetic modules:"];
  if (k) {
    lines.push(`  a do-nothing module's stream (six callbacks) ${k.streamNs} ns, one callback more ${k.callbackNs} ns, per host call ${k.hostCallNs} ns, ` +
      `per returned value ${k.returnedValueNs} ns (proxy_get_header_map_value and the module's malloc), per property ${k.propertyNs} ns, per metric increment ${k.metricNs} ns`);
  }
  lines.push("  crossings per request (counted in the host) and the estimate they give beside the measured added CPU:");
  for (const c of e.cases) {
    lines.push(`  ${c.name.padEnd(26)} callbacks ${String(c.callbacks).padStart(4)}  host calls ${String(c.hostCalls).padStart(4)}  returned values ${String(c.returnedValues).padStart(3)}` +
      `  estimate ${c.estimatedAddedCpuNs !== undefined ? (c.estimatedAddedCpuNs / 1000).toFixed(1) : "?"} µs  measured ${(c.measuredAddedCpuNs / 1000).toFixed(1)} µs`);
  }
  return lines.join("\n");
}
