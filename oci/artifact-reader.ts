// Reading an artifact back, from a layout or a registry, the same way: the
// manifest is checked against the OCI image-spec, every blob it names is
// fetched and checked against its digest and size (an OCI image config against
// the spec too), and the module is taken out by Istio's rules.
import { MT, type Variant } from "./media-types.ts";
import { checkBlob, digestOf, type Descriptor } from "./digest.ts";
import type { Manifest } from "./artifact.ts";
import { istioExtract, type IstioShape } from "./istio-rules.ts";
import { assertImageConfig, assertOciDocument } from "./image-spec.ts";
import { blobPath, readBlob, resolveTag } from "./layout.ts";
import { resolveLimits, type OciLimits } from "./limits.ts";

export interface RuntimeConfig {
  type?: string;
  abiVersions?: string[];
  config?: { rootIds?: string[] };
}

export interface LoadedArtifact {
  /** Where it came from: `oci:<dir>:<tag>` or `<registry>/<repo>:<tag>`. */
  reference: string;
  manifest: Manifest;
  manifestBytes: Uint8Array;
  manifestDigest: string;
  /** Our variant name for the Istio shape: oci -> "wasm"; compat and docker images -> "compat". */
  variant: Variant;
  shape: IstioShape;
  module: Uint8Array;
  /** The runtime config (solo.io shape) when the artifact has one. */
  config?: RuntimeConfig;
  configDescriptor: Descriptor;
  configBytes: Uint8Array;
}

const INDEX_TYPES = new Set<string>([MT.ociIndex, MT.dockerManifestList]);

export function parseManifest(bytes: Uint8Array, where: string, mediaTypeHint?: string): Manifest {
  let m: Manifest & { manifests?: unknown };
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`${where}: manifest is not JSON`);
  }
  if (m === null || typeof m !== "object" || Array.isArray(m)) assertOciDocument("manifest", m, `${where} manifest`);
  const mt = m.mediaType ?? mediaTypeHint;
  if ((mt && INDEX_TYPES.has(mt)) || Array.isArray(m.manifests)) {
    throw new Error(`${where} is an image index, not a manifest: a Wasm artifact must be a single manifest`);
  }
  if (mt && mt !== MT.ociManifest && mt !== MT.dockerManifest) throw new Error(`${where}: unsupported manifest media type ${mt}`);
  assertOciDocument("manifest", m, `${where} manifest`);
  return m;
}

/**
 * Interprets an already fetched manifest; `blob` must return the verified
 * bytes of a descriptor, at most `maxBytes` (it is called for the config and
 * for every layer). `locate` names where a blob lives, for error messages.
 */
export function interpretArtifact(
  reference: string,
  manifestBytes: Uint8Array,
  blob: (d: Descriptor, what: string, maxBytes: number) => Uint8Array,
  mediaTypeHint?: string,
  opts: { limits?: OciLimits; locate?: (d: Descriptor) => string } = {},
): LoadedArtifact {
  const limits = opts.limits ?? resolveLimits();
  const manifest = parseManifest(manifestBytes, reference, mediaTypeHint);
  const configBytes = blob(manifest.config, `${reference} config`, limits.maxMetadataBytes);
  if (manifest.config.mediaType === MT.ociImageConfig) assertImageConfig(configBytes, manifest, `${reference} config`);
  const layers = manifest.layers.map((l, i) => {
    const what = `${reference} layer ${i}`;
    return { mediaType: l.mediaType, bytes: blob(l, what, limits.maxBlobBytes), label: `${what} blob ${l.digest}${opts.locate ? ` (${opts.locate(l)})` : ""}` };
  });
  const ex = istioExtract(manifest, layers, configBytes, reference, limits);
  const out: LoadedArtifact = {
    reference,
    manifest,
    manifestBytes,
    manifestDigest: digestOf(manifestBytes),
    variant: ex.shape === "oci" ? "wasm" : "compat",
    shape: ex.shape,
    module: ex.module,
    configDescriptor: manifest.config,
    configBytes,
  };
  if (ex.runtimeConfig) {
    try {
      out.config = JSON.parse(new TextDecoder().decode(ex.runtimeConfig)) as RuntimeConfig;
    } catch {
      throw new Error(`${reference}: runtime-config.json is not JSON`);
    }
  }
  return out;
}

export interface ReadLayoutOptions {
  /** Overrides of the read limits (oci/limits.ts). */
  limits?: Partial<OciLimits>;
  /** For the limit environment variables (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads `<tag>` from an OCI layout, checking every document against the spec
 * and every digest and size on the way. Reads only regular files inside the
 * layout, each within its limit.
 */
export function readArtifactFromLayout(layoutDir: string, tag: string, opts: ReadLayoutOptions = {}): LoadedArtifact {
  const limits = resolveLimits(opts.limits, opts.env);
  const desc = resolveTag(layoutDir, tag, limits.maxMetadataBytes);
  const reference = `oci:${layoutDir}:${tag}`;
  const manifestBytes = readBlob(layoutDir, desc, `${reference} manifest`, limits.maxMetadataBytes);
  checkBlob(desc, manifestBytes, `${reference} manifest`);
  return interpretArtifact(reference, manifestBytes, (d, what, max) => readBlob(layoutDir, d, what, max), desc.mediaType, {
    limits,
    locate: (d) => blobPath(layoutDir, d.digest),
  });
}
