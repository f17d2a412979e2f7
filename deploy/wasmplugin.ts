// Istio WasmPlugin (extensions.istio.io/v1alpha1), one per filter and
// direction-specific root id. Order comes from phase + priority (facts §11):
// header-auth in AUTHN; metadata-exchange and stats in STATS with
// metadata-exchange's higher priority running first. istiod translates
// failStrategy into PluginConfig.failure_policy (proxies ≥1.25) or fail_open
// (older), so the resource is the same for every Istio version.
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

export function wasmPlugins(f: FilterInput, o: RenderOptions): K8sDoc[] {
  const { url, sha256 } = istioImage(f, o);
  // One resource per distinct root id: metadata-exchange (same root id both
  // ways) is one CLIENT_AND_SERVER plugin; stats is two.
  const groups = new Map<string, Attachment[]>();
  for (const a of f.profile.attachments) groups.set(a.rootId, [...(groups.get(a.rootId) ?? []), a]);
  return [...groups.entries()].map(([rootId, atts]) => {
    const spec: Record<string, unknown> = { selector: { matchLabels: { ...o.selector } }, url };
    if (sha256) spec.sha256 = sha256;
    spec.imagePullPolicy = o.imagePullPolicy ?? "IfNotPresent";
    if (o.imagePullSecret) spec.imagePullSecret = o.imagePullSecret;
    spec.pluginName = rootId;
    spec.pluginConfig = f.config;
    spec.phase = f.profile.phase;
    spec.priority = f.profile.priority;
    spec.failStrategy = f.profile.failOpen ? "FAIL_OPEN" : "FAIL_CLOSE";
    spec.type = "HTTP";
    spec.match = [{ mode: matchMode(atts) }];
    return {
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: { name: attachmentName(f, atts[0]!), namespace: o.namespace, labels: { ...PART_OF, "app.kubernetes.io/name": f.entry.name } },
      spec,
    };
  });
}
