// pullArtifact: an artifact straight from a registry over the HTTP API v2,
// with every blob checked and the module taken out by Istio's rules. Every
// read is bounded (oci/limits.ts).
import { checkBlob } from "./digest.ts";
import { interpretArtifact, parseManifest, type LoadedArtifact } from "./artifact-reader.ts";
import { parseReference } from "./reference.ts";
import { RegistryClient, type RegistryClientOptions } from "./registry-client.ts";

export type PullOptions = RegistryClientOptions;

export async function pullArtifact(reference: string, opts: PullOptions = {}): Promise<LoadedArtifact> {
  const ref = parseReference(reference);
  const client = new RegistryClient(ref.registry, opts);
  const limits = client.limits;
  const { bytes, mediaType } = await client.getManifest(ref.repository, ref.digest ?? ref.tag!);
  const manifest = parseManifest(bytes, reference, mediaType);
  const blobs = new Map<string, Uint8Array>();
  for (const [i, d] of [manifest.config, ...manifest.layers].entries()) {
    const max = i === 0 ? limits.maxMetadataBytes : limits.maxBlobBytes;
    if (!blobs.has(d.digest)) blobs.set(d.digest, await client.getBlob(ref.repository, d, `${reference} ${i === 0 ? "config" : `layer ${i - 1}`}`, max));
  }
  return interpretArtifact(
    reference,
    bytes,
    (d, what) => {
      const b = blobs.get(d.digest)!;
      checkBlob(d, b, what);
      return b;
    },
    mediaType,
    { limits },
  );
}
