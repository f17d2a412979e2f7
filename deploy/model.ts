// What the manifest generators share: the inputs (build/filters.json, each
// filter's plugin configuration and deploy profile, dist/pushed.json) and the
// options of `mesh-filters manifests`.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readFiltersJson, type FilterEntry } from "../oci/filters-json.ts";
import { atLeast, ISTIO_GATES } from "./istio-versions.ts";
import { labelValueProblem, qualifiedNameProblem } from "./k8s-names.ts";
import { readProfile, type Attachment, type Profile } from "./profile.ts";

export type { Attachment, Context, Phase, Profile } from "./profile.ts";
export { parseIstioVersion } from "./istio-versions.ts";

export interface PushedDigest {
  digest: string; // sha256:<hex>
  reference: string;
  tag: string;
}

export interface FilterInput {
  entry: FilterEntry;
  profile: Profile;
  /** The plugin configuration (a JSON object): the one given for deployment, else example-config.json. */
  config: Record<string, unknown>;
  /** Where `config` came from: a file, or `<deploy file>: configs.<name>` for an inline one. */
  configSource: string;
  /** Compact JSON of `config`: the exact bytes proxy_on_configure receives. */
  configJson: string;
  /** Manifest digests per variant from dist/pushed.json (with --digest). */
  digests: Partial<Record<"wasm" | "compat", PushedDigest>>;
}

export interface RenderOptions {
  /** Registry and namespace, e.g. registry.example.com/mesh-wasm-filters; the repository is <image>/<filter>. */
  image: string;
  tag: string;
  namespace: string;
  selector: Record<string, string>;
  /** Istio minor version the proxies run, e.g. "1.26": ≥1.25 gets failure_policy, older fail_open. */
  istio: string;
  /** Which OCI variant Istio pulls (ASM always gets the wasm variant). */
  istioVariant: "wasm" | "compat";
  imagePullPolicy?: "IfNotPresent" | "Always";
  imagePullSecret?: string;
  /** Where the local-file EnvoyFilter form expects the modules inside the sidecar. */
  sidecarWasmDir: string;
  /** Where the plain-Envoy bootstrap loads the modules from (relative paths resolve against Envoy's cwd). */
  envoyWasmDir: string;
  envoyListenPort: number;
  envoyBackend: { host: string; port: number };
  envoyAdminPort: number;
}

export const DEFAULTS = {
  istio: "1.26",
  sidecarWasmDir: "/var/local/lib/wasm-filters",
  envoyWasmDir: "build",
  envoyListenPort: 10000,
  envoyBackend: { host: "127.0.0.1", port: 8080 },
  envoyAdminPort: 9901,
} as const;

export const CANONICAL_ORDER = ["header-auth", "metadata-exchange", "stats"];

export function parseSelector(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`--selector: expected key=value[,key=value], got '${part}'`);
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k.includes("*") || v.includes("*")) throw new Error(`--selector: wildcards are not allowed ('${part}')`);
    const kp = qualifiedNameProblem(k);
    if (kp) throw new Error(`--selector: '${k}' is not a valid label key: ${kp}`);
    const vp = labelValueProblem(v);
    if (vp) throw new Error(`--selector: '${v}' is not a valid label value: it ${vp}`);
    out[k] = v;
  }
  if (Object.keys(out).length === 0) throw new Error("--selector: at least one key=value is required");
  return out;
}

/** PluginConfig.failure_policy exists from Envoy ≈1.33 = Istio 1.25 (facts §10); older proxies need fail_open. */
export function usesFailurePolicy(istio: string): boolean {
  return atLeast(istio, ISTIO_GATES.failurePolicy);
}

export function sortFilters<T extends { entry: FilterEntry; profile: Profile }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.profile.order - b.profile.order || a.entry.name.localeCompare(b.entry.name));
}

/** A plugin configuration: a JSON object (WasmPlugin.pluginConfig is a google.protobuf.Struct). */
export function checkConfigObject(config: unknown, where: string): Record<string, unknown> {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`${where}: must be a JSON object (WasmPlugin.pluginConfig is a google.protobuf.Struct)`);
  }
  return config as Record<string, unknown>;
}

export function readConfigFile(file: string): { config: Record<string, unknown>; configJson: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (err as Error).message}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const checked = checkConfigObject(config, file);
  return { config: checked, configJson: JSON.stringify(checked) };
}

export function readExampleConfig(filtersDir: string, name: string): { config: Record<string, unknown>; configJson: string } {
  const file = path.join(filtersDir, name, "example-config.json");
  if (!existsSync(file)) throw new Error(`${file} not found: every filter needs an example-config.json (docs/contracts.md)`);
  return readConfigFile(file);
}

/** A filter's plugin configuration for deployment: a file, or an object given inline (in a deploy file). */
export type ConfigSource = { file: string } | { inline: unknown; where: string };

export interface PushedJsonFile {
  registry: string;
  tag: string;
  artifacts: { name: string; variant: string; reference: string; digest: string; rootIds: string[]; moduleSha256: string }[];
}

export function readPushedJson(file: string): PushedJsonFile {
  let raw: PushedJsonFile;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    const msg = (err as NodeJS.ErrnoException).code === "ENOENT" ? "not found (run `mesh-filters push` first)" : (err as Error).message;
    throw new Error(`${file}: ${msg}`);
  }
  if (typeof raw?.registry !== "string" || typeof raw.tag !== "string" || !Array.isArray(raw.artifacts)) throw new Error(`${file}: expected {registry, tag, artifacts[]} (docs/contracts.md)`);
  raw.artifacts.forEach((a, i) => {
    if (typeof a?.name !== "string" || (a.variant !== "wasm" && a.variant !== "compat")) throw new Error(`${file}: artifacts[${i}]: bad name/variant`);
    if (typeof a.digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(a.digest)) throw new Error(`${file}: artifacts[${i}]: digest must be sha256:<64 hex>`);
    if (!Array.isArray(a.rootIds)) throw new Error(`${file}: artifacts[${i}]: rootIds missing`);
  });
  return raw;
}

export interface LoadOptions {
  root: string;
  filtersJson?: string;
  filtersDir?: string;
  pushedJson?: string;
  /** Already-read pushed data (the examples' fixed reference); wins over pushedJson. */
  pushed?: PushedJsonFile;
  only?: string[];
  /** The configuration to deploy per filter; a filter not named here deploys its example-config.json. */
  configs?: Record<string, ConfigSource>;
}

/**
 * Reads the inputs and cross-checks them: every root id a profile attaches must
 * be registered by the module (build/filters.json), and a pushed artifact must
 * be the module that was built (same module sha256 and root ids), else its
 * digest would pin a module nobody built from this tree.
 */
export function loadInputs(o: LoadOptions): { filters: FilterInput[]; pushed?: PushedJsonFile; examplesUsed: string[] } {
  const filtersJson = path.resolve(o.root, o.filtersJson ?? "build/filters.json");
  const filtersDir = path.resolve(o.root, o.filtersDir ?? "filters");
  const built = readFiltersJson(filtersJson);
  // A configuration for a filter that is not built is a typo; one for a built filter left out by `only` is not.
  const unknownConfigs = Object.keys(o.configs ?? {}).filter((n) => !built.some((e) => e.name === n));
  if (unknownConfigs.length) {
    throw new Error(`a configuration is given for ${unknownConfigs.map((n) => `'${n}'`).join(", ")}, which is not a built filter (${filtersJson} lists ${built.map((e) => e.name).join(", ")})`);
  }
  let entries = built;
  if (o.only?.length) {
    const unknown = o.only.filter((n) => !entries.some((e) => e.name === n));
    if (unknown.length) throw new Error(`unknown filter(s) ${unknown.join(", ")}; ${filtersJson} lists ${entries.map((e) => e.name).join(", ")}`);
    entries = entries.filter((e) => o.only!.includes(e.name));
  }
  const pushed = o.pushed ?? (o.pushedJson ? readPushedJson(path.resolve(o.root, o.pushedJson)) : undefined);
  const examplesUsed: string[] = [];
  const filters = entries.map((entry): FilterInput => {
    // The profile is checked against the root ids the built module registers.
    const profile = readProfile(filtersDir, entry.name, entry.rootIds);
    const source = o.configs?.[entry.name];
    let config: Record<string, unknown>, configJson: string, configSource: string;
    if (source === undefined) {
      ({ config, configJson } = readExampleConfig(filtersDir, entry.name));
      configSource = path.join(filtersDir, entry.name, "example-config.json");
      examplesUsed.push(entry.name);
    } else if ("file" in source) {
      ({ config, configJson } = readConfigFile(source.file));
      configSource = source.file;
    } else {
      config = checkConfigObject(source.inline, source.where);
      configJson = JSON.stringify(config);
      configSource = source.where;
    }
    const digests: FilterInput["digests"] = {};
    if (pushed) {
      for (const a of pushed.artifacts.filter((x) => x.name === entry.name)) {
        if (a.moduleSha256 !== entry.sha256) throw new Error(`${entry.name} (${a.variant}): pushed module sha256 ${a.moduleSha256} differs from the built one ${entry.sha256}; push again`);
        if (JSON.stringify(a.rootIds) !== JSON.stringify(entry.rootIds)) throw new Error(`${entry.name} (${a.variant}): pushed root ids ${JSON.stringify(a.rootIds)} differ from ${JSON.stringify(entry.rootIds)}`);
        digests[a.variant as "wasm" | "compat"] = { digest: a.digest, reference: a.reference, tag: pushed.tag };
      }
      if (!digests.wasm && !digests.compat) throw new Error(`${entry.name}: not in ${o.pushedJson ?? "the pushed artifacts"} (push it, or leave it out with --filters)`);
    }
    return { entry, profile, config, configJson, configSource, digests };
  });
  return { filters: sortFilters(filters), pushed, examplesUsed };
}

/** `<image>/<name>`, the repository of one filter. */
export function repository(image: string, name: string): string {
  return `${image.replace(/^oci:\/\//, "").replace(/\/+$/, "")}/${name}`;
}

export function variantTag(tag: string, variant: "wasm" | "compat"): string {
  return variant === "wasm" ? tag : `${tag}-compat`;
}

/** Resource name for one attachment: the filter name, plus -inbound/-outbound when root ids differ by direction. */
export function attachmentName(f: FilterInput, a: Attachment): string {
  return a.suffix ? `${f.entry.name}-${a.suffix}` : f.entry.name;
}

export const PART_OF = { "app.kubernetes.io/part-of": "mesh-wasm-filters" };
