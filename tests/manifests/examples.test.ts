// examples/envoyfilter/ is generated (`mesh-filters manifests --examples`) from
// the fixed example reference, build/filters.json and filters/*/example-config.json.
// Fails when a checked-in file is stale, missing or no longer generated, and
// validates every checked-in document like the rendered ones.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { renderExamples, examplePushed } from "../../deploy/examples.ts";
import { readFiltersJson } from "../../oci/filters-json.ts";
import { compareWithDir, writeFiles } from "../../scripts/commands/manifests.ts";
import { checkAgainstBuild, loadValidators, parseYamlDocs, validateDocument, type Validators } from "../../deploy/validate/index.ts";
import { REPO_ROOT, tempDir } from "./helpers.ts";

const EXAMPLES = path.join(REPO_ROOT, "examples/envoyfilter");
// MANIFESTS_FILTERS_JSON: a filters.json from `mesh-filters build --out DIR` (e.g. while build/ holds a partial build).
const FILTERS_JSON = path.resolve(REPO_ROOT, process.env.MANIFESTS_FILTERS_JSON ?? "build/filters.json");

describe("examples/envoyfilter", () => {
  let v: Validators;
  beforeAll(() => {
    v = loadValidators();
  });

  it("are up to date (regenerate: mesh-filters manifests --examples)", () => {
    expect(existsSync(FILTERS_JSON), "build/filters.json missing: run `mesh-filters build`").toBe(true);
    const files = renderExamples(REPO_ROOT, { filtersJson: FILTERS_JSON });
    const problems = compareWithDir(EXAMPLES, files);
    expect(problems, `stale examples; run \`mesh-filters manifests --examples\`:\n${problems.join("\n")}`).toEqual([]);
    // Regenerating into an empty directory gives the same tree.
    const tmp = tempDir();
    writeFiles(tmp, files);
    expect(compareWithDir(tmp, renderExamples(REPO_ROOT, { filtersJson: FILTERS_JSON }))).toEqual([]);
  });

  it("every checked-in document validates, with registered root ids and the example digests", () => {
    const entries = readFiltersJson(FILTERS_JSON);
    const pushed = examplePushed(REPO_ROOT, FILTERS_JSON);
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith(".yaml") ? [path.join(d, e.name)] : []));
    const yamls = walk(EXAMPLES);
    expect(yamls.length).toBeGreaterThan(20);
    for (const file of yamls) {
      if (file.endsWith("workload-patch.yaml")) continue;
      for (const d of parseYamlDocs(readFileSync(file, "utf8"))) {
        const rel = path.relative(EXAMPLES, file);
        expect(validateDocument(d, v), rel).toEqual([]);
        expect(checkAgainstBuild(d, entries, pushed), rel).toEqual([]);
      }
    }
  });

  it("the chain files hold header-auth, metadata-exchange and stats in that order", () => {
    const boot = parseYamlDocs(readFileSync(path.join(EXAMPLES, "envoy/envoy.yaml"), "utf8"))[0] as any;
    const names = boot.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.map((f: any) => f.typed_config.config?.root_id ?? f.name);
    expect(names).toEqual(["header_auth", "metadata_exchange", "stats_inbound", "envoy.filters.http.router"]);
    const wps = parseYamlDocs(readFileSync(path.join(EXAMPLES, "wasmplugin/chain.yaml"), "utf8")).map((d: any) => d.metadata.name);
    expect(wps).toEqual(["header-auth", "metadata-exchange", "stats-inbound", "stats-outbound"]);
    expect(readFileSync(path.join(EXAMPLES, "envoyfilter-ecds/chain-istio-1.24.yaml"), "utf8")).toMatch(/fail_open: true/);
    expect(readFileSync(path.join(EXAMPLES, "envoyfilter-ecds/chain.yaml"), "utf8")).toMatch(/failure_policy: FAIL_CLOSED/);
  });

  it("README.md covers every platform", () => {
    const readme = readFileSync(path.join(EXAMPLES, "README.md"), "utf8");
    for (const s of ["WasmPlugin", "sidecar.istio.io/userVolume", "sidecar.istio.io/userVolumeMount", "UpdateMeshFeature", "--WebAssemblyFilterEnabled=true", "oras", "envoy -c envoy.yaml", "--digest", "PLACEHOLDER"]) {
      expect(readme, s).toContain(s);
    }
  });
});
