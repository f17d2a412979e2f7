// Every scenario of the differential run, built from one seed: the fuzz streams
// through each filter and through the module that shows what a filter sees, the
// demo's traffic through the bookinfo mesh, bad peer headers, the conformance
// modules, and mutated configurations at configure time.
import { FILTERS } from "./modules.ts";
import type { Scenario } from "./scenario.ts";
import { conformanceScenarios } from "./scenarios/conformance.ts";
import { demoScenario } from "./scenarios/demo.ts";
import { fuzzScenario, PRINTING_MODULES, printingScenario } from "./scenarios/fuzz.ts";
import { peersScenario } from "./scenarios/peers.ts";

export interface CatalogOptions {
  /** Fuzz streams per filter (and through the visible module). */
  streams: number;
  seed: number;
}

/** Default streams per filter: the floor of 2,000. */
export const DEFAULT_STREAMS = 2000;
/** Default seed ("fide" in ASCII). */
export const DEFAULT_SEED = 0x66696465;

export async function buildScenarios(o: CatalogOptions): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const f of FILTERS) out.push(fuzzScenario(f, o.streams, o.seed));
  for (const m of PRINTING_MODULES) out.push(await printingScenario(m, o.streams, o.seed));
  out.push(await demoScenario());
  out.push(peersScenario(Math.max(100, Math.floor(o.streams / 4)), o.seed));
  out.push(...(await conformanceScenarios()));
  return out;
}
