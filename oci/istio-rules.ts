// Istio's acceptance rules for Wasm images, in the order its image fetcher
// (istio/istio pkg/wasm/imagefetcher.go, cache.go) applies them, with its
// error texts, so `verify` fails in CI with the message the mesh would log.
import { MT } from "./media-types.ts";
import { gunzip } from "./gzip.ts";
import { findPluginWasm, readTar } from "./tar.ts";
import type { Manifest } from "./artifact.ts";
import { DEFAULT_LIMITS, OciLimitError, type OciLimits } from "./limits.ts";

export type IstioShape = "docker" | "compat" | "oci";

export class IstioRejection extends Error {}

export interface IstioExtraction {
  shape: IstioShape;
  module: Uint8Array;
  /** runtime-config.json bytes when the artifact carries one (config blob or tar entry). */
  runtimeConfig?: Uint8Array;
}

/** `label` names the blob (reference, layer, digest, file) in limit errors. */
type Layers = { mediaType: string; bytes: Uint8Array; label?: string }[];
type Limits = Pick<OciLimits, "maxUnpackedBytes" | "maxTarEntries">;

function fromTarGzip(layer: Layers[number], limits: Limits): { module: Uint8Array; runtimeConfig?: Uint8Array } {
  let tar: Uint8Array;
  let entries: ReturnType<typeof readTar>;
  try {
    try {
      tar = gunzip(layer.bytes, limits.maxUnpackedBytes);
    } catch (err) {
      if (err instanceof OciLimitError) throw err;
      throw new Error(`could not extract wasm binary: failed to parse layer as tar.gz: ${(err as Error).message}`);
    }
    entries = readTar(tar, limits.maxTarEntries);
  } catch (err) {
    // Hostile content is not a shape Istio might accept: fail on it, naming the blob.
    if (err instanceof OciLimitError) throw new OciLimitError(`${layer.label ?? "layer"}: ${err.message}`);
    throw err;
  }
  const module = findPluginWasm(entries);
  if (!module) throw new Error("could not extract wasm binary: plugin.wasm not found in the archive");
  const rc = entries.find((e) => e.name.replace(/^\.\//, "") === "runtime-config.json");
  return rc ? { module, runtimeConfig: rc.data } : { module };
}

function lastLayerTarGzip(layers: Layers, expect: string, limits: Limits): { module: Uint8Array; runtimeConfig?: Uint8Array } {
  if (layers.length === 0) throw new Error("number of layers must be greater than zero");
  const last = layers[layers.length - 1]!;
  if (last.mediaType !== expect) throw new Error(`invalid media type ${last.mediaType} (expect ${expect})`);
  return fromTarGzip(last, limits);
}

function ociVariant(layers: Layers): Uint8Array {
  if (layers.length !== 2) throw new Error(`number of layers must be 2 but got ${layers.length}`);
  const layer = layers.find((l) => l.mediaType === MT.wasmLayer);
  if (!layer) throw new Error(`could not find the layer of type ${MT.wasmLayer}`);
  return layer.bytes; // read raw, as Istio does (layer.Compressed())
}

/** hashicorp/go-multierror's default text, which Istio's message embeds. */
function multierror(errs: string[]): string {
  return `${errs.length} errors occurred:\n\t${errs.map((e) => `* ${e}`).join("\n\t")}\n\n`;
}

/**
 * What Istio would load from this manifest, or an IstioRejection with Istio's
 * message. `layers` are the manifest's layers with their (verified) bytes.
 * A layer that breaks a limit (gzip bomb, hostile tar header) throws an
 * OciLimitError naming it instead.
 */
export function istioExtract(manifest: Manifest, layers: Layers, configBytes?: Uint8Array, where = "the image", limits: Limits = DEFAULT_LIMITS): IstioExtraction {
  let out: IstioExtraction;
  if (manifest.mediaType === MT.dockerManifest) {
    try {
      out = { shape: "docker", ...lastLayerTarGzip(layers, MT.dockerLayerTarGzip, limits) };
    } catch (err) {
      if (err instanceof OciLimitError) throw err;
      throw new IstioRejection(`could not extract Wasm file from the image as Docker container ${(err as Error).message}`);
    }
  } else {
    let errCompat: string;
    try {
      out = { shape: "compat", ...lastLayerTarGzip(layers, MT.ociLayerTarGzip, limits) };
    } catch (e1) {
      if (e1 instanceof OciLimitError) throw e1;
      errCompat = (e1 as Error).message;
      try {
        out = { shape: "oci", module: ociVariant(layers) };
        if (manifest.config.mediaType === MT.wasmConfig && configBytes) out.runtimeConfig = configBytes;
      } catch (e2) {
        throw new IstioRejection(
          "the given image is in invalid format as an OCI image: " +
            multierror([`could not parse as compat variant: ${errCompat}`, `could not parse as oci variant: ${(e2 as Error).message}`]).trimEnd(),
        );
      }
    }
  }
  // cache.go: the fetched binary must be at least 8 bytes and start with \0asm
  const m = out.module;
  if (m.length < 8 || m[0] !== 0x00 || m[1] !== 0x61 || m[2] !== 0x73 || m[3] !== 0x6d) {
    throw new IstioRejection(`fetched Wasm binary from ${where} is invalid (no \\0asm magic, ${m.length} bytes)`);
  }
  return out;
}
