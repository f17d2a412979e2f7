// One seeded, bounded, reproducible fuzz suite over every filter of the project (issue 9,
// "Robustness"; the machinery and what it asserts: fuzz-filter.ts). Per filter, FUZZ_STREAMS
// (default 100,000) random streams, then FUZZ_CONFIGS (default 500) mutated configurations.
// Reproduce: FUZZ_SEED=<seed> FUZZ_STREAMS=<n> npx vitest run tests/robustness/fuzz.test.ts
// (the seed is in every failure message); ROBUSTNESS_ROOT=<project> fuzzes another project's
// filters. Measured cost: see the console line of each test.
import { describe, it } from "vitest";
import { seedFrom } from "./rng.ts";
import { fuzzConfigs, fuzzStreams, type FuzzOptions } from "./fuzz-filter.ts";
import { FILTERS, ROOT, type FilterName } from "./modules.ts";

const SEED = seedFrom(process.env.FUZZ_SEED, 0x6d657368);
const STREAMS = Number(process.env.FUZZ_STREAMS ?? 100_000);
const CONFIGS = Number(process.env.FUZZ_CONFIGS ?? 500);

console.log(`robustness fuzz: FUZZ_SEED=${SEED} FUZZ_STREAMS=${STREAMS} FUZZ_CONFIGS=${CONFIGS} over ${FILTERS.join(", ")}`);

/** Per-filter seed, so one filter's test reproduces alone (vitest -t). */
const options = (name: FilterName): FuzzOptions => ({
  root: ROOT, baseSeed: SEED, seed: (SEED ^ Math.imul(FILTERS.indexOf(name) + 1, 0x9e3779b1)) >>> 0, streams: STREAMS, configs: CONFIGS,
});

for (const name of FILTERS) {
  describe(name, () => {
    it(`${STREAMS} random streams: no trap, documented statuses only, memory flat after warm-up`, () => fuzzStreams(name, options(name)), 240_000);
    it(`${CONFIGS} mutated configurations: each loads or is rejected with an explanation, no trap`, () => fuzzConfigs(name, options(name)), 240_000);
  });
}
