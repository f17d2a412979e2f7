// `mesh-filters doctor`: which external tools this checkout would use, where
// they are, how they were found, their versions, and whether Envoy really
// runs Proxy-Wasm filters. The JSON shape is fixed (README, docs/contracts.md):
// one object per tool, keyed by tool name; keys may be added.
import { checkEnvoyWasm } from "./envoy-wasm-check.ts";
import { installHint, locateTool, toolsDirFor, type LocatedTool, type ToolName } from "./locate.ts";
import { ENVOY_PIN, ORAS_PIN } from "./pins.ts";
import { REQUIRED_TOOLS, type SetupTool } from "./setup.ts";
import { bareVersion, toolVersion } from "./versions.ts";

export interface DoctorEntry {
  found: boolean;
  /** Absolute path of the binary this checkout uses; null when not found. */
  path: string | null;
  /** env: its env variable; path: PATH; project: .tools/bin (npm run setup); running: the Node running this. */
  source: LocatedTool["source"] | "running" | null;
  version: string | null;
  /** Needed by the test suites (doctor's exit code counts only these). */
  required: boolean;
  /** The version `npm run setup` installs, for Envoy and ORAS. */
  pinned?: string;
  /** How to get it, when it is missing or unusable. */
  hint?: string;
  /** Why it is not usable although a path was given or found. */
  error?: string;
  /** Envoy only: a real Proxy-Wasm module loaded in V8. */
  wasm?: boolean;
  wasmDetail?: string;
}

/** Keys in this order; envoy, oras, skopeo and docker-registry are the fixed ones. */
export const DOCTOR_TOOLS = ["envoy", "oras", "skopeo", "docker-registry", "h2load", "go", "python3"] as const satisfies readonly ToolName[];

export type DoctorReport = Record<(typeof DOCTOR_TOOLS)[number] | "node", DoctorEntry>;

const PINNED: Partial<Record<ToolName, string>> = { envoy: ENVOY_PIN.version, oras: bareVersion(ORAS_PIN.version) };

async function entry(name: ToolName, env: NodeJS.ProcessEnv, toolsDir: string): Promise<DoctorEntry> {
  const required = REQUIRED_TOOLS.has(name as SetupTool);
  const base = { required, ...(PINNED[name] && { pinned: PINNED[name] }) };
  let found: LocatedTool | undefined;
  try {
    found = locateTool(name, env, toolsDir);
  } catch (err) {
    return { found: false, path: null, source: null, version: null, ...base, error: (err as Error).message, hint: installHint(name), ...(name === "envoy" && { wasm: false }) };
  }
  if (!found) return { found: false, path: null, source: null, version: null, ...base, hint: installHint(name), ...(name === "envoy" && { wasm: false }) };
  const v = await toolVersion(name, found.path, env);
  const e: DoctorEntry = { found: true, path: found.path, source: found.source, version: v.version ?? null, ...base };
  if (v.error) e.error = v.error;
  if (name === "envoy") {
    const check = await checkEnvoyWasm(found.path, { env });
    e.wasm = check.wasm;
    e.wasmDetail = check.detail;
    if (!check.wasm) e.hint = `this Envoy cannot run our filters; ${installHint("envoy")} for Envoy ${ENVOY_PIN.version} with V8`;
  }
  return e;
}

export async function doctor(opts: { env?: NodeJS.ProcessEnv; toolsDir?: string } = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const toolsDir = opts.toolsDir ?? toolsDirFor(env);
  const entries = await Promise.all(DOCTOR_TOOLS.map((n) => entry(n, env, toolsDir)));
  const report = Object.fromEntries(DOCTOR_TOOLS.map((n, i) => [n, entries[i]!])) as DoctorReport;
  report.node = { found: true, path: process.execPath, source: "running", version: process.versions.node, required: true };
  return report;
}

/** What keeps the exit code non-zero: each required tool missing or unusable, and an Envoy without Wasm. */
export function doctorProblems(report: DoctorReport): string[] {
  const problems: string[] = [];
  for (const [name, e] of Object.entries(report)) {
    if (!e.required) continue;
    if (!e.found) problems.push(`${name} not found: ${e.hint}`);
    else if (e.error && !e.version) problems.push(`${name} at ${e.path} is not usable: ${e.error}`);
  }
  if (report.envoy.found && !report.envoy.wasm) problems.push(`envoy at ${report.envoy.path} cannot load a Proxy-Wasm filter: ${report.envoy.wasmDetail}`);
  return problems;
}

const SOURCE_LABEL: Record<NonNullable<DoctorEntry["source"]>, string> = { env: "env variable", path: "PATH", project: ".tools (setup)", running: "running" };

export function formatDoctor(report: DoctorReport): string {
  const rows = Object.entries(report).map(([name, e]) => {
    const version = e.version ? (e.pinned && e.version !== e.pinned ? `${e.version} (pinned ${e.pinned})` : e.version) : e.found ? "?" : "-";
    const extra = name === "envoy" && e.found ? `wasm: ${e.wasm ? "yes" : "NO"}` : !e.found ? (e.required ? "MISSING" : "missing (optional)") : "";
    return [name, e.found ? "found" : "-", version, e.source ? SOURCE_LABEL[e.source] : "-", e.path ?? "-", extra];
  });
  const header = ["tool", "status", "version", "found via", "path", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [line(header), ...rows.map(line)];
  const notes = Object.entries(report).filter(([, e]) => !e.found || e.error || (e.wasm === false && e.found));
  for (const [name, e] of notes) {
    if (e.error) out.push(`${name}: ${e.error}`);
    if (e.found && e.wasm === false) out.push(`${name}: ${e.wasmDetail}`);
    if (e.hint) out.push(`${name}: ${e.hint}`);
  }
  const problems = doctorProblems(report);
  out.push("", problems.length ? `NOT READY: ${problems.length} problem(s) above` : "ready: every tool the tests need is here");
  return out.join("\n");
}
