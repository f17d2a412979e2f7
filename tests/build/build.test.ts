// `mesh-filters build`: reproducible bytes and the build/filters.json contract.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildFilters } from "../../scripts/commands/build.ts";
import { discoverFilters, readFiltersJson, PROJECT_ROOT } from "../../scripts/lib/project.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "mesh-build-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

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

  it("produces byte-identical modules on a second clean build", async () => {
    const first = readFiltersJson();
    const again = await buildFilters({ outDir: tmp });
    expect(again.map((f) => [f.name, f.sha256, f.size])).toEqual(first.map((f) => [f.name, f.sha256, f.size]));
    for (const f of again) {
      const a = readFileSync(path.join(PROJECT_ROOT, "build", `${f.name}.debug.wasm`));
      const b = readFileSync(path.join(tmp, `${f.name}.debug.wasm`));
      expect(Buffer.compare(a, b), `${f.name}.debug.wasm differs between builds`).toBe(0);
    }
  });

  it("reads root ids from registerRootContext calls in registration order", () => {
    const addHeader = discoverFilters().find((f) => f.name === "add-header");
    expect(addHeader?.rootIds).toEqual(["add_header"]);
  });
});
