// The "compat" variant (solo.io spec-compat): a plain single-layer OCI image,
// the shape `FROM scratch` + `COPY runtime-config.json plugin.wasm ./` gives
// and Istio's docs and ASM's current WasmPlugin samples use. Istio reads the
// last layer (tar+gzip) and takes its first `plugin.wasm`. Because the config
// is a real image config (with rootfs.diff_ids), docker/podman/crane treat it
// as an ordinary image too.
import { ANNOTATION, MT } from "./media-types.ts";
import { describe, digestOf } from "./digest.ts";
import { finish, manifestAnnotations, runtimeConfig, type BuiltArtifact } from "./artifact.ts";
import { writeTar } from "./tar.ts";
import { gzip } from "./gzip.ts";
import type { BuiltFilter } from "./filters-json.ts";
import type { Provenance } from "./provenance.ts";

export const COMPAT_FILES = { module: "plugin.wasm", config: "runtime-config.json" } as const;

/**
 * Platform of the image config. A Proxy-Wasm module is not a WASI program, but
 * `wasi/wasm` is the platform container tooling already uses for Wasm (Docker+Wasm,
 * containerd shims); Istio never reads it.
 */
export const COMPAT_PLATFORM = { architecture: "wasm", os: "wasi" } as const;

export function buildCompatArtifact(f: BuiltFilter, prov: Provenance): BuiltArtifact {
  const rc = runtimeConfig(f);
  const tar = writeTar([
    { name: COMPAT_FILES.module, data: f.module },
    { name: COMPAT_FILES.config, data: rc },
  ]);
  const layer = gzip(tar);
  const imageConfig = new TextEncoder().encode(JSON.stringify({
    created: prov.created,
    architecture: COMPAT_PLATFORM.architecture,
    os: COMPAT_PLATFORM.os,
    config: {},
    rootfs: { type: "layers", diff_ids: [digestOf(tar)] },
  }));
  return finish(f.name, "compat", {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: describe(MT.ociImageConfig, imageConfig),
    layers: [describe(MT.ociLayerTarGzip, layer)],
    annotations: { ...manifestAnnotations(f, prov), [ANNOTATION.variant]: "compat" },
  }, [imageConfig, layer]);
}
