// verifyArtifact: what a team runs in CI before deploying. Fetches the
// artifact (registry reference or OCI layout tag), checks every digest and
// size, applies Istio's acceptance rules (with Istio's own error text), and
// compares the module with build/filters.json and the ABI-surface checker.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { ANNOTATION } from "./media-types.ts";
import { sha256Hex } from "./digest.ts";
import { readArtifactFromLayout, type LoadedArtifact } from "./artifact-reader.ts";
import { IstioRejection } from "./istio-rules.ts";
import { pullArtifact } from "./pull.ts";
import { readFiltersJson } from "./filters-json.ts";
import { LAYOUT_FILE } from "./layout.ts";
import type { Credentials } from "./auth.ts";

/** Same signature as scripts/lib/abi-surface.ts `checkAbiSurface`: problems, empty when fine. */
export type AbiChecker = (bytes: Uint8Array, moduleName: string) => string[];

export interface VerifyOptions {
  plainHttp?: boolean;
  credentials?: Credentials;
  authFile?: string;
  env?: NodeJS.ProcessEnv;
  /** build/filters.json to compare the module against; when absent or missing on disk the check is skipped. */
  filtersJson?: string;
  /** When absent the ABI check is reported as skipped. */
  abiCheck?: AbiChecker;
}

export type CheckStatus = "pass" | "fail" | "skip";
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  target: string;
  manifestDigest?: string;
  variant?: string;
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

/** The filter an artifact claims to be: its title annotation, else the layout tag or repository name (minus -compat). */
function filterNameOf(a: LoadedArtifact, layout: { dir: string; tag: string } | undefined, target: string): string {
  const title = a.manifest.annotations?.[ANNOTATION.title];
  if (title) return title;
  const base = layout ? layout.tag : target.replace(/@.*$/, "").replace(/:[^/:]*$/, "").split("/").pop() ?? "";
  return base.replace(/-compat$/, "");
}

export async function verifyArtifact(target: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const checks: Check[] = [];
  const report: VerifyReport = { ok: false, target, checks };
  let art: LoadedArtifact;
  let layout: { dir: string; tag: string } | undefined;
  try {
    layout = parseLayoutTarget(target);
    art = layout
      ? readArtifactFromLayout(layout.dir, layout.tag)
      : await pullArtifact(target, { plainHttp: opts.plainHttp, credentials: opts.credentials, authFile: opts.authFile, env: opts.env });
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

  const name = filterNameOf(art, layout, target);
  report.filter = name;
  const moduleHex = sha256Hex(art.module);
  if (!opts.filtersJson || !existsSync(opts.filtersJson)) {
    checks.push({ name: "module sha256 vs build/filters.json", status: "skip", detail: `${opts.filtersJson ?? "no filters.json given"} not found; module sha256 ${moduleHex}` });
  } else {
    const entry = readFiltersJson(opts.filtersJson).find((e) => e.name === name);
    if (!entry) {
      checks.push({ name: "module sha256 vs build/filters.json", status: "fail", detail: `no filter named '${name}' in ${opts.filtersJson}` });
    } else if (entry.sha256 !== moduleHex) {
      checks.push({ name: "module sha256 vs build/filters.json", status: "fail", detail: `artifact module sha256 ${moduleHex} != ${entry.sha256} in ${opts.filtersJson} (stale push or different build)` });
    } else {
      checks.push({ name: "module sha256 vs build/filters.json", status: "pass", detail: `${moduleHex} (${art.module.length} bytes)` });
      const rootIds = art.config?.config?.rootIds;
      if (rootIds && JSON.stringify(rootIds) !== JSON.stringify(entry.rootIds)) {
        checks.push({ name: "runtime config root ids", status: "fail", detail: `runtime-config.json lists ${JSON.stringify(rootIds)}, filters.json ${JSON.stringify(entry.rootIds)}` });
      }
    }
  }

  if (!opts.abiCheck) {
    checks.push({ name: "ABI surface", status: "skip", detail: "no ABI-surface checker available (scripts/lib/abi-surface.ts)" });
  } else {
    const problems = opts.abiCheck(art.module, name);
    checks.push(problems.length ? { name: "ABI surface", status: "fail", detail: problems.join("; ") } : { name: "ABI surface", status: "pass", detail: "exports and imports fit Proxy-Wasm ABI" });
  }
  report.ok = checks.every((c) => c.status !== "fail");
  return report;
}

export function formatReport(r: VerifyReport): string {
  const lines = r.checks.map((c) => `  ${c.status.toUpperCase().padEnd(4)}  ${c.name}: ${c.detail.replace(/\n/g, "\n        ")}`);
  const head = r.ok
    ? `OK: ${r.target} is deployable (${r.variant} variant, manifest digest ${r.manifestDigest}; Istio WasmPlugin sha256: ${r.manifestDigest?.slice(7)})`
    : `FAILED: ${r.target} would not be accepted`;
  return [head, ...lines].join("\n");
}
