// A filter is a first-class filter from the moment `mesh-filters new` writes it: in a
// project of its own (the package linked in as node_modules/mesh-wasm-filters, as an
// installed one would be), with no edit outside its folder, it is fuzzed (random streams
// and mutated configurations) and soaked by the same code as the built-in filters, and
// its folder's robustness.json says which local reply it may send.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, it } from "vitest";
import { buildFilters } from "../../scripts/commands/build.ts";
import { PACKAGE_ROOT, readProject } from "../../scripts/lib/project.ts";
import { scaffoldFilter } from "../../scripts/lib/scaffold.ts";
import { tempDir } from "../support/temp-dir.ts";
import { fuzzConfigs, fuzzStreams } from "./fuzz-filter.ts";
import { seedFrom } from "./rng.ts";
import { soakFilter } from "./soak-filter.ts";

const SEED = seedFrom(process.env.FUZZ_SEED, 0x6e6577);
const NAME = "path-guard";
let root: string;

beforeAll(async () => {
  root = path.join(tempDir("robustness-new"), "team-filters");
  mkdirSync(path.join(root, "node_modules"), { recursive: true });
  symlinkSync(PACKAGE_ROOT, path.join(root, "node_modules", "mesh-wasm-filters"), "dir");
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "team-filters", version: "1.0.0", "mesh-filters": {} }));
  scaffoldFilter({ name: NAME, project: readProject(root) });
  await buildFilters({ root, outDir: path.join(root, "build"), debug: false });
}, 600_000);

describe(`a filter written by mesh-filters new (${NAME})`, () => {
  const o = () => ({ root, baseSeed: SEED, seed: SEED, streams: 20_000, configs: 200 });
  it("random streams: no trap, only its documented 403, memory flat", () => fuzzStreams(NAME, o()), 300_000);
  it("mutated configurations: each loads or is rejected with an explanation", () => fuzzConfigs(NAME, o()), 300_000);
  it("soak of its sample requests and random statuses", () => soakFilter(NAME, { root, seed: SEED, streams: 50_000 }), 300_000);
});
