// The exact command lines push gives ORAS: a fake `oras` (named by ORAS_BIN,
// which wins over PATH and .tools/bin) records its argv and the auth file it
// was given, and pushes nothing itself. The real ORAS runs the same argv in
// oras-real.test.ts. The registry is real: push confirms every tag by reading
// it back, so the fake only "succeeds" where the artifact was already pushed
// (by skopeo).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pushFilters, PushError } from "../../oci/index.ts";
import { makeFixtureProject, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";
import { registrySuite, startRegistry, type TestRegistry } from "./helpers/registry.ts";
import { cli } from "../support/cli.ts";

const PASSWORD = "s3cret-not-on-argv";

function fakeOras(): { bin: string; log: string } {
  const dir = tempDir("fake-oras");
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  const log = path.join(dir, "argv.log");
  // one JSON line per call: argv, plus the mode and content of --to-registry-config if given
  writeFileSync(
    path.join(bin, "oras"),
    `#!/usr/bin/env node
const fs = require("fs");
const argv = process.argv.slice(2);
const i = argv.indexOf("--to-registry-config");
let auth = null;
if (i >= 0) {
  const st = fs.statSync(argv[i + 1]);
  auth = { mode: (st.mode & 0o777).toString(8), dirMode: (fs.statSync(require("path").dirname(argv[i + 1])).mode & 0o777).toString(8), content: JSON.parse(fs.readFileSync(argv[i + 1], "utf8")) };
}
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv, auth, cwd: process.cwd() }) + "\\n");
`,
  );
  chmodSync(path.join(bin, "oras"), 0o755);
  return { bin, log };
}

const calls = (log: string) => readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { argv: string[]; auth: null | { mode: string; dirMode: string; content: any }; cwd: string });

registrySuite("push with ORAS (a fake oras recording its command line)", () => {
  let reg: TestRegistry;
  let fx: FixtureProject;

  beforeAll(async () => {
    reg = await startRegistry();
    fx = await makeFixtureProject({ filters: [{ name: "header-auth", rootIds: ["header_auth"] }, { name: "stats", rootIds: ["stats", "stats_inbound", "stats_outbound"] }] });
  });
  afterAll(async () => reg?.stop());

  it("--dry-run prints exact `oras cp --from-oci-layout` command lines", () => {
    const { bin } = fakeOras();
    const r = cli(["push", "--registry", `${reg.host}/wasm`, "--plain-http", "--dry-run", "--username", "ci", "--password-stdin"], { cwd: fx.root, input: PASSWORD, env: { ORAS_BIN: path.join(bin, "oras") } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => l.replace(/ {4}# expect sha256:[0-9a-f]{64}$/, ""));
    expect(lines).toEqual(
      ["header-auth", "header-auth-compat", "stats", "stats-compat"].map(
        (t) => `oras cp --from-oci-layout dist/oci:${t} ${reg.host}/wasm/${t.replace(/-compat$/, "")}:0.1.0${t.endsWith("-compat") ? "-compat" : ""} --to-plain-http --to-registry-config '<temporary-0600-auth-file>'`,
      ),
    );
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it("runs oras with the exact argv, credentials only in a 0600 auth file that is gone afterwards; confirms by reading back", async () => {
    // the artifacts are in the registry already (pushed with skopeo), so read-back confirms the fake's "push"
    await pushFilters({ projectRoot: fx.root, registry: `${reg.host}/wasm`, plainHttp: true, tool: "skopeo", env: { ...process.env, SOURCE_DATE_EPOCH: "" }, log: () => {} });
    const { bin, log } = fakeOras();
    const r = cli(["push", "--registry", `${reg.host}/wasm`, "--plain-http", "--username", "ci", "--password-stdin"], { cwd: fx.root, input: PASSWORD, env: { ORAS_BIN: path.join(bin, "oras") } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const c = calls(log);
    expect(c).toHaveLength(4);
    for (const [i, tag] of ["header-auth", "header-auth-compat", "stats", "stats-compat"].entries()) {
      const dest = `${reg.host}/wasm/${tag.replace(/-compat$/, "")}:0.1.0${tag.endsWith("-compat") ? "-compat" : ""}`;
      const authFile = c[i]!.argv[6]!;
      expect(c[i]!.argv).toEqual(["cp", "--from-oci-layout", `dist/oci:${tag}`, dest, "--to-plain-http", "--to-registry-config", authFile]);
      expect(c[i]!.cwd).toBe(fx.root);
      expect(c[i]!.argv.join(" ")).not.toContain(PASSWORD);
      expect(c[i]!.auth!.mode).toBe("600");
      expect(c[i]!.auth!.dirMode).toBe("700");
      expect(c[i]!.auth!.content).toEqual({ auths: { [reg.host]: { auth: Buffer.from(`ci:${PASSWORD}`).toString("base64") } } });
      expect(existsSync(authFile)).toBe(false);
    }
    expect(JSON.parse(readFileSync(path.join(fx.root, "dist", "pushed.json"), "utf8")).artifacts).toHaveLength(4);
  });

  it("without credentials oras gets no auth flags (it reads the usual docker config.json itself)", () => {
    const { bin, log } = fakeOras();
    const r = cli(["push", "--registry", `${reg.host}/wasm`, "--plain-http", "--variant", "wasm", "--filter", "stats"], { cwd: fx.root, env: { ORAS_BIN: path.join(bin, "oras") } });
    expect(r.code).toBe(0);
    expect(calls(log).map((c) => c.argv)).toEqual([["cp", "--from-oci-layout", "dist/oci:stats", `${reg.host}/wasm/stats:0.1.0`, "--to-plain-http"]]);
  });

  it("an oras that exits 0 without pushing is caught by the read-back: failure, no pushed.json", async () => {
    const { bin } = fakeOras();
    const pushedJson = path.join(tempDir("pj"), "pushed.json");
    const err = await pushFilters({ projectRoot: fx.root, registry: `${reg.host}/never`, plainHttp: true, pushedJson, env: { ...process.env, ORAS_BIN: path.join(bin, "oras"), SOURCE_DATE_EPOCH: "" }, log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushError);
    expect((err as Error).message).toMatch(/never\/header-auth:0\.1\.0: after the push the tag resolves to nothing, expected sha256:[0-9a-f]{64}\. Nothing was pushed\./);
    expect(existsSync(pushedJson)).toBe(false);
  });
});
