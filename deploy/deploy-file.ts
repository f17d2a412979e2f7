// A project's deployment settings, apart from the filters' examples: the
// "deploy" object of mesh-filters.json (or of package.json's "mesh-filters"
// field), or a file given with `manifests --deploy FILE` (one per environment:
// deploy/staging.json, deploy/prod.json). Command-line flags win over it.
//
//   {"namespace": "shop", "selector": {"app": "reviews"}, "image": "registry.example.com/wasm",
//    "tag": "1.0.0", "istio": "1.26", "platforms": ["wasmplugin"], "istioVariant": "wasm",
//    "pullSecret": "regcred",
//    "configs": {"header-auth": "configs/header-auth.json", "add-header": {"name": "x-team"}}}
//
// A config given as a string is a file, relative to the deploy file's folder
// (the project root for the project file's "deploy"); an object is the
// configuration itself.
import path from "node:path";
import type { ConfigSource } from "./model.ts";

export interface DeploySettings {
  namespace?: string;
  selector?: Record<string, string>;
  image?: string;
  tag?: string;
  istio?: string;
  platforms?: string[];
  istioVariant?: string;
  pullSecret?: string;
  configs: Record<string, ConfigSource>;
  /** Where these came from, for error messages. */
  source: string;
}

const KEYS = ["namespace", "selector", "image", "tag", "istio", "platforms", "istioVariant", "pullSecret", "configs"];
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Checks one deploy object; `baseDir` resolves config file paths; `where` names it in errors. */
export function parseDeploySettings(raw: unknown, baseDir: string, where: string): DeploySettings {
  if (raw === undefined) return { configs: {}, source: where };
  if (!isObject(raw)) throw new Error(`${where}: must be a JSON object`);
  const problems: string[] = [];
  for (const k of Object.keys(raw)) if (!k.startsWith("$") && !KEYS.includes(k)) problems.push(`${k}: unknown field (${KEYS.join(", ")})`);
  const str = (k: string): string | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") { problems.push(`${k}: must be a non-empty string`); return undefined; }
    return v;
  };
  const out: DeploySettings = {
    namespace: str("namespace"), image: str("image"), tag: str("tag"), istio: str("istio"),
    istioVariant: str("istioVariant"), pullSecret: str("pullSecret"), configs: {}, source: where,
  };
  if (raw.selector !== undefined) {
    if (isObject(raw.selector) && Object.values(raw.selector).every((v) => typeof v === "string")) out.selector = raw.selector as Record<string, string>;
    else problems.push(`selector: must be an object of label names to values, e.g. {"app": "reviews"}`);
  }
  if (raw.platforms !== undefined) {
    if (Array.isArray(raw.platforms) && raw.platforms.every((p) => typeof p === "string")) out.platforms = raw.platforms as string[];
    else problems.push("platforms: must be an array of platform names");
  }
  if (raw.configs !== undefined) {
    if (!isObject(raw.configs)) problems.push("configs: must be an object of filter names to a file or a configuration object");
    else {
      for (const [name, v] of Object.entries(raw.configs)) {
        if (typeof v === "string") out.configs[name] = { file: path.resolve(baseDir, v) };
        else if (isObject(v)) out.configs[name] = { inline: v, where: `${where}: configs.${name}` };
        else problems.push(`configs.${name}: must be a file name or a JSON object`);
      }
    }
  }
  if (problems.length) throw new Error(`${where}: ${problems.join("; ")}`);
  return out;
}

/** `--config NAME=FILE` arguments, relative to the working directory. */
export function parseConfigFlags(args: string[] | undefined, cwd = process.cwd()): Record<string, ConfigSource> {
  const out: Record<string, ConfigSource> = {};
  for (const a of args ?? []) {
    const eq = a.indexOf("=");
    if (eq <= 0 || eq === a.length - 1) throw new Error(`--config: expected FILTER=FILE, got '${a}'`);
    const name = a.slice(0, eq);
    if (out[name]) throw new Error(`--config: '${name}' is given twice`);
    out[name] = { file: path.resolve(cwd, a.slice(eq + 1)) };
  }
  return out;
}
