// `mesh-filters demo`, the README's main-job command, end to end through the
// real CLI: build, package, load back from the OCI layout (or a registry), the
// two-sidecar mesh — in two real Envoys, and in the host — the traffic table,
// metrics, manifests and ORAS commands.
//
// The demo builds every filter (a minute or more on a loaded 2-core machine),
// so only the first run builds; the others reuse that build with --skip-build
// (checked against its filters.json). Timeouts are what a loaded CI machine
// needs, not what a quiet one takes.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { ENVOY_BIN, ENVOY_VERSION, envoySuite } from "../envoy/helpers.ts";
import { registrySuite, startRegistry, type TestRegistry } from "../oci/helpers/registry.ts";
import { tempDir } from "../support/temp-dir.ts";

const work = tempDir("mesh-demo");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A full build and the whole demo; a run with --skip-build takes seconds. */
const FULL_RUN_MS = 480_000;
const REUSED_BUILD_MS = 180_000;

interface Run { status: number | null; out: string; err: string }

function demo(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(PROJECT_ROOT, "bin/mesh-filters.js"), "demo", "--out", work, ...args], {
      cwd: PROJECT_ROOT, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20, env,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : null) : 0;
      resolve({ status: code, out: stdout, err: stderr + (err && code === null ? `\n[killed: ${err.message}]` : "") });
    });
  });
}

/** Reuse the first run's build when there is one. */
function buildArgs(): string[] {
  return existsSync(path.join(work, "build", "filters.json")) ? ["--skip-build"] : [];
}
const timeoutFor = (args: string[]) => (args.includes("--skip-build") ? REUSED_BUILD_MS : FULL_RUN_MS);

/** The traffic table rows, keyed by the request label. */
function trafficRows(out: string): Map<string, string> {
  const section = out.slice(out.indexOf("== 5."), out.indexOf("== 6."));
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const m = /^\s+([^:]+): (GET|POST) \S+\s+(.*)$/.exec(line);
    if (m) rows.set(m[1]!.trim(), m[3]!);
  }
  return rows;
}

/** What every successful run shows, whichever engine ran the mesh. */
function checksEveryRun(get: () => Run): void {
  it("finishes every step", () => {
    const run = get();
    expect(run.err).not.toMatch(/failed/);
    expect(run.status, run.err + run.out).toBe(0);
    for (let n = 1; n <= 7; n++) expect(run.out).toMatch(new RegExp(`^== ${n}\\. `, "m"));
    expect(run.out).toMatch(/^Demo finished in [\d.]+ s \(engine: .+\)\.$/m);
  });

  it("shows each request's outcome and the peer each sidecar learned", () => {
    const run = get();
    const rows = trafficRows(run.out);
    const expectRow = (label: string, ...parts: RegExp[]) => {
      const row = rows.get(label);
      expect(row, `row '${label}' in:\n${run.out}`).toBeDefined();
      for (const p of parts) expect(row).toMatch(p);
    };
    const peers = /productpage-v1\s+reviews-v2$/;
    expectRow("billing key, GET", /^200\s/, /allowed \(via_upstream\)/, /billing/, peers);
    expectRow("reporting bearer token, GET /api/", /^200\s/, /reporting/, peers);
    expectRow("no credential", /^401\s/, /denied: header_auth_missing_credential/);
    expectRow("unknown key", /^401\s/, /denied: header_auth_invalid_credential/);
    expectRow("reporting key, POST (GET only)", /^403\s/, /denied: header_auth_forbidden/);
    expectRow("health check (exempt path)", /^200\s/, peers);
    expectRow("gRPC call, billing key", /^200 grpc-status 0/, peers);
    expectRow("billing key, upstream error", /^503\s/, /allowed \(via_upstream\)/);
    // The client's forged principal header never reaches the application.
    expectRow("spoofed principal header", /^200\s/, /\bbilling\b/);
    expect(rows.get("spoofed principal header")).not.toMatch(/admin/);
  });

  it("prints Istio-labelled metrics from both sidecars, each naming the other", () => {
    const run = get();
    const client = readFileSync(path.join(work, "dist", "demo", "productpage-v1.prom"), "utf8");
    const server = readFileSync(path.join(work, "dist", "demo", "reviews-v2.prom"), "utf8");
    expect(client).toMatch(/^istio_requests_total\{[^}]*reporter="source"[^}]*source_workload="productpage-v1"[^}]*destination_workload="reviews-v2"[^}]*\} \d+$/m);
    expect(server).toMatch(/^istio_requests_total\{[^}]*reporter="destination"[^}]*source_workload="productpage-v1"[^}]*destination_workload="reviews-v2"[^}]*\} \d+$/m);
    expect(server).toMatch(/^istio_requests_total\{[^}]*response_code="401"[^}]*\} 2$/m);
    expect(server).toMatch(/^istio_requests_total\{[^}]*request_protocol="grpc"[^}]*grpc_response_status="0"[^}]*\} 1$/m);
    expect(run.out).toContain("# TYPE istio_requests_total counter");
  });

  it("prints the Istio and ASM manifests and the ORAS commands", () => {
    const run = get();
    expect(run.out).toMatch(/kind: WasmPlugin/);
    expect(run.out).toMatch(/kind: ASMFilterDeployment/);
    expect(run.out).toMatch(/url: oci:\/\/registry\.example\.com\/mesh-wasm-filters\/header-auth:/);
    expect(run.out).toMatch(/oras cp --from-oci-layout \S+:header-auth registry\.example\.com\/mesh-wasm-filters\/header-auth:\S+/);
  });
}

envoySuite("mesh-filters demo (the README's first command)", () => {
  let run: Run;
  beforeAll(async () => {
    // The first run builds (step 1 for real); the other runs reuse its build.
    const args = ["--engine", "envoy", ...buildArgs()];
    run = await demo(args, timeoutFor(args));
  }, FULL_RUN_MS + 30_000);

  checksEveryRun(() => run);

  it("builds the filters and loads every module back out of the OCI layout, not from build/", () => {
    expect(run.out).toMatch(/^== 1\. Build the filters/m);
    for (const name of ["header-auth", "metadata-exchange", "stats"]) {
      expect(run.out).toContain(`oci:${path.join(work, "dist", "oci")}:${name} -> `);
    }
    expect(run.out).toMatch(/sha256 matches the build/);
  });

  it("names the engine and Envoy's version, and runs the mesh in two Envoy processes", () => {
    expect(run.out).toContain(`mesh-filters demo: the mesh runs in real Envoy ${ENVOY_VERSION}; two Envoy processes from ${ENVOY_BIN}`);
    expect(run.out).toMatch(/^== 4\. Start a two-sidecar mesh in two real Envoys$/m);
    expect(run.out).toMatch(new RegExp(`^Demo finished in [\\d.]+ s \\(engine: Envoy ${ENVOY_VERSION!.replace(/\./g, "\\.")} \\(two processes\\)\\)\\.$`, "m"));
    // Every Envoy the demo started is gone once it returned.
    const pids = [...run.out.matchAll(/Envoy pid (\d+), listener/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(() => process.kill(pid, 0), `Envoy pid ${pid} still running`).toThrow();
  });

  it("scrapes each sidecar's Prometheus text from its own Envoy's admin endpoint", () => {
    const admins = Object.fromEntries([...run.out.matchAll(/^\s+(productpage-v1|reviews-v2)\s+Envoy pid \d+, listener 127\.0\.0\.1:\d+, admin (http:\/\/127\.0\.0\.1:\d+)$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(admins).sort()).toEqual(["productpage-v1", "reviews-v2"]);
    expect(admins["productpage-v1"]).not.toBe(admins["reviews-v2"]);
    for (const proxy of ["productpage-v1", "reviews-v2"]) {
      expect(run.out).toContain(`--- ${proxy} (${proxy === "reviews-v2" ? "server" : "client"} sidecar, reporter=${proxy === "reviews-v2" ? "destination" : "source"}); from ${admins[proxy]}/stats/prometheus`);
      // The file is Envoy's whole text: its own series too, and the histograms with approximate sums.
      const prom = readFileSync(path.join(work, "dist", "demo", `${proxy}.prom`), "utf8");
      expect(prom).toMatch(/^envoy_server_live\{\} 1$/m);
      expect(prom).toMatch(/^istio_request_duration_milliseconds_bucket\{/m);
    }
    // Printed: the filters' series, not Envoy's own.
    const printed = run.out.slice(run.out.indexOf("== 6."), run.out.indexOf("== 7."));
    expect(printed).toMatch(/^\s+istio_requests_total\{/m);
    expect(printed).not.toMatch(/^\s+envoy_/m);
  });
});

describe("mesh-filters demo --engine host", () => {
  let run: Run;
  beforeAll(async () => {
    const args = ["--engine", "host", ...buildArgs()];
    run = await demo(args, timeoutFor(args));
  }, FULL_RUN_MS + 30_000);

  checksEveryRun(() => run);

  it("names the host as the engine", () => {
    expect(run.out).toMatch(/^mesh-filters demo: the mesh runs in the host \(Node v[\d.]+, V8 [^)]+\); chosen with --engine host/m);
    expect(run.out).toMatch(/^== 4\. Start a two-sidecar mesh in the host$/m);
    expect(run.out).toMatch(/^Demo finished in [\d.]+ s \(engine: host \(Node v/m);
  });
});

describe("mesh-filters demo without Envoy", () => {
  it("runs the mesh in the host and says how to get Envoy", async () => {
    // No ENVOY_BIN, a PATH with node only, and an empty tools folder: nothing to find.
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, MESH_FILTERS_TOOLS_DIR: path.join(work, "no-tools") };
    delete env.ENVOY_BIN;
    const args = buildArgs();
    const run = await demo(args, timeoutFor(args), env);
    expect(run.status, run.err + run.out).toBe(0);
    expect(run.out).toMatch(/^mesh-filters demo: the mesh runs in the host \(.*\); Envoy was not found \(ENVOY_BIN, PATH, \.tools\/bin\)\. For real Envoy run `npm run setup` \(it installs Envoy [\d.]+ into \.tools\/\)/m);
    expect(run.out).toMatch(/^== 4\. Start a two-sidecar mesh in the host$/m);
    expect(trafficRows(run.out).get("billing key, GET")).toMatch(/^200\s/);
  }, FULL_RUN_MS + 30_000);

  it("--engine envoy without Envoy is an error saying how to get it; nothing runs", () => {
    const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin/mesh-filters.js"), "demo", "--out", work, "--engine", "envoy"], {
      cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000,
      env: { ...process.env, ENVOY_BIN: "", PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, MESH_FILTERS_TOOLS_DIR: path.join(work, "no-tools") },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mesh-filters demo: --engine envoy: Envoy not found: run `npm run setup`/m);
    expect(r.stdout).not.toMatch(/^== 1\./m);
  });
});

registrySuite("mesh-filters demo --registry", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => reg?.stop());

  it("pushes to the registry and loads the modules from it, in Envoy when there is one", async () => {
    const args = ["--registry", `${reg.host}/demo`, "--plain-http", "--quiet-build", ...buildArgs()];
    const run = await demo(args, timeoutFor(args));
    expect(run.status, run.err + run.out).toBe(0);
    for (const name of ["header-auth", "metadata-exchange", "stats"]) {
      expect(run.out).toMatch(new RegExp(`${name}\\s+${reg.host.replace(/\./g, "\\.")}/demo/${name}:[^@\\s]+@sha256:[0-9a-f]{64} -> \\d+ bytes, sha256 matches the build`));
    }
    expect(existsSync(path.join(work, "dist", "pushed.json"))).toBe(true);
    // No --engine: real Envoy when it is found.
    expect(run.out).toMatch(ENVOY_BIN ? /^== 4\. Start a two-sidecar mesh in two real Envoys$/m : /^== 4\. Start a two-sidecar mesh in the host$/m);
  }, FULL_RUN_MS + 30_000);
});

describe("mesh-filters demo failures", () => {
  it("stops at the failing step with a message naming it", () => {
    // --out names a file, so step 1 cannot create build/ under it.
    const file = path.join(work, "not-a-directory");
    writeFileSync(file, "");
    const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin/mesh-filters.js"), "demo", "--out", file, "--engine", "host"], {
      cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^mesh-filters demo: step 1 \(Build the filters .*\) failed: ENOTDIR/m);
    expect(r.stdout).not.toMatch(/^== 2\./m);
  });

  it("--skip-build without a build says so at step 1", () => {
    const empty = tempDir("demo-empty");
    const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin/mesh-filters.js"), "demo", "--out", empty, "--skip-build", "--engine", "host"], {
      cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^mesh-filters demo: step 1 \(Use the filters already built in .*\) failed: .*filters\.json: not found/m);
  });
});
