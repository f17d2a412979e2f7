// What both variants share: the runtime config, the manifest annotations and a
// canonical JSON encoding. Manifests are serialized compactly with keys in the
// order Go's image-spec structs use and annotation keys sorted (as Go's
// encoding/json does for maps), i.e. the shape `oras push` itself writes.
import { ANNOTATION, MT, type Variant } from "./media-types.ts";
import { digestOf, type Descriptor } from "./digest.ts";
import type { Provenance } from "./provenance.ts";
import type { BuiltFilter } from "./filters-json.ts";

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface BuiltArtifact {
  name: string;
  variant: Variant;
  manifest: Manifest;
  manifestBytes: Uint8Array;
  manifestDigest: string;
  /** Every blob the manifest references, by digest (config included). */
  blobs: Map<string, Uint8Array>;
}

const enc = new TextEncoder();

function sortedRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}

function canonicalDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations && Object.keys(d.annotations).length) out.annotations = sortedRecord(d.annotations);
  if (d.artifactType) out.artifactType = d.artifactType;
  return out;
}

export function encodeManifest(m: Manifest): Uint8Array {
  const ordered: Record<string, unknown> = { schemaVersion: 2, mediaType: m.mediaType };
  if (m.artifactType) ordered.artifactType = m.artifactType;
  ordered.config = canonicalDescriptor(m.config);
  ordered.layers = m.layers.map(canonicalDescriptor);
  if (m.annotations && Object.keys(m.annotations).length) ordered.annotations = sortedRecord(m.annotations);
  return enc.encode(JSON.stringify(ordered));
}

/** The solo.io runtime config, exactly as wasme writes it (proto3 JSON camelCase). */
export function runtimeConfig(f: Pick<BuiltFilter, "rootIds" | "abiVersion">): Uint8Array {
  return enc.encode(JSON.stringify({ type: "envoy_proxy", abiVersions: [`v${f.abiVersion}`], config: { rootIds: f.rootIds } }));
}

export function manifestAnnotations(f: BuiltFilter, prov: Provenance): Record<string, string> {
  const a: Record<string, string> = {
    [ANNOTATION.runtimeType]: "envoy_proxy",
    [ANNOTATION.abiVersion]: `v${f.abiVersion}`,
    [ANNOTATION.created]: prov.created,
    [ANNOTATION.version]: prov.version,
    [ANNOTATION.title]: f.name,
    [ANNOTATION.description]: f.description ?? `${f.name}: Proxy-Wasm HTTP filter for Envoy (root ids: ${f.rootIds.join(", ")})`,
  };
  if (prov.source) a[ANNOTATION.source] = prov.source;
  if (prov.revision) a[ANNOTATION.revision] = prov.revision;
  return sortedRecord(a);
}

export function finish(name: string, variant: Variant, manifest: Manifest, blobs: Uint8Array[]): BuiltArtifact {
  const manifestBytes = encodeManifest(manifest);
  const map = new Map<string, Uint8Array>();
  for (const b of blobs) map.set(digestOf(b), b);
  return { name, variant, manifest: JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest, manifestBytes, manifestDigest: digestOf(manifestBytes), blobs: map };
}

export { MT };
