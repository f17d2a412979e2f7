// Tests leave no temporary folders behind: every suite makes them with
// tests/support/temp-dir.ts (removed after the file, and at exit), never with
// mkdtemp directly.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../scripts/lib/project.ts";
import { removeTempDirs, tempDir } from "../support/temp-dir.ts";

const TESTS = path.join(PACKAGE_ROOT, "tests");
const HELPER = path.join(TESTS, "support", "temp-dir.ts");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return n === "fixtures" ? [] : sources(p);
    return /\.(ts|mjs|js)$/.test(n) ? [p] : [];
  });
}

describe("temporary folders", () => {
  it("no test makes one except through tests/support/temp-dir.ts", () => {
    const offenders = sources(TESTS).filter((f) => f !== HELPER && f !== import.meta.filename && /\bmkdtemp(Sync)?\s*\(/.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => path.relative(PACKAGE_ROOT, f))).toEqual([]);
  });

  it("tempDir's folders are gone after removeTempDirs (what afterAll and exit run)", () => {
    const a = tempDir("guard");
    const b = tempDir("guard");
    expect(path.basename(a)).toMatch(/^mwf-guard-/);
    expect(statSync(a).isDirectory() && statSync(b).isDirectory()).toBe(true);
    removeTempDirs();
    expect(() => statSync(a)).toThrow(/ENOENT/);
    expect(() => statSync(b)).toThrow(/ENOENT/);
  });
});
