// `mesh-filters build`: every filters/<name>/index.ts to build/<name>.wasm
// (release) and build/<name>.debug.wasm (names kept), each validated and
// ABI-checked, then build/filters.json.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inspectAbiSurface } from "../lib/abi-surface.ts";
import { DEBUG_OPTIONS, RELEASE_OPTIONS } from "../lib/compile-filter.ts";
import { compileMany } from "../lib/compile-pool.ts";
import { discoverFilters, findProject, PACKAGE_ROOT, type FilterBuild } from "../lib/project.ts";
import { validateWasm } from "../lib/validate-wasm.ts";
import { didYouMean, parseCommandArgs } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters build [--filter NAME]... [--out DIR] [--no-debug] [--quiet] [--root DIR]

Compiles the project's filters/<name>/index.ts with AssemblyScript 0.17.14 into
<out>/<name>.wasm (optimized) and <out>/<name>.debug.wasm (names kept), checks
each with wabt and against the Proxy-Wasm ABI surface Envoy provides, and
writes <out>/filters.json. Default out: build/. --no-debug skips the debug
modules. Modules compile in parallel, one worker per core.
The project is --root DIR, else the nearest folder upward from here with
mesh-filters.json (or a package.json "mesh-filters" field).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(HELP, {
    args: argv,
    options: {
      filter: { type: "string", multiple: true },
      out: { type: "string" },
      quiet: { type: "boolean", default: false },
      "no-debug": { type: "boolean", default: false },
      root: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { root } = findProject({ root: values.root });
  const outDir = path.resolve(values.out ?? path.join(root, "build"));
  const say = values.quiet ? () => {} : (s: string) => console.log(s);
  const results = await buildFilters({ root, outDir, only: values.filter, debug: !values["no-debug"], progress: say });
  say("");
  say(formatSummary(results));
  return 0;
}

export interface BuildOptions {
  /** The project whose filters/<name>/ are built (default: this package's own). */
  root?: string;
  outDir: string;
  only?: string[];
  /** Also build <name>.debug.wasm (default true). */
  debug?: boolean;
  progress?: (line: string) => void;
}

export async function buildFilters(opts: BuildOptions): Promise<FilterBuild[]> {
  const progress = opts.progress ?? (() => {});
  const root = path.resolve(opts.root ?? PACKAGE_ROOT);
  let filters = discoverFilters(root);
  if (opts.only?.length) {
    const unknown = opts.only.filter((n) => !filters.some((f) => f.name === n));
    if (unknown.length) {
      const names = filters.map((f) => f.name);
      throw new Error(`no such filter: ${unknown.join(", ")} (have: ${names.join(", ") || "none"}).${didYouMean(unknown[0]!, names)}`);
    }
    filters = filters.filter((f) => opts.only!.includes(f.name));
  }
  if (filters.length === 0) throw new Error(`no filters found under ${path.join(root, "filters")}/<name>/index.ts (\`mesh-filters new <name>\` starts one)`);
  mkdirSync(opts.outDir, { recursive: true });
  // Paths are compiled relative to the project root so that debug names, and
  // so the bytes, do not depend on where the checkout lives.
  const cwd = process.cwd();
  process.chdir(root);
  const withDebug = opts.debug ?? true;
  const results: FilterBuild[] = [];
  try {
    for (const f of filters) {
      if (f.rootIds.length === 0) throw new Error(`${f.name}: registers no root context (registerRootContext(..., "id"))`);
    }
    progress(`compiling ${filters.map((f) => f.name).join(", ")}${withDebug ? " (release and debug)" : ""}`);
    const jobs = filters.flatMap((f) => {
      const entry = path.relative(root, f.entry);
      const release = { entry, options: { ...RELEASE_OPTIONS, use: [...RELEASE_OPTIONS.use] } };
      const debug = { entry, options: { ...DEBUG_OPTIONS, use: [...DEBUG_OPTIONS.use] } };
      return withDebug ? [release, debug] : [release];
    });
    const binaries = await compileMany(jobs);
    for (const [i, f] of filters.entries()) {
      const release = binaries[withDebug ? 2 * i : i];
      const file = path.join(opts.outDir, `${f.name}.wasm`);
      const outputs: [Uint8Array, string][] = [[release, file]];
      const debugFile = path.join(opts.outDir, `${f.name}.debug.wasm`);
      if (withDebug) outputs.push([binaries[2 * i + 1], debugFile]);
      for (const [bytes, where] of outputs) {
        await validateWasm(bytes, where);
        const report = inspectAbiSurface(bytes, path.relative(root, where));
        if (report.problems.length) throw new Error(`ABI check failed:\n  ${report.problems.join("\n  ")}`);
      }
      for (const [bytes, where] of outputs) writeFileSync(where, bytes);
      const abiVersion = inspectAbiSurface(release, f.name).abiVersion ?? "0.2.1";
      results.push({
        name: f.name,
        rootIds: f.rootIds,
        file: path.relative(root, file),
        size: release.length,
        sha256: createHash("sha256").update(release).digest("hex"),
        abiVersion,
        ...(withDebug ? { debugFile: path.relative(root, debugFile) } : {}),
      });
      progress(`[${i + 1}/${filters.length}] ${f.name}: ok (${release.length} bytes, root ids ${f.rootIds.join(", ")})`);
    }
  } finally {
    process.chdir(cwd);
  }
  writeFileSync(path.join(opts.outDir, "filters.json"), JSON.stringify(mergeEntries(opts, root, results), null, 2) + "\n");
  return results;
}

/**
 * Entries for filters.json. Building some filters (--filter) keeps the other
 * entries of an existing filters.json whose modules are still there, so one
 * filter can be rebuilt without dropping the rest from the contract file.
 */
function mergeEntries(opts: BuildOptions, root: string, results: FilterBuild[]): FilterBuild[] {
  const file = path.join(opts.outDir, "filters.json");
  if (!opts.only?.length || !existsSync(file)) return results;
  let previous: FilterBuild[];
  try {
    previous = JSON.parse(readFileSync(file, "utf8")) as FilterBuild[];
  } catch {
    return results;
  }
  const rebuilt = new Set(results.map((r) => r.name));
  const kept = previous.filter((p) => !rebuilt.has(p.name) && existsSync(path.join(root, p.file)));
  return [...kept, ...results].sort((a, b) => a.name.localeCompare(b.name));
}

export function formatSummary(results: FilterBuild[]): string {
  const rows = [["filter", "size", "sha256", "root ids"], ...results.map((r) => [r.name, String(r.size), r.sha256.slice(0, 12), r.rootIds.join(",")])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd()).join("\n");
}
