// The OCI image-spec v1.1 rules for the documents we write and read, in code:
// manifests, image indexes, the image-layout `oci-layout` file, image configs and
// the descriptors inside them. Written from opencontainers/image-spec v1.1.1
// (commit 147f9c13cedb47a0c4d9a11a222961073d585877); each rule cites its section.
// Problems name the JSON path (`$.layers[1].digest`) so an error says where.
// A descriptor's size and digest against the bytes it names are checked where
// the bytes are at hand (digest.ts checkBlob).
import { createHash } from "node:crypto";
import { MT } from "./media-types.ts";

export type OciDocumentKind = "manifest" | "index" | "layout" | "config" | "descriptor";

export interface SpecProblem {
  /** JSON path inside the document, `$` being the document itself. */
  path: string;
  message: string;
}

const WHAT: Record<OciDocumentKind, string> = {
  manifest: "image manifest (image-spec manifest.md)",
  index: "image index (image-spec image-index.md)",
  layout: "oci-layout file (image-spec image-layout.md)",
  config: "image config (image-spec config.md)",
  descriptor: "descriptor (image-spec descriptor.md)",
};

/** The media type application/vnd.oci.empty.v1+json (manifest.md "Guidance for an Empty Descriptor"). */
export const EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v) : v === undefined ? "missing" : JSON.stringify(v) ?? String(v));

function child(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

class Problems {
  readonly list: SpecProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

// descriptor.md "Digests": digest ::= algorithm ":" encoded, with
// algorithm ::= algorithm-component (algorithm-separator algorithm-component)*,
// algorithm-component ::= [a-z0-9]+, algorithm-separator ::= [+._-],
// encoded ::= [a-zA-Z0-9=_-]+.
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
// descriptor.md "Registered algorithms": sha256 encoded MUST match /[a-f0-9]{64}/,
// sha512 /[a-f0-9]{128}/ ([A-F] MUST NOT be used). Other algorithms that fit the
// grammar SHOULD pass validation; reading their content is another matter (digest.ts).
const REGISTERED_ALGORITHMS: Record<string, { re: RegExp; hex: number }> = {
  sha256: { re: /^[a-f0-9]{64}$/, hex: 64 },
  sha512: { re: /^[a-f0-9]{128}$/, hex: 128 },
};

/** Why `value` is not a digest by descriptor.md "Digests", or undefined when it is one. */
export function digestProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a digest string, got ${show(value)}`;
  if (!DIGEST_GRAMMAR.test(value)) return `${show(value)} is not a digest (algorithm:encoded, descriptor.md "Digests")`;
  const [algorithm, encoded] = [value.slice(0, value.indexOf(":")), value.slice(value.indexOf(":") + 1)];
  const reg = REGISTERED_ALGORITHMS[algorithm];
  if (reg && !reg.re.test(encoded)) return `${show(value)}: a ${algorithm} digest is ${reg.hex} lowercase hex characters (descriptor.md "Registered algorithms")`;
  return undefined;
}

// descriptor.md "Properties": mediaType values MUST comply with RFC 6838, including
// the naming requirements of its section 4.2: type "/" subtype, each a
// restricted-name = restricted-name-first *126restricted-name-chars, first ALPHA / DIGIT,
// then ALPHA / DIGIT / "!" / "#" / "$" / "&" / "-" / "^" / "_" / "." / "+".
const RESTRICTED_NAME = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";
const MEDIA_TYPE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

function mediaType(p: Problems, path: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== "string") p.add(path, `must be a media type string, got ${show(value)}`);
  else if (!MEDIA_TYPE.test(value)) p.add(path, `${show(value)} is not a media type (type/subtype, RFC 6838 section 4.2)`);
}

// RFC 3339 section 5.6 date-time, the form config.md and annotations.md require for `created`.
const RFC3339 = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function dateTime(p: Problems, path: string, value: unknown): void {
  if (typeof value !== "string" || !RFC3339.test(value)) p.add(path, `must be an RFC 3339 date-time, got ${show(value)}`);
}

// annotations.md "Pre-defined Annotation Keys", org.opencontainers.image.ref.name:
// ref ::= component ("/" component)*, component ::= alphanum (separator alphanum)*,
// alphanum ::= [A-Za-z0-9]+, separator ::= [-._:@+] | "--".
const REF_COMPONENT = "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*";
const REF_NAME = new RegExp(`^${REF_COMPONENT}(?:/${REF_COMPONENT})*$`);

/** True when `tag` is a valid org.opencontainers.image.ref.name. */
export function isRefName(tag: string): boolean {
  return REF_NAME.test(tag);
}

// annotations.md "Rules": a map whose keys and values MUST be strings (a value may
// be empty); pre-defined keys carry their own format.
function annotations(p: Problems, path: string, value: unknown): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    p.add(path, `must be a map of strings (annotations.md "Rules"), got ${show(value)}`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = child(path, k);
    if (k === "") p.add(path, "annotation keys must not be empty");
    if (typeof v !== "string") {
      p.add(at, `annotation values must be strings, got ${show(v)}`);
      continue;
    }
    if (k === "org.opencontainers.image.created") dateTime(p, at, v);
    if (k === "org.opencontainers.image.ref.name" && !REF_NAME.test(v)) p.add(at, `${show(v)} is not a reference name (annotations.md: component ("/" component)*)`);
  }
}

// descriptor.md "Properties": urls is an array of RFC 3986 URIs (a scheme, then no whitespace).
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
// data: the referenced content, base64 (RFC 4648 section 4, padded).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function descriptor(p: Problems, path: string, value: unknown): void {
  if (!isObject(value)) {
    p.add(path, `must be a descriptor object, got ${show(value)}`);
    return;
  }
  mediaType(p, child(path, "mediaType"), value.mediaType, true);
  const dp = digestProblem(value.digest);
  if (dp) p.add(child(path, "digest"), dp);
  // size: REQUIRED int64, a byte count, so a non-negative integer.
  const size = value.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) p.add(child(path, "size"), `must be a non-negative integer byte count, got ${show(size)}`);
  if (value.urls !== undefined) {
    if (!Array.isArray(value.urls)) p.add(child(path, "urls"), `must be an array of URIs, got ${show(value.urls)}`);
    else value.urls.forEach((u, i) => {
      if (typeof u !== "string" || !URI.test(u)) p.add(child(child(path, "urls"), i), `must be an RFC 3986 URI, got ${show(u)}`);
    });
  }
  annotations(p, child(path, "annotations"), value.annotations);
  if (value.data !== undefined) {
    // data: "The decoded data MUST be identical to the referenced content".
    if (typeof value.data !== "string" || !BASE64.test(value.data)) p.add(child(path, "data"), `must be base64 (RFC 4648 section 4), got ${show(value.data)}`);
    else if (!dp && typeof size === "number") {
      const bytes = Buffer.from(value.data, "base64");
      if (bytes.length !== size) p.add(child(path, "data"), `decodes to ${bytes.length} bytes, but size is ${size}`);
      else if (typeof value.digest === "string" && value.digest.startsWith("sha256:") && `sha256:${createHash("sha256").update(bytes).digest("hex")}` !== value.digest) {
        p.add(child(path, "data"), "does not match the digest");
      }
    }
  }
  mediaType(p, child(path, "artifactType"), value.artifactType, false);
}

function schemaVersion2(p: Problems, value: unknown): void {
  // manifest.md / image-index.md: schemaVersion is REQUIRED and MUST be 2.
  if (value !== 2) p.add("$.schemaVersion", `must be 2, got ${show(value)}`);
}

function manifest(p: Problems, doc: Json): void {
  schemaVersion2(p, doc.schemaVersion);
  // manifest.md: mediaType SHOULD be used and, when used, MUST be the OCI manifest type.
  // A Docker Image Manifest V2 Schema 2 (distribution docs/spec/manifest-v2-2.md) has
  // the same fields under its own type, which registries and Istio also serve.
  if (doc.mediaType !== undefined && doc.mediaType !== MT.ociManifest && doc.mediaType !== MT.dockerManifest) {
    p.add("$.mediaType", `must be ${MT.ociManifest} when set, got ${show(doc.mediaType)}`);
  }
  mediaType(p, "$.artifactType", doc.artifactType, false);
  if (doc.config === undefined) p.add("$.config", "is required");
  else descriptor(p, "$.config", doc.config);
  // manifest.md: artifactType MUST be set when config.mediaType is the empty value.
  if (isObject(doc.config) && doc.config.mediaType === EMPTY_MEDIA_TYPE && doc.artifactType === undefined) {
    p.add("$.artifactType", `is required when config.mediaType is ${EMPTY_MEDIA_TYPE} (manifest.md)`);
  }
  // manifest.md: layers is an array of descriptors (SHOULD have at least one entry).
  if (!Array.isArray(doc.layers)) p.add("$.layers", `must be an array of descriptors, got ${show(doc.layers)}`);
  else doc.layers.forEach((l, i) => descriptor(p, child("$.layers", i), l));
  if (doc.subject !== undefined) descriptor(p, "$.subject", doc.subject);
  annotations(p, "$.annotations", doc.annotations);
}

function platform(p: Problems, path: string, value: unknown): void {
  // image-index.md: platform is an object; architecture and os are REQUIRED strings.
  if (!isObject(value)) {
    p.add(path, `must be an object, got ${show(value)}`);
    return;
  }
  for (const k of ["architecture", "os"]) if (typeof value[k] !== "string") p.add(child(path, k), `is a required string, got ${show(value[k])}`);
  for (const k of ["os.version", "variant"]) if (value[k] !== undefined && typeof value[k] !== "string") p.add(child(path, k), `must be a string, got ${show(value[k])}`);
  stringArray(p, child(path, "os.features"), value["os.features"]);
}

function stringArray(p: Problems, path: string, value: unknown, nullable = false): void {
  if (value === undefined || (nullable && value === null)) return;
  if (!Array.isArray(value) || value.some((s) => typeof s !== "string")) p.add(path, `must be an array of strings, got ${show(value)}`);
}

function index(p: Problems, doc: Json): void {
  schemaVersion2(p, doc.schemaVersion);
  // image-index.md: mediaType SHOULD be used and, when used, MUST be the OCI index type.
  if (doc.mediaType !== undefined && doc.mediaType !== MT.ociIndex) p.add("$.mediaType", `must be ${MT.ociIndex} when set, got ${show(doc.mediaType)}`);
  mediaType(p, "$.artifactType", doc.artifactType, false);
  // image-index.md: manifests is REQUIRED (it may be empty), an array of descriptors.
  if (!Array.isArray(doc.manifests)) p.add("$.manifests", `must be an array of descriptors, got ${show(doc.manifests)}`);
  else doc.manifests.forEach((m, i) => {
    const at = child("$.manifests", i);
    descriptor(p, at, m);
    if (isObject(m) && m.platform !== undefined) platform(p, child(at, "platform"), m.platform);
  });
  if (doc.subject !== undefined) descriptor(p, "$.subject", doc.subject);
  annotations(p, "$.annotations", doc.annotations);
}

function layout(p: Problems, doc: Json): void {
  // image-layout.md "oci-layout file": imageLayoutVersion, "1.0.0" for this version.
  if (doc.imageLayoutVersion !== "1.0.0") p.add("$.imageLayoutVersion", `must be "1.0.0", got ${show(doc.imageLayoutVersion)}`);
}

function stringMap(p: Problems, path: string, value: unknown, valueKind: "string" | "object", nullable: boolean): void {
  if (value === undefined || (nullable && value === null)) return;
  if (!isObject(value)) {
    p.add(path, `must be a map, got ${show(value)}`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const ok = valueKind === "string" ? typeof v === "string" : isObject(v);
    if (!ok) p.add(child(path, k), `must be ${valueKind === "string" ? "a string" : "an object"}, got ${show(v)}`);
  }
}

function config(p: Problems, doc: Json): void {
  // config.md "Properties".
  for (const k of ["architecture", "os"]) if (typeof doc[k] !== "string") p.add(child("$", k), `is a required string, got ${show(doc[k])}`);
  if (doc.created !== undefined) dateTime(p, "$.created", doc.created);
  for (const k of ["author", "variant", "os.version"]) if (doc[k] !== undefined && typeof doc[k] !== "string") p.add(child("$", k), `must be a string, got ${show(doc[k])}`);
  stringArray(p, `$["os.features"]`, doc["os.features"]);
  if (doc.config !== undefined) {
    const c = doc.config;
    if (!isObject(c)) p.add("$.config", `must be an object, got ${show(c)}`);
    else {
      for (const k of ["User", "WorkingDir", "StopSignal"]) if (c[k] !== undefined && typeof c[k] !== "string") p.add(child("$.config", k), `must be a string, got ${show(c[k])}`);
      stringMap(p, "$.config.ExposedPorts", c.ExposedPorts, "object", false);
      stringMap(p, "$.config.Volumes", c.Volumes, "object", true);
      stringMap(p, "$.config.Labels", c.Labels, "string", true);
      stringArray(p, "$.config.Env", c.Env);
      stringArray(p, "$.config.Entrypoint", c.Entrypoint, true);
      stringArray(p, "$.config.Cmd", c.Cmd, true);
      if (c.ArgsEscaped !== undefined && typeof c.ArgsEscaped !== "boolean") p.add("$.config.ArgsEscaped", `must be a boolean, got ${show(c.ArgsEscaped)}`);
    }
  }
  // rootfs: REQUIRED; type MUST be "layers"; diff_ids are digests of the uncompressed layers.
  const rootfs = doc.rootfs;
  if (!isObject(rootfs)) p.add("$.rootfs", `is a required object, got ${show(rootfs)}`);
  else {
    if (rootfs.type !== "layers") p.add("$.rootfs.type", `must be "layers", got ${show(rootfs.type)}`);
    if (!Array.isArray(rootfs.diff_ids)) p.add("$.rootfs.diff_ids", `must be an array of digests, got ${show(rootfs.diff_ids)}`);
    else rootfs.diff_ids.forEach((d, i) => {
      const dp = digestProblem(d);
      if (dp) p.add(child("$.rootfs.diff_ids", i), dp);
    });
  }
  if (doc.history !== undefined) {
    if (!Array.isArray(doc.history)) p.add("$.history", `must be an array, got ${show(doc.history)}`);
    else doc.history.forEach((h, i) => {
      const at = child("$.history", i);
      if (!isObject(h)) return p.add(at, `must be an object, got ${show(h)}`);
      if (h.created !== undefined) dateTime(p, child(at, "created"), h.created);
      for (const k of ["author", "created_by", "comment"]) if (h[k] !== undefined && typeof h[k] !== "string") p.add(child(at, k), `must be a string, got ${show(h[k])}`);
      if (h.empty_layer !== undefined && typeof h.empty_layer !== "boolean") p.add(child(at, "empty_layer"), `must be a boolean, got ${show(h.empty_layer)}`);
    });
  }
}

const RULES: Record<OciDocumentKind, (p: Problems, doc: Json) => void> = {
  manifest,
  index,
  layout,
  config,
  descriptor: (p, doc) => descriptor(p, "$", doc),
};

/** Every way `doc` breaks the image-spec for its kind ([] when it follows it). */
export function checkOciDocument(kind: OciDocumentKind, doc: unknown): SpecProblem[] {
  const p = new Problems();
  if (!isObject(doc)) p.add("$", `must be a JSON object, got ${Array.isArray(doc) ? "an array" : show(doc)}`);
  else RULES[kind](p, doc);
  return p.list;
}

export class OciSpecError extends Error {
  constructor(readonly where: string, readonly kind: OciDocumentKind, readonly problems: SpecProblem[]) {
    super(`${where}: not a valid OCI ${WHAT[kind]}: ${problems.map((x) => `${x.path}: ${x.message}`).join("; ")}`);
    this.name = "OciSpecError";
  }
}

/** Throws an OciSpecError naming `where` and every problem's JSON path unless `doc` follows the spec. */
export function assertOciDocument(kind: OciDocumentKind, doc: unknown, where: string): void {
  const problems = checkOciDocument(kind, doc);
  if (problems.length) throw new OciSpecError(where, kind, problems);
}

/**
 * The bytes of an OCI image config (config media type application/vnd.oci.image.config.v1+json)
 * read together with its manifest: JSON, the config.md rules, and config.md "rootfs":
 * one DiffID per layer, in layer order. Throws naming `where`.
 */
export function assertImageConfig(bytes: Uint8Array, manifest: { layers: unknown[] }, where: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`${where}: image config is not JSON`);
  }
  assertOciDocument("config", doc, where);
  const ids = ((doc as Json).rootfs as Json).diff_ids as unknown[];
  if (ids.length !== manifest.layers.length) {
    throw new OciSpecError(where, "config", [{ path: "$.rootfs.diff_ids", message: `lists ${ids.length} layer(s), the manifest has ${manifest.layers.length}` }]);
  }
}
