// OCI image layout on disk (image-spec image-layout.md): `oci-layout`,
// `index.json`, `blobs/sha256/<hex>`. One index entry per tag, tagged with
// `org.opencontainers.image.ref.name`, the form `oras cp --from-oci-layout
// DIR:TAG`, `skopeo copy oci:DIR:TAG` and `oras push --oci-layout` use.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ANNOTATION, MT } from "./media-types.ts";
import { checkBlob, digestHex, type Descriptor } from "./digest.ts";
import type { BuiltArtifact } from "./artifact.ts";
import { assertImageConfig, assertOciDocument, isRefName } from "./image-spec.ts";
import { DEFAULT_LIMITS, formatBytes, OciLimitError } from "./limits.ts";
import { readBoundedFile } from "./safe-file.ts";

export const LAYOUT_FILE = "oci-layout";
export const INDEX_FILE = "index.json";
const LAYOUT_CONTENT = JSON.stringify({ imageLayoutVersion: "1.0.0" });

export interface IndexJson {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface TaggedArtifact {
  tag: string;
  artifact: BuiltArtifact;
}

function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export function blobPath(layoutDir: string, digest: string): string {
  return path.join(layoutDir, "blobs", "sha256", digestHex(digest));
}

/**
 * Writes a fresh layout holding exactly `items`. Only the layout's own entries
 * (oci-layout, index.json, blobs/) are replaced, never anything else in `dir`.
 * index.json is written last, so a crash leaves no index naming missing blobs.
 */
export function writeLayout(dir: string, items: TaggedArtifact[]): IndexJson {
  const tags = new Set<string>();
  for (const { tag, artifact } of items) {
    if (tags.has(tag)) throw new Error(`duplicate layout tag '${tag}'`);
    if (!isRefName(tag)) throw new Error(`layout tag '${tag}' is not a valid org.opencontainers.image.ref.name (image-spec annotations.md)`);
    tags.add(tag);
    // Check every document before anything on disk changes.
    assertOciDocument("manifest", artifact.manifest, `manifest of ${tag}`);
    if (artifact.manifest.config.mediaType === MT.ociImageConfig) {
      const config = artifact.blobs.get(artifact.manifest.config.digest);
      if (!config) throw new Error(`manifest of ${tag}: config blob ${artifact.manifest.config.digest} missing`);
      assertImageConfig(config, artifact.manifest, `image config of ${tag}`);
    }
  }
  mkdirSync(dir, { recursive: true });
  rmSync(path.join(dir, INDEX_FILE), { force: true });
  rmSync(path.join(dir, "blobs"), { recursive: true, force: true });
  mkdirSync(path.join(dir, "blobs", "sha256"), { recursive: true });
  writeAtomic(path.join(dir, LAYOUT_FILE), LAYOUT_CONTENT);
  const manifests: Descriptor[] = [];
  for (const { tag, artifact } of [...items].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))) {
    for (const [digest, bytes] of artifact.blobs) writeFileSync(blobPath(dir, digest), bytes);
    writeFileSync(blobPath(dir, artifact.manifestDigest), artifact.manifestBytes);
    manifests.push({
      mediaType: artifact.manifest.mediaType,
      digest: artifact.manifestDigest,
      size: artifact.manifestBytes.length,
      annotations: { ...(artifact.manifest.annotations ?? {}), [ANNOTATION.refName]: tag },
    });
  }
  const index: IndexJson = { schemaVersion: 2, mediaType: MT.ociIndex, manifests };
  assertOciDocument("index", index, path.join(dir, INDEX_FILE));
  writeAtomic(path.join(dir, INDEX_FILE), JSON.stringify(index));
  return index;
}

/** index.json or oci-layout: a regular file of the layout, at most maxMetadataBytes, parsed as JSON. */
function readLayoutJson(dir: string, name: string, maxBytes: number): unknown {
  const file = path.join(dir, name);
  let bytes: Uint8Array;
  try {
    bytes = readBoundedFile(file, { maxBytes, within: dir, what: `${dir}: ${name}` });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${file} is missing: ${dir} is not a complete OCI image layout`);
    throw err;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
}

/** index.json of a layout, after checking oci-layout and index.json against the image-spec. */
export function readIndex(dir: string, maxMetadataBytes = DEFAULT_LIMITS.maxMetadataBytes): IndexJson {
  const layoutFile = path.join(dir, LAYOUT_FILE);
  if (!existsSync(layoutFile)) throw new Error(`${dir} is not an OCI image layout (no oci-layout file); run \`mesh-filters package\``);
  assertOciDocument("layout", readLayoutJson(dir, LAYOUT_FILE, maxMetadataBytes), layoutFile);
  const indexFile = path.join(dir, INDEX_FILE);
  const index = readLayoutJson(dir, INDEX_FILE, maxMetadataBytes);
  assertOciDocument("index", index, indexFile);
  return index as IndexJson;
}

export function layoutTags(dir: string): string[] {
  return readIndex(dir).manifests.map((m) => m.annotations?.[ANNOTATION.refName]).filter((t): t is string => !!t);
}

export function resolveTag(dir: string, tag: string, maxMetadataBytes?: number): Descriptor {
  const index = readIndex(dir, maxMetadataBytes);
  const found = index.manifests.filter((m) => m.annotations?.[ANNOTATION.refName] === tag);
  if (found.length === 0) {
    const tags = index.manifests.map((m) => m.annotations?.[ANNOTATION.refName]).filter(Boolean);
    throw new Error(`tag '${tag}' not found in ${dir} (tags: ${tags.join(", ") || "none"})`);
  }
  if (found.length > 1) throw new Error(`tag '${tag}' appears ${found.length} times in ${dir}/index.json`);
  return found[0]!;
}

/**
 * A blob's bytes, after checking they are what the descriptor says (size and
 * sha256). Only a regular file inside the layout of exactly the descriptor's
 * size is read, and only when that size is within `maxBytes`.
 */
export function readBlob(dir: string, desc: { digest: string; size: number }, what = desc.digest, maxBytes = DEFAULT_LIMITS.maxBlobBytes): Uint8Array {
  const file = blobPath(dir, desc.digest);
  const label = `${what} blob ${desc.digest}`;
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new OciLimitError(`${label}: invalid descriptor size ${desc.size}`);
  if (desc.size > maxBytes) throw new OciLimitError(`${label}: descriptor size ${desc.size} bytes is over the ${formatBytes(maxBytes)} limit`);
  let bytes: Uint8Array;
  try {
    bytes = readBoundedFile(file, { maxBytes, expectedSize: desc.size, within: dir, what: label });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${what}: blob ${desc.digest} missing from ${dir}`);
    throw err;
  }
  checkBlob(desc, bytes, `${what} (${file})`);
  return bytes;
}
