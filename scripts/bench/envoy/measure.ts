// Runs the Envoy benchmark: one Envoy (--concurrency 1) per case, so each
// process's CPU time, resident set and startup belong to that case alone;
// h2load on loopback sends the case's request; the cases take turns run by
// run (as the host bench does), so a change of machine load during the
// benchmark touches every case alike and the per-run differences to the
// baseline stay meaningful.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EnvoyProcess } from "../../../engine/envoy/process.ts";
import { moduleBytes, type EnvoyBenchCase, type MemoryProbes } from "./cases.ts";
import { BASELINE, CHAIN } from "./names.ts";
import { benchBootstrap, BENCH_LISTENER } from "./bootstrap.ts";
import { describeStatuses, h2load, type LoadRequest } from "./h2load.ts";
import { commandName, cpuClock, cpuDelta, processCpuNs, residentBytes } from "./proc.ts";

export interface EnvoyBenchOptions {
  envoyBin: string;
  h2loadBin: string;
  /** Measured requests per case, split evenly over the runs. */
  requests: number;
  runs: number;
  /** h2load's kept-alive HTTP/1.1 connections (its fixed concurrency). */
  connections: number;
  /** Requests through the chain after the runs, for the memory-growth target; 0: none. */
  soak: number;
  progress?: (line: string) => void;
  keepWorkDir?: boolean;
}

export interface EnvoyCaseResult {
  name: string;
  engine: "envoy";
  /** Envoy's user+system CPU time over the measured requests, per request: the median run. */
  cpuNsPerRequest: number;
  /** The same minus the baseline's: the median over runs of the per-run differences (same round). */
  addedCpuNsPerRequest: number;
  runsCpuNs: number[];
  runsAddedCpuNs: number[];
  /** Per-run CPU ns/request, slowest minus fastest, as a share of the median. */
  spreadPercent: number;
  /** Latency seen by h2load over every measured request of the case (wall clock: load-sensitive). */
  p50Us: number;
  p99Us: number;
  /** Median run's requests per second (h2load's figure). */
  rps: number;
  /** VmRSS after the warm-up. */
  rssBytes: number;
  moduleBytes: number;
  /** Wall time from Envoy's start to /ready LIVE, minus the baseline's: compiling and configuring the modules. */
  loadMs: number;
  /** Envoy's CPU time until LIVE, minus the baseline's (the same, in CPU time). */
  loadCpuMs: number;
  readyMs: number;
  /** The status every measured response had. */
  outcome: string;
  /** How many responses had each status over the measured runs. */
  statuses: Record<string, number>;
  /** The status of a request with an unknown key (cases whose filter checks keys): 401. */
  badKeyStatus?: number;
  requests: number;
  filters: string[];
}

export interface SoakResult {
  case: string;
  requests: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  growthBytes: number;
  /** VmRSS after each tenth of the soak. */
  rssSamplesBytes: number[];
}

export interface MemoryProbe {
  /** One Envoy with every filter of ours loaded (add-header, header-auth, metadata-exchange, stats), after the same warm-up. */
  allOursRssBytes: number;
  /** One Envoy with as many do-nothing plugins (a VM each): what any Wasm plugins cost there. */
  noopPluginsRssBytes: number;
  baselineRssBytes: number;
  filters: string[];
}

export interface EnvoyBenchRun {
  results: EnvoyCaseResult[];
  soak?: SoakResult;
  memory?: MemoryProbe;
  warmupRequests: number;
  /** Where the runs' CPU time came from: "schedstat" (ns), "stat" (10 ms ticks), or "mixed". */
  cpuClock: string;
}

interface Running {
  c: EnvoyBenchCase;
  envoy: EnvoyProcess;
  port: number;
  readyMs: number;
  readyCpuNs: number;
  rssBytes: number;
  badKeyStatus?: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Uint32Array, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

async function startEnvoy(c: EnvoyBenchCase, dir: string, bin: string): Promise<Running> {
  mkdirSync(path.join(dir, "wasm"), { recursive: true });
  const files = c.filters.map((f) => {
    if (f.kind !== "wasm") return "";
    const file = path.join(dir, "wasm", `${createHash("sha256").update(f.module).digest("hex")}.wasm`);
    writeFileSync(file, f.module);
    return file;
  });
  const configPath = path.join(dir, "envoy.json");
  writeFileSync(configPath, JSON.stringify(benchBootstrap(c, (i) => files[i]!), null, 1));
  const t0 = process.hrtime.bigint();
  const envoy = await EnvoyProcess.start({
    name: c.name, bin, configPath, adminAddressPath: path.join(dir, "admin.txt"), logPath: path.join(dir, "envoy.log"),
    consolePath: path.join(dir, "console.log"), concurrency: 1, wasmLogLevel: "warning", readyTimeoutMs: 180_000,
  });
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const readyCpuNs = processCpuNs(envoy.pid);
  try {
    if (commandName(envoy.pid) !== "envoy") throw new Error(`${c.name}: pid ${envoy.pid} is '${commandName(envoy.pid)}', not envoy`);
    const listeners = JSON.parse(await envoy.admin200("/listeners?format=json")) as {
      listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[];
    };
    const port = listeners.listener_statuses.find((l) => l.name === BENCH_LISTENER)?.local_address.socket_address.port_value;
    if (!port) throw new Error(`${c.name}: Envoy reports no port for listener ${BENCH_LISTENER}`);
    return { c, envoy, port, readyMs, readyCpuNs, rssBytes: 0 };
  } catch (e) {
    await envoy.stop();
    throw e;
  }
}

export async function runEnvoyBench(all: EnvoyBenchCase[], probes: MemoryProbes | undefined, o: EnvoyBenchOptions): Promise<EnvoyBenchRun> {
  const say = o.progress ?? (() => {});
  const work = mkdtempSync(path.join(os.tmpdir(), "mesh-bench-envoy-"));
  const running: Running[] = [];
  const per = Math.max(1, Math.floor(o.requests / o.runs));
  const warmupRequests = Math.min(20_000, Math.max(50, Math.floor(o.requests / 10)));
  const load = (r: Running, headers = r.c.request): LoadRequest => ({ port: r.port, headers });
  try {
    // Started one after the other, so one's startup does not slow another's.
    const probeCases = probes ? [probes.allOurs, probes.noops] : [];
    for (const [i, c] of [...all, ...probeCases].entries()) {
      say(`starting Envoy for ${c.name}`);
      running.push(await startEnvoy(c, path.join(work, String(i)), o.envoyBin));
    }
    const cases = running.filter((r) => !probeCases.includes(r.c));
    const rssOf = (c: EnvoyBenchCase) => running.find((r) => r.c === c)!.rssBytes;

    // Sanity pass: the outcome each case promises, before any figure counts.
    const wrong: string[] = [];
    for (const r of running) {
      const one = await h2load(o.h2loadBin, load(r), { n: 1, connections: 1, logFile: path.join(work, "sanity.log") });
      if (one.statuses.get(r.c.expectStatus) !== 1) wrong.push(`${r.c.name}: expected ${r.c.expectStatus}, got ${describeStatuses(one.statuses)}`);
      if (r.c.deniedRequest) {
        const bad = await h2load(o.h2loadBin, load(r, r.c.deniedRequest), { n: 1, connections: 1, logFile: path.join(work, "sanity.log") });
        r.badKeyStatus = [...bad.statuses.keys()][0];
        if (r.badKeyStatus !== 401) wrong.push(`${r.c.name}: a request with an unknown key must be answered 401, got ${describeStatuses(bad.statuses)}`);
      }
    }
    if (wrong.length) throw new Error(`the sanity pass failed, nothing was measured:\n  ${wrong.join("\n  ")}`);

    // Warm-up (V8's tier-up, the modules' caches, Envoy's pools), then the resident set.
    say(`warming up every Envoy with ${warmupRequests} requests`);
    for (const r of running) {
      const w = await h2load(o.h2loadBin, load(r), { n: warmupRequests, connections: o.connections });
      checkClass(r.c, w.statuses, warmupRequests, "warm-up");
      r.rssBytes = residentBytes(r.envoy.pid);
    }

    // The runs, round robin.
    const cpu: number[][] = cases.map(() => []);
    const rps: number[][] = cases.map(() => []);
    const latencies: Uint32Array[][] = cases.map(() => []);
    const statuses = cases.map(() => new Map<number, number>());
    const clocks = new Set<string>();
    for (let run = 0; run < o.runs; run++) {
      say(`run ${run + 1} of ${o.runs} over ${cases.length} cases (${per} requests each)`);
      for (const [i, r] of cases.entries()) {
        const before = cpuClock(r.envoy.pid);
        const res = await h2load(o.h2loadBin, load(r), { n: per, connections: o.connections, logFile: path.join(work, "run.log") });
        const delta = cpuDelta(before, cpuClock(r.envoy.pid));
        clocks.add(delta.clock);
        if (res.statuses.get(r.c.expectStatus) !== per) {
          throw new Error(`${r.c.name}: every response must be ${r.c.expectStatus}; run ${run + 1} got ${describeStatuses(res.statuses)}`);
        }
        for (const [s, n] of res.statuses) statuses[i]!.set(s, (statuses[i]!.get(s) ?? 0) + n);
        cpu[i]!.push(delta.ns / per);
        rps[i]!.push(res.rps);
        latencies[i]!.push(res.latenciesUs!);
      }
    }

    let soak: SoakResult | undefined;
    const chain = cases.find((r) => r.c.name === CHAIN);
    if (o.soak > 0 && chain) {
      const steps = 10;
      say(`soak: ${o.soak} requests through ${CHAIN}`);
      const rssBeforeBytes = residentBytes(chain.envoy.pid);
      const samples: number[] = [];
      for (let s = 0; s < steps; s++) {
        const n = Math.floor((o.soak * (s + 1)) / steps) - Math.floor((o.soak * s) / steps);
        if (n === 0) continue;
        const res = await h2load(o.h2loadBin, load(chain), { n, connections: o.connections });
        checkClass(chain.c, res.statuses, n, "soak");
        samples.push(residentBytes(chain.envoy.pid));
      }
      const rssAfterBytes = samples[samples.length - 1]!;
      soak = { case: CHAIN, requests: o.soak, rssBeforeBytes, rssAfterBytes, growthBytes: rssAfterBytes - rssBeforeBytes, rssSamplesBytes: samples };
    }

    const base = cases.findIndex((r) => r.c.name === BASELINE);
    const baseline = cases[base]!;
    const results = cases.map((r, i): EnvoyCaseResult => {
      const runsCpuNs = cpu[i]!;
      const runsAddedCpuNs = runsCpuNs.map((x, run) => x - cpu[base]![run]!);
      const med = median(runsCpuNs);
      const all = concat(latencies[i]!).sort();
      return {
        name: r.c.name,
        engine: "envoy",
        cpuNsPerRequest: round(med),
        addedCpuNsPerRequest: round(median(runsAddedCpuNs)),
        runsCpuNs: runsCpuNs.map((x) => round(x)),
        runsAddedCpuNs: runsAddedCpuNs.map((x) => round(x)),
        spreadPercent: round(((Math.max(...runsCpuNs) - Math.min(...runsCpuNs)) / med) * 100),
        p50Us: percentile(all, 50),
        p99Us: percentile(all, 99),
        rps: round(median(rps[i]!)),
        rssBytes: r.rssBytes,
        moduleBytes: moduleBytes(r.c),
        loadMs: round(r.readyMs - baseline.readyMs),
        loadCpuMs: round((r.readyCpuNs - baseline.readyCpuNs) / 1e6),
        readyMs: round(r.readyMs),
        outcome: String(r.c.expectStatus),
        statuses: Object.fromEntries([...statuses[i]!].map(([s, n]) => [String(s), n])),
        ...(r.badKeyStatus !== undefined ? { badKeyStatus: r.badKeyStatus } : {}),
        requests: per * o.runs,
        filters: r.c.filters.map((f) => f.name),
      };
    });
    const memory = probes ? {
      allOursRssBytes: rssOf(probes.allOurs), noopPluginsRssBytes: rssOf(probes.noops), baselineRssBytes: baseline.rssBytes,
      filters: probes.allOurs.filters.map((f) => f.name),
    } : undefined;
    return { results, soak, memory, warmupRequests, cpuClock: clocks.size === 1 ? [...clocks][0]! : "mixed" };
  } finally {
    await Promise.allSettled(running.map((r) => r.envoy.stop()));
    if (!o.keepWorkDir) rmSync(work, { recursive: true, force: true });
  }
}

/** Without a per-response log, h2load counts status classes: all of them must be the expected one's. */
function checkClass(c: EnvoyBenchCase, statuses: Map<number, number>, n: number, what: string): void {
  const cls = Math.floor(c.expectStatus / 100) * 100;
  if (statuses.get(cls) !== n) throw new Error(`${c.name}: every ${what} response must be ${c.expectStatus}; got ${describeStatuses(statuses)} (h2load's status classes)`);
}

function concat(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
