// Packaging: both variant shapes exactly, annotations, schema validity of every
// document in the layout, every digest/size against its blob, reading back,
// and reproducibility across checkouts, paths, working directories and mtimes.
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ANNOTATION,
  MT,
  checkOciDocument,
  packageFilters,
  readArtifactFromLayout,
  readIndex,
  sha256Hex,
  digestOf,
  normalizeSourceUrl,
  type PackageResult,
} from "../../oci/index.ts";
import { gunzip } from "../../oci/gzip.ts";
import { readTar } from "../../oci/tar.ts";
import { FIXTURE_FILTERS, makeFixtureProject, REPO_ROOT, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";

const dec = new TextDecoder();
const json = (b: Uint8Array) => JSON.parse(dec.decode(b)) as Record<string, any>;
const COMMIT_EPOCH = 1700000000; // 2023-11-14T22:13:20Z

let fx: FixtureProject;
let result: PackageResult;

beforeAll(async () => {
  fx = await makeFixtureProject({ commitEpoch: COMMIT_EPOCH, remote: "https://user:tok3n@github.com/example/mesh-wasm-filters.git" });
  result = packageFilters({ projectRoot: fx.root, env: {} });
});

function blob(layout: string, digest: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(layout, "blobs", "sha256", digest.slice(7))));
}

describe("mesh-filters package: layout", () => {
  it("has one tag per filter and variant", () => {
    const tags = readIndex(result.layoutDir).manifests.map((m) => m.annotations?.[ANNOTATION.refName]);
    expect(tags).toEqual(FIXTURE_FILTERS.flatMap((f) => [f.name, `${f.name}-compat`]).sort());
  });

  it("validates oci-layout, index.json, every manifest and the compat image configs against the OCI image-spec rules", () => {
    const layout = JSON.parse(readFileSync(path.join(result.layoutDir, "oci-layout"), "utf8"));
    expect(checkOciDocument("layout", layout)).toEqual([]);
    expect(layout).toEqual({ imageLayoutVersion: "1.0.0" });
    const index = JSON.parse(readFileSync(path.join(result.layoutDir, "index.json"), "utf8"));
    expect(checkOciDocument("index", index)).toEqual([]);
    expect(index.mediaType).toBe(MT.ociIndex);
    for (const d of index.manifests) {
      expect(checkOciDocument("descriptor", d)).toEqual([]);
      const m = json(blob(result.layoutDir, d.digest));
      expect(checkOciDocument("manifest", m)).toEqual([]);
      if (m.config.mediaType === MT.ociImageConfig) expect(checkOciDocument("config", json(blob(result.layoutDir, m.config.digest)))).toEqual([]);
    }
  });

  it("stores every blob under its own sha256, with the size its descriptors give, and nothing else", () => {
    const dir = path.join(result.layoutDir, "blobs", "sha256");
    const files = readdirSync(dir);
    for (const f of files) expect(sha256Hex(new Uint8Array(readFileSync(path.join(dir, f))))).toBe(f);
    const referenced = new Set<string>();
    for (const d of readIndex(result.layoutDir).manifests) {
      const mb = blob(result.layoutDir, d.digest);
      expect(mb.length).toBe(d.size);
      expect(d.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      referenced.add(d.digest.slice(7));
      const m = json(mb);
      for (const x of [m.config, ...m.layers]) {
        expect(x.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
        expect(blob(result.layoutDir, x.digest).length).toBe(x.size);
        referenced.add(x.digest.slice(7));
      }
    }
    expect(new Set(files)).toEqual(referenced);
  });
});

describe("wasm variant", () => {
  it("is the solo.io/wasme shape: runtime config as config and layers[0], the module as layers[1], exactly two layers", () => {
    for (const f of FIXTURE_FILTERS) {
      const a = result.artifacts.find((x) => x.name === f.name && x.variant === "wasm")!;
      const m = json(blob(result.layoutDir, a.manifestDigest));
      expect(m.schemaVersion).toBe(2);
      expect(m.mediaType).toBe(MT.ociManifest);
      expect(m.artifactType).toBeUndefined();
      expect(m.config.mediaType).toBe("application/vnd.module.wasm.config.v1+json");
      expect(m.layers).toHaveLength(2);
      expect(m.layers[0]).toEqual({ ...m.config, annotations: { [ANNOTATION.title]: "runtime-config.json" } });
      expect(m.layers[1].mediaType).toBe("application/vnd.module.wasm.content.layer.v1+wasm");
      expect(m.layers[1].annotations).toEqual({ [ANNOTATION.title]: "filter.wasm" });
      const module = fx.modules.get(f.name)!;
      expect(m.layers[1].digest).toBe(digestOf(module));
      expect(blob(result.layoutDir, m.layers[1].digest)).toEqual(module);
      expect(dec.decode(blob(result.layoutDir, m.config.digest))).toBe(
        JSON.stringify({ type: "envoy_proxy", abiVersions: ["v0.2.1"], config: { rootIds: f.rootIds } }),
      );
    }
  });

  it("carries the runtime and OCI annotations", () => {
    const a = result.artifacts.find((x) => x.name === "stats" && x.variant === "wasm")!;
    const revision = execFileSync("git", ["-C", fx.root, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    expect(json(blob(result.layoutDir, a.manifestDigest)).annotations).toEqual({
      "module.wasm.runtime/abi_version": "v0.2.1",
      "module.wasm.runtime/type": "envoy_proxy",
      "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
      "org.opencontainers.image.description": "stats: Proxy-Wasm HTTP filter for Envoy (root ids: stats, stats_inbound, stats_outbound)",
      "org.opencontainers.image.revision": revision,
      // the remote's embedded credentials are stripped, .git dropped
      "org.opencontainers.image.source": "https://github.com/example/mesh-wasm-filters",
      "org.opencontainers.image.title": "stats",
      "org.opencontainers.image.version": "0.1.0",
    });
  });
});

describe("compat variant", () => {
  it("is a single-layer OCI image whose tar+gzip layer holds plugin.wasm and runtime-config.json", () => {
    for (const f of FIXTURE_FILTERS) {
      const a = result.artifacts.find((x) => x.name === f.name && x.variant === "compat")!;
      const m = json(blob(result.layoutDir, a.manifestDigest));
      expect(m.mediaType).toBe(MT.ociManifest);
      expect(m.layers).toHaveLength(1);
      expect(m.layers[0].mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
      expect(m.annotations["module.wasm.image/variant"]).toBe("compat");
      expect(m.annotations["module.wasm.runtime/type"]).toBe("envoy_proxy");
      const tar = gunzip(blob(result.layoutDir, m.layers[0].digest));
      const entries = readTar(tar);
      expect(entries.map((e) => e.name)).toEqual(["plugin.wasm", "runtime-config.json"]);
      expect(entries[0]!.data).toEqual(fx.modules.get(f.name));
      expect(json(entries[1]!.data)).toEqual({ type: "envoy_proxy", abiVersions: ["v0.2.1"], config: { rootIds: f.rootIds } });
      const cfg = json(blob(result.layoutDir, m.config.digest));
      expect(m.config.mediaType).toBe(MT.ociImageConfig);
      expect(cfg).toMatchObject({ architecture: "wasm", os: "wasi", created: "2023-11-14T22:13:20Z", rootfs: { type: "layers", diff_ids: [digestOf(tar)] } });
    }
  });
});

describe("readArtifactFromLayout", () => {
  it("gives back the module, manifest, digest and runtime config of both variants", () => {
    for (const a of result.artifacts) {
      const got = readArtifactFromLayout(result.layoutDir, a.tag);
      expect(got.manifestDigest).toBe(a.manifestDigest);
      expect(got.module).toEqual(fx.modules.get(a.name));
      expect(got.variant).toBe(a.variant);
      expect(got.config?.config?.rootIds).toEqual(a.rootIds);
    }
  });

  it("refuses a tampered blob with a digest mismatch", async () => {
    const copy = tempDir("tamper");
    cpSync(result.layoutDir, copy, { recursive: true });
    const a = result.artifacts.find((x) => x.name === "header-auth" && x.variant === "wasm")!;
    const m = json(blob(copy, a.manifestDigest));
    const file = path.join(copy, "blobs", "sha256", m.layers[1].digest.slice(7));
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(file, bytes);
    expect(() => readArtifactFromLayout(copy, "header-auth")).toThrow(/digest mismatch/);
    expect(() => readArtifactFromLayout(copy, "nope")).toThrow(/tag 'nope' not found/);
  });
});

describe("reproducibility", () => {
  it("gives identical digests from two clones at different paths, times, working directories and file mtimes", async () => {
    // clone the fixture repository twice, at different paths and a moment apart;
    // build outputs are not in git, so copy them in with different mtimes
    const clones: string[] = [];
    for (const [i, when] of [[0, 1_000_000_000], [1, 1_900_000_000]] as const) {
      const dir = path.join(tempDir(`clone${i}`), i === 0 ? "a" : "some/deeper/path/b");
      execFileSync("git", ["clone", "-q", fx.root, dir]);
      cpSync(path.join(fx.root, "build"), path.join(dir, "build"), { recursive: true });
      for (const f of readdirSync(path.join(dir, "build"))) utimesSync(path.join(dir, "build", f), when, when);
      clones.push(dir);
      await new Promise((r) => setTimeout(r, 1100)); // a different wall-clock second
    }
    // run the real CLI from two different working directories
    const run = (cwd: string, root: string) =>
      execFileSync(process.execPath, [path.join(REPO_ROOT, "bin", "mesh-filters.js"), "package", "--root", root], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, SOURCE_DATE_EPOCH: "" },
      });
    const out0 = run(clones[0]!, clones[0]!);
    const out1 = run(path.dirname(clones[1]!), clones[1]!);
    expect(out0).toMatch(/created 2023-11-14T22:13:20Z/);
    const index0 = readFileSync(path.join(clones[0]!, "dist", "oci", "index.json"));
    const index1 = readFileSync(path.join(clones[1]!, "dist", "oci", "index.json"));
    expect(index1.equals(index0)).toBe(true);
    // (the clones' origin is a local path, so no source annotation: see normalizeSourceUrl)
    const digests = (s: string) => [...s.matchAll(/sha256:[a-f0-9]{64}/g)].map((m) => m[0]);
    expect(digests(out1)).toEqual(digests(out0));
    expect(digests(out0)).toHaveLength(FIXTURE_FILTERS.length * 2);
    const layoutFiles = (d: string) => readdirSync(path.join(d, "dist", "oci", "blobs", "sha256")).sort();
    expect(layoutFiles(clones[1]!)).toEqual(layoutFiles(clones[0]!));
  });

  it("takes 'created' from SOURCE_DATE_EPOCH when set, and only 'created' and dependent digests change", () => {
    const r2 = packageFilters({ projectRoot: fx.root, outDir: tempDir("sde"), env: { SOURCE_DATE_EPOCH: "1577836800" } });
    expect(r2.provenance.created).toBe("2020-01-01T00:00:00Z");
    const a1 = result.artifacts.find((x) => x.tag === "add-header")!;
    const a2 = r2.artifacts.find((x) => x.tag === "add-header")!;
    expect(a2.manifestDigest).not.toBe(a1.manifestDigest);
    expect(a2.artifact.manifest.annotations?.[ANNOTATION.created]).toBe("2020-01-01T00:00:00Z");
    expect({ ...a2.artifact.manifest.annotations, [ANNOTATION.created]: "x" }).toEqual({ ...a1.artifact.manifest.annotations, [ANNOTATION.created]: "x" });
    // the module layer itself is untouched
    expect(a2.artifact.manifest.layers).toEqual(a1.artifact.manifest.layers);
    const r3 = packageFilters({ projectRoot: fx.root, outDir: tempDir("sde2"), env: { SOURCE_DATE_EPOCH: "1577836800" } });
    expect(r3.artifacts.map((a) => a.manifestDigest)).toEqual(r2.artifacts.map((a) => a.manifestDigest));
  });

  it("fails clearly without SOURCE_DATE_EPOCH outside git, and on a malformed SOURCE_DATE_EPOCH", async () => {
    const noGit = tempDir("nogit");
    cpSync(path.join(fx.root, "build"), path.join(noGit, "build"), { recursive: true });
    cpSync(path.join(fx.root, "package.json"), path.join(noGit, "package.json"));
    expect(() => packageFilters({ projectRoot: noGit, env: {} })).toThrow(/SOURCE_DATE_EPOCH is not set and .* has no git commit/);
    const ok = packageFilters({ projectRoot: noGit, env: { SOURCE_DATE_EPOCH: "0" } });
    expect(ok.provenance).toEqual({ created: "1970-01-01T00:00:00Z", version: "0.1.0" });
    expect(() => packageFilters({ projectRoot: fx.root, env: { SOURCE_DATE_EPOCH: "yesterday" } })).toThrow(/SOURCE_DATE_EPOCH must be a non-negative integer/);
  });

  it("refuses a module that does not match build/filters.json", async () => {
    const p = await makeFixtureProject({ filters: [{ name: "add-header", rootIds: ["add_header"] }] });
    writeFileSync(path.join(p.root, "build", "add-header.wasm"), "\0asm\x01\0\0\0changed");
    expect(() => packageFilters({ projectRoot: p.root, env: {} })).toThrow(/does not match .*filters\.json.*rebuild/);
  });
});

describe("source URL normalization", () => {
  it("keeps public URLs, strips credentials, drops local paths", () => {
    expect(normalizeSourceUrl("git@github.com:org/repo.git")).toBe("https://github.com/org/repo");
    expect(normalizeSourceUrl("https://x:y@gitlab.example.com/g/r.git")).toBe("https://gitlab.example.com/g/r");
    expect(normalizeSourceUrl("ssh://git@host.example/r")).toBe("https://host.example/r");
    expect(normalizeSourceUrl("/work/main")).toBeUndefined();
    expect(normalizeSourceUrl("file:///work/main")).toBeUndefined();
    expect(normalizeSourceUrl("")).toBeUndefined();
  });
});
