// No Envoy outlives the process that started it: not when a test throws (the
// suite's afterAll stops it), not when Node exits or is interrupted without
// stopping it (exit and signal hooks), not even when Node is SIGKILLed (the
// watchdog `sh` that Envoy runs under kills it when Node's pipe closes); and
// the deployment's work folder goes with it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { envoySuite, ENVOY_BIN } from "./helpers.ts";
import { tempDir } from "../support/temp-dir.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead for our purpose; /proc tells them apart.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** The engine's work folder of a running Envoy: `-c <work>/<n>-<proxy>/envoy.yaml` on its command line. */
function workDirOf(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  return path.dirname(path.dirname(argv[argv.indexOf("-c") + 1]!));
}

/** Waits (a guard against hangs, not a speed check) until the folder is removed; whether it was. */
async function removedWithin(dir: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && existsSync(dir)) await new Promise((r) => setTimeout(r, 50));
  return !existsSync(dir);
}

async function goneWithin(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

const env = { ...process.env, ENVOY_BIN, CI: "" };

/** Starts hold-envoy.ts in a child Node; resolves with the child and its Envoy pids once Envoy is LIVE. */
function holdEnvoy(how: "wait" | "throw" | "exit") {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "tests/envoy/fixtures/hold-envoy.ts"), how], {
    cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const pids = new Promise<number[]>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /pid ([\d,]+)/.exec(out);
      if (m) resolve(m[1]!.split(",").map(Number));
    });
    child.once("exit", () => reject(new Error(`child exited before starting Envoy:\n${out}`)));
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, pids, exited };
}

envoySuite("no orphan Envoy", () => {
  it("a test that throws while its suite's Envoy runs still stops it (child vitest)", () => {
    const pidFile = path.join(tempDir("mwf-orphan"), "pids");
    const r = spawnSync(process.execPath, [
      path.join(PROJECT_ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "tests/envoy/fixtures/vitest.fixture.config.ts",
    ], { cwd: PROJECT_ROOT, env: { ...env, MWF_PID_FILE: pidFile }, encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("deliberate failure");
    expect(existsSync(pidFile)).toBe(true);
    const pids = readFileSync(pidFile, "utf8").split(",").map(Number);
    expect(pids.length).toBe(1);
    expect(pids.filter(alive)).toEqual([]);
  });

  it("Node killed with SIGKILL: the watchdog kills Envoy", async () => {
    const h = holdEnvoy("wait");
    const pids = await h.pids;
    expect(pids.every(alive)).toBe(true);
    const work = workDirOf(pids[0]!);
    expect(existsSync(work)).toBe(true);
    h.child.kill("SIGKILL");
    await h.exited;
    expect(await goneWithin(pids, 10_000)).toEqual([]);
    expect(await removedWithin(work, 10_000), work).toBe(true);
  });

  it("Node interrupted with SIGTERM or SIGINT: the signal hook kills Envoy and Node still ends", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const h = holdEnvoy("wait");
      const pids = await h.pids;
      const work = workDirOf(pids[0]!);
      h.child.kill(signal);
      await h.exited;
      expect(await goneWithin(pids, 10_000), signal).toEqual([]);
      expect(existsSync(work), `${signal}: ${work}`).toBe(false);
    }
  });

  it("Node ending on an uncaught error or process.exit without stop(): the exit hook kills Envoy", async () => {
    for (const how of ["throw", "exit"] as const) {
      const h = holdEnvoy(how);
      const pids = await h.pids;
      const work = workDirOf(pids[0]!);
      expect(await h.exited, how).not.toBe(0);
      expect(await goneWithin(pids, 10_000), how).toEqual([]);
      expect(existsSync(work), `${how}: ${work}`).toBe(false);
    }
  });
});
