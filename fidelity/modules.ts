// The modules the scenarios load: our filters as `mesh-filters build` left them
// in build/, their example configurations, and the suite's own WAT conformance
// modules (fidelity/modules/*.wat) and those of tests/fixtures/, compiled with wabt.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../scripts/lib/project.ts";
import { watToWasm } from "../scripts/lib/validate-wasm.ts";

export const FILTERS = ["add-header", "header-auth", "metadata-exchange", "stats"] as const;
export type FilterName = (typeof FILTERS)[number];

/** The root id each filter registers first (docs/contracts.md). */
export const ROOT_ID: Record<FilterName, string> = {
  "add-header": "add_header",
  "header-auth": "header_auth",
  "metadata-exchange": "metadata_exchange",
  stats: "stats",
};

/** build/<filter>.wasm, or an error saying how to build it. */
export function filterModule(name: FilterName): string {
  const file = path.join(PROJECT_ROOT, "build", `${name}.wasm`);
  if (!existsSync(file)) throw new Error(`${file} missing: run \`npx mesh-filters build\` first`);
  return file;
}

/** filters/<filter>/example-config.json, as the configuration string Envoy hands the module. */
export function exampleConfig(name: FilterName): string {
  return JSON.stringify(JSON.parse(readFileSync(path.join(PROJECT_ROOT, "filters", name, "example-config.json"), "utf8")));
}

const wasm = new Map<string, Promise<Uint8Array>>();

/** A WAT module of the project (path from the project root), compiled once. */
export function watModule(relative: string): Promise<Uint8Array> {
  let m = wasm.get(relative);
  if (!m) {
    m = watToWasm(readFileSync(path.join(PROJECT_ROOT, relative), "utf8"), path.basename(relative));
    wasm.set(relative, m);
  }
  return m;
}
