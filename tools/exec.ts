// Running an external tool for setup and doctor: argv without a shell, output
// captured, a deadline so a hung tool cannot hang the command.
import { spawn } from "node:child_process";

export interface ExecResult {
  /** Exit code; 127 when the program could not be started, 124 on timeout. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

export function exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + err.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) resolve({ code: 124, stdout, stderr: `${stderr}\n${argv[0]} did not finish within ${opts.timeoutMs} ms` });
      else resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** The last few non-empty lines of a failed command's output, for an error message. */
export function lastLines(r: ExecResult, n = 4): string {
  return (r.stderr.trim() || r.stdout.trim())
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(" | ");
}
