// Temporary folders for tests, removed when the test file ends (afterAll of
// the file that imported this module) and, as a fallback, when the process
// exits: a suite that fails halfway leaves nothing in the system temp folder
// either. Every test makes its folders here (tests/standalone/temp-dirs.test.ts
// fails on a direct mkdtemp).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const made = new Set<string>();

/** A fresh folder `<tmp>/mwf-<prefix>-XXXXXX`, removed after this test file. */
export function tempDir(prefix = "test"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mwf-${prefix.replace(/^mwf-|-+$/g, "")}-`));
  made.add(dir);
  return dir;
}

/** Removes every folder tempDir made so far (what afterAll and exit do). */
export function removeTempDirs(): void {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch { /* a process still writing there: exit will try again */ }
    made.delete(dir);
  }
}

// Registered at import, i.e. while vitest collects the test file importing this
// (imported later, from inside a test, only the exit hook applies).
try {
  afterAll(removeTempDirs);
} catch { /* not at collection time */ }
process.once("exit", removeTempDirs);
