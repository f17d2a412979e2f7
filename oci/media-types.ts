// Media types and annotation keys, in one place so the writer, the Istio rules
// and the tests cannot drift apart. Values are the exact strings Istio's image
// fetcher (pkg/wasm/imagefetcher.go), the solo.io Wasm artifact spec and the
// OCI image-spec use.
export const MT = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociImageConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerTarGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerLayerTarGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  wasmConfig: "application/vnd.module.wasm.config.v1+json",
  wasmLayer: "application/vnd.module.wasm.content.layer.v1+wasm",
} as const;

export const ANNOTATION = {
  refName: "org.opencontainers.image.ref.name",
  title: "org.opencontainers.image.title",
  created: "org.opencontainers.image.created",
  source: "org.opencontainers.image.source",
  revision: "org.opencontainers.image.revision",
  version: "org.opencontainers.image.version",
  description: "org.opencontainers.image.description",
  runtimeType: "module.wasm.runtime/type",
  abiVersion: "module.wasm.runtime/abi_version",
  variant: "module.wasm.image/variant",
} as const;

export type Variant = "wasm" | "compat";
export const VARIANTS: readonly Variant[] = ["wasm", "compat"];

/** Layout tag of a filter's variant: `<name>` (wasm) or `<name>-compat` (docs/contracts.md). */
export function layoutTag(name: string, variant: Variant): string {
  return variant === "wasm" ? name : `${name}-compat`;
}

/** Registry tag of a variant: `<tag>` (wasm) or `<tag>-compat`. */
export function registryTag(tag: string, variant: Variant): string {
  return variant === "wasm" ? tag : `${tag}-compat`;
}
