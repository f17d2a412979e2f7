// Runs the real `mesh-filters` CLI of this checkout in a child process: every
// suite that drives the command line goes through here.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";

const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { cwd: string; input?: string; env?: NodeJS.ProcessEnv }): CliResult {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "mesh-filters.js"), ...args], {
    cwd: opts.cwd,
    input: opts.input ?? "",
    encoding: "utf8",
    env: { ...process.env, SOURCE_DATE_EPOCH: "", ...opts.env },
    timeout: 120_000,
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process: for CLI runs against a server the test itself runs. */
export function cliAsync(args: string[], opts: { cwd: string; input?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "mesh-filters.js"), ...args], {
      cwd: opts.cwd,
      env: { ...process.env, SOURCE_DATE_EPOCH: "", ...opts.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.on("error", () => {}); // a command that exits without reading its input
    child.stdin.end(opts.input ?? "");
  });
}
