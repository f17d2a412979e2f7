// The Debian packages the tests use (docker-registry, skopeo, nghttp2-client
// for h2load), installed with apt-get when missing: directly as root, through
// `sudo -n` otherwise (never a password prompt in the middle of setup; with
// no usable sudo the reason says what to run).
import { exec, lastLines } from "./exec.ts";
import { onPath } from "./locate.ts";

export interface AptOptions {
  env?: NodeJS.ProcessEnv;
  /** Default: process.getuid(). */
  uid?: number;
  log?: (line: string) => void;
}

export type AptResult = { ok: true } | { ok: false; reason: string };

export function aptCommand(packages: string[]): string {
  return `apt-get update && apt-get install -y ${packages.join(" ")}`;
}

export async function aptInstall(packages: string[], opts: AptOptions = {}): Promise<AptResult> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const aptGet = onPath("apt-get", env);
  if (!aptGet) return { ok: false, reason: `apt-get not found (not a Debian-based system): install ${packages.join(", ")} with your package manager` };
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  let prefix: string[] = [];
  if (uid !== 0) {
    const sudo = onPath("sudo", env);
    if (!sudo) return { ok: false, reason: `not root and no sudo: run \`${aptCommand(packages)}\` as root` };
    prefix = [sudo, "-n"];
  }
  const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
  // sudo resets the environment; pass DEBIAN_FRONTEND on the command line too.
  const run = (args: string[]) => exec([...prefix, ...(prefix.length ? ["env", "DEBIAN_FRONTEND=noninteractive"] : []), aptGet, ...args], { env: aptEnv, timeoutMs: 20 * 60_000 });
  log(`apt-get: installing ${packages.join(" ")}`);
  const update = await run(["update", "-q"]);
  if (update.code !== 0) return { ok: false, reason: failure("apt-get update", update, packages, prefix.length > 0) };
  const install = await run(["install", "-y", "-q", "--no-install-recommends", ...packages]);
  if (install.code !== 0) return { ok: false, reason: failure("apt-get install", install, packages, prefix.length > 0) };
  return { ok: true };
}

function failure(what: string, r: Awaited<ReturnType<typeof exec>>, packages: string[], viaSudo: boolean): string {
  const said = lastLines(r, 2);
  if (viaSudo && /password is required|a terminal is required/i.test(said)) return `sudo needs a password: run \`sudo sh -c '${aptCommand(packages)}'\``;
  return `${what} failed (exit ${r.code}): ${said}`;
}
