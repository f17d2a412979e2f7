import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // filters/<name>/<name>.test.ts: the tests `mesh-filters new` writes next to a filter.
    include: ["tests/**/*.test.ts", "filters/**/*.test.ts"],
    reporters: ["default", "./tests/summary-reporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Registry tests bind ports and fuzz tests are CPU-bound; two forks fit CI's two cores.
    pool: "forks",
    maxWorkers: 2,
  },
});
