// Where the `created`, `source`, `revision` and `version` annotations come from.
// Every value is a function of the sources (never of the clock or the checkout
// path), so two machines packaging the same commit get the same digests.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

export interface Provenance {
  /** RFC 3339 UTC, second precision. */
  created: string;
  version: string;
  /** Omitted when there is no public source URL (see normalizeSourceUrl). */
  source?: string;
  revision?: string;
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function epochToRfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * `created`: SOURCE_DATE_EPOCH (reproducible-builds.org convention) when set,
 * else the committer time of HEAD. Never the current time: that would make
 * every packaging a new digest.
 */
export function resolveCreated(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && sde !== "") {
    if (!/^\d+$/.test(sde)) throw new Error(`SOURCE_DATE_EPOCH must be a non-negative integer (seconds since 1970), got '${sde}'`);
    return epochToRfc3339(Number(sde));
  }
  const ct = git(root, ["log", "-1", "--format=%ct", "HEAD"]);
  if (ct && /^\d+$/.test(ct)) return epochToRfc3339(Number(ct));
  throw new Error(
    `cannot determine the 'created' time: SOURCE_DATE_EPOCH is not set and ${root} has no git commit. ` +
      "Set SOURCE_DATE_EPOCH (e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)) or package from a git checkout.",
  );
}

/**
 * A public https URL for `org.opencontainers.image.source`, or undefined.
 * Local paths and file:// remotes are dropped (they differ per clone and mean
 * nothing to a registry user); credentials embedded in https remotes are
 * stripped (they must never end up in a published manifest); scp-style
 * `git@host:org/repo.git` becomes `https://host/org/repo`.
 */
export function normalizeSourceUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let s = raw.trim().replace(/^git\+/, "");
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+)$/.exec(s);
  if (scp) s = `https://${scp[1]}/${scp[2]}`;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return undefined;
  }
  if (!["https:", "http:", "ssh:", "git:"].includes(url.protocol) || !url.hostname) return undefined;
  return `https://${url.hostname}${url.pathname.replace(/\.git$/, "").replace(/\/+$/, "")}`;
}

interface PackageJson {
  version?: string;
  repository?: string | { url?: string };
}

export function readPackageJson(root: string): PackageJson {
  return JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as PackageJson;
}

/**
 * Source: the git remote `origin` if it is a public URL, else package.json
 * `repository`, else omitted. Revision: `git rev-parse HEAD`, omitted outside git.
 */
export function resolveProvenance(root: string, env: NodeJS.ProcessEnv = process.env): Provenance {
  const pkg = readPackageJson(root);
  if (!pkg.version) throw new Error(`${path.join(root, "package.json")} has no version`);
  const repo = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  const source = normalizeSourceUrl(git(root, ["config", "--get", "remote.origin.url"])) ?? normalizeSourceUrl(repo);
  const revision = git(root, ["rev-parse", "HEAD"]);
  const p: Provenance = { created: resolveCreated(root, env), version: pkg.version };
  if (source) p.source = source;
  if (revision && /^[0-9a-f]{40,64}$/.test(revision)) p.revision = revision;
  return p;
}
