// `mesh-filters build`: reproducible bytes and the build/filters.json contract.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFilters } from "../../scripts/commands/build.ts";
import { discoverFilters, readFiltersJson, PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { tempDir } from "../support/temp-dir.ts";

const tmp = tempDir("mesh-build");

describe("mesh-filters build", () => {
  it("writes build/filters.json with one entry per filter in the fixed shape", () => {
    const filters = readFiltersJson();
    expect(filters.map((f) => f.name)).toEqual(discoverFilters().map((f) => f.name));
    for (const f of filters) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(["name", "rootIds", "file", "size", "sha256", "abiVersion"]));
      expect(f.file).toBe(`build/${f.name}.wasm`);
      const bytes = readFileSync(path.join(PROJECT_ROOT, f.file));
      expect(f.size).toBe(bytes.length);
      expect(f.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(f.rootIds.length).toBeGreaterThan(0);
    }
  });

  it("produces byte-identical modules from two clean builds", async () => {
    // Two builds of the same sources into fresh directories (the release
    // modules: their sha256 is what filters.json, OCI and Istio pin).
    const first = await buildFilters({ outDir: path.join(tmp, "a"), debug: false });
    const again = await buildFilters({ outDir: path.join(tmp, "b"), debug: false });
    expect(again.map((f) => [f.name, f.sha256, f.size])).toEqual(first.map((f) => [f.name, f.sha256, f.size]));
    for (const f of again) {
      const a = readFileSync(path.join(tmp, "a", `${f.name}.wasm`));
      const b = readFileSync(path.join(tmp, "b", `${f.name}.wasm`));
      expect(Buffer.compare(a, b), `${f.name}.wasm differs between builds`).toBe(0);
    }
  }, 600_000);

  it("rebuilding one filter keeps the others in filters.json", async () => {
    const dir = path.join(tmp, "a"); // a full build from the test above
    const before = JSON.parse(readFileSync(path.join(dir, "filters.json"), "utf8")) as { name: string; sha256: string }[];
    const rebuilt = await buildFilters({ outDir: dir, only: ["add-header"], debug: false });
    expect(rebuilt.map((f) => f.name)).toEqual(["add-header"]);
    const after = JSON.parse(readFileSync(path.join(dir, "filters.json"), "utf8")) as { name: string; sha256: string }[];
    expect(after.map((f) => [f.name, f.sha256])).toEqual(before.map((f) => [f.name, f.sha256]));
  }, 300_000);

  it("reads root ids from registerRootContext calls in registration order", () => {
    const addHeader = discoverFilters().find((f) => f.name === "add-header");
    expect(addHeader?.rootIds).toEqual(["add_header"]);
  });
});
