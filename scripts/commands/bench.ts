// `mesh-filters bench`: per-request cost and memory of the references and every built filter
// on the Envoy-faithful host, or in real Envoy (--engine envoy, scripts/bench/envoy/). `--json`
// prints the contract object (docs/contracts.md).
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCases } from "../bench/cases.ts";
import { prepare, measureAll, type BenchResult, type PreparedCase } from "../bench/measure.ts";
import { checkTargets, formatTargets } from "../bench/targets.ts";
import { checkScalingTargets, measureConfigureScaling, MAX_TIME_RATIO, SCALING_CASE, SCALING_ENTRIES, SCALING_FACTOR, type ScalingResult } from "../bench/configure-scaling.ts";
import { ENVOY_CASE_NAMES } from "../bench/envoy/names.ts";
import { findProject, readFiltersJson } from "../lib/project.ts";
import { parseCommandArgs, UsageError } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters bench [--engine host|envoy] [--json] [--requests N] [--runs R] [--case NAME]... [--root DIR]
       mesh-filters bench --engine envoy [--connections C] [--soak N] [--explain] ...

--engine host (the default):

Measures, for the floor (do-nothing WAT), noop-lean (do-nothing filter on our assembly/ layer),
noop-stock (the same on proxy-runtime's stock entry points), every filter in build/filters.json
(cases from filters/<name>/bench.json when present) and the chain of all filters: the median
ns/request of R runs (default 5; the cases take turns, run 1 of each, then run 2, ...) over N
requests in all per case (default 1,000,000), their spread, wasm
memory pages before and after the N requests (after warm-up), module bytes and VM start time;
then the targets, judged as ratios within the run: noop-lean >= 10x cheaper than noop-stock and
within 10x of the floor, each filter case cheaper than noop-stock, memory growth <= 1 page,
each module < 32 KiB. Then configure-scaling (also --case configure-scaling): header-auth and
stats configured at ${SCALING_ENTRIES} and ${SCALING_ENTRIES * SCALING_FACTOR} entries in turns, the fastest of R each;
target: the 10x configuration takes at most ${MAX_TIME_RATIO}x the time (linear is 10x). The exit code
does not depend on the targets (a busy machine is no bug).

--engine envoy: real Envoy (ENVOY_BIN, PATH or .tools/bin), one per case with --concurrency 1
and a route Envoy answers itself, loaded by h2load (HTTP/1.1, C connections, default 4) on
loopback. Cases:
  ${ENVOY_CASE_NAMES.slice(0, 6).join(", ")},
  ${ENVOY_CASE_NAMES.slice(6).join(", ")}
(--case takes them with or without "envoy:"; the baseline always runs). Per case: Envoy's
user+system CPU per request over the measured requests (median of R runs, default 10, taken in
turns over N requests in all, default 200,000), the same minus envoy:baseline (median of the
per-run differences), latency p50/p99, requests/s, resident memory after warm-up, module load
time (time and CPU to /ready LIVE minus the baseline's) and module bytes. Then N requests
(--soak, default 1,000,000; 0 skips it) through the chain for the memory-growth target, and
the targets: header-auth against native api_key_auth (<= 2x), Lua (<= 1x) and the Go SDK
(<= 0.5x); each filter of ours under noop-stock; the chain under 25 µs; memory with all our
plugins <= 1.2x the baseline's; soak growth <= 1 MiB. Every response's status is checked;
a wrong one stops the bench (exit 1). The Go-SDK peer is built with Go into build/bench/.
--explain adds synthetic modules to the same rounds to measure what Envoy charges per
callback, host call and returned value, counts each of our cases' crossings per request in
the host, and prints the estimate they give beside the measured added CPU.`;

/** The built modules of the project by filter name (none before `mesh-filters build`). */
function builtModules(root: string): Map<string, Uint8Array> {
  if (!existsSync(path.join(root, "build/filters.json"))) return new Map();
  return new Map(readFiltersJson(root).map((f) => [f.name, new Uint8Array(readFileSync(path.join(root, f.file)))]));
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? "unknown CPU"} x${cpus.length}, ${os.platform()} ${os.arch()}, Node ${process.version} (V8 ${process.versions.v8})`;
}

function table(results: BenchResult[]): string {
  const head = ["case", "ns/req", "spread%", "pages before", "pages after", "module bytes", "VM start ms", "driver", "outcome"];
  const rows = results.map((r) => [r.name, r.nsPerRequest.toFixed(1), r.spreadPercent.toFixed(1), String(r.memoryPagesBefore), String(r.memoryPagesAfter), String(r.moduleBytes), r.vmStartMs.toFixed(1), r.driver, r.outcome]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 7 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

function count(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${text}`, HELP);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(HELP, {
    args: argv,
    options: {
      engine: { type: "string", default: "host" },
      json: { type: "boolean", default: false },
      requests: { type: "string" },
      connections: { type: "string" },
      soak: { type: "string" },
      explain: { type: "boolean", default: false },
      runs: { type: "string" },
      case: { type: "string", multiple: true },
      root: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) { console.log(HELP); return 0; }
  const engine = values.engine;
  if (engine !== "host" && engine !== "envoy") throw new UsageError(`--engine must be host or envoy, got ${engine}`, HELP);
  const requests = count("--requests", values.requests ?? (engine === "envoy" ? "200000" : "1000000"), 1);
  const runs = count("--runs", values.runs ?? (engine === "envoy" ? "10" : "5"), 1);
  const root = findProject({ root: values.root }).root;
  if (engine === "envoy") {
    const { benchEnvoy } = await import("../bench/envoy/command.ts");
    return benchEnvoy({
      json: values.json, requests, runs, cases: values.case, root,
      connections: count("--connections", values.connections ?? "4", 1), soak: count("--soak", values.soak ?? "1000000", 0),
      explain: values.explain,
    });
  }
  for (const flag of ["connections", "soak"] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --engine envoy only`, HELP);
  }
  if (values.explain) throw new UsageError("--explain applies to --engine envoy only", HELP);
  const only = values.case?.filter((c) => c !== SCALING_CASE);
  // `--case configure-scaling` alone: no per-request case.
  const cases = values.case?.length && !only?.length ? [] : await loadCases({ only, root });
  const prepared: PreparedCase[] = [];
  for (const c of cases) {
    if (!values.json) process.stderr.write(`bench: loading ${c.name}...\n`);
    prepared.push(await prepare(c));
  }
  const results: BenchResult[] = measureAll(prepared, requests, runs, (r) => {
    if (!values.json) process.stderr.write(`bench: run ${r + 1} of ${runs} over ${prepared.length} cases...\n`);
  });
  let scaling: ScalingResult[] = [];
  if (!values.case?.length || values.case.includes(SCALING_CASE)) {
    scaling = await measureConfigureScaling(builtModules(root), runs, values.json ? undefined : (l) => process.stderr.write(`bench: ${l}...\n`));
  }
  const targets = [...checkTargets(results), ...checkScalingTargets(scaling)];
  if (values.json) {
    console.log(JSON.stringify({ machine: machine(), requests, runs, results, ...(scaling.length ? { configureScaling: scaling } : {}), targets }));
  } else {
    console.log(`machine: ${machine()}\n${requests} requests per case in ${runs} runs; ns/req is the median run\n`);
    if (results.length) console.log(table(results));
    for (const r of scaling) {
      console.log(`${scaling[0] === r ? "\n" : ""}configure ${r.filter}: ${r.smallEntries} ${r.entries} ${r.smallMs} ms, ${r.largeEntries} ${r.largeMs} ms (${r.ratio}x; fastest of ${r.runs})`);
    }
    console.log(`\ntargets (ratios within this run):\n${formatTargets(targets)}`);
  }
  return 0;
}
