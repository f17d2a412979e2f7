// The package as another team gets it: `npm pack` of this checkout, installed
// into a fresh project outside the checkout, then the whole flow there with the
// installed `mesh-filters` (compiled JavaScript, no tsx): new, build, the
// scaffolded vitest test through the host, run, package, push to a real
// registry, verify, manifests with the project's own configuration, and a
// configuration the filter rejects failing manifests with the filter's own
// message. Nothing may be written into node_modules.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../scripts/lib/project.ts";
import { parseYamlDocs } from "../../deploy/validate/index.ts";
import { locateTool } from "../../tools/locate.ts";
import { registrySuite, startRegistry, type TestRegistry } from "../oci/helpers/registry.ts";
import { tempDir } from "../support/temp-dir.ts";

const VITEST = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "node_modules/vitest/package.json"), "utf8")) as { version: string }).version;

let project: string;
let tarball: string;
let reg: TestRegistry;
let before: Map<string, string>;

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) snapshot(p, out);
    else out.set(p, `${st.size} ${st.mtimeMs}`);
  }
  return out;
}

/** The installed command, run in the project (or a folder of it). */
function mf(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const oras = locateTool("oras");
  const r = spawnSync(process.execPath, [path.join(project, "node_modules", ".bin", "mesh-filters"), ...args], {
    cwd: opts.cwd ?? project,
    encoding: "utf8",
    // The tools this checkout's setup installed are the user's tools too; the installed
    // package looks in the project's .tools otherwise.
    env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000", ...(oras ? { ORAS_BIN: oras.path } : {}), ...opts.env },
    timeout: 300_000,
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

registrySuite("the packed package, installed into a project outside the checkout", () => {
  beforeAll(async () => {
    const packs = tempDir("pack");
    // prepack compiles lib/ first (npm pack runs it).
    const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", packs], { cwd: PACKAGE_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(packs, packed[0]!.filename);
    const shipped = packed[0]!.files.map((f) => f.path);
    expect(shipped).toContain("lib/scripts/cli.js");
    expect(shipped).toContain("lib/host/index.d.ts");
    expect(shipped).toContain("assembly/index.ts");
    expect(shipped.filter((f) => f.startsWith("tests/") && !f.startsWith("tests/fixtures/"))).toEqual([]);

    project = path.join(tempDir("user-project"), "shop-filters");
    mkdirSync(project);
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "shop-filters", version: "1.0.0", private: true, type: "module" }, null, 2));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball, `vitest@${VITEST}`], { cwd: project, stdio: ["ignore", "inherit", "inherit"] });
    before = snapshot(path.join(project, "node_modules"));
    reg = await startRegistry();
  });
  afterAll(async () => reg?.stop());

  it("installs a runnable CLI: --help from compiled JavaScript, no tsx in the tree", () => {
    const r = mf(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: mesh-filters <command>/);
    expect(existsSync(path.join(project, "node_modules", "tsx"))).toBe(false);
    expect(existsSync(path.join(project, "node_modules", "mesh-wasm-filters", "scripts", "cli.ts"))).toBe(false);
    const bad = mf(["biuld"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Did you mean 'build'?");
  });

  it("mesh-filters new my-filter scaffolds the filter and makes the folder a project; it refuses to overwrite", () => {
    const r = mf(["new", "my-filter"]);
    expect(r.code).toBe(0);
    for (const f of ["index.ts", "config.schema.json", "example-config.json", "deploy.json", "robustness.json", "README.md", "my-filter.test.ts", "requests.jsonl"]) {
      expect(existsSync(path.join(project, "filters", "my-filter", f)), f).toBe(true);
    }
    expect(existsSync(path.join(project, "mesh-filters.json"))).toBe(true);
    const index = readFileSync(path.join(project, "filters", "my-filter", "index.ts"), "utf8");
    expect(index).toContain('export * from "mesh-wasm-filters/proxy";');
    expect(readFileSync(path.join(project, "filters", "my-filter", "my-filter.test.ts"), "utf8")).toContain('from "mesh-wasm-filters/host"');
    const again = mf(["new", "my-filter"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/filters\/my-filter already exists; nothing was written/);
    expect(mf(["new", "My_Filter"]).stderr).toMatch(/invalid filter name 'My_Filter'/);
  });

  it("builds the project's filter (found from a subfolder too) into the project's build/", () => {
    const r = mf(["build"], { cwd: path.join(project, "filters", "my-filter") });
    expect(r.code, r.stderr).toBe(0);
    const built = JSON.parse(readFileSync(path.join(project, "build", "filters.json"), "utf8"));
    expect(built).toMatchObject([{ name: "my-filter", rootIds: ["my_filter"], file: "build/my-filter.wasm", abiVersion: "0.2.1" }]);
  });

  it("its generated vitest test passes through the host, imported from the package", () => {
    const r = spawnSync(process.execPath, [path.join(project, "node_modules", "vitest", "vitest.mjs"), "run"], { cwd: project, encoding: "utf8", timeout: 300_000, env: { ...process.env, CI: "true" } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 passed/);
  });

  it("runs the sample requests (release and debug modules alike)", () => {
    for (const wasm of ["build/my-filter.wasm", "build/my-filter.debug.wasm"]) {
      const r = mf(["run", "--plugin", wasm, "--root-id", "my_filter", "--config", "filters/my-filter/example-config.json", "--requests", "filters/my-filter/requests.jsonl"]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.response.status, l.response.local])).toEqual([[200, false], [403, true]]);
      expect(lines[0].response.headers).toContainEqual(["x-my-filter", "on"]);
    }
  });

  it("packages, pushes to the registry (recording dist/pushed.json) and verifies the pushed artifact", () => {
    expect(mf(["package"]).code).toBe(0);
    const push = mf(["push", "--registry", `${reg.host}/shop`, "--plain-http"]);
    expect(push.code, push.stderr).toBe(0);
    const pushed = JSON.parse(readFileSync(path.join(project, "dist", "pushed.json"), "utf8"));
    expect(pushed).toMatchObject({ registry: `${reg.host}/shop`, tag: "1.0.0" });
    expect(pushed.artifacts.map((a: { reference: string }) => a.reference).sort()).toEqual([`${reg.host}/shop/my-filter:1.0.0`, `${reg.host}/shop/my-filter:1.0.0-compat`]);
    const verify = mf(["verify", "--plain-http", `${reg.host}/shop/my-filter:1.0.0`]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it("renders manifests with the project's own configuration, judged by the filter, pinned to the pushed digest", () => {
    mkdirSync(path.join(project, "deploy"), { recursive: true });
    const config = { denied_path_prefixes: ["/internal/"], header: "x-team", value: "payments" };
    writeFileSync(path.join(project, "deploy", "my-filter.json"), JSON.stringify(config));
    const r = mf(["manifests", "--digest", "--namespace", "shop", "--selector", "app=checkout", "--config", "my-filter=deploy/my-filter.json", "--out", "deploy-out"]);
    expect(r.code, r.stderr).toBe(0);
    const [wp] = parseYamlDocs(readFileSync(path.join(project, "deploy-out", "wasmplugin", "my-filter.yaml"), "utf8"));
    const pushed = JSON.parse(readFileSync(path.join(project, "dist", "pushed.json"), "utf8"));
    expect(wp!.spec).toMatchObject({
      url: `oci://${reg.host}/shop/my-filter:1.0.0`,
      sha256: pushed.artifacts.find((a: { variant: string }) => a.variant === "wasm").digest.slice("sha256:".length),
      pluginName: "my_filter", pluginConfig: config, phase: "AUTHZ", failStrategy: "FAIL_CLOSE", match: [{ mode: "SERVER" }],
    });
    expect(wp!.metadata.namespace).toBe("shop");
  });

  it("a configuration the filter rejects fails manifests with the filter's own message, and nothing is written", () => {
    writeFileSync(path.join(project, "deploy", "bad.json"), JSON.stringify({ denied_path_prefixes: ["internal"], colour: "blue" }));
    const r = mf(["manifests", "--namespace", "shop", "--selector", "app=checkout", "--image", `${reg.host}/shop`, "--config", "my-filter=deploy/bad.json", "--out", "bad-out"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("my-filter (root id my_filter) rejects its configuration");
    expect(r.stderr).toContain("my-filter: invalid configuration: unknown field 'colour'");
    expect(r.stderr).toContain("my-filter: invalid configuration: denied_path_prefixes[0]: must start with '/'");
    expect(existsSync(path.join(project, "bad-out"))).toBe(false);
  });

  it("wrote nothing into node_modules", () => {
    // (node_modules/.vite is vitest's own results cache, written by the user's test run, not by mesh-filters.)
    const after = snapshot(path.join(project, "node_modules"));
    for (const f of after.keys()) if (f.startsWith(path.join(project, "node_modules", ".vite") + path.sep)) after.delete(f);
    const changed = [...after].filter(([f, s]) => before.get(f) !== s).map(([f]) => path.relative(project, f));
    const added = [...after.keys()].filter((f) => !before.has(f)).map((f) => path.relative(project, f));
    expect({ changed, added }).toEqual({ changed: [], added: [] });
  });
});
