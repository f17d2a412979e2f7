// `mesh-filters manifests` and `mesh-filters verify` in a checkout with nothing
// beside it, run from a working directory outside the checkout's parent: the
// tracked files copied into a fresh temporary folder and committed (a clone, as
// a user has it; node_modules linked in, build/ copied from this checkout's
// build), then the real CLI in a child process.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { parseYamlDocs } from "../../deploy/validate/index.ts";
import { tempDir } from "../support/temp-dir.ts";

let parent: string;
let clone: string;
let cwd: string;

function git(dir: string, args: string[]): string {
  const when = "1700000000 +0000";
  return execFileSync("git", ["-C", dir, ...args], {
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" },
  });
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(clone, "bin", "mesh-filters.js"), ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, SOURCE_DATE_EPOCH: "" },
    timeout: 180_000,
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  parent = tempDir("mwf-fresh");
  clone = path.join(parent, "project");
  for (const file of execFileSync("git", ["-C", PROJECT_ROOT, "ls-files", "-z"], { encoding: "utf8" }).split("\0").filter(Boolean)) {
    const from = path.join(PROJECT_ROOT, file);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet committed
    mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    copyFileSync(from, path.join(clone, file));
  }
  git(clone, ["init", "-q", "-b", "main"]);
  git(clone, ["add", "-A"]);
  git(clone, ["commit", "-q", "-m", "clone"]);
  // What `npm ci` and `mesh-filters build` would put there (both git-ignored).
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
  const build = path.join(PROJECT_ROOT, "build");
  expect(existsSync(path.join(build, "filters.json")), "build/filters.json missing: run `mesh-filters build` (npm test does)").toBe(true);
  mkdirSync(path.join(clone, "build"));
  for (const f of readdirSync(build).filter((n) => n === "filters.json" || n.endsWith(".wasm"))) copyFileSync(path.join(build, f), path.join(clone, "build", f));
  cwd = tempDir("mwf-cwd");
}, 120_000);

afterAll(() => {
  for (const d of [parent, cwd]) if (d) rmSync(d, { recursive: true, force: true });
});

describe("a fresh clone with nothing beside it", () => {
  it("has nothing beside it, and the working directory is outside its parent", () => {
    expect(readdirSync(parent)).toEqual(["project"]);
    expect(path.relative(parent, cwd).startsWith("..")).toBe(true);
    expect(git(clone, ["status", "--porcelain", "--", ".", ":!node_modules"])).toBe("");
  });

  it("mesh-filters manifests renders and validates every platform's manifests", () => {
    const out = path.join(cwd, "manifests");
    const r = cli(["manifests", "--root", clone, "--image", "registry.example.com/wasm", "--namespace", "demo", "--selector", "app=httpbin", "--out", out]);
    // Nothing but the notes that each filter deploys its example configuration (no --config given).
    expect(r.stderr.split("\n").filter((l) => l && !/^note: \S+ deploys its example configuration/.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["asm", "envoy", "envoyfilter-ecds", "envoyfilter-local", "wasmplugin"]);
    const plugins = parseYamlDocs(readFileSync(path.join(out, "wasmplugin", "chain.yaml"), "utf8"));
    expect(plugins.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(expect.arrayContaining(["WasmPlugin/header-auth", "WasmPlugin/metadata-exchange", "WasmPlugin/stats-inbound", "WasmPlugin/stats-outbound"]));
    // The same validation refuses a document Istio's CRD schema rejects (schemas from @kubernetes-models/istio).
    const bad = cli(["manifests", "--root", clone, "--image", "registry.example.com/wasm", "--namespace", "demo", "--selector", "app=httpbin", "--pull-secret", "s".repeat(300), "--out", path.join(cwd, "bad")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/do not validate; nothing was written:\n.*\/spec\/imagePullSecret: must NOT be longer than 253 characters/);
    expect(existsSync(path.join(cwd, "bad"))).toBe(false);
  });

  it("mesh-filters manifests --examples --check finds the checked-in examples up to date", () => {
    const r = cli(["manifests", "--examples", "--check", "--root", clone]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/example file\(s\) up to date/);
  });

  it("mesh-filters package, then verify: both variants pass the image-spec rules, Istio's rules, the build and the ABI check", () => {
    const layout = path.join(cwd, "oci");
    const p = cli(["package", "--root", clone, "--out", layout]);
    expect(p.code, p.stderr).toBe(0);
    for (const tag of ["header-auth", "stats-compat"]) {
      const v = cli(["verify", "--root", clone, `oci:${layout}:${tag}`]);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout).toMatch(/^OK: /);
      expect(v.stdout).not.toMatch(/\bFAIL\b|\bSKIP\b/);
      expect(v.stdout).toMatch(/PASS +module sha256 vs build\/filters.json/);
    }
  });
});
