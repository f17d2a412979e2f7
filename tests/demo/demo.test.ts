// `mesh-filters demo`, the README's main-job command, end to end through the
// real CLI: build, package, load back from the OCI layout (or a registry), the
// two-sidecar mesh, the traffic table, metrics, manifests and ORAS commands.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { registrySuite, startRegistry, type TestRegistry } from "../oci/helpers/registry.ts";
import { tempDir } from "../support/temp-dir.ts";

const work = tempDir("mesh-demo");
afterAll(() => rmSync(work, { recursive: true, force: true }));

function demo(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin/mesh-filters.js"), "demo", "--out", work, ...args], {
    cwd: PROJECT_ROOT, encoding: "utf8", timeout: 300_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

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

describe("mesh-filters demo (local OCI layout)", () => {
  let run: ReturnType<typeof demo>;
  beforeAll(() => {
    run = demo([]);
  });

  it("finishes every step", () => {
    expect(run.err).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    for (let n = 1; n <= 7; n++) expect(run.out).toMatch(new RegExp(`^== ${n}\\. `, "m"));
    expect(run.out).toMatch(/^Demo finished in [\d.]+ s\.$/m);
  });

  it("loads every module back out of the OCI layout, not from build/", () => {
    for (const name of ["header-auth", "metadata-exchange", "stats"]) {
      expect(run.out).toContain(`oci:${path.join(work, "dist", "oci")}:${name} -> `);
    }
    expect(run.out).toMatch(/sha256 matches the build/);
  });

  it("shows each request's outcome and the peer each sidecar learned", () => {
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
    const client = readFileSync(path.join(work, "dist", "demo", "productpage-v1.prom"), "utf8");
    const server = readFileSync(path.join(work, "dist", "demo", "reviews-v2.prom"), "utf8");
    expect(client).toMatch(/^istio_requests_total\{[^}]*reporter="source"[^}]*source_workload="productpage-v1"[^}]*destination_workload="reviews-v2"[^}]*\} \d+$/m);
    expect(server).toMatch(/^istio_requests_total\{[^}]*reporter="destination"[^}]*source_workload="productpage-v1"[^}]*destination_workload="reviews-v2"[^}]*\} \d+$/m);
    expect(server).toMatch(/^istio_requests_total\{response_code="401"[^}]*\} 2$/m);
    expect(server).toMatch(/^istio_requests_total\{[^}]*request_protocol="grpc"[^}]*grpc_response_status="0"[^}]*\} 1$/m);
    expect(run.out).toContain("# TYPE istio_requests_total counter");
  });

  it("prints the Istio and ASM manifests and the ORAS commands", () => {
    expect(run.out).toMatch(/kind: WasmPlugin/);
    expect(run.out).toMatch(/kind: ASMFilterDeployment/);
    expect(run.out).toMatch(/url: oci:\/\/registry\.example\.com\/mesh-wasm-filters\/header-auth:/);
    expect(run.out).toMatch(/oras cp --from-oci-layout \S+:header-auth registry\.example\.com\/mesh-wasm-filters\/header-auth:\S+/);
  });
});

registrySuite("mesh-filters demo --registry", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => reg?.stop());

  it("pushes to the registry and loads the modules from it", () => {
    const run = demo(["--registry", `${reg.host}/demo`, "--plain-http", "--quiet-build"]);
    expect(run.status, run.err + run.out).toBe(0);
    for (const name of ["header-auth", "metadata-exchange", "stats"]) {
      expect(run.out).toMatch(new RegExp(`${name}\\s+${reg.host.replace(/\./g, "\\.")}/demo/${name}:[^@\\s]+@sha256:[0-9a-f]{64} -> \\d+ bytes, sha256 matches the build`));
    }
    expect(existsSync(path.join(work, "dist", "pushed.json"))).toBe(true);
  });

});

describe("mesh-filters demo failures", () => {
  it("stops at the failing step with a message naming it", () => {
    // --out names a file, so step 1 cannot create build/ under it.
    const file = path.join(work, "not-a-directory");
    writeFileSync(file, "");
    const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin/mesh-filters.js"), "demo", "--out", file], {
      cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^mesh-filters demo: step 1 \(Build the filters .*\) failed: ENOTDIR/m);
    expect(r.stdout).not.toMatch(/^== 2\./m);
  });
});
