// A registry behind htpasswd basic auth: right credentials push and verify,
// wrong or missing ones fail clearly, and the password never reaches a
// command line or our output.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { digestOf, pullArtifact, pushFilters, PushError } from "../../oci/index.ts";
import { makeFixtureProject, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";
import { registrySuite, skopeo, startRegistry, type TestRegistry } from "./helpers/registry.ts";
import { cli } from "../support/cli.ts";

const USER = "deployer";
const PASSWORD = "pa55 w0rd:with-colon";

registrySuite("htpasswd-protected registry", () => {
  let reg: TestRegistry;
  let fx: FixtureProject;
  const pushedJson = () => path.join(fx.root, "dist", "pushed.json");

  beforeAll(async () => {
    reg = await startRegistry({ user: USER, password: PASSWORD });
    fx = await makeFixtureProject({ filters: [{ name: "header-auth", rootIds: ["header_auth"] }] });
  });
  afterAll(async () => reg?.stop());

  it("rejects anonymous pulls (the registry really enforces auth)", async () => {
    const res = await fetch(`http://${reg.host}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  it("wrong password: push fails clearly, nothing recorded, password not echoed", () => {
    const r = cli(["push", "--registry", `${reg.host}/wasm`, "--plain-http", "--tool", "skopeo", "--username", USER, "--password-stdin"], { cwd: fx.root, input: "wrong-password\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED: pushing .*header-auth:0\.1\.0 with skopeo failed/);
    expect(r.stderr).toMatch(/unauthorized|authentication required/i);
    expect(r.stderr).toMatch(/Nothing was pushed/);
    expect(r.stderr + r.stdout).not.toContain("wrong-password");
    expect(existsSync(pushedJson())).toBe(false);
  });

  it("no credentials at all: push fails clearly", () => {
    const r = cli(["push", "--registry", `${reg.host}/wasm`, "--plain-http", "--tool", "skopeo"], { cwd: fx.root, env: { REGISTRY_AUTH_FILE: path.join(tempDir("noauth"), "none.json"), DOCKER_CONFIG: tempDir("nodocker") } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unauthorized|authentication required/i);
    expect(existsSync(pushedJson())).toBe(false);
  });

  it("--username with --password-stdin pushes; the registry serves it only with credentials", async () => {
    const r = cli(["push", "--registry", `${reg.host}/wasm`, "--plain-http", "--tool", "skopeo", "--username", USER, "--password-stdin"], { cwd: fx.root, input: `${PASSWORD}\n` });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(PASSWORD);
    const file = JSON.parse(readFileSync(pushedJson(), "utf8"));
    expect(file.artifacts).toHaveLength(2);
    for (const a of file.artifacts) {
      const raw = await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${a.reference}`], { username: USER, password: PASSWORD, host: reg.host });
      expect(digestOf(new TextEncoder().encode(raw))).toBe(a.digest);
      await expect(skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${a.reference}`], { username: USER, password: "nope", host: reg.host })).rejects.toThrow(/unauthorized|authentication required/i);
    }
  });

  it("a docker config.json-format auth file works without flags (REGISTRY_AUTH_FILE)", async () => {
    const authFile = path.join(tempDir("authfile"), "auth.json");
    writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64") } } }), { mode: 0o600 });
    const res = await pushFilters({ projectRoot: fx.root, registry: `${reg.host}/viafile`, plainHttp: true, tool: "skopeo", env: { ...process.env, REGISTRY_AUTH_FILE: authFile, SOURCE_DATE_EPOCH: "" }, log: () => {} });
    expect(res.artifacts).toHaveLength(2);
    const pulled = await pullArtifact(res.artifacts[0]!.reference, { plainHttp: true, authFile });
    expect(pulled.module).toEqual(fx.modules.get("header-auth"));
  });

  it("verify: right credentials pass, wrong or missing ones give a clear error", async () => {
    const ref = `${reg.host}/wasm/header-auth:0.1.0`;
    const ok = cli(["verify", "--plain-http", "--username", USER, "--password-stdin", ref], { cwd: fx.root, input: PASSWORD });
    expect(ok.stdout).toMatch(/^OK: /);
    expect(ok.code).toBe(0);
    const bad = cli(["verify", "--plain-http", "--username", USER, "--password-stdin", ref], { cwd: fx.root, input: "nope" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/FAILED: .*\n.*FAIL +fetch.*authentication failed \(HTTP 401\): wrong username or password/);
    const anon = cli(["verify", "--plain-http", ref], { cwd: fx.root, env: { REGISTRY_AUTH_FILE: "/nonexistent", DOCKER_CONFIG: tempDir("nodocker2"), XDG_RUNTIME_DIR: "" } });
    expect(anon.code).toBe(1);
    expect(anon.stderr).toMatch(/requires authentication: pass --username\/--password-stdin/);
    await expect(pullArtifact(ref, { plainHttp: true, credentials: { username: USER, password: "x" } })).rejects.toThrow(/authentication failed/);
  });

  it("a failed push throws PushError listing what was pushed", async () => {
    const err = await pushFilters({ projectRoot: fx.root, registry: `${reg.host}/wasm`, plainHttp: true, tool: "skopeo", credentials: { username: USER, password: "bad" }, pushedJson: path.join(tempDir("pj"), "pushed.json"), env: { ...process.env, SOURCE_DATE_EPOCH: "" }, log: () => {} }).catch((e) => e);
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).pushed).toEqual([]);
  });
});
