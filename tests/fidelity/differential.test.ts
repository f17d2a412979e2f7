// The differential suite: every scenario of fidelity/catalog.ts — the seeded
// fuzz streams through each filter (2,000 per filter), the conformance modules,
// the demo's traffic, bad peer metadata — through the host engine and through
// real Envoy, compared field by field after fidelity/normalize.ts. A row fails
// on any difference no known kind explains (fidelity/kinds.ts, host/README.md
// "Where the host differs from Envoy"). Needs Envoy: skipped without it on a
// developer machine, failing under CI=true (tests/envoy/helpers.ts envoySuite).
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngine } from "../../engine/index.ts";
import type { Engine } from "../../engine/types.ts";
import { buildScenarios, DEFAULT_SEED, DEFAULT_STREAMS } from "../../fidelity/catalog.ts";
import { summarize, type RowSummary } from "../../fidelity/classify.ts";
import { describeStream, observe, type Observed } from "../../fidelity/differential.ts";
import { FILTERS } from "../../fidelity/modules.ts";
import { buildReport, formatReport } from "../../fidelity/report.ts";
import type { Scenario } from "../../fidelity/scenario.ts";
import { ENVOY_BIN, envoySuite } from "../envoy/helpers.ts";

/** The table's rows: one per filter, the demo's mesh, the conformance modules. */
const ROWS = [...FILTERS, "demo mesh", "conformance"];

/** Generous: a row takes seconds to a minute on a CI machine; this only bounds a hung Envoy. */
const ROW_TIMEOUT = 900_000;

envoySuite("the differential run (host against Envoy, field by field)", () => {
  let scenarios: Scenario[] = [];
  let engines: { host: Engine; envoy: Engine };
  const observed: Observed[] = [];

  beforeAll(async () => {
    engines = { host: createEngine("host"), envoy: createEngine("envoy", { envoy: { bin: ENVOY_BIN } }) };
    scenarios = await buildScenarios({ streams: DEFAULT_STREAMS, seed: DEFAULT_SEED });
  });

  afterAll(async () => {
    if (!observed.length) return;
    // The table in the test log, as `npm run fidelity` prints it.
    const report = buildReport(summarize(observed), { host: (await engines.host.info()).version, envoy: (await engines.envoy.info()).version }, DEFAULT_SEED);
    console.log(formatReport(report));
  });

  it("covers every row with scenarios", () => {
    expect([...new Set(scenarios.map((s) => s.group))].sort()).toEqual([...ROWS].sort());
  });

  for (const row of ROWS) {
    it(`${row}: every difference is a known kind`, async () => {
      const mine: Observed[] = [];
      for (const s of scenarios.filter((x) => x.group === row)) {
        // observe() stops both deployments whatever happens.
        const o = await observe(s, engines);
        mine.push(o);
        observed.push(o);
      }
      const [summary] = summarize(mine, undefined, (o, i) => describeStream(o.scenario.streams[i]!, 1500)) as [RowSummary];
      if ((FILTERS as readonly string[]).includes(row)) expect(summary.streams).toBeGreaterThanOrEqual(DEFAULT_STREAMS);
      // A row that compared nothing would pass vacuously.
      expect(summary.fields).toBeGreaterThan(summary.streams * 5);
      expect(summary.unexplained, unexplained(summary)).toBe(0);
    }, ROW_TIMEOUT);
  }
});

/** The unexplained differences of a row as the report prints them: where, both values, the stream. */
function unexplained(r: RowSummary): string {
  return r.examples.map(({ diff: d, stream }) => [
    `${d.scenario}${d.stream === null ? "" : ` stream ${d.stream}`}: ${d.field}${d.key !== undefined ? ` [${d.key}]` : ""}`,
    `  host:  ${JSON.stringify(d.host)?.slice(0, 400)}`,
    `  envoy: ${JSON.stringify(d.envoy)?.slice(0, 400)}`,
    stream ? `  stream: ${stream}` : "",
  ].join("\n")).join("\n");
}
