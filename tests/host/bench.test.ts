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

test("bench --case configure-scaling: header-auth and stats configured at 1x and 10x entries, each judged", async () => {
  const { stdout } = await promisify(execFile)("node", [path.join(ROOT, "bin/mesh-filters.js"), "bench", "--json", "--runs", "1", "--case", "configure-scaling"],
    { cwd: ROOT, maxBuffer: 1 << 20 });
  const out = JSON.parse(stdout);
  expect(out.results).toEqual([]);
  expect(out.configureScaling.map((r: { filter: string }) => r.filter)).toEqual(["header-auth", "stats"]);
  for (const r of out.configureScaling) {
    expect([r.smallEntries, r.largeEntries, r.runs]).toEqual([2000, 20000, 1]);
    for (const k of ["smallMs", "largeMs", "ratio"]) expect(r[k]).toBeGreaterThan(0);
  }
  expect(out.targets.map((t: { target: string }) => t.target)).toEqual([
    "header-auth configure time at 10x credentials at most 30x the time at 1x (linear: 10x)",
    "stats configure time at 10x dimensions and tags_to_remove at most 30x the time at 1x (linear: 10x)",
  ]);
  for (const t of out.targets) expect(typeof t.met).toBe("boolean");
}, 120_000);
