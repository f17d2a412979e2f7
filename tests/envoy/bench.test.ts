// `mesh-filters bench --engine envoy --json` with tiny request counts over the
// cases every target needs (the do-nothing reference, header-auth both ways,
// the chain, the three peers; the others differ only in the module loaded):
// the JSON shape, each case's outcome (401 for the denied case, 200 otherwise,
// every key-checking peer answering an unknown key 401), and every target
// judged. Figures are never asserted (a busy machine is no bug): only that they
// are there and are numbers. Needs Envoy, h2load and Go (the Go-SDK peer is
// built at bench time from the module proxy); skipped without them, failing
// under CI=true.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { runningEnvoyPids } from "../../engine/envoy/process.ts";
import { BENCH_REQUEST, type EnvoyBenchCase } from "../../scripts/bench/envoy/cases.ts";
import { ENVOY_CASE_NAMES, PEERS } from "../../scripts/bench/envoy/names.ts";
import { runEnvoyBench } from "../../scripts/bench/envoy/measure.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { toolSuite, toolPath } from "../support/real-tools.ts";
import { ENVOY_VERSION, REAL_ENVOY } from "./helpers.ts";

const exec = promisify(execFile);

interface Result {
  name: string; engine: string; outcome: string; statuses: Record<string, number>; badKeyStatus?: number; requests: number;
  moduleBytes: number; [k: string]: unknown;
}
interface Output {
  machine: string; engine: string; envoyVersion: string; loadGenerator: string; requests: number; runs: number;
  results: Result[]; targets: { target: string; met: boolean; detail: string }[];
  memory: { allOursRssBytes: number; baselineRssBytes: number; filters: string[] };
  soak: { requests: number; growthBytes: number; rssSamplesBytes: number[] };
}

const CASES = ["envoy:noop-stock", "envoy:header-auth-allowed", "envoy:header-auth-denied", "envoy:chain", PEERS.native, PEERS.lua, PEERS.goSdk];
const KEY_CHECKERS = ["envoy:header-auth-allowed", "envoy:chain", PEERS.native, PEERS.lua, PEERS.goSdk];
const WASM = ["envoy:noop-stock", "envoy:header-auth-allowed", "envoy:header-auth-denied", "envoy:chain", PEERS.goSdk];

toolSuite(`${REAL_ENVOY}${ENVOY_VERSION ? ` ${ENVOY_VERSION}` : ""}: bench --engine envoy`, ["envoy", "h2load", "go"], () => {
  let out: Output;
  beforeAll(async () => {
    const { stdout } = await exec(process.execPath, [path.join(PROJECT_ROOT, "bin/mesh-filters.js"), "bench", "--engine", "envoy", "--json",
      "--requests", "400", "--runs", "2", "--soak", "300", ...CASES.flatMap((c) => ["--case", c])], { cwd: PROJECT_ROOT, maxBuffer: 16 << 20, timeout: 600_000 });
    out = JSON.parse(stdout) as Output;
  }, 600_000);

  it("prints the fixed bench shape with the Envoy additions", () => {
    expect(out.machine).toMatch(/Envoy \d+\.\d+\.\d+/);
    expect(out.engine).toBe("envoy");
    expect(out.envoyVersion).toBe(ENVOY_VERSION);
    expect(out.loadGenerator).toMatch(/^h2load /);
    // The baseline always runs (every added figure is against it); the fixed order kept.
    expect(out.results.map((r) => r.name)).toEqual(ENVOY_CASE_NAMES.filter((n) => n === "envoy:baseline" || CASES.includes(n)));
    for (const r of out.results) {
      expect(r.engine).toBe("envoy");
      for (const k of ["cpuNsPerRequest", "addedCpuNsPerRequest", "p50Us", "p99Us", "rps", "rssBytes", "moduleBytes", "loadMs", "loadCpuMs", "spreadPercent"]) {
        expect(typeof r[k], `${r.name}.${k}`).toBe("number");
      }
      expect(r.cpuNsPerRequest as number).toBeGreaterThan(0);
      expect(r.rssBytes as number).toBeGreaterThan(0);
      expect(r.runsCpuNs).toHaveLength(2);
      expect(r.requests).toBe(400);
      expect(r.moduleBytes > 0, r.name).toBe(WASM.includes(r.name));
    }
    expect(out.results.find((r) => r.name === "envoy:baseline")!.addedCpuNsPerRequest).toBe(0);
  });

  it("checked every response: 401 for the denied case, 200 otherwise", () => {
    for (const r of out.results) {
      const status = r.name === "envoy:header-auth-denied" ? "401" : "200";
      expect(r.outcome, r.name).toBe(status);
      expect(r.statuses, r.name).toEqual({ [status]: 400 });
    }
  });

  it("every filter that checks keys (ours and the three peers) answered an unknown key 401 before measuring", () => {
    for (const name of KEY_CHECKERS) expect(out.results.find((r) => r.name === name)?.badKeyStatus, name).toBe(401);
    for (const r of out.results.filter((x) => !KEY_CHECKERS.includes(x.name))) expect(r.badKeyStatus, r.name).toBeUndefined();
  });

  it("judges every target with a verdict", () => {
    const targets = out.targets.map((t) => t.target);
    for (const want of [/2x native api_key_auth/, /the Lua filter/, /0\.5x the Go-SDK filter/,
      /^header-auth-allowed adds less CPU .* noop-stock/, /^header-auth-denied adds less/,
      /chain .* under 25 µs/, /all our plugins loaded at most 1\.2x/, /flat .* 300 requests through the chain/]) {
      expect(targets.some((t) => want.test(t)), String(want)).toBe(true);
    }
    expect(out.targets).toHaveLength(8);
    for (const t of out.targets) {
      expect(typeof t.met).toBe("boolean");
      expect(t.detail.length).toBeGreaterThan(0);
    }
    expect(out.memory.filters).toEqual(["add-header", "header-auth", "metadata-exchange", "stats"]);
    expect(out.soak.requests).toBe(300);
    expect(out.soak.rssSamplesBytes).toHaveLength(10);
  });

  it("leaves no Envoy running", () => {
    expect(runningEnvoyPids()).toEqual([]);
  });
});

toolSuite(`${REAL_ENVOY}${ENVOY_VERSION ? ` ${ENVOY_VERSION}` : ""}: the Envoy bench's outcome checks`, ["envoy", "h2load"], () => {
  describe("a case whose responses are not what it promises", () => {
    it("stops the bench before any figure, saying which case and what came back, and stops its Envoys", async () => {
      const wrong: EnvoyBenchCase[] = [
        { name: "envoy:baseline", filters: [], request: BENCH_REQUEST, expectStatus: 200 },
        // No filter checks the key here, so the unknown key is let through.
        { name: "envoy:lua-api-key", filters: [], request: BENCH_REQUEST, expectStatus: 200, deniedRequest: [[":path", "/"], ["x-api-key", "nope"]] },
      ];
      await expect(runEnvoyBench(wrong, undefined, {
        envoyBin: toolPath("envoy"), h2loadBin: toolPath("h2load"), requests: 10, runs: 1, connections: 1, soak: 0,
      })).rejects.toThrow(/sanity pass failed, nothing was measured:\n {2}envoy:lua-api-key: a request with an unknown key must be answered 401, got 200 x1/);
      expect(runningEnvoyPids()).toEqual([]);
    }, 120_000);
  });
});
