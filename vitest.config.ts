import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    reporters: ["default", "./tests/summary-reporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Registry tests bind ports and fuzz tests are CPU-bound; two forks fit CI's two cores.
    pool: "forks",
    maxWorkers: 2,
  },
});
