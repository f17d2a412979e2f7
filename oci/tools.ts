// Running the external push tools (ORAS, skopeo); tools/locate.ts finds them.
import { spawn } from "node:child_process";
import { onInterrupt } from "./interrupt.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs argv without a shell (no quoting surprises); stdin is closed unless
 * `input` is given. If we are interrupted meanwhile, the tool is stopped too
 * (a `kill -INT` of our pid alone would otherwise leave it pushing).
 */
export function runTool(argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const unregister = onInterrupt(() => child.kill("SIGTERM"));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => {
      unregister();
      resolve({ code: 127, stdout, stderr: stderr + String(err.message) });
    });
    child.on("close", (code) => {
      unregister();
      resolve({ code: code ?? 1, stdout, stderr });
    });
    // A tool that exits without reading its input closes the pipe: its exit code says what happened,
    // so EPIPE here is not an error of ours (unhandled, it would kill the process).
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** A command line as a POSIX shell would need it typed (for --dry-run and docs). */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}
