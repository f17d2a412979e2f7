// The four built filters (build/<name>.wasm; built into a temp dir when missing, so
// build/filters.json stays as `mesh-filters build` wrote it) and their example configurations.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildFilters } from "../../scripts/commands/build.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { tempDir } from "../support/temp-dir.ts";

export const FILTERS = ["add-header", "header-auth", "metadata-exchange", "stats"] as const;
export type FilterName = (typeof FILTERS)[number];

const cache = new Map<string, Uint8Array>();

export async function moduleBytes(name: FilterName): Promise<Uint8Array> {
  let b = cache.get(name);
  if (b) return b;
  let file = path.join(PROJECT_ROOT, "build", `${name}.wasm`);
  if (!existsSync(file)) {
    const out = tempDir(`robustness-${name}`);
    await buildFilters({ outDir: out, only: [name] });
    file = path.join(out, `${name}.wasm`);
  }
  b = new Uint8Array(readFileSync(file));
  cache.set(name, b);
  return b;
}

export function exampleConfig(name: FilterName): unknown {
  return JSON.parse(readFileSync(path.join(PROJECT_ROOT, "filters", name, "example-config.json"), "utf8"));
}

/** Every property name the filter's config.schema.json mentions, at any depth. */
export function schemaFieldNames(name: FilterName): string[] {
  const schema = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "filters", name, "config.schema.json"), "utf8"));
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "properties" && x && typeof x === "object") for (const p of Object.keys(x)) out.add(p);
        walk(x);
      }
    }
  };
  walk(schema);
  return [...out];
}

export const DEFAULT_ROOT_ID: Record<FilterName, string> = {
  "add-header": "add_header",
  "header-auth": "header_auth",
  "metadata-exchange": "metadata_exchange",
  stats: "stats",
};
