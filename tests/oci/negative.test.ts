// What must fail, and how: shapes Istio rejects (with Istio's own message), a
// tampered blob in a layout or in the registry's storage, a registry that is
// not there, a push cut off half-way. Nothing half-pushed is reported as done.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describe as descr, digestOf } from "../../oci/digest.ts";
import { finish, manifestAnnotations, runtimeConfig } from "../../oci/artifact.ts";
import { MT, NO_TOOL_MESSAGE, packageFilters, pullArtifact, pushFilters, PushError, verifyArtifact, writeLayout, ANNOTATION } from "../../oci/index.ts";
import { gzip } from "../../oci/gzip.ts";
import { writeTar } from "../../oci/tar.ts";
import type { BuiltFilter } from "../../oci/filters-json.ts";
import { makeFixtureProject, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";
import { registrySuite, skopeo, startRegistry, type TestRegistry } from "./helpers/registry.ts";
import { cli } from "../support/cli.ts";

const PROV = { created: "2024-01-01T00:00:00Z", version: "0.1.0" };

let fx: FixtureProject;
let filter: BuiltFilter;
let badLayout: string;

/** Shapes other tools produce and Istio rejects (or accepts), written as one layout. */
function badShapes(f: BuiltFilter) {
  const rc = runtimeConfig(f);
  const ann = manifestAnnotations(f, PROV);
  const wasmLayer = descr(MT.wasmLayer, f.module, { [ANNOTATION.title]: "filter.wasm" });
  return {
    // `oras push --config runtime-config.json:<cfg type> REF filter.wasm:<wasm type>` (ASM's legacy doc): config + ONE layer
    "one-layer": finish(f.name, "wasm", { schemaVersion: 2, mediaType: MT.ociManifest, config: descr(MT.wasmConfig, rc), layers: [wasmLayer], annotations: ann }, [rc, f.module]),
    "three-layers": finish(f.name, "wasm", { schemaVersion: 2, mediaType: MT.ociManifest, config: descr(MT.wasmConfig, rc), layers: [descr(MT.wasmConfig, rc), wasmLayer, descr(MT.wasmConfig, rc)], annotations: ann }, [rc, f.module]),
    // CNCF TAG-Runtime layout: one application/wasm layer
    cncf: finish(f.name, "wasm", { schemaVersion: 2, mediaType: MT.ociManifest, config: descr("application/vnd.wasm.config.v0+json", rc), layers: [descr("application/wasm", f.module)], annotations: ann }, [rc, f.module]),
    // tar+gzip without plugin.wasm
    "no-plugin": (() => {
      const layer = gzip(writeTar([{ name: "filter.wasm", data: f.module }]));
      return finish(f.name, "compat", { schemaVersion: 2, mediaType: MT.ociManifest, config: descr(MT.wasmConfig, rc), layers: [descr(MT.ociLayerTarGzip, layer)], annotations: ann }, [rc, layer]);
    })(),
    // two layers, module type present, but the bytes are not Wasm
    "not-wasm": (() => {
      const junk = new TextEncoder().encode("#!/bin/sh\necho not wasm\n");
      return finish(f.name, "wasm", { schemaVersion: 2, mediaType: MT.ociManifest, config: descr(MT.wasmConfig, rc), layers: [descr(MT.wasmConfig, rc), descr(MT.wasmLayer, junk)], annotations: ann }, [rc, junk]);
    })(),
    // Docker-built compat image shape (accepted)
    docker: (() => {
      const layer = gzip(writeTar([{ name: "plugin.wasm", data: f.module }]));
      const cfg = new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
      return finish(f.name, "compat", { schemaVersion: 2, mediaType: MT.dockerManifest, config: descr("application/vnd.docker.container.image.v1+json", cfg), layers: [descr(MT.dockerLayerTarGzip, layer)] }, [cfg, layer]);
    })(),
  };
}

const ISTIO_ONE_LAYER =
  "the given image is in invalid format as an OCI image: 2 errors occurred:\n" +
  "\t* could not parse as compat variant: invalid media type application/vnd.module.wasm.content.layer.v1+wasm (expect application/vnd.oci.image.layer.v1.tar+gzip)\n" +
  "\t* could not parse as oci variant: number of layers must be 2 but got 1";

beforeAll(async () => {
  fx = await makeFixtureProject({ filters: [{ name: "header-auth", rootIds: ["header_auth"] }] });
  const module = fx.modules.get("header-auth")!;
  filter = { name: "header-auth", rootIds: ["header_auth"], file: "build/header-auth.wasm", size: module.length, sha256: digestOf(module).slice(7), abiVersion: "0.2.1", module };
  badLayout = tempDir("bad-shapes");
  writeLayout(badLayout, Object.entries(badShapes(filter)).map(([tag, artifact]) => ({ tag, artifact })));
});

describe("verify on a layout: Istio's rules", () => {
  it("rejects a one-layer manifest with Istio's message", async () => {
    const r = await verifyArtifact(`oci:${badLayout}:one-layer`);
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === "Istio acceptance")).toMatchObject({ status: "fail", detail: ISTIO_ONE_LAYER });
  });

  it("rejects three layers, the CNCF layout, a tar without plugin.wasm, and non-Wasm bytes", async () => {
    const detail = async (tag: string) => (await verifyArtifact(`oci:${badLayout}:${tag}`)).checks.find((c) => c.status === "fail")?.detail;
    expect(await detail("three-layers")).toMatch(/number of layers must be 2 but got 3$/);
    expect(await detail("cncf")).toMatch(/invalid media type application\/wasm .*\n.*number of layers must be 2 but got 1/);
    expect(await detail("no-plugin")).toMatch(/could not parse as compat variant: could not extract wasm binary: plugin.wasm not found in the archive/);
    expect(await detail("not-wasm")).toMatch(/fetched Wasm binary from .* is invalid/);
  });

  it("accepts a Docker-style compat image (Docker manifest, rootfs.diff.tar.gzip)", async () => {
    const r = await verifyArtifact(`${badLayout}:docker`);
    expect(r.checks.find((c) => c.name === "Istio acceptance")?.status).toBe("pass");
  });

  it("flags a tampered blob and a module that differs from build/filters.json (CLI, non-zero exit)", () => {
    const layout = path.join(tempDir("tampered"), "oci");
    packageFilters({ projectRoot: fx.root, outDir: layout, env: {} });
    const index = JSON.parse(readFileSync(path.join(layout, "index.json"), "utf8"));
    const desc = index.manifests.find((m: { annotations: Record<string, string> }) => m.annotations[ANNOTATION.refName] === "header-auth");
    const manifest = JSON.parse(readFileSync(path.join(layout, "blobs", "sha256", desc.digest.slice(7)), "utf8"));
    const good = cli(["verify", `oci:${layout}:header-auth`], { cwd: fx.root });
    expect(good.code).toBe(0);
    const file = path.join(layout, "blobs", "sha256", manifest.layers[1].digest.slice(7));
    const bytes = readFileSync(file);
    bytes[20] ^= 0x55;
    writeFileSync(file, bytes);
    const bad = cli(["verify", `oci:${layout}:header-auth`], { cwd: fx.root });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^FAILED: .* would not be accepted\n +FAIL +fetch, schema, digests and sizes: .*layer 1.*digest mismatch/);

    // a well-formed artifact of a different build: sha256 check against filters.json fails
    const other = path.join(tempDir("other"), "filters.json");
    writeFileSync(other, JSON.stringify([{ ...filter, module: undefined, sha256: "0".repeat(64) }]));
    const mismatch = cli(["verify", "--filters", other, `${layout}:header-auth-compat`], { cwd: fx.root });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/FAIL +module sha256 vs build\/filters.json: artifact module sha256 [0-9a-f]{64} != 0{64}/);
  });

  it("says so when the layout or tag does not exist", async () => {
    expect((await verifyArtifact(`oci:${badLayout}:missing`)).checks[0]!.detail).toMatch(/tag 'missing' not found/);
    expect((await verifyArtifact(`oci:${tempDir("empty")}:x`)).checks[0]!.detail).toMatch(/not an OCI image layout/);
  });
});

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("push without a usable tool or registry", () => {
  it("with neither oras nor skopeo found: a clear error saying how to install either; --dry-run still prints ORAS commands", async () => {
    const emptyBin = tempDir("emptybin");
    // no env variables, an empty PATH and an empty tools folder (not the project's .tools, which setup fills)
    const opts = { projectRoot: fx.root, registry: "127.0.0.1:5000/wasm", plainHttp: true, env: { PATH: emptyBin, MESH_FILTERS_TOOLS_DIR: emptyBin }, log: () => {} };
    await expect(pushFilters(opts)).rejects.toThrow(NO_TOOL_MESSAGE);
    expect(NO_TOOL_MESSAGE).toMatch(/npm run setup.*oras\.land.*apt-get install skopeo/);
    const lines: string[] = [];
    const dry = await pushFilters({ ...opts, dryRun: true, log: (l) => lines.push(l) });
    expect(dry.tool).toBe("oras");
    expect(lines[0]).toMatch(/^oras cp --from-oci-layout dist\/oci:header-auth 127\.0\.0\.1:5000\/wasm\/header-auth:0\.1\.0 --to-plain-http {4}# expect sha256:/);
  });
});

registrySuite("failures against a real registry", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => reg?.stop());

  it("a missing registry: push fails before running the tool, nothing recorded; verify says it cannot reach it", async () => {
    const port = await closedPort();
    const r = cli(["push", "--registry", `127.0.0.1:${port}/wasm`, "--plain-http", "--tool", "skopeo"], { cwd: fx.root });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`FAILED: cannot reach registry 127\\.0\\.0\\.1:${port} .*ECONNREFUSED.*Nothing was pushed`));
    expect(existsSync(path.join(fx.root, "dist", "pushed.json"))).toBe(false);
    const v = cli(["verify", "--plain-http", `127.0.0.1:${port}/wasm/header-auth:0.1.0`], { cwd: fx.root });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/cannot reach registry/);
  });

  it("a push cut off half-way is reported as a failure, with what did get pushed, and no pushed.json", async () => {
    const fx2 = await makeFixtureProject();
    const victim = await startRegistry();
    let first = true;
    const err = await pushFilters({
      projectRoot: fx2.root,
      registry: `${victim.host}/wasm`,
      plainHttp: true,
      tool: "skopeo",
      env: { ...process.env, SOURCE_DATE_EPOCH: "" },
      log: () => {
        if (first) void victim.stop(); // the registry goes away right after the first confirmed push
        first = false;
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).pushed.map((p) => p.reference)).toEqual([`${victim.host}/wasm/add-header:0.1.0`]);
    expect((err as Error).message).toMatch(/Pushed before the failure: .*add-header:0\.1\.0\./);
    expect(existsSync(path.join(fx2.root, "dist", "pushed.json"))).toBe(false);
  });

  it("a one-layer artifact pushed by another tool is rejected by verify with Istio's message", async () => {
    const ref = `${reg.host}/wasm/header-auth:one-layer`;
    await skopeo(["copy", "--preserve-digests", "--dest-tls-verify=false", `oci:${badLayout}:one-layer`, `docker://${ref}`]);
    const r = cli(["verify", "--plain-http", ref], { cwd: fx.root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(ISTIO_ONE_LAYER.replace(/\t/g, "        ").split("\n")[0]);
    expect(r.stderr).toMatch(/number of layers must be 2 but got 1/);
    await expect(pullArtifact(ref, { plainHttp: true })).rejects.toThrow(ISTIO_ONE_LAYER);
  });

  it("a tampered blob in the registry's storage is caught by digest", async () => {
    const ref = `${reg.host}/tampered/header-auth:1`; // the repository names the filter verify expects
    const layout = path.join(tempDir("tamper-src"), "oci");
    const art = packageFilters({ projectRoot: fx.root, outDir: layout, env: {} }).artifacts.find((a) => a.tag === "header-auth-compat")!.artifact;
    await skopeo(["copy", "--preserve-digests", "--dest-tls-verify=false", `oci:${layout}:header-auth-compat`, `docker://${ref}`]);
    const filtersJson = path.join(fx.root, "build", "filters.json");
    expect((await verifyArtifact(ref, { plainHttp: true, filtersJson })).ok).toBe(true);
    const hex = art.manifest.layers[0]!.digest.slice(7);
    const data = path.join(reg.storage, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
    const bytes = readFileSync(data);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(data, bytes);
    const r = await verifyArtifact(ref, { plainHttp: true, filtersJson });
    expect(r.ok).toBe(false);
    expect(r.checks[0]!.detail).toMatch(/layer 0: digest mismatch/);
  });
});
