// The vendored OCI schemas are the upstream v1.1.1 files, byte for byte.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultSchemaDir } from "../../oci/index.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";

const vendored = path.join(PROJECT_ROOT, "oci", "schemas");
const upstream = path.join(PROJECT_ROOT, "..", "shared", "schemas", "oci");

describe("vendored OCI schemas", () => {
  it("are the schemas package and verify use by default", () => {
    expect(defaultSchemaDir(PROJECT_ROOT)).toBe(vendored);
  });

  it.runIf(existsSync(upstream) || !!process.env.CI)("match ../shared/schemas/oci byte for byte", () => {
    const names = readdirSync(upstream).filter((f) => f.endsWith(".json")).sort();
    expect(readdirSync(vendored).filter((f) => f.endsWith(".json")).sort()).toEqual(names);
    for (const n of names) {
      expect(readFileSync(path.join(vendored, n)).equals(readFileSync(path.join(upstream, n))), n).toBe(true);
    }
  });
});
