// Content digests: the sha256 form we write and can verify, and the
// digest/size-vs-content check applied to every blob we write or read
// (image-spec.ts checks the digest grammar of any algorithm).
import { createHash } from "node:crypto";

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${sha256Hex(bytes)}`;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export function describe(mediaType: string, bytes: Uint8Array, annotations?: Record<string, string>): Descriptor {
  const d: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.length };
  if (annotations && Object.keys(annotations).length > 0) d.annotations = annotations;
  return d;
}

/** Hex part of a sha256 digest, after checking its shape (we only write and accept sha256). */
export function digestHex(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new Error(`invalid digest '${digest}': expected sha256:<64 lowercase hex>`);
  return digest.slice("sha256:".length);
}

/** Throws unless `bytes` is exactly what `desc` names: same size and same sha256. */
export function checkBlob(desc: { digest: string; size: number }, bytes: Uint8Array, what: string): void {
  digestHex(desc.digest);
  if (bytes.length !== desc.size) {
    throw new Error(`${what}: size mismatch: descriptor says ${desc.size} bytes, blob has ${bytes.length}`);
  }
  const actual = digestOf(bytes);
  if (actual !== desc.digest) {
    throw new Error(`${what}: digest mismatch: descriptor says ${desc.digest}, blob is ${actual}`);
  }
}
