// What the manifest generators share: the inputs (build/filters.json, each
// filter's example-config.json, dist/pushed.json), the per-filter deployment
// profile (where in the chain, which direction, which root id, how it fails)
// and the options of `mesh-filters manifests`.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readFiltersJson, type FilterEntry } from "../oci/filters-json.ts";

export type Context = "SIDECAR_INBOUND" | "SIDECAR_OUTBOUND";
export type Phase = "UNSPECIFIED_PHASE" | "AUTHN" | "AUTHZ" | "STATS";

/** One place a filter is inserted: a direction and the root id serving it. */
export interface Attachment {
  context: Context;
  rootId: string;
  /** "" when the filter has one attachment per direction with the same root id; "inbound"/"outbound" when the root id differs by direction. */
  suffix: string;
}

export interface Profile {
  /** Position in the chain: lower runs first (all before the router). */
  order: number;
  phase: Phase;
  /** WasmPlugin priority: higher runs first within a phase. */
  priority: number;
  failOpen: boolean;
  attachments: Attachment[];
  /** Member of the header-auth → metadata-exchange → stats pipeline rendered "together". */
  pipeline: boolean;
}

/**
 * Deployment profile per filter. header-auth authenticates (AUTHN phase,
 * inbound, fails closed: a broken authenticator must not let requests through).
 * metadata-exchange and stats are telemetry (STATS phase, both directions,
 * fail open); metadata-exchange has the higher priority so it runs before
 * stats, which reads the peer metadata it stores. stats uses the Istio-style
 * root ids per direction as Istio did (telemetryv2_1.13.yaml): stats_inbound on
 * SIDECAR_INBOUND, stats_outbound on SIDECAR_OUTBOUND.
 */
export function profileFor(f: FilterEntry): Profile {
  switch (f.name) {
    case "header-auth":
      return { order: 10, phase: "AUTHN", priority: 10, failOpen: false, pipeline: true, attachments: [{ context: "SIDECAR_INBOUND", rootId: "header_auth", suffix: "" }] };
    case "metadata-exchange":
      return {
        order: 20, phase: "STATS", priority: 20, failOpen: true, pipeline: true,
        attachments: [
          { context: "SIDECAR_INBOUND", rootId: "metadata_exchange", suffix: "" },
          { context: "SIDECAR_OUTBOUND", rootId: "metadata_exchange", suffix: "" },
        ],
      };
    case "stats":
      return {
        order: 30, phase: "STATS", priority: 10, failOpen: true, pipeline: true,
        attachments: [
          { context: "SIDECAR_INBOUND", rootId: "stats_inbound", suffix: "inbound" },
          { context: "SIDECAR_OUTBOUND", rootId: "stats_outbound", suffix: "outbound" },
        ],
      };
    case "add-header":
      // The starter: response decoration, harmless to skip on failure; no phase
      // (Istio puts it at the end of the chain, right before the router).
      return { order: 40, phase: "UNSPECIFIED_PHASE", priority: 0, failOpen: true, pipeline: false, attachments: [{ context: "SIDECAR_INBOUND", rootId: "add_header", suffix: "" }] };
    default:
      // Unknown filters: inbound, default root id, Envoy's default (fail closed).
      return { order: 100, phase: "UNSPECIFIED_PHASE", priority: 0, failOpen: false, pipeline: false, attachments: [{ context: "SIDECAR_INBOUND", rootId: f.rootIds[0] ?? "", suffix: "" }] };
  }
}

export interface PushedDigest {
  digest: string; // sha256:<hex>
  reference: string;
  tag: string;
}

export interface FilterInput {
  entry: FilterEntry;
  profile: Profile;
  /** Parsed example-config.json (a JSON object). */
  config: Record<string, unknown>;
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
    if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k)) throw new Error(`--selector: '${k}' is not a valid label key`);
    if (!/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/.test(v)) throw new Error(`--selector: '${v}' is not a valid label value`);
    out[k] = v;
  }
  if (Object.keys(out).length === 0) throw new Error("--selector: at least one key=value is required");
  return out;
}

/** "1.26" / "1.24.3" → [1, 26]. */
export function parseIstioVersion(v: string): [number, number] {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:-.*)?$/.exec(v.trim());
  if (!m) throw new Error(`--istio: expected a version like 1.26, got '${v}'`);
  return [Number(m[1]), Number(m[2])];
}

/** PluginConfig.failure_policy exists from Envoy ≈1.33 = Istio 1.25 (facts §10); older proxies need fail_open. */
export function usesFailurePolicy(istio: string): boolean {
  const [maj, min] = parseIstioVersion(istio);
  return maj > 1 || (maj === 1 && min >= 25);
}

export function sortFilters<T extends { entry: FilterEntry; profile: Profile }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.profile.order - b.profile.order || a.entry.name.localeCompare(b.entry.name));
}

export function readExampleConfig(filtersDir: string, name: string): { config: Record<string, unknown>; configJson: string } {
  const file = path.join(filtersDir, name, "example-config.json");
  if (!existsSync(file)) throw new Error(`${file} not found: every filter needs an example-config.json (docs/contracts.md)`);
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`${file}: must be a JSON object (WasmPlugin.pluginConfig is a google.protobuf.Struct)`);
  }
  return { config: config as Record<string, unknown>, configJson: JSON.stringify(config) };
}

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
}

/**
 * Reads the inputs and cross-checks them: every root id a profile attaches must
 * be registered by the module (build/filters.json), and a pushed artifact must
 * be the module that was built (same module sha256 and root ids), else its
 * digest would pin a module nobody built from this tree.
 */
export function loadInputs(o: LoadOptions): { filters: FilterInput[]; pushed?: PushedJsonFile } {
  const filtersJson = path.resolve(o.root, o.filtersJson ?? "build/filters.json");
  const filtersDir = path.resolve(o.root, o.filtersDir ?? "filters");
  let entries = readFiltersJson(filtersJson);
  if (o.only?.length) {
    const unknown = o.only.filter((n) => !entries.some((e) => e.name === n));
    if (unknown.length) throw new Error(`unknown filter(s) ${unknown.join(", ")}; ${filtersJson} lists ${entries.map((e) => e.name).join(", ")}`);
    entries = entries.filter((e) => o.only!.includes(e.name));
  }
  const pushed = o.pushed ?? (o.pushedJson ? readPushedJson(path.resolve(o.root, o.pushedJson)) : undefined);
  const filters = entries.map((entry): FilterInput => {
    const profile = profileFor(entry);
    for (const a of profile.attachments) {
      if (!entry.rootIds.includes(a.rootId)) {
        throw new Error(`${entry.name}: the ${a.context} attachment needs root id '${a.rootId}', but the module registers ${JSON.stringify(entry.rootIds)} (${filtersJson})`);
      }
    }
    const { config, configJson } = readExampleConfig(filtersDir, entry.name);
    const digests: FilterInput["digests"] = {};
    if (pushed) {
      for (const a of pushed.artifacts.filter((x) => x.name === entry.name)) {
        if (a.moduleSha256 !== entry.sha256) throw new Error(`${entry.name} (${a.variant}): pushed module sha256 ${a.moduleSha256} differs from the built one ${entry.sha256}; push again`);
        if (JSON.stringify(a.rootIds) !== JSON.stringify(entry.rootIds)) throw new Error(`${entry.name} (${a.variant}): pushed root ids ${JSON.stringify(a.rootIds)} differ from ${JSON.stringify(entry.rootIds)}`);
        digests[a.variant as "wasm" | "compat"] = { digest: a.digest, reference: a.reference, tag: pushed.tag };
      }
      if (!digests.wasm && !digests.compat) throw new Error(`${entry.name}: not in ${o.pushedJson ?? "the pushed artifacts"} (push it, or leave it out with --filters)`);
    }
    return { entry, profile, config, configJson, digests };
  });
  return { filters: sortFilters(filters), pushed };
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
