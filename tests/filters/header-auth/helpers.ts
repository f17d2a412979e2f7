// Shared setup for the header-auth suites: the built module (built on demand
// without touching build/filters.json), the example configuration and its keys.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ProxyWasmHost, type Plugin, type HeaderList, type SendResult } from "../../../host/index.ts";
import { tempDir } from "../../support/temp-dir.ts";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const WASM = path.join(ROOT, "build/header-auth.wasm");
export const EXAMPLE = JSON.parse(readFileSync(path.join(ROOT, "filters/header-auth/example-config.json"), "utf8"));

/** The keys behind example-config.json's digests (demo values, documented in the README). */
export const REPORTING_KEY = "demo-reporting-key"; // GET only, /api/ only
export const BILLING_KEY = "demo-billing-key"; // unrestricted

export const sha256hex = (s: string | Uint8Array): string => createHash("sha256").update(s).digest("hex");

/** Builds build/header-auth.wasm only when missing, into a temp dir, so filters.json stays as it is. */
export function ensureBuilt(): void {
  if (existsSync(WASM)) return;
  const out = tempDir("header-auth-build");
  try {
    execFileSync(process.execPath, [path.join(ROOT, "bin/mesh-filters.js"), "build", "--filter", "header-auth", "--out", out, "--quiet"], { cwd: ROOT, stdio: "inherit" });
    for (const f of ["header-auth.wasm", "header-auth.debug.wasm"]) copyFileSync(path.join(out, f), path.join(ROOT, "build", f));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function load(configuration: unknown = EXAMPLE, logLevel: "trace" | "debug" | "info" = "debug"): Promise<{ host: ProxyWasmHost; plugin: Plugin }> {
  const host = new ProxyWasmHost({ logLevel });
  const config = typeof configuration === "string" ? configuration : JSON.stringify(configuration);
  const plugin = await host.loadPlugin({ module: WASM, rootId: "header_auth", configuration: config });
  return { host, plugin };
}

export function request(extra: HeaderList, method = "GET", p = "/api/items"): HeaderList {
  return [[":method", method], [":path", p], [":authority", "svc"], ...extra];
}

export async function send(host: ProxyWasmHost, plugin: Plugin, headers: HeaderList): Promise<SendResult> {
  return host.chain([plugin]).send({ request: { headers }, upstream: { status: 200, body: "upstream" } });
}

export function all(list: HeaderList, name: string): string[] {
  return list.filter(([k]) => k === name).map(([, v]) => v);
}

/**
 * The path (query and fragment cut) in normal form, as README "Paths in normal form" defines it:
 * what normalize_path + merge_slashes leave, with %2F/%5C rejected, and no segment a servlet
 * container reads as "", "." or ".." once it drops the segment's ";" parameters.
 */
export function isNormalPath(p: string): boolean {
  if (!p.startsWith("/") || /[^\x21-\x7e]|\\/.test(p)) return false;
  const segments = p.slice(1).split("/");
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === "") { if (i < segments.length - 1) return false; continue; }
    const core = s.split(";")[0]!;
    if (core === "" || core === "." || core === "..") return false;
  }
  for (const m of p.matchAll(/%/g)) {
    const hex = p.slice(m.index! + 1, m.index! + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return false;
    const b = parseInt(hex, 16);
    if (b === 0 || b === 0x2f || b === 0x5c || /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))) return false;
  }
  return true;
}
