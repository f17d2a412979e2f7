// `mesh-filters bench`: per-request cost and memory of the references and every built filter
// on the Envoy-faithful host. `--json` prints the contract object (docs/contracts.md).
import os from "node:os";
import { loadCases } from "../bench/cases.ts";
import { prepare, measureAll, type BenchResult, type PreparedCase } from "../bench/measure.ts";
import { checkTargets, formatTargets } from "../bench/targets.ts";
import { findProject } from "../lib/project.ts";
import { parseCommandArgs, UsageError } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters bench [--json] [--requests N] [--runs R] [--case NAME]... [--root DIR]

Measures, for the floor (do-nothing WAT), noop-lean (do-nothing filter on our assembly/ layer),
noop-stock (the same on proxy-runtime's stock entry points), every filter in build/filters.json
(cases from filters/<name>/bench.json when present) and the chain of all filters: the median
ns/request of R runs (default 5; the cases take turns, run 1 of each, then run 2, ...) over N
requests in all per case (default 1,000,000), their spread, wasm
memory pages before and after the N requests (after warm-up), module bytes and VM start time;
then the targets, judged as ratios within the run: noop-lean >= 10x cheaper than noop-stock and
within 10x of the floor, each filter case cheaper than noop-stock, memory growth <= 1 page,
each module < 32 KiB. The exit code does not depend on the targets (a busy machine is no bug).`;

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

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(HELP, {
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      requests: { type: "string", default: "1000000" },
      runs: { type: "string", default: "5" },
      case: { type: "string", multiple: true },
      root: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) { console.log(HELP); return 0; }
  const requests = Number(values.requests);
  const runs = Number(values.runs);
  if (!Number.isInteger(requests) || requests < 1) throw new UsageError(`--requests must be a positive integer, got ${values.requests}`, HELP);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer, got ${values.runs}`, HELP);
  const cases = await loadCases({ only: values.case, root: findProject({ root: values.root }).root });
  const prepared: PreparedCase[] = [];
  for (const c of cases) {
    if (!values.json) process.stderr.write(`bench: loading ${c.name}...\n`);
    prepared.push(await prepare(c));
  }
  const results: BenchResult[] = measureAll(prepared, requests, runs, (r) => {
    if (!values.json) process.stderr.write(`bench: run ${r + 1} of ${runs} over ${prepared.length} cases...\n`);
  });
  const targets = checkTargets(results);
  if (values.json) {
    console.log(JSON.stringify({ machine: machine(), requests, runs, results, targets }));
  } else {
    console.log(`machine: ${machine()}\n${requests} requests per case in ${runs} runs; ns/req is the median run\n`);
    console.log(table(results));
    console.log(`\ntargets (ratios within this run):\n${formatTargets(targets)}`);
  }
  return 0;
}
