// Runs the mesh-filters CLI in a child process under a wall-clock guard and a
// memory watchdog, for tests that feed it hostile input: on today's code such
// input may hang or eat gigabytes, and the test must fail, not the machine.
// The guard is generous (it only stops hangs); the test asserts what came out.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { tempDir } from "./temp-dir.ts";

const MEASURED_CLI = path.join(import.meta.dirname, "measured-cli.mjs");

export interface BoundedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident memory of the child (its own report, else the watchdog's last sample). */
  peakRssMiB: number;
  /** Set when the guard stopped the child. */
  killed?: "timeout" | "memory";
}

export interface BoundedOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Wall-clock guard against hangs, not a speed assertion. */
  timeoutMs?: number;
  /** The watchdog kills the child above this resident size. */
  maxRssMiB?: number;
}

function rssMiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0; // no /proc (not Linux) or the child is gone
  }
}

export function runCliBounded(args: string[], opts: BoundedOptions): Promise<BoundedResult> {
  const tmp = tempDir("mwf-bounded");
  const rssFile = path.join(tmp, "maxrss");
  const started = Date.now();
  const child = spawn(process.execPath, [MEASURED_CLI, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, MEASURE_RSS_FILE: rssFile },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let killed: BoundedResult["killed"];
  let sampled = 0;
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.input ?? "");
  const maxRss = opts.maxRssMiB ?? 1024;
  const watchdog = setInterval(() => {
    sampled = Math.max(sampled, rssMiB(child.pid!, "VmHWM"));
    if (rssMiB(child.pid!, "VmRSS") > maxRss) {
      killed = "memory";
      child.kill("SIGKILL");
    }
  }, 20);
  const guard = setTimeout(() => {
    killed = "timeout";
    child.kill("SIGKILL");
  }, opts.timeoutMs ?? 20_000);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearInterval(watchdog);
      clearTimeout(guard);
      const own = existsSync(rssFile) ? Number(readFileSync(rssFile, "utf8")) / 1024 : 0;
      rmSync(tmp, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, peakRssMiB: Math.max(own, sampled), killed });
    });
  });
}
