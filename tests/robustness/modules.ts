// The filters the robustness suites cover: every filters/<name>/ of the project
// (this repository's, or ROBUSTNESS_ROOT's: a project of your own), each with
// its built module (build/<name>.wasm; built into a temp dir when missing, so
// build/filters.json stays as `mesh-filters build` wrote it), its example
// configuration and what its folder says about it (robustness.json). Adding a
// filter needs no edit here.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildFilters } from "../../scripts/commands/build.ts";
import { discoverFilters, PACKAGE_ROOT, type FilterSource } from "../../scripts/lib/project.ts";
import { tempDir } from "../support/temp-dir.ts";

export const ROOT = path.resolve(process.env.ROBUSTNESS_ROOT ?? PACKAGE_ROOT);

export type FilterName = string;

const sources = new Map<string, FilterSource>();
function source(name: FilterName, root = ROOT): FilterSource {
  const key = `${root}\0${name}`;
  let s = sources.get(key);
  if (!s) {
    s = discoverFilters(root).find((f) => f.name === name);
    if (!s) throw new Error(`no filter ${name} in ${root}/filters`);
    sources.set(key, s);
  }
  return s;
}

/** Every filter of the project, by name. */
export const FILTERS: FilterName[] = discoverFilters(ROOT).map((f) => f.name);

const cache = new Map<string, Uint8Array>();

export async function moduleBytes(name: FilterName, root = ROOT): Promise<Uint8Array> {
  const key = `${root}\0${name}`;
  let b = cache.get(key);
  if (b) return b;
  let file = path.join(root, "build", `${name}.wasm`);
  if (!existsSync(file)) {
    const out = tempDir(`robustness-${name}`);
    await buildFilters({ root, outDir: out, only: [name], debug: false });
    file = path.join(out, `${name}.wasm`);
  }
  b = new Uint8Array(readFileSync(file));
  cache.set(key, b);
  return b;
}

export function exampleConfig(name: FilterName, root = ROOT): unknown {
  return JSON.parse(readFileSync(path.join(root, "filters", name, "example-config.json"), "utf8"));
}

/** Every property name the filter's config.schema.json mentions, at any depth. */
export function schemaFieldNames(name: FilterName, root = ROOT): string[] {
  const file = path.join(root, "filters", name, "config.schema.json");
  if (!existsSync(file)) return [];
  const schema = JSON.parse(readFileSync(file, "utf8"));
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

/** The root ids the module registers, in registration order (the first is what an empty root id selects). */
export function rootIds(name: FilterName, root = ROOT): string[] {
  return source(name, root).rootIds;
}

export function defaultRootId(name: FilterName, root = ROOT): string {
  return rootIds(name, root)[0] ?? "";
}

/** A local reply a filter documents: its %RESPONSE_CODE_DETAILS% and status (or the configuration field that sets it). */
export interface LocalReply {
  details: string;
  status: number;
  /** The configuration field that overrides `status` (header-auth's forbidden_status). */
  statusFrom?: string;
}

/**
 * What a filter's folder says about it for the robustness suites
 * (filters/<name>/robustness.json, every key optional):
 *   localReplies        the local replies it documents; any other local reply is a failure
 *   expectEveryReply    random traffic reaches each of them (the fuzz checks it did)
 *   after               the filters it runs behind in a chain (stats: metadata-exchange); the fuzz
 *                       runs it alone with the filter state they would leave, and behind them
 *   warmupUntilMetric   a counter that says its caches are full (memory is compared from
 *                       25,000 streams after it first counts)
 */
export interface RobustnessSpec {
  localReplies: LocalReply[];
  expectEveryReply: boolean;
  after: FilterName[];
  warmupUntilMetric?: string;
}

export function robustnessSpec(name: FilterName, root = ROOT): RobustnessSpec {
  const file = path.join(root, "filters", name, "robustness.json");
  const spec: RobustnessSpec = { localReplies: [], expectEveryReply: false, after: [] };
  if (!existsSync(file)) return spec;
  const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  for (const k of Object.keys(raw)) {
    if (!k.startsWith("$") && !["localReplies", "expectEveryReply", "after", "warmupUntilMetric"].includes(k)) throw new Error(`${file}: unknown key ${k}`);
  }
  const replies = raw.localReplies ?? [];
  if (!Array.isArray(replies) || !replies.every((r) => typeof r?.details === "string" && Number.isInteger(r?.status))) {
    throw new Error(`${file}: localReplies must be [{"details": "...", "status": 403, "statusFrom"?: "field"}]`);
  }
  spec.localReplies = replies as LocalReply[];
  spec.expectEveryReply = raw.expectEveryReply === true;
  if (raw.after !== undefined) {
    if (!Array.isArray(raw.after) || !raw.after.every((a) => typeof a === "string")) throw new Error(`${file}: after must be an array of filter names`);
    spec.after = raw.after as string[];
  }
  if (raw.warmupUntilMetric !== undefined) spec.warmupUntilMetric = String(raw.warmupUntilMetric);
  return spec;
}
