// Istio WasmPlugin (extensions.istio.io/v1alpha1), one per filter and
// direction-specific root id. Order comes from phase + priority (facts §11),
// as each filter's deploy.json sets them. istiod translates failStrategy into
// PluginConfig.failure_policy (proxies ≥1.25) or fail_open (older). Fields
// newer than the --istio version are left out (deploy/istio-versions.ts):
// match before 1.16 (then a one-direction filter cannot be a WasmPlugin),
// failStrategy before 1.19 (the plugin fails closed), type before 1.20.
import { atLeast, ISTIO_GATES } from "./istio-versions.ts";
import { attachmentName, PART_OF, repository, variantTag, type Attachment, type FilterInput, type RenderOptions } from "./model.ts";

export interface K8sDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

function matchMode(attachments: Attachment[]): "SERVER" | "CLIENT" | "CLIENT_AND_SERVER" {
  const dirs = new Set(attachments.map((a) => a.context));
  if (dirs.size === 2) return "CLIENT_AND_SERVER";
  return dirs.has("SIDECAR_INBOUND") ? "SERVER" : "CLIENT";
}

/** The oci:// URL Istio pulls and the manifest digest hex pinning it (undefined without --digest). */
export function istioImage(f: FilterInput, o: RenderOptions): { url: string; sha256?: string } {
  const v = o.istioVariant;
  const url = `oci://${repository(o.image, f.entry.name)}:${variantTag(o.tag, v)}`;
  const d = f.digests[v];
  if (Object.keys(f.digests).length > 0 && !d) throw new Error(`${f.entry.name}: dist/pushed.json has no ${v} variant (push it, or pick --istio-variant)`);
  return d ? { url, sha256: d.digest.slice("sha256:".length) } : { url };
}

const version = (gate: readonly [number, number]) => gate.join(".");

/** What the WasmPlugin form loses at this Istio version, per filter (for the files' headers and stderr). */
export function wasmPluginNotes(filters: FilterInput[], o: RenderOptions): string[] {
  const notes: string[] = [];
  const open = filters.filter((f) => f.profile.failOpen).map((f) => f.entry.name);
  if (open.length && !atLeast(o.istio, ISTIO_GATES.failStrategy)) {
    notes.push(`Istio ${o.istio} has no WasmPlugin failStrategy (${version(ISTIO_GATES.failStrategy)}+): ${open.join(", ")} fail closed here, not open; the EnvoyFilter forms keep fail_open.`);
  }
  return notes;
}

export function wasmPlugins(f: FilterInput, o: RenderOptions): K8sDoc[] {
  const { url, sha256 } = istioImage(f, o);
  const hasMatch = atLeast(o.istio, ISTIO_GATES.match);
  // One resource per distinct root id: metadata-exchange (same root id both
  // ways) is one CLIENT_AND_SERVER plugin; stats is two.
  const groups = new Map<string, Attachment[]>();
  for (const a of f.profile.attachments) groups.set(a.rootId, [...(groups.get(a.rootId) ?? []), a]);
  return [...groups.entries()].map(([rootId, atts]) => {
    const mode = matchMode(atts);
    if (!hasMatch && mode !== "CLIENT_AND_SERVER") {
      throw new Error(`${f.entry.name}: a WasmPlugin before Istio ${version(ISTIO_GATES.match)} has no match and applies to both directions, ` +
        `but ${f.profile.source} limits root id '${rootId}' to ${mode === "SERVER" ? "inbound" : "outbound"}; for Istio ${o.istio} use --platform envoyfilter-ecds or envoyfilter-local`);
    }
    const spec: Record<string, unknown> = { selector: { matchLabels: { ...o.selector } }, url };
    if (sha256) spec.sha256 = sha256;
    spec.imagePullPolicy = o.imagePullPolicy ?? "IfNotPresent";
    if (o.imagePullSecret) spec.imagePullSecret = o.imagePullSecret;
    spec.pluginName = rootId;
    spec.pluginConfig = f.config;
    spec.phase = f.profile.phase;
    spec.priority = f.profile.priority;
    if (atLeast(o.istio, ISTIO_GATES.failStrategy)) spec.failStrategy = f.profile.failOpen ? "FAIL_OPEN" : "FAIL_CLOSE";
    if (atLeast(o.istio, ISTIO_GATES.type)) spec.type = "HTTP";
    if (hasMatch) spec.match = [{ mode }];
    return {
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: { name: attachmentName(f, atts[0]!), namespace: o.namespace, labels: { ...PART_OF, "app.kubernetes.io/name": f.entry.name } },
      spec,
    };
  });
}
