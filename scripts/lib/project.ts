// Where things are in a checkout, and which filters it holds.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readFiltersJson as readFiltersJsonFile, type FilterEntry } from "../../oci/filters-json.ts";

/** The project root (the folder holding package.json), wherever the command runs from. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface FilterSource {
  name: string;
  dir: string;
  entry: string;
  rootIds: string[];
}

/** Root ids a filter registers, in registration order, read from its sources. */
export function registeredRootIds(dir: string): string[] {
  const ids: string[] = [];
  const pattern = /registerRootContext\s*\([\s\S]*?,\s*"([^"]*)"\s*\)/g;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()) {
    // index.ts registers last in module order; read it after its imports.
    if (file === "index.ts") continue;
    for (const m of readFileSync(path.join(dir, file), "utf8").matchAll(pattern)) ids.push(m[1]);
  }
  for (const m of readFileSync(path.join(dir, "index.ts"), "utf8").matchAll(pattern)) ids.push(m[1]);
  return [...new Set(ids)];
}

/** Every `filters/<name>/index.ts`, sorted by name. */
export function discoverFilters(root = PROJECT_ROOT): FilterSource[] {
  const filtersDir = path.join(root, "filters");
  if (!existsSync(filtersDir)) return [];
  return readdirSync(filtersDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(filtersDir, d.name, "index.ts")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = path.join(filtersDir, name);
      return { name, dir, entry: path.join(dir, "index.ts"), rootIds: registeredRootIds(dir) };
    });
}

/** An entry of build/filters.json as the build writes it. */
export interface FilterBuild extends FilterEntry {
  debugFile?: string;
}

/** Reads and checks build/filters.json (the fixed contract of `mesh-filters build`). */
export function readFiltersJson(root = PROJECT_ROOT): FilterBuild[] {
  return readFiltersJsonFile(path.join(root, "build", "filters.json"));
}
