// Where things are: the package's own files (the AssemblyScript layer, the
// references the bench compiles), and the user's project, found the same way
// by every command: --root DIR, else the nearest folder upward from the working
// directory holding mesh-filters.json or a package.json with a "mesh-filters"
// field. This repository is such a project too (its mesh-filters.json); its
// four filters are the built-in examples.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readFiltersJson as readFiltersJsonFile, type FilterEntry } from "../../oci/filters-json.ts";

export const PACKAGE_NAME = "mesh-wasm-filters";
/** The file that marks a folder as a mesh-filters project. */
export const PROJECT_FILE = "mesh-filters.json";
/** ...or this field of its package.json. */
export const PACKAGE_FIELD = "mesh-filters";

/**
 * The folder holding this package's package.json: the checkout when run from
 * source, node_modules/mesh-wasm-filters when installed (this file is then
 * lib/scripts/lib/project.js, one level deeper).
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch { /* not ours; keep looking */ }
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package around ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * The package's own project (the built-in filters), i.e. PACKAGE_ROOT. Kept for
 * tests and callers that mean "this checkout"; commands use findProject().
 */
export const PROJECT_ROOT = PACKAGE_ROOT;

/** True when `dir` is inside a node_modules folder (nothing of a user's project is written there). */
export function insideNodeModules(dir: string): boolean {
  return path.resolve(dir).split(path.sep).includes("node_modules");
}

/** Where a project's settings came from, and what they say (deploy defaults; see deploy/deploy-file.ts). */
export interface Project {
  root: string;
  /** The file that marks it (mesh-filters.json or package.json), absent for an explicit --root without one. */
  file?: string;
  config: Record<string, unknown>;
  /** The project is this package itself (this checkout). */
  isPackage: boolean;
}

export class ProjectNotFound extends Error {}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The project marked in `dir`, or undefined when `dir` holds neither marker. */
export function readProject(dir: string): Project | undefined {
  const root = path.resolve(dir);
  const isPackage = root === PACKAGE_ROOT;
  const own = path.join(root, PROJECT_FILE);
  if (existsSync(own)) {
    const config = readJson(own);
    if (!isObject(config)) throw new Error(`${own}: must be a JSON object`);
    return { root, file: own, config, isPackage };
  }
  const pkg = path.join(root, "package.json");
  if (existsSync(pkg)) {
    const json = readJson(pkg);
    if (isObject(json) && PACKAGE_FIELD in json) {
      const config = json[PACKAGE_FIELD];
      if (!isObject(config)) throw new Error(`${pkg}: "${PACKAGE_FIELD}" must be an object`);
      return { root, file: pkg, config, isPackage };
    }
  }
  return undefined;
}

/**
 * The project a command works on. `root` (--root) is taken as given, marked or
 * not; otherwise the nearest marked folder from `cwd` upward. A project inside
 * node_modules is refused: commands write build/ and dist/ into the project.
 */
export function findProject(opts: { root?: string; cwd?: string } = {}): Project {
  let project: Project | undefined;
  if (opts.root !== undefined) {
    const root = path.resolve(opts.cwd ?? process.cwd(), opts.root);
    if (!existsSync(root)) throw new ProjectNotFound(`--root ${opts.root}: no such folder`);
    project = readProject(root) ?? { root, config: {}, isPackage: root === PACKAGE_ROOT };
  } else {
    const start = path.resolve(opts.cwd ?? process.cwd());
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (path.basename(dir) !== "node_modules") project = readProject(dir);
      if (project || path.dirname(dir) === dir) break;
    }
    if (!project) {
      throw new ProjectNotFound(
        `no mesh-filters project in ${start} or above it (a folder with ${PROJECT_FILE} or a package.json "${PACKAGE_FIELD}" field); ` +
          "run `mesh-filters new <name>` to start one here, or pass --root DIR",
      );
    }
  }
  if (insideNodeModules(project.root)) {
    throw new ProjectNotFound(`${project.root} is inside node_modules; run mesh-filters from your own project (or pass --root DIR)`);
  }
  return project;
}

/** findProject, or undefined when there is none (commands that can run without one). */
export function findProjectIfAny(opts: { root?: string; cwd?: string } = {}): Project | undefined {
  try {
    return findProject(opts);
  } catch (err) {
    if (err instanceof ProjectNotFound && opts.root === undefined) return undefined;
    throw err;
  }
}

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
  const sources = readdirSync(dir).filter((f) => f.endsWith(".ts") && !/\.(test|spec)\.ts$/.test(f)).sort();
  for (const file of sources) {
    // index.ts registers last in module order; read it after its imports.
    if (file === "index.ts") continue;
    for (const m of readFileSync(path.join(dir, file), "utf8").matchAll(pattern)) ids.push(m[1]);
  }
  for (const m of readFileSync(path.join(dir, "index.ts"), "utf8").matchAll(pattern)) ids.push(m[1]);
  return [...new Set(ids)];
}

/** Every `filters/<name>/index.ts` of a project, sorted by name. */
export function discoverFilters(root = PACKAGE_ROOT): FilterSource[] {
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
export function readFiltersJson(root = PACKAGE_ROOT): FilterBuild[] {
  return readFiltersJsonFile(path.join(root, "build", "filters.json"));
}
