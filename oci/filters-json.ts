// Reads build/filters.json (shape fixed in docs/contracts.md) and the modules
// it lists, refusing stale or hand-edited entries: packaging a module whose
// bytes differ from the recorded sha256 would publish something nobody tested.
import { readFileSync } from "node:fs";
import path from "node:path";
import { sha256Hex } from "./digest.ts";

export interface FilterEntry {
  name: string;
  rootIds: string[];
  file: string;
  size: number;
  sha256: string;
  abiVersion: string;
  description?: string;
}

export interface BuiltFilter extends FilterEntry {
  module: Uint8Array;
}

const NAME_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/; // a valid registry repository path component

export function readFiltersJson(filtersJson: string): FilterEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(filtersJson, "utf8"));
  } catch (err) {
    const msg = (err as NodeJS.ErrnoException).code === "ENOENT" ? "not found (run `mesh-filters build` first)" : String((err as Error).message);
    throw new Error(`${filtersJson}: ${msg}`);
  }
  if (!Array.isArray(raw)) throw new Error(`${filtersJson}: expected a JSON array of filters`);
  const seen = new Set<string>();
  return raw.map((e: Record<string, unknown>, i) => {
    const where = `${filtersJson}[${i}]`;
    if (typeof e?.name !== "string" || !NAME_RE.test(e.name)) throw new Error(`${where}: 'name' must be a lowercase repository name, got ${JSON.stringify(e?.name)}`);
    if (seen.has(e.name)) throw new Error(`${where}: duplicate filter '${e.name}'`);
    seen.add(e.name);
    if (!Array.isArray(e.rootIds) || e.rootIds.some((r) => typeof r !== "string")) throw new Error(`${where}: 'rootIds' must be an array of strings`);
    if (typeof e.file !== "string") throw new Error(`${where}: 'file' missing`);
    if (typeof e.sha256 !== "string" || !/^[a-f0-9]{64}$/.test(e.sha256)) throw new Error(`${where}: 'sha256' must be 64 lowercase hex`);
    if (typeof e.size !== "number") throw new Error(`${where}: 'size' missing`);
    if (typeof e.abiVersion !== "string" || !/^\d+\.\d+\.\d+$/.test(e.abiVersion)) throw new Error(`${where}: 'abiVersion' must look like 0.2.1`);
    const entry: FilterEntry = { name: e.name, rootIds: e.rootIds as string[], file: e.file, size: e.size, sha256: e.sha256, abiVersion: e.abiVersion };
    if (typeof e.description === "string") entry.description = e.description;
    return entry;
  });
}

/** Entries plus module bytes; `file` is relative to the project root. */
export function loadBuiltFilters(filtersJson: string, projectRoot: string, only?: string[]): BuiltFilter[] {
  let entries = readFiltersJson(filtersJson);
  if (only && only.length) {
    const unknown = only.filter((n) => !entries.some((e) => e.name === n));
    if (unknown.length) throw new Error(`unknown filter(s) ${unknown.join(", ")}; ${filtersJson} lists ${entries.map((e) => e.name).join(", ")}`);
    entries = entries.filter((e) => only.includes(e.name));
  }
  return entries.map((e) => {
    const file = path.resolve(projectRoot, e.file);
    let module: Uint8Array;
    try {
      module = new Uint8Array(readFileSync(file));
    } catch {
      throw new Error(`${e.name}: module ${file} not found (run \`mesh-filters build\`)`);
    }
    const hex = sha256Hex(module);
    if (hex !== e.sha256 || module.length !== e.size) {
      throw new Error(`${e.name}: ${file} (${module.length} bytes, sha256 ${hex}) does not match ${filtersJson} (${e.size} bytes, sha256 ${e.sha256}); rebuild`);
    }
    return { ...e, module };
  });
}
