// Alibaba Cloud ASM ASMFilterDeployment (istio.alibabacloud.com/v1beta1), the
// legacy ASM Wasm path (facts §9): the ASM controller pulls the ORAS-pushed
// image (wasm variant), caches it on the nodes and generates the EnvoyFilter.
// One resource per attachment (patchContext is a single value; stats needs a
// different rootID per direction). ASM's handling of digest references is not
// documented, so `image` is the tag reference and the pushed manifest digest is
// recorded in an annotation for auditing.
import { attachmentName, PART_OF, repository, variantTag, type FilterInput, type RenderOptions } from "./model.ts";
import type { K8sDoc } from "./wasmplugin.ts";

export const DIGEST_ANNOTATION = "mesh-wasm-filters.io/manifest-digest";

export function asmFilterDeployments(f: FilterInput, o: RenderOptions): K8sDoc[] {
  const image = `${repository(o.image, f.entry.name)}:${variantTag(o.tag, "wasm")}`;
  const pushed = f.digests.wasm;
  if (Object.keys(f.digests).length > 0 && !pushed) throw new Error(`${f.entry.name}: dist/pushed.json has no wasm variant (ASM pulls the wasm variant)`);
  const seen = new Set<string>();
  const docs: K8sDoc[] = [];
  for (const a of f.profile.attachments) {
    // Same root id both ways (metadata-exchange): one resource per direction,
    // named by direction so the ids stay unique.
    let name = attachmentName(f, a);
    if (seen.has(name) || (!a.suffix && f.profile.attachments.length > 1)) name = `${f.entry.name}-${a.context === "SIDECAR_INBOUND" ? "inbound" : "outbound"}`;
    seen.add(name);
    const filter: Record<string, unknown> = {
      patchContext: a.context,
      parameters: f.configJson,
      image,
    };
    if (o.imagePullSecret) filter.imagePullOptions = { pullSecret: o.imagePullSecret };
    filter.rootID = a.rootId;
    filter.id = `${o.namespace}.${name}`;
    const metadata: K8sDoc["metadata"] = { name, namespace: o.namespace, labels: { ...PART_OF, "app.kubernetes.io/name": f.entry.name } };
    if (pushed) metadata.annotations = { [DIGEST_ANNOTATION]: pushed.digest };
    docs.push({ apiVersion: "istio.alibabacloud.com/v1beta1", kind: "ASMFilterDeployment", metadata, spec: { workload: { kind: "Deployment", labels: { ...o.selector } }, filter } });
  }
  return docs;
}
