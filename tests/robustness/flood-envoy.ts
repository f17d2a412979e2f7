// The memory floods of flood-scenarios.ts through real Envoy (issue 18, "Done when": the VM's
// memory under the documented bound "in the host and in real Envoy"). The same scenario data the
// host flood sends, through the engine interface (createEngine("envoy"), one worker).
//
// Envoy 1.40 reports no VM memory, so the flood measures the process (tests/robustness/
// envoy-memory.ts) and tells the filter's share from Envoy's own by a baseline: a second Envoy,
// the same chain shape with a do-nothing module in every plugin's place, gets the same streams in
// lockstep (each stream is sent to both at once, both are sampled at the same points). Then:
// - every VM's linear memory (smaps), at every sample, is under its filter's bound, as in the host;
// - the filter Envoy's resident anonymous memory grows, from the sample after warm-up to its
//   peak, by at most: the chain's VM bounds, plus what the baseline Envoy grew over the same
//   streams (Envoy's own per-stream, connection and buffer growth, measured, not assumed), plus,
//   for stats, Envoy's stats store for the series the flood created (ENVOY_BYTES_PER_SERIES a
//   series and ENVOY_BYTES_PER_SERIES_NAME_BYTE per byte of its name, measured and stated in
//   README "Robustness"), plus NOISE_BYTES for page granularity;
// - no trap, no wasm_fail_stream, no reset; the status of every stream is the upstream's or one
//   the filter documents, and a sample of the streams gets the same status and details from the
//   host engine;
// - stats: the istio_requests_total series in /stats stay within max_series (+1 overflow series).
import { readFileSync } from "node:fs";
import path from "node:path";
import { createEngine, planStream, UnproducibleProperty, type Deployment, type PluginSpec, type Stream, type StreamResult, type Topology } from "../../engine/index.ts";
import type { EnvoyDeployment } from "../../engine/envoy/envoy-engine.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { watToWasm } from "../../scripts/lib/validate-wasm.ts";
import { ISTIO_BOOTSTRAP_STATS_TAGS } from "../fixtures/istio/bootstrap-stats-tags.ts";
import { startEnvoy } from "../envoy/helpers.ts";
import { sampleEnvoyMemory, type EnvoyMemorySample } from "./envoy-memory.ts";
import type { FloodScenario, RunStream } from "./flood-scenarios.ts";
import { moduleBytes } from "./modules.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Envoy's stats store per series (one label combination: istio_requests_total and the three
 * histograms, each with its name and tags), measured in Envoy 1.40 with Istio's stats_tags as
 * tcmalloc's growth per series over the floods (README "Robustness"): 13–16 KiB at the standard
 * labels (names of 1.3 KB), 26 KiB at sixteen extra 256-byte dimensions (names of 5.1 KB), so
 * roughly 12 KiB plus 2.7 bytes per byte of the name. Allowed here with room for allocator
 * rounding, as a fixed part and a part per byte of the name (the dimension flood's names are
 * four times the others').
 */
export const ENVOY_BYTES_PER_SERIES = 16 * KiB;
export const ENVOY_BYTES_PER_SERIES_NAME_BYTE = 4;
/** Page and allocator granularity between two Envoys given the same streams (measured ≤ 0.5 MiB). */
export const NOISE_BYTES = 2 * MiB;

/** The proxy's name in the flood topologies. */
const PROXY = "flood";

/**
 * Stream `i` of a scenario as real Envoy can be given it, and what had to be left out:
 * - properties Envoy cannot be made to produce (engine/properties.ts): the peer and local
 *   certificate SANs need TLS between client and Envoy, which the runner does not set up;
 * - request headers whose name holds `_`: every Envoy configuration we generate answers them 400
 *   before any filter runs (deploy/path-hardening.ts), so in Envoy no filter can ever see one.
 * The rest of the stream is the host's, byte for byte.
 */
export function envoyStream(s: FloodScenario, i: number): { stream: Stream; dropped: string[] } {
  const st: RunStream = s.stream(i);
  const dropped: string[] = [];
  const properties: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(st.properties ?? {})) {
    try {
      planStream({ [k]: v });
      properties[k] = v;
    } catch (e) {
      if (!(e instanceof UnproducibleProperty)) throw e;
      dropped.push(`property ${k}`);
    }
  }
  const headers = st.request.headers.filter(([k]) => {
    if (!k.includes("_")) return true;
    dropped.push(`header ${k}`);
    return false;
  });
  return { stream: { request: { ...st.request, headers }, upstream: st.upstream, properties }, dropped };
}

/** The scenario's chain as engine plugins: the modules the host flood runs (modules.ts), the scenario's configuration. */
export async function scenarioPlugins(s: FloodScenario): Promise<PluginSpec[]> {
  return Promise.all(s.plugins.map(async (p) => ({
    name: p.filter, module: await moduleBytes(p.filter), rootId: p.rootId, vmId: `${p.filter}-${p.rootId}`,
    configuration: JSON.stringify(p.configuration),
  })));
}

const fixtureModules = new Map<string, Promise<Uint8Array>>();

/** A module of tests/fixtures/envoy/<name>.wat. */
export function fixtureModule(name: "do-nothing" | "leak-per-request"): Promise<Uint8Array> {
  let m = fixtureModules.get(name);
  if (!m) {
    m = watToWasm(readFileSync(path.join(PROJECT_ROOT, "tests/fixtures/envoy", `${name}.wat`), "utf8"), `${name}.wat`);
    fixtureModules.set(name, m);
  }
  return m;
}

/** One proxy with the scenario's node, the direction its streams name, and Istio's stats_tags. */
export function floodTopology(s: FloodScenario, plugins: PluginSpec[]): Topology {
  const plan = planStream(envoyStream(s, 0).stream.properties);
  return {
    proxies: [{ name: PROXY, node: s.node, direction: plan.direction ?? undefined, statsTags: ISTIO_BOOTSTRAP_STATS_TAGS, plugins }],
  };
}

export interface FloodSample {
  /** Streams sent when the sample was taken. */
  streams: number;
  filter: EnvoyMemorySample;
  baseline: EnvoyMemorySample;
}

export interface EnvoyFloodRun {
  scenario: string;
  streams: number;
  warmup: number;
  seconds: number;
  /** What the Envoy streams had to leave out of the scenario's (envoyStream), with counts. */
  dropped: Record<string, number>;
  /** Per plugin of the chain, its bound (bytes). */
  bounds: { plugin: string; bytes: number }[];
  /** Sample 0 is taken after warm-up; then every sampleEvery streams and at the end. */
  samples: FloodSample[];
  /** Each VM's largest linear memory over the samples, largest first. */
  vmPeaks: number[];
  /** Peak RssAnon minus the sample after warm-up, per Envoy. */
  growth: { filter: number; baseline: number };
  /** tcmalloc's allocated bytes, same window. */
  heapGrowth: { filter: number; baseline: number };
  /** stats only: istio_requests_total series in /stats after warm-up and at the end, their mean name length. */
  series?: { afterWarmup: number; end: number; meanNameBytes: number; perReporter: Record<string, number>; overflowStreams: number };
  /** Stream-level problems (traps, resets, wrong statuses, host disagreements), first ones. */
  problems: string[];
  /** Streams compared with the host engine. */
  hostCompared: number;
}

export interface EnvoyFloodOptions {
  streams: number;
  /** Streams sent before the reference sample. */
  warmup: number;
  sampleEvery: number;
  /** Every k-th stream also goes through the host engine, and status and details must agree (0: none). */
  hostEvery: number;
  /** Instead of the scenario's chain (the leak self-test); `bounds` then says each plugin's bound. */
  plugins?: PluginSpec[];
  bounds?: { plugin: string; bytes: number }[];
}

async function baselineTopology(s: FloodScenario, n: number): Promise<Topology> {
  const module = await fixtureModule("do-nothing");
  const plugins = Array.from({ length: n }, (_, k): PluginSpec => ({ name: `do-nothing-${k}`, module, vmId: `do-nothing-${k}` }));
  return floodTopology(s, plugins);
}

function sample(d: EnvoyDeployment): Promise<EnvoyMemorySample> {
  return sampleEnvoyMemory(d.pids[0]!, d.endpoints(PROXY).admin);
}

interface SeriesCount {
  total: number;
  meanNameBytes: number;
  perReporter: Record<string, number>;
  overflowStreams: number;
}

/**
 * The istio_requests_total series the proxy holds, read from /stats (Envoy's own names, before
 * tag extraction): /stats/prometheus would miss series whose extra dimensions Istio's stats_tags
 * do not extract, and those are the largest.
 */
async function seriesCount(d: EnvoyDeployment): Promise<SeriesCount> {
  const filter = encodeURIComponent("istio_requests_total$|mesh_stats_series_overflow_total$");
  const res = await fetch(`http://${d.endpoints(PROXY).admin}/stats?format=json&type=Counters&filter=${filter}`);
  if (!res.ok) throw new Error(`GET /stats: ${res.status}`);
  const body = (await res.json()) as { stats: { name?: string; value?: number }[] };
  const perReporter: Record<string, number> = {};
  let total = 0;
  let nameBytes = 0;
  let overflowStreams = 0;
  for (const st of body.stats) {
    if (!st.name) continue;
    if (st.name.endsWith("mesh_stats_series_overflow_total")) {
      overflowStreams += st.value ?? 0;
      continue;
    }
    total++;
    nameBytes += st.name.length;
    const r = /reporter=\.=([^;]*)/.exec(st.name)?.[1] ?? "";
    perReporter[r] = (perReporter[r] ?? 0) + 1;
  }
  return { total, meanNameBytes: total ? nameBytes / total : 0, perReporter, overflowStreams };
}

function expectedAnswer(st: Stream, r: StreamResult, who: string): string | undefined {
  const upstream = typeof st.upstream === "function" ? undefined : st.upstream;
  if (r.traps?.length) return `${who} trapped: ${r.traps.map((t) => `${t.plugin} ${t.function}: ${t.message}`).join("; ")}`;
  if (r.reset) return `${who} reset the stream: ${r.resetReason ?? ""}`;
  if (r.response.details === "wasm_fail_stream") return `${who} answered ${r.response.status} wasm_fail_stream (a failed VM)`;
  if (r.response.local && !/^header_auth_/.test(r.response.details)) return `${who} answered locally ${r.response.status} ${r.response.details}`;
  if (!r.response.local && r.response.status !== (upstream?.status ?? 200)) return `${who} status ${r.response.status}, the upstream's ${upstream?.status ?? 200}`;
  return undefined;
}

/**
 * Sends `streams` streams of the scenario through its chain in one Envoy and through the
 * do-nothing chain in another, in lockstep, sampling both; the host engine gets every
 * `hostEvery`-th stream. Both Envoys are stopped whatever happens.
 */
export async function runEnvoyFlood(s: FloodScenario, o: EnvoyFloodOptions): Promise<EnvoyFloodRun> {
  const plugins = o.plugins ?? await scenarioPlugins(s);
  const bounds = o.bounds ?? s.plugins.map((p) => ({ plugin: p.filter, bytes: s.boundBytes[p.filter] ?? Infinity }));
  const topology = floodTopology(s, plugins);
  const [filter, baseline] = await Promise.all([startEnvoy(topology), startEnvoy(await baselineTopology(s, plugins.length))]);
  let host: Deployment | undefined;
  try {
    if (o.hostEvery > 0) host = await createEngine("host").start(topology);
    const dropped: Record<string, number> = {};
    const problems: string[] = [];
    const samples: FloodSample[] = [];
    const vmPeak = new Map<number, number>();
    const take = async (streams: number) => {
      const [f, b] = await Promise.all([sample(filter), sample(baseline)]);
      for (const m of f.wasm) vmPeak.set(m.start, Math.max(vmPeak.get(m.start) ?? 0, m.bytes));
      samples.push({ streams, filter: f, baseline: b });
    };
    const note = (p: string | undefined) => {
      if (p && problems.length < 20) problems.push(p);
    };
    let hostCompared = 0;
    let seriesAfterWarmup = 0;
    const t0 = performance.now();
    for (let i = 0; i < o.streams; i++) {
      if (i === o.warmup) {
        await take(i);
        if (isStats(s)) seriesAfterWarmup = (await seriesCount(filter)).total;
      }
      const { stream, dropped: left } = envoyStream(s, i);
      for (const d of left) dropped[d] = (dropped[d] ?? 0) + 1;
      const [rf, rb] = await Promise.all([filter.send(stream), baseline.send(stream)]);
      note(expectedAnswer(stream, rf, `stream ${i}: Envoy`));
      note(expectedAnswer(stream, rb, `stream ${i}: the baseline Envoy`));
      if (host && i % o.hostEvery === 0) {
        const rh = await host.send(stream);
        hostCompared++;
        if (rh.response.status !== rf.response.status || rh.response.details !== rf.response.details || rh.response.local !== rf.response.local) {
          note(`stream ${i}: Envoy ${rf.response.status} ${rf.response.details}, the host ${rh.response.status} ${rh.response.details}`);
        }
      }
      if (i > o.warmup && (i - o.warmup) % o.sampleEvery === 0) await take(i);
    }
    await take(o.streams);
    const seconds = (performance.now() - t0) / 1000;
    const first = samples[0]!;
    const peak = (pick: (x: FloodSample) => EnvoyMemorySample, field: "rssAnon" | "heapAllocated") =>
      Math.max(...samples.map((x) => pick(x)[field])) - pick(first)[field];
    let series: EnvoyFloodRun["series"];
    if (isStats(s)) {
      const end = await seriesCount(filter);
      series = { afterWarmup: seriesAfterWarmup, end: end.total, meanNameBytes: end.meanNameBytes, perReporter: end.perReporter, overflowStreams: end.overflowStreams };
    }
    return {
      scenario: s.name, streams: o.streams, warmup: o.warmup, seconds, dropped, bounds, samples,
      vmPeaks: [...vmPeak.values()].sort((a, b) => b - a),
      growth: { filter: peak((x) => x.filter, "rssAnon"), baseline: peak((x) => x.baseline, "rssAnon") },
      heapGrowth: { filter: peak((x) => x.filter, "heapAllocated"), baseline: peak((x) => x.baseline, "heapAllocated") },
      series, problems, hostCompared,
    };
  } finally {
    await Promise.allSettled([filter.stop(), baseline.stop(), host?.stop()]);
  }
}

function isStats(s: FloodScenario): boolean {
  return s.plugins.some((p) => p.filter === "stats");
}

/** The memory the filter Envoy may grow by over the flood, and of what. */
export function growthAllowance(run: EnvoyFloodRun): { bytes: number; vms: number; baseline: number; series: number; noise: number } {
  const vms = run.bounds.reduce((n, b) => n + b.bytes, 0);
  const series = run.series
    ? Math.max(0, run.series.end - run.series.afterWarmup) * (ENVOY_BYTES_PER_SERIES + ENVOY_BYTES_PER_SERIES_NAME_BYTE * run.series.meanNameBytes)
    : 0;
  const baseline = Math.max(0, run.growth.baseline);
  return { bytes: vms + baseline + series + NOISE_BYTES, vms, baseline, series, noise: NOISE_BYTES };
}

/** Everything the flood must meet; empty when it did. */
export function floodViolations(run: EnvoyFloodRun, maxSeries?: number): string[] {
  const out = [...run.problems];
  // Each VM under its plugin's bound: VMs cannot be told apart by plugin from outside, so the
  // largest VMs are matched with the largest bounds (each plugin's VMs, one per thread, alike).
  const perPlugin = Math.max(1, Math.floor(run.vmPeaks.length / run.bounds.length));
  if (run.vmPeaks.length < run.bounds.length) {
    out.push(`${run.vmPeaks.length} Wasm linear memories found in /proc/<pid>/smaps for ${run.bounds.length} plugins: does this Envoy's V8 still reserve 8 GiB a memory (envoy-memory.ts)?`);
  }
  const slots = run.bounds.flatMap((b) => Array.from({ length: perPlugin }, () => b)).sort((a, b) => b.bytes - a.bytes);
  run.vmPeaks.forEach((bytes, k) => {
    const b = slots[k] ?? slots[0]!;
    if (bytes > b.bytes) out.push(`a VM's linear memory reached ${(bytes / MiB).toFixed(1)} MiB, over the ${b.plugin} bound of ${(b.bytes / MiB).toFixed(0)} MiB`);
  });
  const allow = growthAllowance(run);
  if (run.growth.filter > allow.bytes) {
    out.push(`Envoy's resident memory grew ${(run.growth.filter / MiB).toFixed(1)} MiB over the flood, over its allowance of ${(allow.bytes / MiB).toFixed(1)} MiB `
      + `(VM bounds ${(allow.vms / MiB).toFixed(0)} + the baseline Envoy's growth ${(allow.baseline / MiB).toFixed(1)} + stats store ${(allow.series / MiB).toFixed(1)} + noise ${(allow.noise / MiB).toFixed(0)})`);
  }
  if (run.series && maxSeries !== undefined) {
    for (const [reporter, n] of Object.entries(run.series.perReporter)) {
      if (n > maxSeries + 1) out.push(`${n} istio_requests_total series for reporter ${reporter}, over max_series ${maxSeries} + 1 overflow series`);
    }
  }
  return out;
}

/** One line for the log (and README "Robustness"). */
export function describeRun(run: EnvoyFloodRun): string {
  const mib = (b: number) => (b / MiB).toFixed(1);
  const allow = growthAllowance(run);
  const series = run.series ? `; series ${run.series.end} of ${run.series.meanNameBytes.toFixed(0)} name bytes (${Object.entries(run.series.perReporter).map(([r, n]) => `${r} ${n}`).join(", ")}), overflow streams ${run.series.overflowStreams}` : "";
  const dropped = Object.keys(run.dropped).length ? `; left out for Envoy: ${Object.entries(run.dropped).map(([k, n]) => `${k} (${n})`).join(", ")}` : "";
  return `envoy flood ${run.scenario}: ${run.streams} streams (${run.warmup} warm-up) in ${run.seconds.toFixed(1)} s; `
    + `VM linear memory peaks ${run.vmPeaks.map(mib).join("/")} MiB (bounds ${run.bounds.map((b) => `${b.plugin} ${mib(b.bytes)}`).join(", ")}); `
    + `RssAnon ${mib(run.samples[0]!.filter.rssAnon)} MiB after warm-up, growth ${mib(run.growth.filter)} MiB (baseline Envoy ${mib(run.samples[0]!.baseline.rssAnon)} MiB, growth ${mib(run.growth.baseline)}), allowance ${mib(allow.bytes)}; `
    + `tcmalloc growth ${mib(run.heapGrowth.filter)} MiB, baseline ${mib(run.heapGrowth.baseline)}${series}; host compared ${run.hostCompared}${dropped}`;
}
