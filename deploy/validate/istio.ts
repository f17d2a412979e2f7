// WasmPlugin and EnvoyFilter against Istio's CRD schemas (the openAPIV3Schema
// the API server enforces), plus the rules the CRDs leave to CEL
// (x-kubernetes-validations) and istiod's EnvoyFilter admission checks (istio
// pkg/config/validation/envoyfilter), re-implemented here. The Envoy
// configuration inside EnvoyFilter patch values is free-form in the CRD and is
// checked against Envoy's protos (envoy-proto.ts).
//
// The schemas come from the npm package @kubernetes-models/istio (3.x): Ajv
// validators compiled from Istio 1.29.2's manifests/charts/base/files/crd-all.gen.yaml
// (the package's crd-generate input). That is newer than the Istio 1.24–1.26
// proxies `--istio` targets; WasmPlugin (extensions.istio.io/v1alpha1) and
// EnvoyFilter (networking.istio.io/v1alpha3) have only gained fields and enum
// values since, so whatever an older control plane accepts passes here, but a
// field newer than the target release is not flagged by this check. Neither the
// package nor this module reads anything beside the project at run time.
import { WasmPlugin } from "@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin";
import { EnvoyFilter } from "@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter";

export interface SchemaIssue {
  path: string;
  message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

interface ModelClass {
  new (data: never): { validate(): void };
}

/** The resources we render, keyed `<apiVersion>/<kind>`. */
const MODELS: Record<string, ModelClass> = {
  "extensions.istio.io/v1alpha1/WasmPlugin": WasmPlugin as unknown as ModelClass,
  "networking.istio.io/v1alpha3/EnvoyFilter": EnvoyFilter as unknown as ModelClass,
};

/** An Ajv error as @kubernetes-models/validate throws it (messages already localized to English). */
interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

export class IstioCrdSchemas {
  kinds(): string[] {
    return Object.keys(MODELS);
  }

  /** openAPIV3Schema issues for a resource ([] if valid); throws for a kind without a CRD. */
  check(doc: { apiVersion: string; kind: string }): SchemaIssue[] {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    if (!Model) throw new Error(`no CRD schema for ${doc.apiVersion} ${doc.kind} (have ${this.kinds().join(", ")})`);
    try {
      new Model(doc as never).validate();
      return [];
    } catch (err) {
      const errors = (err as { errors?: AjvError[] }).errors;
      if (!Array.isArray(errors)) throw err;
      return errors.map((e) => {
        const allowed = e.params && Array.isArray(e.params.allowedValues) ? ` (${(e.params.allowedValues as string[]).join(", ")})` : "";
        return { path: e.instancePath || "/", message: `${e.message ?? "invalid"}${allowed}` };
      });
    }
  }
}

/** WasmPlugin `url` CEL rule: scheme in ["", http, https, oci, file] (a URL without a scheme means oci). */
export function wasmUrlSchemeOk(url: string): boolean {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  const scheme = m ? m[1]!.toLowerCase() : "";
  return ["", "http", "https", "oci", "file"].includes(scheme);
}

function labelRules(labels: unknown, at: string, issues: SchemaIssue[]): void {
  if (!isObj(labels)) return;
  for (const [k, v] of Object.entries(labels)) {
    if (k.length === 0) issues.push({ path: at, message: "key must not be empty" });
    if (k.includes("*")) issues.push({ path: at, message: "wildcard not allowed in label key match" });
    if (typeof v === "string" && v.includes("*")) issues.push({ path: `${at}/${k}`, message: "wildcard not allowed in label value match" });
  }
}

/** The WasmPlugin CEL rules (x-kubernetes-validations) and the sha256-vs-URL-digest rule istiod applies. */
export function wasmPluginCel(doc: { spec?: Record<string, unknown> }): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const s = doc.spec ?? {};
  const has = (k: string) => s[k] !== undefined;
  if ((has("selector") ? 1 : 0) + (has("targetRef") ? 1 : 0) + (has("targetRefs") ? 1 : 0) > 1) issues.push({ path: "/spec", message: "only one of targetRefs or selector can be set" });
  if (typeof s.url === "string" && !wasmUrlSchemeOk(s.url)) issues.push({ path: "/spec/url", message: "url must have schema one of [http, https, file, oci]" });
  if (isObj(s.selector)) labelRules(s.selector.matchLabels, "/spec/selector/matchLabels", issues);
  const env = isObj(s.vmConfig) && Array.isArray(s.vmConfig.env) ? s.vmConfig.env : [];
  env.forEach((e: Record<string, unknown>, i: number) => {
    if (e.valueFrom === "HOST" && e.value !== undefined) issues.push({ path: `/spec/vmConfig/env/${i}`, message: "value may only be set when valueFrom is INLINE" });
  });
  const refs = [...(isObj(s.targetRef) ? [s.targetRef] : []), ...(Array.isArray(s.targetRefs) ? s.targetRefs : [])] as Record<string, unknown>[];
  refs.forEach((r, i) => {
    if (typeof r.namespace === "string" && r.namespace.length > 0) issues.push({ path: `/spec/targetRefs/${i}`, message: "cross namespace referencing is not currently supported" });
  });
  // istiod: a digest in the URL must agree with sha256.
  if (typeof s.url === "string" && typeof s.sha256 === "string" && s.sha256) {
    const at = /@sha256:([a-f0-9]{64})$/.exec(s.url);
    if (at && at[1] !== s.sha256) issues.push({ path: "/spec/sha256", message: "sha256 differs from the digest in url" });
  }
  return issues;
}

const HCM_NAMES = ["envoy.filters.network.http_connection_manager", "envoy.http_connection_manager"];

/** EnvoyFilter CEL rules plus istiod's admission checks on patches (facts §10). */
export function envoyFilterCel(doc: { spec?: Record<string, unknown> }): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const s = doc.spec ?? {};
  if ((s.workloadSelector !== undefined ? 1 : 0) + (s.targetRefs !== undefined ? 1 : 0) > 1) issues.push({ path: "/spec", message: "only one of targetRefs or workloadSelector can be set" });
  if (isObj(s.workloadSelector)) {
    const labels = s.workloadSelector.labels;
    if (isObj(labels)) for (const [k, v] of Object.entries(labels)) if (String(v).includes("*") || k.includes("*")) issues.push({ path: "/spec/workloadSelector/labels", message: "wildcard is not supported in selector" });
  }
  const patches = Array.isArray(s.configPatches) ? (s.configPatches as Record<string, unknown>[]) : [];
  patches.forEach((p, i) => {
    const at = `/spec/configPatches/${i}`;
    const match = isObj(p.match) ? p.match : {};
    const ctx = match.context;
    if ((ctx === "WAYPOINT") !== (match.waypoint !== undefined)) {
      if (match.waypoint !== undefined) issues.push({ path: `${at}/match`, message: "only support waypointMatch when context is WAYPOINT" });
    }
    const patch = isObj(p.patch) ? p.patch : {};
    if (patch.operation === undefined || patch.operation === "INVALID") issues.push({ path: `${at}/patch`, message: "missing patch operation" });
    if (patch.operation !== "REMOVE" && !isObj(patch.value)) issues.push({ path: `${at}/patch`, message: "missing patch value" });
    if (p.applyTo === undefined || p.applyTo === "INVALID") issues.push({ path: at, message: "missing applyTo" });
    const listener = isObj(match.listener) ? match.listener : undefined;
    const filter = listener && isObj(listener.filterChain) && isObj(listener.filterChain.filter) ? listener.filterChain.filter : undefined;
    if (filter?.subFilter !== undefined) {
      if (p.applyTo !== "HTTP_FILTER") issues.push({ path: `${at}/match`, message: "subfilter match can be used with applyTo HTTP_FILTER only" });
      if (!HCM_NAMES.includes(String(filter.name))) issues.push({ path: `${at}/match`, message: "subfilter match requires filter match with envoy.filters.network.http_connection_manager" });
      if (isObj(filter.subFilter) && filter.subFilter.name === "envoy.router") issues.push({ path: `${at}/match`, message: "deprecated filter name envoy.router (use envoy.filters.http.router)" });
    }
    if (p.applyTo === "EXTENSION_CONFIG" && patch.operation !== "ADD" && patch.operation !== "REPLACE") issues.push({ path: at, message: "EXTENSION_CONFIG supports ADD and REPLACE only" });
    if ((patch.operation === "INSERT_BEFORE" || patch.operation === "INSERT_AFTER") && !["HTTP_FILTER", "NETWORK_FILTER", "LISTENER_FILTER", "FILTER_CHAIN", "HTTP_ROUTE"].includes(String(p.applyTo))) {
      issues.push({ path: at, message: `${String(patch.operation)} is not valid for applyTo ${String(p.applyTo)}` });
    }
  });
  return issues;
}
