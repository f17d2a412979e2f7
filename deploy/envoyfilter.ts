// Istio EnvoyFilter (networking.istio.io/v1alpha3) in two forms (facts §10):
// - ECDS: an EXTENSION_CONFIG patch holding the Wasm config with
//   `code.remote.http_uri.uri: oci://...` (istio-agent intercepts ECDS, pulls
//   the image and rewrites it to a local file) plus an HTTP_FILTER patch
//   pointing at it through config_discovery;
// - local: one HTTP_FILTER patch with `code.local.filename`, for a module
//   mounted into the sidecar (sidecar.istio.io/userVolume{,Mount}).
// Every filter goes INSERT_BEFORE the router; patches are applied in order (and
// EnvoyFilters by ascending priority), so header-auth, metadata-exchange, stats
// end up in that order right before the router. An EnvoyFilter holding
// header-auth also MERGEs the path and header hardening of path-hardening.ts
// into the inbound HTTP connection manager (Istio's default, pathNormalization
// BASE, neither merges slashes nor handles escaped slashes or underscores).
import { attachmentName, PART_OF, usesFailurePolicy, type Attachment, type Context, type FilterInput, type RenderOptions } from "./model.ts";
import { HCM_PATH_HARDENING } from "./path-hardening.ts";
import { istioImage, type K8sDoc } from "./wasmplugin.ts";
import { HCM, HCM_TYPE, ROUTER, WASM_TYPE, localFileCode, wasmFilterTypedConfig } from "./envoy-config.ts";

export { WASM_TYPE, STRING_VALUE_TYPE, HCM, ROUTER, V8 } from "./envoy-config.ts";

export type EnvoyFilterForm = "ecds" | "local";

/** failure_policy (Envoy ≥1.33 / Istio ≥1.25) or, for older proxies, fail_open (only when true: false is the default). */
export function failureFields(failOpen: boolean, istio: string): Record<string, unknown> {
  if (usesFailurePolicy(istio)) return { failure_policy: failOpen ? "FAIL_OPEN" : "FAIL_CLOSED" };
  return failOpen ? { fail_open: true } : {};
}

/** The filter instance name inside Envoy: `<namespace>.<filter>[-inbound|-outbound]` (Istio's WasmPlugin naming). */
export function pluginName(f: FilterInput, a: Attachment, o: RenderOptions): string {
  return `${o.namespace}.${attachmentName(f, a)}`;
}

/** ECDS resource name, namespace-qualified as the EnvoyFilter API reference recommends. */
export function extensionName(f: FilterInput, a: Attachment, o: RenderOptions): string {
  return `${o.namespace}/${attachmentName(f, a)}`;
}

/** `envoy.extensions.filters.http.wasm.v3.Wasm` for one attachment. */
export function wasmTypedConfig(f: FilterInput, a: Attachment, o: RenderOptions, code: Record<string, unknown>): Record<string, unknown> {
  return wasmFilterTypedConfig({
    name: pluginName(f, a, o), rootId: a.rootId, vmId: a.rootId, code, configuration: f.configJson,
    failure: failureFields(f.profile.failOpen, o.istio),
  });
}

export function remoteCode(f: FilterInput, o: RenderOptions): Record<string, unknown> {
  const { url, sha256 } = istioImage(f, o);
  // cluster and timeout are required by Envoy's proto (istiod itself writes
  // cluster "_" and 30s); istio-agent uses the timeout for the pull. sha256 is
  // required non-empty: without a pushed digest we send istiod's "nil" marker,
  // which istio-agent reads as "no checksum" (istio pkg/wasm/convert.go).
  return { remote: { http_uri: { uri: url, cluster: "_", timeout: "30s" }, sha256: sha256 ?? "nil" } };
}

export function localCode(f: FilterInput, dir: string): Record<string, unknown> {
  return localFileCode(`${dir.replace(/\/+$/, "")}/${f.entry.name}.wasm`);
}

function routerMatch(context: Context): Record<string, unknown> {
  return { context, listener: { filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } } };
}

interface Patch {
  applyTo: string;
  match?: Record<string, unknown>;
  patch: { operation: string; value: Record<string, unknown> };
}

function extensionPatch(f: FilterInput, a: Attachment, o: RenderOptions): Patch {
  return { applyTo: "EXTENSION_CONFIG", patch: { operation: "ADD", value: { name: extensionName(f, a, o), typed_config: wasmTypedConfig(f, a, o, remoteCode(f, o)) } } };
}

function discoveryPatch(f: FilterInput, a: Attachment, o: RenderOptions): Patch {
  return {
    applyTo: "HTTP_FILTER",
    match: routerMatch(a.context),
    patch: { operation: "INSERT_BEFORE", value: { name: extensionName(f, a, o), config_discovery: { config_source: { ads: {} }, type_urls: [WASM_TYPE] } } },
  };
}

function localPatch(f: FilterInput, a: Attachment, o: RenderOptions): Patch {
  return {
    applyTo: "HTTP_FILTER",
    match: routerMatch(a.context),
    patch: { operation: "INSERT_BEFORE", value: { name: pluginName(f, a, o), typed_config: wasmTypedConfig(f, a, o, localCode(f, o.sidecarWasmDir)) } },
  };
}

/** The first filter whose profile says its rules need the hardened inbound HTTP connection manager (header-auth's path rules and principal header). */
export function needsPathHardening(filters: FilterInput[]): FilterInput | undefined {
  return filters.find((f) => f.profile.pathHardening);
}

/** path-hardening.ts's settings merged into the inbound HTTP connection manager (header-auth is inbound). */
export function pathHardeningPatch(): Patch {
  return {
    applyTo: "NETWORK_FILTER",
    match: { context: "SIDECAR_INBOUND", listener: { filterChain: { filter: { name: HCM } } } },
    patch: { operation: "MERGE", value: { name: HCM, typed_config: { "@type": HCM_TYPE, ...HCM_PATH_HARDENING } } },
  };
}

/**
 * The hardening alone, for WasmPlugin users (a WasmPlugin cannot carry HCM settings):
 * apply it with the WasmPlugins, or set the same through meshConfig (README there).
 */
export function pathHardeningEnvoyFilter(f: FilterInput, o: RenderOptions): K8sDoc {
  return {
    apiVersion: "networking.istio.io/v1alpha3",
    kind: "EnvoyFilter",
    metadata: { name: `${f.entry.name}-path-hardening`, namespace: o.namespace, labels: { ...PART_OF, "app.kubernetes.io/name": f.entry.name } },
    spec: { workloadSelector: { labels: { ...o.selector } }, configPatches: [pathHardeningPatch()] },
  };
}

/**
 * The hardening first when a filter's profile asks for it (header-auth); ECDS: every EXTENSION_CONFIG
 * (distinct resources only), then the HTTP_FILTER patches in chain order.
 */
function patchesFor(filters: FilterInput[], o: RenderOptions, form: EnvoyFilterForm): Patch[] {
  const out: Patch[] = [];
  if (needsPathHardening(filters)) out.push(pathHardeningPatch());
  if (form === "ecds") {
    const seen = new Set<string>();
    for (const f of filters) {
      for (const a of f.profile.attachments) {
        const p = extensionPatch(f, a, o);
        if (seen.has(p.patch.value.name as string)) continue;
        seen.add(p.patch.value.name as string);
        out.push(p);
      }
    }
  }
  for (const context of ["SIDECAR_INBOUND", "SIDECAR_OUTBOUND"] as Context[]) {
    for (const f of filters) {
      for (const a of f.profile.attachments.filter((x) => x.context === context)) out.push(form === "ecds" ? discoveryPatch(f, a, o) : localPatch(f, a, o));
    }
  }
  return out;
}

function envoyFilter(name: string, filters: FilterInput[], o: RenderOptions, form: EnvoyFilterForm, priority: number | undefined, component: string): K8sDoc {
  const spec: Record<string, unknown> = { workloadSelector: { labels: { ...o.selector } } };
  if (priority !== undefined) spec.priority = priority;
  spec.configPatches = patchesFor(filters, o, form);
  return {
    apiVersion: "networking.istio.io/v1alpha3",
    kind: "EnvoyFilter",
    metadata: { name, namespace: o.namespace, labels: { ...PART_OF, "app.kubernetes.io/name": component } },
    spec,
  };
}

/** One EnvoyFilter per filter; its `priority` (the chain order) keeps them ordered when applied together. */
export function envoyFilterFor(f: FilterInput, o: RenderOptions, form: EnvoyFilterForm): K8sDoc {
  return envoyFilter(`${f.entry.name}-wasm-${form}`, [f], o, form, f.profile.order, f.entry.name);
}

/** The filters together in one EnvoyFilter, patches in chain order. Use this or the per-filter ones, not both. */
export function envoyFilterTogether(filters: FilterInput[], o: RenderOptions, form: EnvoyFilterForm): K8sDoc {
  return envoyFilter(`mesh-wasm-filters-${form}`, filters, o, form, undefined, "mesh-wasm-filters");
}

export const USER_VOLUME_NAME = "mesh-wasm-filters";

/**
 * Pod-template annotations for the workload (a strategic-merge patch for
 * `kubectl patch deployment`): the local form needs the modules mounted (a
 * ConfigMap made from build/*.wasm); with a filter whose profile says
 * istioStatTags (stats) on Istio ≥1.18 the proxy also needs the label names as
 * extraStatTags so its bootstrap extracts them.
 */
export function workloadAnnotations(filters: FilterInput[], o: RenderOptions, form: EnvoyFilterForm | "wasmplugin", statTags: string[]): Record<string, string> {
  const ann: Record<string, string> = {};
  if (form === "local") {
    ann["sidecar.istio.io/userVolume"] = JSON.stringify([{ name: USER_VOLUME_NAME, configMap: { name: USER_VOLUME_NAME } }]);
    ann["sidecar.istio.io/userVolumeMount"] = JSON.stringify([{ name: USER_VOLUME_NAME, mountPath: o.sidecarWasmDir, readOnly: true }]);
  }
  if (filters.some((f) => f.profile.istioStatTags)) ann["sidecar.istio.io/extraStatTags"] = statTags.join(",");
  return ann;
}

export function workloadPatch(annotations: Record<string, string>): Record<string, unknown> {
  return { spec: { template: { metadata: { annotations } } } };
}
