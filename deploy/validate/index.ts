// Validates rendered manifests: each document against its platform's schema
// (Istio CRDs + CEL rules, our ASM schema, Envoy's protos for every Envoy
// config inside), then against the build and the push: every root id is one
// the module registers (build/filters.json) and every digest is the pushed one.
import path from "node:path";
import { parseAllDocuments } from "yaml";
import type { FilterEntry } from "../../oci/filters-json.ts";
import type { PushedJsonFile } from "../model.ts";
import type { OutputFile } from "../render.ts";
import { DIGEST_ANNOTATION } from "../asm.ts";
import { WASM_TYPE } from "../envoyfilter.ts";
import { checkAsmFilterDeployment } from "./asm.ts";
import { EnvoyProtos } from "./envoy-proto.ts";
import { envoyFilterCel, IstioCrdSchemas, wasmPluginCel, type SchemaIssue } from "./istio.ts";
import { kubernetesNameIssues } from "../k8s-names.ts";

export { EnvoyProtos, IstioCrdSchemas, checkAsmFilterDeployment };

export interface Validators {
  crds: IstioCrdSchemas;
  protos: EnvoyProtos;
}

/** Istio's CRD schemas and Envoy's protos (from @kubernetes-models/istio and @grpc/grpc-js-xds). */
export function loadValidators(): Validators {
  return { crds: new IstioCrdSchemas(), protos: EnvoyProtos.load() };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function parseYamlDocs(text: string): Record<string, any>[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors.map((e) => e.message).join("; "));
      return d.toJS() as Record<string, any>;
    })
    .filter((d) => d !== null && d !== undefined);
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Every Wasm HTTP filter config (`typed_config` of type …wasm.v3.Wasm) inside `obj`, with its path. */
export function findWasmConfigs(obj: unknown, at = ""): { path: string; config: Record<string, unknown> }[] {
  const out: { path: string; config: Record<string, unknown> }[] = [];
  if (Array.isArray(obj)) obj.forEach((v, i) => out.push(...findWasmConfigs(v, `${at}[${i}]`)));
  else if (isObj(obj)) {
    if (obj["@type"] === WASM_TYPE && isObj(obj.config)) out.push({ path: at, config: obj.config });
    for (const [k, v] of Object.entries(obj)) out.push(...findWasmConfigs(v, at ? `${at}.${k}` : k));
  }
  return out;
}

/** The Envoy message an EnvoyFilter patch value is, by `applyTo` (the kinds we emit). */
const PATCH_TYPES = new Map([
  ["EXTENSION_CONFIG", "envoy.config.core.v3.TypedExtensionConfig"],
  ["HTTP_FILTER", "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter"],
  ["NETWORK_FILTER", "envoy.config.listener.v3.Filter"],
]);

/** Schema and proto issues of one document (a Kubernetes resource or an Envoy bootstrap). */
export function validateDocument(doc: Record<string, unknown>, v: Validators): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const kind = doc.kind;
  if (kind === "WasmPlugin") {
    issues.push(...v.crds.check(doc as never), ...wasmPluginCel(doc));
  } else if (kind === "EnvoyFilter") {
    issues.push(...v.crds.check(doc as never), ...envoyFilterCel(doc));
    const patches = ((doc.spec as Record<string, unknown>)?.configPatches ?? []) as Record<string, unknown>[];
    patches.forEach((p, i) => {
      const value = (p.patch as Record<string, unknown>)?.value;
      const type = PATCH_TYPES.get(String(p.applyTo));
      if (!type) {
        issues.push({ path: `/spec/configPatches/${i}`, message: `applyTo ${String(p.applyTo)} is not checked (we only emit EXTENSION_CONFIG, HTTP_FILTER and NETWORK_FILTER)` });
        return;
      }
      for (const e of v.protos.check(type, value, `configPatches[${i}].patch.value`)) issues.push(e);
    });
  } else if (kind === "ASMFilterDeployment") {
    issues.push(...checkAsmFilterDeployment(doc));
  } else if (kind === undefined && isObj(doc.static_resources)) {
    issues.push(...v.protos.check("envoy.config.bootstrap.v3.Bootstrap", doc));
  } else {
    issues.push({ path: "/", message: `unexpected document kind ${String(kind)}` });
  }
  // A Kubernetes resource: the API server's naming rules too (CRD schemas leave names to it).
  if (kind !== undefined) issues.push(...kubernetesNameIssues(doc));
  return issues;
}

/** Which filter an image reference / file name / resource belongs to. */
function filterOf(doc: Record<string, unknown>, hint: string, filters: FilterEntry[]): FilterEntry | undefined {
  const m = /\/([a-z0-9._-]+)(?:\.wasm|:[\w.-]+|@sha256:[a-f0-9]{64})$/.exec(hint);
  const byHint = m ? filters.find((f) => f.name === m[1]) : undefined;
  if (byHint) return byHint;
  const label = (doc.metadata as { labels?: Record<string, string> } | undefined)?.labels?.["app.kubernetes.io/name"];
  return filters.find((f) => f.name === label);
}

function pushedDigest(pushed: PushedJsonFile | undefined, image: string): string | undefined {
  if (!pushed) return undefined;
  const ref = image.replace(/^oci:\/\//, "");
  return pushed.artifacts.find((a) => a.reference === ref)?.digest;
}

/**
 * Root ids and digests: every root id must be registered by the module the
 * manifest loads; with `pushed`, every pinned digest must be the pushed one
 * for that exact reference (and every oci:// image must be pinned).
 */
export function checkAgainstBuild(doc: Record<string, unknown>, filters: FilterEntry[], pushed?: PushedJsonFile): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const rootOk = (f: FilterEntry | undefined, rootId: unknown, at: string, what: string) => {
    if (!f) issues.push({ path: at, message: `cannot tell which filter ${what} belongs to` });
    else if (typeof rootId !== "string" || !f.rootIds.includes(rootId)) issues.push({ path: at, message: `root id ${JSON.stringify(rootId)} is not registered by ${f.name} (${f.rootIds.join(", ")})` });
  };
  const digestOk = (image: string, sha: string | undefined, at: string) => {
    if (!pushed) return;
    const want = pushedDigest(pushed, image);
    if (!want) issues.push({ path: at, message: `${image} is not in the pushed artifacts` });
    else if (sha !== want.slice("sha256:".length)) issues.push({ path: at, message: `digest ${sha ?? "(none)"} is not the pushed ${want} of ${image}` });
  };
  if (doc.kind === "WasmPlugin") {
    const s = doc.spec as Record<string, unknown>;
    rootOk(filterOf(doc, String(s.url), filters), s.pluginName, "/spec/pluginName", String(s.url));
    digestOk(String(s.url), s.sha256 as string | undefined, "/spec/sha256");
  } else if (doc.kind === "ASMFilterDeployment") {
    const f = (doc.spec as { filter: Record<string, unknown> }).filter;
    rootOk(filterOf(doc, String(f.image), filters), f.rootID, "/spec/filter/rootID", String(f.image));
    const ann = (doc.metadata as { annotations?: Record<string, string> }).annotations?.[DIGEST_ANNOTATION];
    digestOk(String(f.image), ann?.replace(/^sha256:/, ""), `/metadata/annotations/${DIGEST_ANNOTATION}`);
  } else {
    for (const { path: at, config } of findWasmConfigs(doc)) {
      const code = ((config.vm_config as Record<string, unknown>)?.code ?? {}) as Record<string, Record<string, unknown>>;
      const hint = code.local ? String(code.local.filename) : code.remote ? String((code.remote.http_uri as Record<string, unknown>)?.uri) : "";
      rootOk(filterOf(doc, hint.startsWith("/") || hint.includes(".wasm") ? `/${path.basename(hint)}` : hint, filters), config.root_id, `${at}.config.root_id`, hint);
      if (code.remote) {
        const sha = String(code.remote.sha256);
        if (pushed) digestOk(hint, sha, `${at}.config.vm_config.code.remote.sha256`);
        else if (sha !== "nil") issues.push({ path: `${at}.config.vm_config.code.remote.sha256`, message: `unpinned image with sha256 ${sha} (expected "nil")` });
      }
    }
  }
  return issues;
}

export function formatIssues(file: string, issues: SchemaIssue[]): string {
  return issues.map((i) => `${file}: ${i.path}: ${i.message}`).join("\n");
}

/**
 * Every problem in a set of rendered files, as `<file> (<kind> <name>): <path>: <message>`
 * lines (none when all is well): each document against its schema, then its
 * root ids and digests against the build and the push. Workload patches are
 * strategic-merge fragments of the user's Deployment, not resources, and are
 * left out.
 */
export function validateRendered(files: OutputFile[], filters: FilterEntry[], pushed: PushedJsonFile | undefined, v: Validators): string[] {
  const problems: string[] = [];
  for (const f of files) {
    if (f.path.endsWith("workload-patch.yaml")) continue;
    for (const doc of parseYamlDocs(f.content)) {
      const issues = [...validateDocument(doc, v), ...checkAgainstBuild(doc, filters, pushed)];
      const name = (doc.metadata as { name?: string } | undefined)?.name;
      if (issues.length) problems.push(formatIssues(name ? `${f.path} (${String(doc.kind)} ${name})` : f.path, issues));
    }
  }
  return problems;
}
