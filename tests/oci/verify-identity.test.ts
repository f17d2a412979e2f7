// `verify` must say whether an artifact is the filter the reference names, as
// built here: another filter pushed under `…/header-auth:TAG` (a swapped or
// mistyped push) is not deployable as header-auth, whatever its own
// annotations claim. Checked against build/filters.json and, when present,
// dist/pushed.json; without build/filters.json nothing is "OK".
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageFilters, verifyArtifact, writeLayout, type PackageResult } from "../../oci/index.ts";
import { makeFixtureProject, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";
import { startFakeRegistry, type FakeRegistry } from "./helpers/fake-registry.ts";
import { cliAsync as cli } from "../support/cli.ts";

let fx: FixtureProject;
let pkg: PackageResult;
let reg: FakeRegistry;
const artifact = (tag: string) => pkg.artifacts.find((a) => a.tag === tag)!;

beforeAll(async () => {
  fx = await makeFixtureProject({ filters: [{ name: "header-auth", rootIds: ["header_auth"] }, { name: "stats", rootIds: ["stats", "stats_inbound", "stats_outbound"] }] });
  pkg = packageFilters({ projectRoot: fx.root, env: { SOURCE_DATE_EPOCH: "1700000000" } });
  reg = await startFakeRegistry();
  reg.put("wasm/header-auth", "0.1.0", artifact("header-auth").artifact);
  reg.put("wasm/header-auth", "swapped", artifact("stats").artifact); // stats, pushed under header-auth's name
  reg.put("wasm/header-auth", "swapped-compat", artifact("stats-compat").artifact);
  reg.put("wasm/stats", "0.1.0", artifact("stats").artifact);
});
afterAll(async () => reg?.close());

const failed = (r: { checks: { name: string; status: string; detail: string }[] }) => r.checks.filter((c) => c.status === "fail");

describe("the filter is the one the reference names", () => {
  it("another filter under …/header-auth:TAG fails, saying which filter was expected and which was found", async () => {
    for (const tag of ["swapped", "swapped-compat"]) {
      const r = await verifyArtifact(`${reg.host}/wasm/header-auth:${tag}`, { plainHttp: true, filtersJson: fx.filtersJson });
      expect(r.ok).toBe(false);
      expect(r.filter).toBe("header-auth");
      const details = failed(r).map((c) => `${c.name}: ${c.detail}`).join("\n");
      expect(details).toMatch(/reference names filter 'header-auth'.*title annotation says 'stats'/);
      expect(details).toMatch(new RegExp(`module sha256 ${artifact("stats").moduleSha256} != ${artifact("header-auth").moduleSha256} \\(expected: header-auth in .*filters\\.json; found: another filter`));
    }
  });

  it("the same swap inside a layout (tag header-auth holding stats) fails too", async () => {
    const dir = tempDir("swapped-layout");
    writeLayout(dir, [{ tag: "header-auth", artifact: artifact("stats").artifact }]);
    const r = await verifyArtifact(`oci:${dir}:header-auth`, { filtersJson: fx.filtersJson });
    expect(r.ok).toBe(false);
    expect(failed(r).map((c) => c.detail).join("\n")).toMatch(/names filter 'header-auth'.*says 'stats'/);
  });

  it("the right artifact passes, by tag and by digest; the CLI says OK and exits 0", async () => {
    const good = await verifyArtifact(`${reg.host}/wasm/header-auth:0.1.0`, { plainHttp: true, filtersJson: fx.filtersJson });
    expect(failed(good)).toEqual([]);
    expect(good.ok && good.verified).toBe(true);
    const byDigest = await verifyArtifact(`${reg.host}/wasm/header-auth@${artifact("header-auth").manifestDigest}`, { plainHttp: true, filtersJson: fx.filtersJson });
    expect(byDigest.verified).toBe(true);
    const r = await cli(["verify", "--plain-http", `${reg.host}/wasm/stats:0.1.0`], { cwd: fx.root, env: { CI: "" } });
    expect(r.stdout).toMatch(/^OK: /);
    expect(r.code).toBe(0);
  });
});

describe("dist/pushed.json, when present, must agree", () => {
  const pushedJson = () => path.join(fx.root, "dist", "pushed.json");
  const record = (digest: string, moduleSha256: string) =>
    writeFileSync(pushedJson(), JSON.stringify({ registry: `${reg.host}/wasm`, tag: "0.1.0", artifacts: [
      { name: "header-auth", variant: "wasm", reference: `${reg.host}/wasm/header-auth:0.1.0`, digest, rootIds: ["header_auth"], moduleSha256 },
    ] }));

  it("a tag that now points elsewhere than what was pushed fails with both digests; a match passes", async () => {
    mkdirSync(path.dirname(pushedJson()), { recursive: true });
    const ha = artifact("header-auth");
    try {
      record(ha.manifestDigest, ha.moduleSha256);
      const ok = await verifyArtifact(`${reg.host}/wasm/header-auth:0.1.0`, { plainHttp: true, filtersJson: fx.filtersJson, pushedJson: pushedJson() });
      expect(ok.checks.find((c) => c.name.includes("pushed.json"))?.status).toBe("pass");
      expect(ok.verified).toBe(true);

      const other = "sha256:" + "1".repeat(64);
      record(other, "2".repeat(64));
      const r = await cli(["verify", "--plain-http", `${reg.host}/wasm/header-auth:0.1.0`], { cwd: fx.root, env: { CI: "" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^FAILED: /);
      expect(r.stderr).toContain(`dist/pushed.json recorded manifest ${other} for ${reg.host}/wasm/header-auth:0.1.0, the registry serves ${ha.manifestDigest}`);
      expect(r.stderr).toContain(`recorded module sha256 ${"2".repeat(64)}, the artifact's module is ${ha.moduleSha256}`);
    } finally {
      rmSync(pushedJson(), { force: true });
    }
  });
});

describe("without build/filters.json nothing is reported OK", () => {
  it("in CI (CI=true) it is a failure, exit 1", async () => {
    const empty = tempDir("no-build");
    const r = await cli(["verify", "--plain-http", `${reg.host}/wasm/header-auth:0.1.0`], { cwd: empty, env: { CI: "true" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^FAILED: /);
    expect(r.stderr).toMatch(/FAIL +module sha256 vs build\/filters\.json: .*build\/filters\.json not found: in CI .* cannot be checked against a build/);
  });

  it("outside CI it is a warning and exit 3 (UNVERIFIED), never OK", async () => {
    const empty = tempDir("no-build");
    const r = await cli(["verify", "--plain-http", `${reg.host}/wasm/header-auth:0.1.0`], { cwd: empty, env: { CI: "" } });
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).not.toMatch(/^OK/m);
    expect(r.stderr).toMatch(/^UNVERIFIED: .* passes Istio's checks but was not compared with a build/);
    expect(r.stderr).toMatch(/WARN +module sha256 vs build\/filters\.json: .*not found/);
  });
});
