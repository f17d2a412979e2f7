// `mesh-filters bench --json` keeps its contract shape (no timing assertions).
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

test("bench --json prints one object with the machine and a result per case", async () => {
  const { stdout } = await promisify(execFile)("node", [path.join(ROOT, "bin/mesh-filters.js"), "bench", "--json", "--requests", "2000", "--runs", "2",
    "--case", "floor", "--case", "noop-lean", "--case", "noop-stock"], { cwd: ROOT, maxBuffer: 1 << 20 });
  const out = JSON.parse(stdout);
  expect(typeof out.machine).toBe("string");
  expect(out.results.map((r: { name: string }) => r.name)).toEqual(["floor", "noop-lean", "noop-stock"]);
  for (const r of out.results) {
    for (const k of ["nsPerRequest", "memoryPagesBefore", "memoryPagesAfter", "moduleBytes"]) expect(typeof r[k]).toBe("number");
    expect(r.nsPerRequest).toBeGreaterThan(0);
    expect(r.memoryPagesAfter).toBeGreaterThanOrEqual(1);
    expect(r.driver).toBe("fast");
  }
});
