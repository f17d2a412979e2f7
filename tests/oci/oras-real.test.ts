// `mesh-filters push` with the real ORAS (the pinned 1.3.3 `npm run setup`
// builds, or ORAS_BIN / PATH) to Debian's docker-registry, with and without
// htpasswd auth, read back with ORAS itself: `oras resolve`, `oras manifest
// fetch` and `oras pull` must give the layout's digests and the module byte for
// byte. The compat variant's single tar+gzip layer has no
// org.opencontainers.image.title, so `oras pull` writes nothing for it (ORAS
// skips untitled layers); it is read with `oras blob fetch` and unpacked with
// the system's tar instead.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { digestOf, pushFilters, readArtifactFromLayout, type PushResult } from "../../oci/index.ts";
import { toolPath, toolSuite } from "../support/real-tools.ts";
import { makeFixtureProject, REPO_ROOT, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";
import { startRegistry, type TestRegistry } from "./helpers/registry.ts";
import { cli } from "../support/cli.ts";

const execFileP = promisify(execFile);
const FILTERS = [
  { name: "header-auth", rootIds: ["header_auth"] },
  { name: "stats", rootIds: ["stats", "stats_inbound", "stats_outbound"] },
];
const USER = "pusher";
const PASSWORD = "real-oras pa55:word";

interface OrasRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The located oras, as a user would run it; `--plain-http` and an optional docker-config auth file. */
async function oras(args: string[], o: { registryConfig?: string; cwd?: string } = {}): Promise<OrasRun> {
  const [cmd, ...rest] = args;
  const sub = cmd === "manifest" || cmd === "blob" ? [cmd, rest.shift()!] : [cmd!];
  const flags = ["--plain-http", ...(o.registryConfig ? ["--registry-config", o.registryConfig] : [])];
  try {
    const { stdout, stderr } = await execFileP(toolPath("oras"), [...sub, ...flags, ...rest], { cwd: o.cwd, encoding: "utf8", maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

async function orasOk(args: string[], o: { registryConfig?: string; cwd?: string } = {}): Promise<string> {
  const r = await oras(args, o);
  if (r.code !== 0) throw new Error(`oras ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

function authFile(host: string, password = PASSWORD): string {
  const file = path.join(tempDir("oras-auth"), "config.json");
  writeFileSync(file, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${USER}:${password}`).toString("base64") } } }), { mode: 0o600 });
  return file;
}

/** Everything ORAS reads back must match the layout the push came from. */
function readBackChecks(ctx: () => { reg: TestRegistry; fx: FixtureProject; pushed: PushResult; registryConfig?: string }): void {
  it("oras resolve and oras manifest fetch give the layout's manifest digest and bytes", async () => {
    const { fx, pushed, registryConfig } = ctx();
    expect(pushed.artifacts).toHaveLength(FILTERS.length * 2);
    for (const a of pushed.artifacts) {
      const layout = readArtifactFromLayout(path.join(fx.root, "dist", "oci"), a.variant === "wasm" ? a.name : `${a.name}-compat`);
      expect((await orasOk(["resolve", a.reference], { registryConfig })).trim()).toBe(layout.manifestDigest);
      expect(a.digest).toBe(layout.manifestDigest);
      const raw = await orasOk(["manifest", "fetch", a.reference], { registryConfig });
      expect(raw).toBe(new TextDecoder().decode(layout.manifestBytes));
      expect(digestOf(new TextEncoder().encode(raw))).toBe(layout.manifestDigest);
      const descriptor = JSON.parse(await orasOk(["manifest", "fetch", "--descriptor", a.reference], { registryConfig }));
      expect(descriptor).toMatchObject({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: layout.manifestDigest, size: layout.manifestBytes.length });
    }
  });

  it("oras pull writes the wasm variant's module byte for byte, and its runtime config", async () => {
    const { fx, pushed, registryConfig } = ctx();
    for (const a of pushed.artifacts.filter((x) => x.variant === "wasm")) {
      const out = tempDir("oras-pull");
      await orasOk(["pull", "-o", out, a.reference], { registryConfig });
      expect(readdirSync(out).sort()).toEqual(["filter.wasm", "runtime-config.json"]);
      expect(new Uint8Array(readFileSync(path.join(out, "filter.wasm")))).toEqual(fx.modules.get(a.name));
      expect(JSON.parse(readFileSync(path.join(out, "runtime-config.json"), "utf8"))).toEqual({ type: "envoy_proxy", abiVersions: ["v0.2.1"], config: { rootIds: a.rootIds } });
    }
  });

  it("compat variant: oras pull skips the untitled tar+gzip layer; oras blob fetch gives it, and tar finds the module in it", async () => {
    const { fx, pushed, registryConfig } = ctx();
    for (const a of pushed.artifacts.filter((x) => x.variant === "compat")) {
      const out = tempDir("oras-pull-compat");
      const r = await oras(["pull", "-o", out, a.reference], { registryConfig });
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/Skipped pulling layers without file name in "org\.opencontainers\.image\.title"/);
      expect(readdirSync(out)).toEqual([]);

      const manifest = JSON.parse(await orasOk(["manifest", "fetch", a.reference], { registryConfig }));
      const layer = manifest.layers[0];
      const blob = path.join(out, "layer.tar.gz");
      const repo = a.reference.slice(0, a.reference.lastIndexOf(":"));
      await orasOk(["blob", "fetch", "--output", blob, `${repo}@${layer.digest}`], { registryConfig });
      expect(digestOf(new Uint8Array(readFileSync(blob)))).toBe(layer.digest);
      const unpacked = path.join(out, "unpacked");
      mkdirSync(unpacked);
      await execFileP("tar", ["-xzf", blob, "-C", unpacked]);
      expect(readdirSync(unpacked).sort()).toEqual(["plugin.wasm", "runtime-config.json"]);
      expect(new Uint8Array(readFileSync(path.join(unpacked, "plugin.wasm")))).toEqual(fx.modules.get(a.name));
    }
  });
}

toolSuite("push with the real ORAS to docker-registry, read back with ORAS", ["oras", "docker-registry", "skopeo"], () => {
  let reg: TestRegistry;
  let fx: FixtureProject;
  let pushed: PushResult;

  beforeAll(async () => {
    reg = await startRegistry();
    fx = await makeFixtureProject({ filters: FILTERS });
    // No `tool`: push must pick the real oras by itself (ORAS_BIN, PATH or .tools/bin).
    pushed = await pushFilters({ projectRoot: fx.root, registry: `${reg.host}/wasm`, plainHttp: true, env: { ...process.env, SOURCE_DATE_EPOCH: "" }, log: () => {} });
  });
  afterAll(async () => reg?.stop());

  it("push chose oras, ran the located binary with `oras cp --from-oci-layout`, and recorded every artifact", () => {
    expect(pushed.tool).toBe("oras");
    expect(pushed.toolPath).toBe(toolPath("oras"));
    expect(pushed.commands).toHaveLength(4);
    for (const c of pushed.commands) expect(c.slice(0, 3)).toEqual(["oras", "cp", "--from-oci-layout"]);
    expect(JSON.parse(readFileSync(path.join(fx.root, "dist", "pushed.json"), "utf8")).artifacts).toEqual(pushed.artifacts);
  });

  readBackChecks(() => ({ reg, fx, pushed }));

  it("pushing the same tags again is a no-op for the digests", async () => {
    const again = await pushFilters({ projectRoot: fx.root, registry: `${reg.host}/wasm`, plainHttp: true, env: { ...process.env, SOURCE_DATE_EPOCH: "" }, log: () => {} });
    expect(again.artifacts.map((a) => a.digest)).toEqual(pushed.artifacts.map((a) => a.digest));
  });
});

toolSuite("push with the real ORAS to a registry behind htpasswd auth", ["oras", "docker-registry", "skopeo"], () => {
  let reg: TestRegistry;
  let fx: FixtureProject;
  let pushed: PushResult;
  let registryConfig: string;

  beforeAll(async () => {
    reg = await startRegistry({ user: USER, password: PASSWORD });
    fx = await makeFixtureProject({ filters: FILTERS });
    registryConfig = authFile(reg.host);
  });
  afterAll(async () => reg?.stop());

  it("a wrong password: oras's refusal is reported, nothing recorded, the password never printed", () => {
    const r = cli(["push", "--registry", `${reg.host}/wasm`, "--plain-http", "--tool", "oras", "--username", USER, "--password-stdin"], { cwd: fx.root, input: "not-the-password\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED: pushing .*header-auth:0\.1\.0 with oras failed \(exit 1\)/);
    expect(r.stderr).toMatch(/401|unauthorized/i);
    expect(r.stderr).toMatch(/Nothing was pushed/);
    expect(r.stdout + r.stderr).not.toContain("not-the-password");
  });

  it("--username with --password-stdin: the real oras takes the temporary --to-registry-config file and pushes", () => {
    const r = cli(["push", "--registry", `${reg.host}/wasm`, "--plain-http", "--tool", "oras", "--username", USER, "--password-stdin"], { cwd: fx.root, input: `${PASSWORD}\n` });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(PASSWORD);
    const file = JSON.parse(readFileSync(path.join(fx.root, "dist", "pushed.json"), "utf8"));
    pushed = { ...file, tool: "oras", commands: [] } as PushResult;
    expect(pushed.artifacts).toHaveLength(FILTERS.length * 2);
  });

  it("the registry really wants credentials: oras without them is refused", async () => {
    const r = await oras(["manifest", "fetch", `${reg.host}/wasm/header-auth:0.1.0`], { registryConfig: path.join(tempDir("empty-auth"), "none.json") });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/401|unauthorized|basic credential not found/i);
  });

  readBackChecks(() => ({ reg, fx, pushed, registryConfig }));
});
