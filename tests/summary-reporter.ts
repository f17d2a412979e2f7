// Prints the plain closing line `N passed, N failed[, N skipped]` after the
// default reporter's summary, for CI systems that read that line, and before
// it how many tests ran in real Envoy (suites named "real Envoy ...", see
// tests/envoy/helpers.ts envoySuite), so a CI log shows they were executed.
// Errors thrown outside any test (an EPIPE in a child's pipe, a rejection no
// test awaited) fail the run; the line counts them, so it never reads as clean.
import type { Reporter, SerializedError, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const envoy = { executed: 0, skipped: 0 };
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
        if (t.fullName.startsWith("real Envoy")) {
          if (state === "passed" || state === "failed") envoy.executed++;
          else envoy.skipped++;
        }
      }
      // A file that failed to load has no tests but must not read as success.
      if (m.state() === "failed" && [...m.children.allTests()].length === 0) failed++;
    }
    if (envoy.executed || envoy.skipped) {
      process.stdout.write(`\nreal Envoy: ${envoy.executed} tests executed${envoy.skipped ? `, ${envoy.skipped} skipped` : ""}`);
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}${unhandledErrors.length ? `, ${unhandledErrors.length} unhandled errors` : ""}\n`);
  }
}
