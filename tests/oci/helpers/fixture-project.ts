// A throwaway project the OCI code can package: package.json (marked as a
// mesh-filters project by its "mesh-filters" field), a git commit (for
// `created`/`revision`), build/<name>.wasm compiled from tests/fixtures/oci/
// filter.wat with the wabt npm package, and build/filters.json in the shape
// docs/contracts.md fixes. Independent of `mesh-filters build` on purpose.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The filters and root ids of docs/contracts.md. */
export const FIXTURE_FILTERS: { name: string; rootIds: string[] }[] = [
  { name: "add-header", rootIds: ["add_header"] },
  { name: "header-auth", rootIds: ["header_auth"] },
  { name: "metadata-exchange", rootIds: ["metadata_exchange"] },
  { name: "stats", rootIds: ["stats", "stats_inbound", "stats_outbound"] },
];

let wabtPromise: ReturnType<typeof wabtInit> | undefined;

export async function compileFixtureModule(name: string): Promise<Uint8Array> {
  wabtPromise ??= wabtInit();
  const wabt = await wabtPromise;
  const wat = readFileSync(path.join(REPO_ROOT, "tests", "fixtures", "oci", "filter.wat"), "utf8").replace("__FILTER_NAME__", name);
  const mod = wabt.parseWat(`${name}.wat`, wat);
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

export interface FixtureProject {
  root: string;
  filtersJson: string;
  modules: Map<string, Uint8Array>;
}

export { tempDir } from "../../support/temp-dir.ts";
import { tempDir } from "../../support/temp-dir.ts";

function git(root: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", env: { ...process.env, ...env } }).trim();
}

export interface FixtureOptions {
  root?: string;
  version?: string;
  /** Committer/author date of the single commit, seconds since 1970. */
  commitEpoch?: number;
  remote?: string;
  filters?: { name: string; rootIds: string[] }[];
}

export async function makeFixtureProject(opts: FixtureOptions = {}): Promise<FixtureProject> {
  const root = opts.root ?? tempDir("proj");
  mkdirSync(path.join(root, "build"), { recursive: true });
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "fixture", version: opts.version ?? "0.1.0", "mesh-filters": {} }, null, 2) + "\n");
  writeFileSync(path.join(root, ".gitignore"), "build/\ndist/\n");
  const modules = new Map<string, Uint8Array>();
  const entries = [];
  for (const f of opts.filters ?? FIXTURE_FILTERS) {
    const bytes = await compileFixtureModule(f.name);
    modules.set(f.name, bytes);
    writeFileSync(path.join(root, "build", `${f.name}.wasm`), bytes);
    entries.push({ name: f.name, rootIds: f.rootIds, file: `build/${f.name}.wasm`, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex"), abiVersion: "0.2.1" });
  }
  const filtersJson = path.join(root, "build", "filters.json");
  writeFileSync(filtersJson, JSON.stringify(entries, null, 2) + "\n");
  const when = `${opts.commitEpoch ?? 1700000000} +0000`;
  git(root, ["init", "-q", "-b", "main"]);
  git(root, ["add", "package.json", ".gitignore"]);
  git(root, ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fixture"], { GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when });
  if (opts.remote) git(root, ["remote", "add", "origin", opts.remote]);
  return { root, filtersJson, modules };
}
