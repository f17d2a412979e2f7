// `mesh-filters doctor`: its fixed JSON shape and exit code on a machine with
// nothing, with an Envoy that cannot run Wasm, and against the real tools
// (the pinned Envoy must load the probe module in V8).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkEnvoyWasm, PROBE_MARKER } from "../../tools/envoy-wasm-check.ts";
import { ENVOY_PIN, ORAS_PIN } from "../../tools/pins.ts";
import { toolPath, toolSuite } from "../support/real-tools.ts";
import { cli } from "../support/cli.ts";
import { envoyVersionLine, fakeProgram, fakeVersioned, tempDir } from "./helpers/fakes.ts";

const FIXED_KEYS = ["envoy", "oras", "skopeo", "docker-registry"];
const ALL_KEYS = [...FIXED_KEYS, "h2load", "go", "python3", "node"];
/** Nothing found but what the test provides: no env variables, an empty tools folder. */
const bare = (PATH: string, extra: NodeJS.ProcessEnv = {}) => ({ PATH, MESH_FILTERS_TOOLS_DIR: tempDir("tools"), ENVOY_BIN: "", ORAS_BIN: "", SKOPEO_BIN: "", DOCKER_REGISTRY_BIN: "", H2LOAD_BIN: "", ...extra });
const doctorJson = (env: NodeJS.ProcessEnv) => {
  const r = cli(["doctor", "--json"], { cwd: tempDir("cwd"), env });
  return { code: r.code, report: JSON.parse(r.stdout), stderr: r.stderr };
};

/** An Envoy stand-in: `--version` answers, `--mode validate` runs `validate` (a script body with `config` parsed). */
function fakeEnvoy(dir: string, validate: string): string {
  return fakeProgram(dir, "envoy", `if (argv[0] === "--version") { console.log(${JSON.stringify(envoyVersionLine(ENVOY_PIN.version))}); process.exit(0); }
const config = JSON.parse(fs.readFileSync(argv[argv.indexOf("-c") + 1], "utf8"));
${validate}`);
}

/** Every test gets the other required tools so only Envoy decides the exit code. */
function otherTools(dir: string): void {
  fakeVersioned(dir, "oras", `Version:    ${ORAS_PIN.version.slice(1)}`);
  fakeVersioned(dir, "skopeo", "skopeo version 1.9.3");
  fakeVersioned(dir, "docker-registry", "docker-registry github.com/docker/distribution 2.8.2+ds1");
}

describe("mesh-filters doctor", () => {
  it("on a machine with none of the tools: each is found:false, path null, with a hint; envoy wasm false; exit 1", () => {
    const { code, report } = doctorJson(bare(tempDir("empty")));
    expect(code).toBe(1);
    expect(Object.keys(report)).toEqual(ALL_KEYS);
    expect(report.envoy).toEqual({ found: false, path: null, source: null, version: null, required: true, pinned: ENVOY_PIN.version, hint: "run `npm run setup` (or point ENVOY_BIN at a binary)", wasm: false });
    expect(report.oras).toMatchObject({ found: false, path: null, pinned: "1.3.3", hint: "run `npm run setup` (or point ORAS_BIN at a binary)" });
    expect(report.skopeo).toMatchObject({ found: false, required: true, hint: expect.stringContaining("apt-get install -y skopeo") });
    expect(report.h2load).toMatchObject({ found: false, required: false });
    expect(report.node).toEqual({ found: true, path: process.execPath, source: "running", version: process.versions.node, required: true });
  });

  it("the human table names what is missing and how to get it", () => {
    const r = cli(["doctor"], { cwd: tempDir("cwd"), env: bare(tempDir("empty")) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^tool +status +version +found via +path/);
    expect(r.stdout).toMatch(/^envoy +- +- +- +- +MISSING$/m);
    expect(r.stdout).toMatch(/^h2load +- .*missing \(optional\)$/m);
    expect(r.stdout).toContain("envoy: run `npm run setup` (or point ENVOY_BIN at a binary)");
    expect(r.stdout).toMatch(/NOT READY: 4 problem\(s\) above$/m);
  });

  it("an Envoy built without V8: wasm false with Envoy's own reason, exit 1 although every tool is found", () => {
    const dir = tempDir("novw");
    otherTools(dir);
    fakeEnvoy(dir, `console.error("[2026-12-06 11:00:00.000][1][warning][wasm] [source/extensions/common/wasm/wasm_vm.cc:49] Failed to create Wasm VM using envoy.wasm.runtime.v8 runtime. Envoy was compiled without support for it");
console.error("[2026-12-06 11:00:00.000][1][critical][main] [source/server/config_validation/server.cc:72] error initializing configuration 'x': Unable to create Wasm plugin wasm_probe");
process.exit(1);`);
    const { code, report } = doctorJson(bare(dir));
    expect(code).toBe(1);
    expect(report.envoy).toMatchObject({ found: true, source: "path", version: ENVOY_PIN.version, wasm: false });
    expect(report.envoy.wasmDetail).toBe("envoy --mode validate exited 1: Failed to create Wasm VM using envoy.wasm.runtime.v8 runtime. Envoy was compiled without support for it");
    expect(report.envoy.hint).toMatch(/this Envoy cannot run our filters/);
    expect(report.oras).toMatchObject({ found: true, version: "1.3.3" });
  });

  it("validate exiting 0 is not enough: the probe module's log line must appear", () => {
    const dir = tempDir("nolog");
    otherTools(dir);
    fakeEnvoy(dir, `console.log("configuration OK");`);
    const { code, report } = doctorJson(bare(dir));
    expect(code).toBe(1);
    expect(report.envoy.wasm).toBe(false);
    expect(report.envoy.wasmDetail).toMatch(/the probe module never ran/);
  });

  it("wasm true when Envoy is given a V8 Wasm filter loading a real module, and ran it; exit 0", () => {
    const dir = tempDir("ok");
    otherTools(dir);
    // the fake checks what a real Envoy would need: validate mode, no hot restart, the V8 runtime, a local file that is a Wasm module
    fakeEnvoy(dir, `const filter = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0];
const vm = filter.typed_config.config.vm_config;
const wasm = fs.readFileSync(vm.code.local.filename);
if (argv[argv.indexOf("--mode") + 1] !== "validate" || !argv.includes("--disable-hot-restart") || filter.name !== "envoy.filters.http.wasm" || vm.runtime !== "envoy.wasm.runtime.v8" || wasm.toString("latin1", 0, 4) !== "\\0asm" || !wasm.includes(${JSON.stringify(PROBE_MARKER)})) process.exit(3);
console.log("[info][wasm] wasm log wasm_probe: " + ${JSON.stringify(PROBE_MARKER)});`);
    const { code, report } = doctorJson(bare(dir));
    expect(report.envoy).toMatchObject({ found: true, wasm: true, version: ENVOY_PIN.version });
    expect(code).toBe(0);
  });

  it("ENVOY_BIN naming a missing file: not found, with that error", () => {
    const { report } = doctorJson(bare(tempDir("empty"), { ENVOY_BIN: "/nonexistent/envoy" }));
    expect(report.envoy).toMatchObject({ found: false, error: "ENVOY_BIN=/nonexistent/envoy is not an executable file", wasm: false });
  });

  it("the probe logs exactly the marker doctor looks for (the length passed to proxy_log is the marker's)", () => {
    const wat = readFileSync(fileURLToPath(new URL("../../tools/envoy-wasm-probe.wat", import.meta.url)), "utf8");
    expect(wat).toContain(`"${PROBE_MARKER}"`);
    expect(wat).toMatch(new RegExp(`\\(call \\$log \\(i32\\.const 2\\) \\(i32\\.const 16\\) \\(i32\\.const ${PROBE_MARKER.length}\\)\\)`));
    expect(wat).toContain(`(data (i32.const 16) "${PROBE_MARKER}")`);
  });
});

toolSuite("mesh-filters doctor against the real tools", ["envoy", "oras", "skopeo", "docker-registry"], () => {
  it("finds every required tool; the pinned Envoy loads a Wasm filter; exit 0", () => {
    const r = cli(["doctor", "--json"], { cwd: tempDir("cwd"), env: {} });
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(FIXED_KEYS));
    expect(report.envoy).toMatchObject({ found: true, path: toolPath("envoy"), wasm: true, required: true });
    expect(report.envoy.wasmDetail).toMatch(/loaded in V8 and ran proxy_on_configure/);
    expect(report.oras).toMatchObject({ found: true, path: toolPath("oras") });
    for (const k of ["skopeo", "docker-registry"]) expect(report[k]).toMatchObject({ found: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    // what `npm run setup` installs (CI) is the pinned pair; a developer's own binaries may differ
    if (process.env.CI || report.envoy.source === "project") expect(report.envoy.version).toBe(ENVOY_PIN.version);
    if (process.env.CI || report.oras.source === "project") expect(report.oras.version).toBe(ORAS_PIN.version.slice(1));
    expect(r.code).toBe(0);
  });

  it("the real Envoy rejects a module that is not Proxy-Wasm, and doctor's check says so in Envoy's words", async () => {
    const notProxyWasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const check = await checkEnvoyWasm(toolPath("envoy"), { module: notProxyWasm });
    expect(check).toEqual({ wasm: false, detail: "envoy --mode validate exited 1: Wasm VM failed Missing or unknown Proxy-Wasm ABI version" });
  });
});
