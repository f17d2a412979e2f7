// `npm run fidelity`: the differential run. Every scenario of
// fidelity/catalog.ts goes through the host and through real Envoy; the
// results are compared field by field after the written-down normalization,
// each difference is explained by a known kind or reported as unexplained,
// and the table says how many of each. Exit 1 on any unexplained difference.
// A tool of this repository (it drives the test suite's stream generator), so
// it is not a `mesh-filters` command and not in the package's lib/.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createEngine } from "../engine/index.ts";
import { buildScenarios, DEFAULT_SEED, DEFAULT_STREAMS } from "./catalog.ts";
import { classify, summarize } from "./classify.ts";
import { describeStream, observe, type Observed } from "./differential.ts";
import { buildReport, formatReport } from "./report.ts";

const HELP = `Usage: npm run fidelity -- [--json] [--streams N] [--seed S] [--only NAME]... [--dump FILE]

Sends the same streams through the host and through real Envoy (ENVOY_BIN, PATH
or .tools/bin; \`npm run setup\` installs it) and compares every field of the
results after the normalization in fidelity/normalize.ts: the seeded fuzz
streams through each filter (N per filter, default ${DEFAULT_STREAMS}) and through a module
that logs what a filter is handed, the demo's traffic through the bookinfo
mesh, bad peer metadata, the conformance modules and mutated configurations.
Each difference is one of the known kinds (host/README.md, "Where the host
differs from Envoy") or unexplained.

--streams N   fuzz streams per filter (default ${DEFAULT_STREAMS})
--seed S      seed of every generated stream (default ${DEFAULT_SEED})
--only NAME   run only the scenarios whose name or row contains NAME (repeatable)
--json        print the report as JSON
--dump FILE   write every difference, explained or not, to FILE (JSON Lines)

Exit status: 0 when every difference is explained; 1 when one is not, or on an error; 2 for usage errors.`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: "boolean", default: false },
        streams: { type: "string" },
        seed: { type: "string" },
        only: { type: "string", multiple: true },
        dump: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`fidelity: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) { console.log(HELP); return 0; }
  const streams = values.streams === undefined ? DEFAULT_STREAMS : Number(values.streams);
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!Number.isInteger(streams) || streams < 1) { console.error(`fidelity: --streams must be a positive integer, not '${values.streams}'`); return 2; }
  if (!Number.isInteger(seed) || seed < 0) { console.error(`fidelity: --seed must be a non-negative integer, not '${values.seed}'`); return 2; }

  const envoy = createEngine("envoy");
  const host = createEngine("host");
  const only = values.only ?? [];
  const scenarios = (await buildScenarios({ streams, seed })).filter((s) => !only.length || only.some((o) => s.name.includes(o) || s.group.includes(o)));
  if (!scenarios.length) { console.error(`fidelity: no scenario matches ${only.join(", ")}`); return 2; }
  const observed: Observed[] = [];
  for (const s of scenarios) {
    if (!values.json) process.stderr.write(`${s.name}: ${s.streams.length} streams ...`);
    const o = await observe(s, { host, envoy });
    observed.push(o);
    if (!values.json) process.stderr.write(` ${(o.ms / 1000).toFixed(1)} s, ${o.differences.length} difference(s)\n`);
  }
  const rows = summarize(observed, undefined, (o, i) => describeStream(o.scenario.streams[i]!));
  if (values.dump) writeFileSync(values.dump, dumpLines(observed));
  const report = buildReport(rows, { host: (await host.info()).version, envoy: (await envoy.info()).version }, seed);
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.totals.unexplained ? 1 : 0;
}

/** Every difference as a JSON line: where, what, both values, its kind (null: unexplained). */
function dumpLines(observed: Observed[]): string {
  const lines: string[] = [];
  for (const o of observed) {
    for (const { diff, context } of o.differences) {
      lines.push(JSON.stringify({ ...diff, kind: classify(diff, context), input: diff.stream === null ? undefined : describeStream(o.scenario.streams[diff.stream]!, 4000) }));
    }
  }
  return lines.join("\n") + "\n";
}

process.exitCode = await run(process.argv.slice(2)).catch((e: Error) => {
  console.error(`fidelity: ${e.message}`);
  return 1;
});
