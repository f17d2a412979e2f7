// Runs the real `mesh-filters` CLI in a child process.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./fixture-project.ts";

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
