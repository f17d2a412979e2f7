// Upper bounds on everything read from an OCI layout or a registry. An
// artifact is untrusted input: a blob that never ends, a gzip bomb or a tar
// header with a negative size must fail fast and small, naming the blob,
// instead of hanging or exhausting memory.
//
// Defaults: 256 MiB for a layer and for a decompressed layer, the default of
// Istio's ISTIO_WASM_MAX_BINARY_SIZE_BYTES (so verify accepts what the mesh
// accepts); 4 MiB for manifests, configs and other JSON, the manifest limit of
// distribution and oras-go; 30 s without a byte from the registry.
// MESH_FILTERS_MAX_WASM_BYTES lowers or raises the first (set it to your
// mesh's ISTIO_WASM_MAX_BINARY_SIZE_BYTES), MESH_FILTERS_REGISTRY_TIMEOUT_MS
// the last.

export interface OciLimits {
  /** Manifests, index.json, oci-layout, config blobs, token and error bodies. */
  maxMetadataBytes: number;
  /** One layer blob as stored (compressed). */
  maxBlobBytes: number;
  /** One layer after gunzip (the tar). */
  maxUnpackedBytes: number;
  /** Entries in one tar layer. */
  maxTarEntries: number;
  /** A registry request that receives nothing for this long fails. */
  idleTimeoutMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<OciLimits> = Object.freeze({
  maxMetadataBytes: 4 * MiB,
  maxBlobBytes: 256 * MiB,
  maxUnpackedBytes: 256 * MiB,
  maxTarEntries: 10_000,
  idleTimeoutMs: 30_000,
});

export const LIMIT_ENV = { maxWasmBytes: "MESH_FILTERS_MAX_WASM_BYTES", timeoutMs: "MESH_FILTERS_REGISTRY_TIMEOUT_MS" } as const;

/** Raised for input that breaks a limit or is built to do harm; never wrapped into an Istio rejection. */
export class OciLimitError extends Error {
  override name = "OciLimitError";
}

function positiveInt(env: NodeJS.ProcessEnv, key: string): number | undefined {
  const v = env[key];
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0 || !Number.isSafeInteger(Number(v))) throw new Error(`${key} must be a positive integer, got '${v}'`);
  return Number(v);
}

export function resolveLimits(given: Partial<OciLimits> = {}, env: NodeJS.ProcessEnv = process.env): OciLimits {
  const wasm = positiveInt(env, LIMIT_ENV.maxWasmBytes);
  const timeout = positiveInt(env, LIMIT_ENV.timeoutMs);
  return {
    ...DEFAULT_LIMITS,
    ...(wasm !== undefined ? { maxBlobBytes: wasm, maxUnpackedBytes: wasm } : {}),
    ...(timeout !== undefined ? { idleTimeoutMs: timeout } : {}),
    ...given,
  };
}

export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
