// The "wasm" (solo.io oci) variant: what wasme and ASM's legacy ORAS path read,
// and what Istio accepts as its "oci variant". The runtime config is both the
// manifest config and layers[0], the module is layers[1]: wasme's push wrote it
// that way, which is where Istio's "number of layers must be 2" comes from.
// Same shape as `oras push --config runtime-config.json:<config type> REF
// runtime-config.json:<config type> filter.wasm:<wasm type>` (recipe B).
import { ANNOTATION, MT } from "./media-types.ts";
import { describe } from "./digest.ts";
import { finish, manifestAnnotations, runtimeConfig, type BuiltArtifact } from "./artifact.ts";
import type { BuiltFilter } from "./filters-json.ts";
import type { Provenance } from "./provenance.ts";

export const WASM_VARIANT_FILES = { config: "runtime-config.json", module: "filter.wasm" } as const;

export function buildWasmArtifact(f: BuiltFilter, prov: Provenance): BuiltArtifact {
  const rc = runtimeConfig(f);
  return finish(f.name, "wasm", {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: describe(MT.wasmConfig, rc),
    layers: [
      describe(MT.wasmConfig, rc, { [ANNOTATION.title]: WASM_VARIANT_FILES.config }),
      describe(MT.wasmLayer, f.module, { [ANNOTATION.title]: WASM_VARIANT_FILES.module }),
    ],
    annotations: manifestAnnotations(f, prov),
  }, [rc, f.module]);
}
