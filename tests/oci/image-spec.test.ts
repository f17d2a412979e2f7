// The OCI image-spec v1.1 rules of oci/image-spec.ts, one failing document per
// rule, then the same rules where they bite: writing a layout (nothing changes
// on disk), reading one back (index.json, oci-layout, manifests, image configs)
// and parsing a manifest as a registry serves it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertImageConfig, assertOciDocument, checkOciDocument, digestProblem, EMPTY_MEDIA_TYPE, isRefName, OciSpecError, type OciDocumentKind } from "../../oci/image-spec.ts";
import { parseManifest } from "../../oci/artifact-reader.ts";
import { finish } from "../../oci/artifact.ts";
import { describe as descr, digestOf } from "../../oci/digest.ts";
import { ANNOTATION, MT, packageFilters, readArtifactFromLayout, readIndex, verifyArtifact, writeLayout } from "../../oci/index.ts";
import { makeFixtureProject, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";

const enc = new TextEncoder();
const HEX64 = "a".repeat(64);
const D = (over: Record<string, unknown> = {}) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${HEX64}`, size: 10, ...over });
const manifest = (over: Record<string, unknown> = {}) => ({ schemaVersion: 2, mediaType: MT.ociManifest, config: D({ mediaType: MT.ociImageConfig }), layers: [D()], ...over });
const index = (over: Record<string, unknown> = {}) => ({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [D({ mediaType: MT.ociManifest })], ...over });
const config = (over: Record<string, unknown> = {}) => ({ architecture: "wasm", os: "wasi", rootfs: { type: "layers", diff_ids: [`sha256:${HEX64}`] }, ...over });

/** `path: message` lines of the problems, for matching. */
const problems = (kind: OciDocumentKind, doc: unknown) => checkOciDocument(kind, doc).map((p) => `${p.path}: ${p.message}`);

describe("descriptor.md: digests", () => {
  it("accepts registered algorithms in their exact form and unknown ones that fit the grammar", () => {
    expect(digestProblem(`sha256:${HEX64}`)).toBeUndefined();
    expect(digestProblem(`sha512:${"0".repeat(128)}`)).toBeUndefined();
    expect(digestProblem("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")).toBeUndefined();
    expect(digestProblem("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564")).toBeUndefined();
  });

  it("refuses what breaks the grammar", () => {
    for (const bad of ["sha256", `SHA256:${HEX64}`, `sha256:${HEX64} `, `:${HEX64}`, "sha256:", "sha__256:abc", "sha256:ab/cd"]) {
      expect(digestProblem(bad), bad).toMatch(/is not a digest \(algorithm:encoded/);
    }
    expect(digestProblem(256)).toMatch(/must be a digest string, got 256/);
  });

  it("sha256 is 64 and sha512 128 lowercase hex characters", () => {
    expect(digestProblem(`sha256:${"A".repeat(64)}`)).toMatch(/a sha256 digest is 64 lowercase hex characters/);
    expect(digestProblem(`sha256:${"a".repeat(63)}`)).toMatch(/64 lowercase hex/);
    expect(digestProblem(`sha256:${"g".repeat(64)}`)).toMatch(/64 lowercase hex/);
    expect(digestProblem(`sha512:${HEX64}`)).toMatch(/a sha512 digest is 128 lowercase hex characters/);
  });
});

describe("descriptor.md: properties", () => {
  it("a good descriptor passes, with every optional field", () => {
    const bytes = enc.encode("{}");
    expect(problems("descriptor", { ...descr(EMPTY_MEDIA_TYPE, bytes), data: "e30=", urls: ["https://example.com/x"], artifactType: "application/vnd.example+type", annotations: { "com.example": "" } })).toEqual([]);
  });

  it("mediaType, digest and size are required", () => {
    expect(problems("descriptor", {})).toEqual([
      "$.mediaType: must be a media type string, got missing",
      "$.digest: must be a digest string, got missing",
      "$.size: must be a non-negative integer byte count, got missing",
    ]);
  });

  it("size is a non-negative integer, not a string or a fraction", () => {
    expect(problems("descriptor", D({ size: "10" }))).toEqual(['$.size: must be a non-negative integer byte count, got "10"']);
    expect(problems("descriptor", D({ size: -1 }))).toEqual(["$.size: must be a non-negative integer byte count, got -1"]);
    expect(problems("descriptor", D({ size: 1.5 }))).toEqual(["$.size: must be a non-negative integer byte count, got 1.5"]);
    expect(problems("descriptor", D({ size: 0 }))).toEqual([]);
  });

  it("mediaType and artifactType follow RFC 6838 section 4.2 (type/subtype, restricted names)", () => {
    for (const bad of ["wasm", "application/", "/wasm", "application/wasm; charset=utf-8", "application/.wasm", `application/${"x".repeat(128)}`]) {
      expect(problems("descriptor", D({ mediaType: bad })), bad).toEqual([expect.stringMatching(/^\$\.mediaType: .* is not a media type \(type\/subtype, RFC 6838 section 4\.2\)$/)]);
    }
    expect(problems("descriptor", D({ mediaType: `application/${"x".repeat(127)}` }))).toEqual([]);
    expect(problems("descriptor", D({ artifactType: "not a type" }))).toEqual(['$.artifactType: "not a type" is not a media type (type/subtype, RFC 6838 section 4.2)']);
  });

  it("urls is an array of URIs", () => {
    expect(problems("descriptor", D({ urls: "https://example.com" }))).toEqual(['$.urls: must be an array of URIs, got "https://example.com"']);
    expect(problems("descriptor", D({ urls: ["https://example.com/x", "example.com/x", "http://a b"] }))).toEqual([
      '$.urls[1]: must be an RFC 3986 URI, got "example.com/x"',
      '$.urls[2]: must be an RFC 3986 URI, got "http://a b"',
    ]);
  });

  it("data is base64 of exactly the content the digest and size name", () => {
    const d = descr(EMPTY_MEDIA_TYPE, enc.encode("{}"));
    expect(problems("descriptor", { ...d, data: "e30" })).toEqual(['$.data: must be base64 (RFC 4648 section 4), got "e30"']);
    expect(problems("descriptor", { ...d, data: "e319" })).toEqual(["$.data: decodes to 3 bytes, but size is 2"]);
    expect(problems("descriptor", { ...d, data: "W10=" })).toEqual(["$.data: does not match the digest"]);
  });
});

describe("annotations.md", () => {
  it("annotations are a map of strings", () => {
    expect(problems("descriptor", D({ annotations: ["a"] }))).toEqual(['$.annotations: must be a map of strings (annotations.md "Rules"), got ["a"]']);
    expect(problems("manifest", manifest({ annotations: { "com.example.n": 1, "org.opencontainers.image.title": "x" } }))).toEqual(['$.annotations["com.example.n"]: annotation values must be strings, got 1']);
  });

  it("created is an RFC 3339 date-time", () => {
    const at = (v: string) => problems("manifest", manifest({ annotations: { [ANNOTATION.created]: v } }));
    expect(at("2024-01-01T00:00:00Z")).toEqual([]);
    expect(at("2024-01-01T00:00:00.5+02:00")).toEqual([]);
    expect(at("2024-01-01 00:00:00")).toEqual(['$.annotations["org.opencontainers.image.created"]: must be an RFC 3339 date-time, got "2024-01-01 00:00:00"']);
    expect(at("2024-13-01T00:00:00Z")).toHaveLength(1);
  });

  it("ref.name follows the reference grammar", () => {
    for (const ok of ["header-auth", "header-auth-compat", "v1.0", "a/b:c@d+e", "a--b", "A_1"]) expect(isRefName(ok), ok).toBe(true);
    for (const bad of ["", "-a", "a-", "a//b", "a---b", "a b", "a!b", "/a"]) expect(isRefName(bad), bad).toBe(false);
    expect(problems("index", index({ manifests: [D({ mediaType: MT.ociManifest, annotations: { [ANNOTATION.refName]: "bad tag" } })] }))).toEqual([
      '$.manifests[0].annotations["org.opencontainers.image.ref.name"]: "bad tag" is not a reference name (annotations.md: component ("/" component)*)',
    ]);
  });
});

describe("manifest.md", () => {
  it("a good OCI manifest and a Docker schema 2 manifest pass", () => {
    expect(problems("manifest", manifest())).toEqual([]);
    expect(problems("manifest", manifest({ mediaType: MT.dockerManifest }))).toEqual([]);
    expect(problems("manifest", manifest({ mediaType: undefined }))).toEqual([]);
  });

  it("schemaVersion is the integer 2", () => {
    expect(problems("manifest", manifest({ schemaVersion: 1 }))).toEqual(["$.schemaVersion: must be 2, got 1"]);
    expect(problems("manifest", manifest({ schemaVersion: "2" }))).toEqual(['$.schemaVersion: must be 2, got "2"']);
    expect(problems("manifest", manifest({ schemaVersion: undefined }))).toEqual(["$.schemaVersion: must be 2, got missing"]);
  });

  it("mediaType, when set, is the manifest type", () => {
    expect(problems("manifest", manifest({ mediaType: MT.ociIndex }))).toEqual([`$.mediaType: must be ${MT.ociManifest} when set, got "${MT.ociIndex}"`]);
  });

  it("config is a required descriptor; layers a required array of descriptors", () => {
    expect(problems("manifest", manifest({ config: undefined }))).toEqual(["$.config: is required"]);
    expect(problems("manifest", manifest({ layers: undefined }))).toEqual(["$.layers: must be an array of descriptors, got missing"]);
    expect(problems("manifest", manifest({ layers: [D(), D({ digest: "sha256:abc" })] }))).toEqual(['$.layers[1].digest: "sha256:abc": a sha256 digest is 64 lowercase hex characters (descriptor.md "Registered algorithms")']);
    expect(problems("manifest", manifest({ subject: { mediaType: MT.ociManifest } }))).toEqual([
      "$.subject.digest: must be a digest string, got missing",
      "$.subject.size: must be a non-negative integer byte count, got missing",
    ]);
  });

  it("artifactType is required when the config is the empty descriptor", () => {
    const empty = descr(EMPTY_MEDIA_TYPE, enc.encode("{}"));
    expect(problems("manifest", manifest({ config: empty }))).toEqual([`$.artifactType: is required when config.mediaType is ${EMPTY_MEDIA_TYPE} (manifest.md)`]);
    expect(problems("manifest", manifest({ config: empty, artifactType: "application/vnd.example+type" }))).toEqual([]);
  });

  it("a manifest is a JSON object", () => {
    expect(problems("manifest", [])).toEqual(["$: must be a JSON object, got an array"]);
    expect(problems("manifest", null)).toEqual(["$: must be a JSON object, got null"]);
  });
});

describe("image-index.md, image-layout.md", () => {
  it("index: schemaVersion 2, the index media type, a manifests array, platform with architecture and os", () => {
    expect(problems("index", index())).toEqual([]);
    expect(problems("index", index({ manifests: [] }))).toEqual([]);
    expect(problems("index", index({ schemaVersion: 3, mediaType: MT.ociManifest, manifests: undefined }))).toEqual([
      "$.schemaVersion: must be 2, got 3",
      `$.mediaType: must be ${MT.ociIndex} when set, got "${MT.ociManifest}"`,
      "$.manifests: must be an array of descriptors, got missing",
    ]);
    expect(problems("index", index({ manifests: [D({ platform: { architecture: "amd64", "os.features": [1] } })] }))).toEqual([
      "$.manifests[0].platform.os: is a required string, got missing",
      '$.manifests[0].platform["os.features"]: must be an array of strings, got [1]',
    ]);
  });

  it("oci-layout: imageLayoutVersion 1.0.0", () => {
    expect(problems("layout", { imageLayoutVersion: "1.0.0" })).toEqual([]);
    expect(problems("layout", { imageLayoutVersion: "1.1.0" })).toEqual(['$.imageLayoutVersion: must be "1.0.0", got "1.1.0"']);
    expect(problems("layout", {})).toEqual(['$.imageLayoutVersion: must be "1.0.0", got missing']);
  });
});

describe("config.md", () => {
  it("architecture, os and rootfs are required; rootfs.type is layers; diff_ids are digests", () => {
    expect(problems("config", config())).toEqual([]);
    expect(problems("config", {})).toEqual([
      "$.architecture: is a required string, got missing",
      "$.os: is a required string, got missing",
      "$.rootfs: is a required object, got missing",
    ]);
    expect(problems("config", config({ rootfs: { type: "layer", diff_ids: ["sha256:x"] } }))).toEqual([
      '$.rootfs.type: must be "layers", got "layer"',
      '$.rootfs.diff_ids[0]: "sha256:x": a sha256 digest is 64 lowercase hex characters (descriptor.md "Registered algorithms")',
    ]);
  });

  it("field types: created, Env, Labels, ExposedPorts, Cmd, history", () => {
    expect(problems("config", config({
      created: "yesterday",
      config: { Env: ["A=1", 2], Labels: { a: 1 }, ExposedPorts: { "80/tcp": "yes" }, Cmd: null, Entrypoint: "sh", ArgsEscaped: "no" },
      history: [{ created_by: 1, empty_layer: "true" }, "x"],
    }))).toEqual([
      '$.created: must be an RFC 3339 date-time, got "yesterday"',
      '$.config.ExposedPorts["80/tcp"]: must be an object, got "yes"',
      "$.config.Labels.a: must be a string, got 1",
      '$.config.Env: must be an array of strings, got ["A=1",2]',
      '$.config.Entrypoint: must be an array of strings, got "sh"',
      '$.config.ArgsEscaped: must be a boolean, got "no"',
      "$.history[0].created_by: must be a string, got 1",
      '$.history[0].empty_layer: must be a boolean, got "true"',
      '$.history[1]: must be an object, got "x"',
    ]);
  });

  it("one DiffID per manifest layer", () => {
    const bytes = enc.encode(JSON.stringify(config()));
    expect(() => assertImageConfig(bytes, { layers: [{}] }, "cfg")).not.toThrow();
    expect(() => assertImageConfig(bytes, { layers: [{}, {}] }, "cfg")).toThrow("cfg: not a valid OCI image config (image-spec config.md): $.rootfs.diff_ids: lists 1 layer(s), the manifest has 2");
    expect(() => assertImageConfig(enc.encode("{"), { layers: [] }, "cfg")).toThrow("cfg: image config is not JSON");
  });
});

describe("errors name the document and the JSON path", () => {
  it("assertOciDocument", () => {
    const err = (() => {
      try {
        assertOciDocument("manifest", manifest({ layers: [D(), D({ size: "1" })] }), "registry.example.com/x:1 manifest");
      } catch (e) {
        return e as OciSpecError;
      }
    })();
    expect(err).toBeInstanceOf(OciSpecError);
    expect(err!.message).toBe('registry.example.com/x:1 manifest: not a valid OCI image manifest (image-spec manifest.md): $.layers[1].size: must be a non-negative integer byte count, got "1"');
    expect(err!.problems).toEqual([{ path: "$.layers[1].size", message: 'must be a non-negative integer byte count, got "1"' }]);
  });

  it("parseManifest, as bytes come from a registry", () => {
    const bytes = (o: unknown) => enc.encode(JSON.stringify(o));
    expect(() => parseManifest(bytes(manifest({ config: { ...D(), digest: `sha256:${"F".repeat(64)}` } })), "r/x:1")).toThrow(/^r\/x:1 manifest: not a valid OCI image manifest .*\$\.config\.digest: .*64 lowercase hex/);
    expect(() => parseManifest(bytes("manifest"), "r/x:1")).toThrow('r/x:1 manifest: not a valid OCI image manifest (image-spec manifest.md): $: must be a JSON object, got "manifest"');
    expect(() => parseManifest(bytes(index()), "r/x:1")).toThrow(/is an image index, not a manifest/);
  });
});

describe("where the rules bite: layouts", () => {
  let fx: FixtureProject;
  let layout: string;
  beforeAll(async () => {
    fx = await makeFixtureProject({ filters: [{ name: "add-header", rootIds: ["add_header"] }] });
    layout = path.join(tempDir("spec-layout"), "oci");
    packageFilters({ projectRoot: fx.root, outDir: layout, env: {} });
  });

  const copyLayout = (edit: (dir: string) => void): string => {
    const dir = path.join(tempDir("spec-edit"), "oci");
    mkdirSync(dir, { recursive: true });
    for (const f of ["oci-layout", "index.json"]) writeFileSync(path.join(dir, f), readFileSync(path.join(layout, f)));
    mkdirSync(path.join(dir, "blobs", "sha256"), { recursive: true });
    for (const d of readIndex(layout).manifests) {
      const copy = (digest: string) => writeFileSync(path.join(dir, "blobs", "sha256", digest.slice(7)), readFileSync(path.join(layout, "blobs", "sha256", digest.slice(7))));
      copy(d.digest);
      const m = JSON.parse(readFileSync(path.join(layout, "blobs", "sha256", d.digest.slice(7)), "utf8"));
      for (const x of [m.config, ...m.layers]) copy(x.digest);
    }
    edit(dir);
    return dir;
  };

  it("the packaged layout reads back; a broken oci-layout or index.json is refused with the file and the JSON path", () => {
    expect(readArtifactFromLayout(layout, "add-header").module.length).toBeGreaterThan(8);
    const v2 = copyLayout((d) => writeFileSync(path.join(d, "oci-layout"), '{"imageLayoutVersion":"2.0.0"}'));
    expect(() => readIndex(v2)).toThrow(`${v2}/oci-layout: not a valid OCI oci-layout file (image-spec image-layout.md): $.imageLayoutVersion: must be "1.0.0", got "2.0.0"`);
    const sized = copyLayout((d) => {
      const idx = JSON.parse(readFileSync(path.join(d, "index.json"), "utf8"));
      idx.manifests[0].size = String(idx.manifests[0].size);
      writeFileSync(path.join(d, "index.json"), JSON.stringify(idx));
    });
    expect(() => readArtifactFromLayout(sized, "add-header")).toThrow(new RegExp(`^${sized}/index\\.json: not a valid OCI image index .*\\$\\.manifests\\[0\\]\\.size: must be a non-negative integer byte count, got "\\d+"`));
    const notJson = copyLayout((d) => writeFileSync(path.join(d, "index.json"), "{"));
    expect(() => readIndex(notJson)).toThrow(`${notJson}/index.json is not JSON`);
  });

  it("verify reports a manifest that breaks the spec, with the JSON path", async () => {
    // A manifest whose layer descriptor carries an upper-case digest, re-addressed so every digest still matches.
    const dir = copyLayout((d) => {
      const idx = JSON.parse(readFileSync(path.join(d, "index.json"), "utf8"));
      const e = idx.manifests.find((m: { annotations: Record<string, string> }) => m.annotations[ANNOTATION.refName] === "add-header");
      const m = JSON.parse(readFileSync(path.join(d, "blobs", "sha256", e.digest.slice(7)), "utf8"));
      m.layers[0].urls = ["not a uri"];
      const bytes = enc.encode(JSON.stringify(m));
      writeFileSync(path.join(d, "blobs", "sha256", digestOf(bytes).slice(7)), bytes);
      Object.assign(e, { digest: digestOf(bytes), size: bytes.length });
      writeFileSync(path.join(d, "index.json"), JSON.stringify(idx));
    });
    const r = await verifyArtifact(`oci:${dir}:add-header`);
    expect(r.ok).toBe(false);
    expect(r.checks[0]).toMatchObject({ status: "fail", detail: expect.stringMatching(/add-header manifest: not a valid OCI image manifest .*\$\.layers\[0\]\.urls\[0\]: must be an RFC 3986 URI, got "not a uri"/) });
  });

  it("writeLayout refuses a document that breaks the spec, or a tag that is not a reference name, before touching the layout", () => {
    const dir = copyLayout(() => {});
    const before = readFileSync(path.join(dir, "index.json"), "utf8");
    const rc = enc.encode("{}");
    const bad = finish("x", "wasm", { schemaVersion: 2, mediaType: MT.ociManifest, config: descr(MT.wasmConfig, rc), layers: [{ ...descr(MT.wasmLayer, rc), size: -2 }] }, [rc]);
    expect(() => writeLayout(dir, [{ tag: "x", artifact: bad }])).toThrow("manifest of x: not a valid OCI image manifest (image-spec manifest.md): $.layers[0].size: must be a non-negative integer byte count, got -2");
    const good = finish("x", "wasm", { schemaVersion: 2, mediaType: MT.ociManifest, config: descr(MT.wasmConfig, rc), layers: [descr(MT.wasmLayer, rc)] }, [rc]);
    expect(() => writeLayout(dir, [{ tag: "x y", artifact: good }])).toThrow(/layout tag 'x y' is not a valid org.opencontainers.image.ref.name/);
    const cfg = enc.encode(JSON.stringify(config({ rootfs: { type: "layers", diff_ids: [] } })));
    const image = finish("x", "compat", { schemaVersion: 2, mediaType: MT.ociManifest, config: descr(MT.ociImageConfig, cfg), layers: [descr(MT.ociLayerTarGzip, rc)] }, [cfg, rc]);
    expect(() => writeLayout(dir, [{ tag: "x", artifact: image }])).toThrow("image config of x: not a valid OCI image config (image-spec config.md): $.rootfs.diff_ids: lists 0 layer(s), the manifest has 1");
    expect(readFileSync(path.join(dir, "index.json"), "utf8")).toBe(before);
    expect(existsSync(path.join(dir, "blobs", "sha256", digestOf(rc).slice(7)))).toBe(false);
  });
});
