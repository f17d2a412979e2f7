// verifyArtifact: what a team runs in CI before deploying. Fetches the
// artifact (registry reference or OCI layout tag), checks every digest and
// size, applies Istio's acceptance rules (with Istio's own error text), checks
// that it is the filter the reference names, and compares the module with
// build/filters.json, dist/pushed.json and the ABI-surface checker.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { ANNOTATION } from "./media-types.ts";
import { sha256Hex } from "./digest.ts";
import { readArtifactFromLayout, type LoadedArtifact } from "./artifact-reader.ts";
import { IstioRejection } from "./istio-rules.ts";
import { pullArtifact } from "./pull.ts";
import { readFiltersJson } from "./filters-json.ts";
import { readPushedJson } from "./pushed-json.ts";
import { parseReference } from "./reference.ts";
import { LAYOUT_FILE } from "./layout.ts";
import type { Credentials } from "./auth.ts";
import type { OciLimits } from "./limits.ts";
import type { PushedArtifact } from "./push.ts";

/** Same signature as scripts/lib/abi-surface.ts `checkAbiSurface`: problems, empty when fine. */
export type AbiChecker = (bytes: Uint8Array, moduleName: string) => string[];

export interface VerifyOptions {
  plainHttp?: boolean;
  credentials?: Credentials;
  authFile?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * build/filters.json to compare the module against. Missing (or not given):
   * a failure in CI mode, else a warning and an UNVERIFIED report.
   */
  filtersJson?: string;
  /** dist/pushed.json; when it exists and records the reference, digest and module must match. */
  pushedJson?: string;
  /** CI mode (default: the CI environment variable, see isCi). */
  ci?: boolean;
  limits?: Partial<OciLimits>;
  /** When absent the ABI check is reported as skipped. */
  abiCheck?: AbiChecker;
}

/** warn: not checked, and that matters (the report is then UNVERIFIED); skip: not applicable. */
export type CheckStatus = "pass" | "fail" | "warn" | "skip";
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface VerifyReport {
  /** Nothing failed. */
  ok: boolean;
  /** ok, and the module was matched with build/filters.json under the name the reference gives. */
  verified: boolean;
  target: string;
  manifestDigest?: string;
  variant?: string;
  /** The filter the target names (repository or layout tag), not what the artifact says of itself. */
  filter?: string;
  checks: Check[];
}

/** `oci:<dir>:<tag>` or `<dir>:<tag>` (a directory holding an oci-layout file); otherwise a registry reference. */
export function parseLayoutTarget(target: string): { dir: string; tag: string } | undefined {
  const explicit = target.startsWith("oci:") && !target.startsWith("oci://");
  const s = explicit ? target.slice(4) : target;
  const i = s.lastIndexOf(":");
  if (i <= 0) return undefined;
  const dir = s.slice(0, i);
  const tag = s.slice(i + 1);
  const isLayout = existsSync(path.join(dir, LAYOUT_FILE)) && statSync(dir).isDirectory();
  if (explicit && !isLayout) throw new Error(`${dir} is not an OCI image layout (no ${LAYOUT_FILE})`);
  return isLayout ? { dir, tag } : undefined;
}

/**
 * The filter the target names: the repository's last path component, or the
 * layout tag minus `-compat`. Never the artifact's own annotations: those
 * travel with the artifact, so a swapped push would vouch for itself.
 */
export function filterNameOfTarget(target: string, layout: { dir: string; tag: string } | undefined, known: string[] = []): string {
  if (layout) return known.includes(layout.tag) ? layout.tag : layout.tag.replace(/-compat$/, "");
  return parseReference(target).repository.split("/").pop()!;
}

/** CI mode: `CI` set to anything but "", "0" or "false" (GitHub, GitLab, CircleCI, Buildkite… set CI=true). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI?.trim().toLowerCase();
  return !!v && v !== "0" && v !== "false";
}

const BUILD_CHECK = "module sha256 vs build/filters.json";

function identityCheck(art: LoadedArtifact, name: string, target: string): Check {
  const title = art.manifest.annotations?.[ANNOTATION.title];
  if (title === undefined) return { name: "filter identity", status: "pass", detail: `the reference names filter '${name}' (the artifact has no title annotation to compare)` };
  if (title === name) return { name: "filter identity", status: "pass", detail: `the reference names filter '${name}'; the artifact's title annotation agrees` };
  return { name: "filter identity", status: "fail", detail: `${target}: the reference names filter '${name}' but the artifact's title annotation says '${title}' (another filter pushed under this name?)` };
}

function buildChecks(art: LoadedArtifact, name: string, moduleHex: string, opts: VerifyOptions, ci: boolean): Check[] {
  const file = opts.filtersJson;
  if (!file || !existsSync(file)) {
    const what = file ? `${file} not found` : "no build/filters.json given";
    if (ci) return [{ name: BUILD_CHECK, status: "fail", detail: `${what}: in CI an artifact that cannot be checked against a build is not deployable; run \`mesh-filters build\` first or pass --filters (module sha256 ${moduleHex})` }];
    return [{ name: BUILD_CHECK, status: "warn", detail: `${what}: the module (sha256 ${moduleHex}) was not compared with a build; run \`mesh-filters build\` or pass --filters` }];
  }
  let entries;
  try {
    entries = readFiltersJson(file);
  } catch (err) {
    return [{ name: BUILD_CHECK, status: "fail", detail: (err as Error).message }];
  }
  const entry = entries.find((e) => e.name === name);
  if (!entry) return [{ name: BUILD_CHECK, status: "fail", detail: `no filter named '${name}' in ${file} (it lists ${entries.map((e) => e.name).join(", ") || "none"})` }];
  if (entry.sha256 !== moduleHex) {
    return [{ name: BUILD_CHECK, status: "fail", detail: `artifact module sha256 ${moduleHex} != ${entry.sha256} (expected: ${name} in ${file}; found: another filter, a stale push or a different build)` }];
  }
  const checks: Check[] = [{ name: BUILD_CHECK, status: "pass", detail: `${moduleHex} (${art.module.length} bytes) is ${name} in ${file}` }];
  const rootIds = art.config?.config?.rootIds;
  if (rootIds && JSON.stringify(rootIds) !== JSON.stringify(entry.rootIds)) {
    checks.push({ name: "runtime config root ids", status: "fail", detail: `runtime-config.json lists ${JSON.stringify(rootIds)}, expected ${JSON.stringify(entry.rootIds)} (${name} in ${file})` });
  }
  return checks;
}

function pushedCheck(art: LoadedArtifact, name: string, moduleHex: string, target: string, file: string | undefined): Check | undefined {
  const CHECK = "manifest digest vs dist/pushed.json";
  if (!file || !existsSync(file)) return undefined;
  let recorded: PushedArtifact[];
  try {
    recorded = readPushedJson(file).artifacts;
  } catch (err) {
    return { name: CHECK, status: "fail", detail: (err as Error).message };
  }
  const ref = parseReference(target);
  const sameRepo = recorded.filter((a) => {
    try {
      const r = parseReference(a.reference);
      return r.registry === ref.registry && r.repository === ref.repository;
    } catch {
      return false;
    }
  });
  const entry = ref.digest ? sameRepo.find((a) => a.digest === ref.digest) : sameRepo.find((a) => parseReference(a.reference).tag === ref.tag);
  if (!entry) return { name: CHECK, status: "skip", detail: `${target} is not recorded in ${file}` };
  const problems: string[] = [];
  if (entry.name !== name) problems.push(`${file} recorded filter '${entry.name}' for ${entry.reference}, the reference names '${name}'`);
  if (entry.digest !== art.manifestDigest) problems.push(`${file} recorded manifest ${entry.digest} for ${entry.reference}, the registry serves ${art.manifestDigest}`);
  if (entry.moduleSha256 !== moduleHex) problems.push(`${file} recorded module sha256 ${entry.moduleSha256}, the artifact's module is ${moduleHex}`);
  if (problems.length) return { name: CHECK, status: "fail", detail: problems.join("; ") };
  return { name: CHECK, status: "pass", detail: `${entry.reference} is what \`mesh-filters push\` recorded (${entry.digest})` };
}

export async function verifyArtifact(target: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const checks: Check[] = [];
  const report: VerifyReport = { ok: false, verified: false, target, checks };
  const env = opts.env ?? process.env;
  const ci = opts.ci ?? isCi(env);
  let art: LoadedArtifact;
  let layout: { dir: string; tag: string } | undefined;
  try {
    layout = parseLayoutTarget(target);
    art = layout
      ? readArtifactFromLayout(layout.dir, layout.tag, { limits: opts.limits, env })
      : await pullArtifact(target, { plainHttp: opts.plainHttp, credentials: opts.credentials, authFile: opts.authFile, env, limits: opts.limits });
  } catch (err) {
    if (err instanceof IstioRejection) {
      checks.push({ name: "fetch, schema, digests and sizes", status: "pass", detail: "every blob matches its descriptor" });
      checks.push({ name: "Istio acceptance", status: "fail", detail: err.message });
    } else {
      checks.push({ name: "fetch, schema, digests and sizes", status: "fail", detail: (err as Error).message });
    }
    return report;
  }
  report.manifestDigest = art.manifestDigest;
  report.variant = art.variant;
  checks.push({ name: "fetch, schema, digests and sizes", status: "pass", detail: `manifest ${art.manifestDigest}, ${art.manifest.layers.length} layer(s), every blob matches its descriptor` });
  checks.push({ name: "Istio acceptance", status: "pass", detail: `${art.shape} shape${art.shape === "oci" ? " (exactly 2 layers, module layer present)" : " (last layer tar+gzip with plugin.wasm)"}, \\0asm magic present` });

  let known: string[] = [];
  try {
    if (layout && opts.filtersJson && existsSync(opts.filtersJson)) known = readFiltersJson(opts.filtersJson).map((e) => e.name);
  } catch {
    /* reported by buildChecks */
  }
  const name = filterNameOfTarget(target, layout, known);
  report.filter = name;
  const moduleHex = sha256Hex(art.module);
  checks.push(identityCheck(art, name, target));
  const build = buildChecks(art, name, moduleHex, opts, ci);
  checks.push(...build);
  // What push recorded is about the registry; a layout may legitimately be newer than the last push.
  const pushed = layout ? undefined : pushedCheck(art, name, moduleHex, target, opts.pushedJson);
  if (pushed) checks.push(pushed);

  if (!opts.abiCheck) {
    checks.push({ name: "ABI surface", status: "skip", detail: "no ABI-surface checker available (scripts/lib/abi-surface.ts)" });
  } else {
    const problems = opts.abiCheck(art.module, name);
    checks.push(problems.length ? { name: "ABI surface", status: "fail", detail: problems.join("; ") } : { name: "ABI surface", status: "pass", detail: "exports and imports fit Proxy-Wasm ABI" });
  }
  report.ok = checks.every((c) => c.status !== "fail");
  report.verified = report.ok && build[0]!.status === "pass";
  return report;
}

export function formatReport(r: VerifyReport): string {
  const lines = r.checks.map((c) => `  ${c.status.toUpperCase().padEnd(4)}  ${c.name}: ${c.detail.replace(/\n/g, "\n        ")}`);
  const head = !r.ok
    ? `FAILED: ${r.target} would not be accepted`
    : r.verified
      ? `OK: ${r.target} is deployable (${r.variant} variant, manifest digest ${r.manifestDigest}; Istio WasmPlugin sha256: ${r.manifestDigest?.slice(7)})`
      : `UNVERIFIED: ${r.target} passes Istio's checks but was not compared with a build (${r.variant} variant, manifest digest ${r.manifestDigest})`;
  return [head, ...lines].join("\n");
}
