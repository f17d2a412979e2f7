// Push every filter in both variants to a real registry (Debian's
// docker-registry), then read everything back with skopeo, an independent
// client, and compare digests, media types, layer counts and bytes.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkOciDocument, digestOf, MT, pullArtifact, pushFilters, readArtifactFromLayout, type PushResult, type PackagedArtifact } from "../../oci/index.ts";
import { layoutTags, packageFilters } from "../../oci/index.ts";
import { FIXTURE_FILTERS, makeFixtureProject, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";
import { registrySuite, skopeo, startRegistry, type TestRegistry } from "./helpers/registry.ts";
import { cli } from "../support/cli.ts";


registrySuite("push to a real registry, read back with skopeo", () => {
  let reg: TestRegistry;
  let fx: FixtureProject;
  let pushed: PushResult;
  let packaged: PackagedArtifact[];
  const lines: string[] = [];

  beforeAll(async () => {
    reg = await startRegistry();
    fx = await makeFixtureProject();
    pushed = await pushFilters({ projectRoot: fx.root, registry: `${reg.host}/wasm`, plainHttp: true, tool: "skopeo", env: { ...process.env, SOURCE_DATE_EPOCH: "" }, log: (l) => lines.push(l) });
    packaged = packageFilters({ projectRoot: fx.root, outDir: tempDir("again"), env: {} }).artifacts;
  });
  afterAll(async () => reg?.stop());

  it("pushes every filter in both variants, prints reference and digest, and records dist/pushed.json", () => {
    expect(pushed.artifacts).toHaveLength(FIXTURE_FILTERS.length * 2);
    const file = JSON.parse(readFileSync(path.join(fx.root, "dist", "pushed.json"), "utf8"));
    expect(file.registry).toBe(`${reg.host}/wasm`);
    expect(file.tag).toBe("0.1.0");
    expect(file.artifacts).toHaveLength(8);
    for (const f of FIXTURE_FILTERS) {
      for (const variant of ["wasm", "compat"] as const) {
        const p = packaged.find((a) => a.name === f.name && a.variant === variant)!;
        const reference = `${reg.host}/wasm/${f.name}:0.1.0${variant === "compat" ? "-compat" : ""}`;
        expect(file.artifacts).toContainEqual({ name: f.name, variant, reference, digest: p.manifestDigest, rootIds: f.rootIds, moduleSha256: digestOf(fx.modules.get(f.name)!).slice(7) });
        expect(lines).toContain(`pushed ${reference}  ${p.manifestDigest}`);
      }
    }
  });

  it("skopeo sees the same manifest bytes, media types, layer counts, config and layer bytes", async () => {
    for (const a of pushed.artifacts) {
      const p = packaged.find((x) => x.name === a.name && x.variant === a.variant)!;
      const raw = await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${a.reference}`]);
      expect(digestOf(new TextEncoder().encode(raw))).toBe(a.digest);
      expect(raw).toBe(new TextDecoder().decode(p.artifact.manifestBytes));
      const m = JSON.parse(raw);
      expect(checkOciDocument("manifest", m)).toEqual([]);
      expect(m.mediaType).toBe(MT.ociManifest);
      if (a.variant === "wasm") {
        expect(m.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([MT.wasmConfig, MT.wasmLayer]);
        expect(m.config.mediaType).toBe(MT.wasmConfig);
      } else {
        expect(m.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([MT.ociLayerTarGzip]);
        expect(m.config.mediaType).toBe(MT.ociImageConfig);
      }
      const config = await skopeo(["inspect", "--config", "--raw", "--tls-verify=false", `docker://${a.reference}`]);
      expect(config).toBe(new TextDecoder().decode(p.artifact.blobs.get(m.config.digest)));

      // a full copy out of the registry into a fresh layout, then our reader on skopeo's layout
      const out = tempDir("skopeo-out");
      await skopeo(["copy", "--src-tls-verify=false", "--preserve-digests", `docker://${a.reference}`, `oci:${out}:x`]);
      for (const l of m.layers) {
        const bytes = new Uint8Array(readFileSync(path.join(out, "blobs", "sha256", l.digest.slice(7))));
        expect(bytes).toEqual(p.artifact.blobs.get(l.digest));
      }
      const back = readArtifactFromLayout(out, "x");
      expect(back.manifestDigest).toBe(a.digest);
      expect(back.module).toEqual(fx.modules.get(a.name));
      expect(back.variant).toBe(a.variant);
      // manifest + config + module (wasm: the config doubles as layers[0]) or manifest + image config + tar.gz
      expect(readdirSync(path.join(out, "blobs", "sha256")).length).toBe(3);
    }
  });

  it("pullArtifact (registry HTTP API v2) gives the same digest, module and runtime config", async () => {
    for (const a of pushed.artifacts) {
      const got = await pullArtifact(a.reference, { plainHttp: true});
      expect(got.manifestDigest).toBe(a.digest);
      expect(got.module).toEqual(fx.modules.get(a.name));
      expect(got.config?.config?.rootIds).toEqual(a.rootIds);
      const byDigest = await pullArtifact(`${a.reference.replace(/:[^:/]+$/, "")}@${a.digest}`, { plainHttp: true });
      expect(byDigest.module).toEqual(got.module);
    }
  });

  it("`mesh-filters verify` accepts every pushed reference", () => {
    for (const a of pushed.artifacts) {
      const r = cli(["verify", "--plain-http", a.reference], { cwd: fx.root });
      expect(r.stderr + r.stdout).toMatch(/^OK: /);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`manifest digest ${a.digest}`);
      expect(r.stdout).toMatch(/PASS +module sha256 vs build\/filters.json/);
    }
  });

  it("pushing again is idempotent: same digests", async () => {
    const again = await pushFilters({ projectRoot: fx.root, registry: `${reg.host}/wasm`, plainHttp: true, tool: "skopeo", env: { ...process.env, SOURCE_DATE_EPOCH: "" }, log: () => {} });
    expect(again.artifacts).toEqual(pushed.artifacts);
  });

  it("--variant and --tag pick what goes where (CLI)", async () => {
    const r = cli(["push", "--registry", `${reg.host}/other/ns`, "--plain-http", "--tag", "v9", "--variant", "compat", "--tool", "skopeo"], { cwd: fx.root });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const file = JSON.parse(readFileSync(path.join(fx.root, "dist", "pushed.json"), "utf8"));
    expect(file.tag).toBe("v9");
    expect(file.artifacts.map((a: { reference: string }) => a.reference)).toEqual(FIXTURE_FILTERS.map((f) => `${reg.host}/other/ns/${f.name}:v9-compat`));
    const raw = await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${reg.host}/other/ns/stats:v9-compat`]);
    expect(digestOf(new TextEncoder().encode(raw))).toBe(packaged.find((a) => a.tag === "stats-compat")!.manifestDigest);
    expect(existsSync(path.join(fx.root, "dist", "oci", "index.json"))).toBe(true);
  });

  it("--dry-run prints the exact skopeo commands and pushes nothing", async () => {
    const r = cli(["push", "--registry", `${reg.host}/dry`, "--plain-http", "--tool", "skopeo", "--dry-run", "--filter", "header-auth"], { cwd: fx.root });
    expect(r.code).toBe(0);
    const p = (tag: string) => packaged.find((a) => a.tag === tag)!.manifestDigest;
    expect(r.stdout.trim().split("\n")).toEqual([
      `skopeo copy --preserve-digests --dest-tls-verify=false oci:dist/oci:header-auth docker://${reg.host}/dry/header-auth:0.1.0    # expect ${p("header-auth")}`,
      `skopeo copy --preserve-digests --dest-tls-verify=false oci:dist/oci:header-auth-compat docker://${reg.host}/dry/header-auth:0.1.0-compat    # expect ${p("header-auth-compat")}`,
    ]);
    await expect(skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${reg.host}/dry/header-auth:0.1.0`])).rejects.toThrow();
    // pushing a subset leaves the whole layout in place
    expect(layoutTags(path.join(fx.root, "dist", "oci"))).toHaveLength(FIXTURE_FILTERS.length * 2);
  });
});
