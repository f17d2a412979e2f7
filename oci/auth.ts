// Registry credentials. Passwords never go on a command line (visible in `ps`
// and shell history): the CLI reads them from stdin, and tools we run get them
// through a temporary docker-config auth file (0600, in a 0700 directory,
// removed afterwards, also when the user interrupts). Without flags the usual
// files are used, in the order skopeo/podman and docker look them up.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { onInterrupt } from "./interrupt.ts";

export interface Credentials {
  username: string;
  password: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
}

export function defaultAuthFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  files.push(path.join(env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker"), "config.json"));
  return files;
}

function keysFor(host: string): string[] {
  const keys = [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
  if (host === "docker.io" || host === "registry-1.docker.io") keys.push("https://index.docker.io/v1/", "index.docker.io");
  return keys;
}

/** Credentials for `host` from a docker config.json-format file, if it has any. */
export function credentialsFromAuthFile(file: string, host: string): Credentials | undefined {
  let cfg: DockerConfig;
  try {
    cfg = JSON.parse(readFileSync(file, "utf8")) as DockerConfig;
  } catch {
    return undefined;
  }
  for (const key of keysFor(host)) {
    const e = cfg.auths?.[key];
    if (!e) continue;
    if (e.username !== undefined && e.password !== undefined) return { username: e.username, password: e.password };
    if (e.auth) {
      const decoded = Buffer.from(e.auth, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
  }
  return undefined;
}

export function resolveCredentials(host: string, opts: { credentials?: Credentials; authFile?: string; env?: NodeJS.ProcessEnv }): Credentials | undefined {
  if (opts.credentials) return opts.credentials;
  const files = opts.authFile ? [opts.authFile] : defaultAuthFiles(opts.env);
  for (const f of files) {
    const c = credentialsFromAuthFile(f, host);
    if (c) return c;
  }
  return undefined;
}

export interface TempAuthFile {
  path: string;
  dispose(): void;
}

/**
 * A docker config.json holding only `host`'s credentials, for --dest-authfile /
 * --to-registry-config. Removed by dispose(), at exit, and on SIGINT, SIGTERM
 * or SIGHUP: the password never outlives the command.
 */
export function writeTempAuthFile(host: string, creds: Credentials): TempAuthFile {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mesh-filters-auth-")); // mkdtemp creates it 0700
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onInterrupt(remove);
  const file = path.join(dir, "auth.json");
  const auth = Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64");
  try {
    writeFileSync(file, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
  } catch (err) {
    unregister();
    remove();
    throw err;
  }
  return {
    path: file,
    dispose: () => {
      unregister();
      remove();
    },
  };
}
