// A real registry for the tests: Debian's docker-registry (distribution 2.8)
// on 127.0.0.1 at a free port, storage in a temp dir, optionally behind
// htpasswd basic auth. Read-back goes through skopeo, an independent client.
// Both are found as every command finds them (tools/locate.ts).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { findTools, toolPath, toolSuite } from "../../support/real-tools.ts";
import { htpasswdLine } from "./bcrypt.ts";
import { tempDir } from "../../support/temp-dir.ts";

const execFileP = promisify(execFile);

const REGISTRY_TOOLS = ["docker-registry", "skopeo"] as const;
export const HAVE_REGISTRY_TOOLS = findTools(REGISTRY_TOOLS).missing.length === 0;

/**
 * describe() for suites that need the registry: skipped with a clear message
 * when the tools are missing on a developer machine, but failing under CI.
 */
export function registrySuite(name: string, fn: () => void): void {
  toolSuite(name, REGISTRY_TOOLS, fn);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestRegistry {
  host: string;
  dir: string;
  storage: string;
  stop(): Promise<void>;
  log(): string;
}

export async function startRegistry(opts: { user?: string; password?: string } = {}): Promise<TestRegistry> {
  const dir = tempDir("mwf-registry");
  const storage = path.join(dir, "storage");
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: "info", accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: storage }, delete: { enabled: true } },
      http: { addr: `127.0.0.1:${port}`, secret: "test-only-secret" },
    };
    if (opts.user) {
      const file = path.join(dir, "htpasswd");
      writeFileSync(file, htpasswdLine(opts.user, opts.password ?? "") + "\n");
      config.auth = { htpasswd: { realm: "mesh-wasm-filters-test", path: file } };
    }
    const cfgFile = path.join(dir, "config.yml");
    writeFileSync(cfgFile, stringify(config));
    let output = "";
    const child: ChildProcess = spawn(toolPath("docker-registry"), ["serve", cfgFile], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    let exited = false;
    child.on("exit", () => (exited = true));
    const host = `127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    while (!exited && Date.now() < deadline) {
      try {
        const res = await fetch(`http://${host}/v2/`);
        await res.body?.cancel();
        if (res.status === 200 || res.status === 401) {
          return {
            host,
            dir,
            storage,
            log: () => output,
            stop: async () => {
              if (!exited) {
                const done = new Promise((r) => child.once("exit", r));
                child.kill("SIGTERM");
                await done;
              }
              rmSync(dir, { recursive: true, force: true });
            },
          };
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!exited) child.kill("SIGKILL");
    if (!/address already in use/.test(output)) throw new Error(`docker-registry did not start:\n${output}`);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error("docker-registry: no free port after 5 attempts");
}

/** skopeo, with credentials (if any) in a temporary auth file rather than on the command line. */
export async function skopeo(args: string[], creds?: { username: string; password: string; host: string }): Promise<string> {
  let authDir: string | undefined;
  const pre: string[] = [];
  if (creds) {
    authDir = tempDir("mwf-skopeo-auth");
    const file = path.join(authDir, "auth.json");
    writeFileSync(file, JSON.stringify({ auths: { [creds.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString("base64") } } }), { mode: 0o600 });
    pre.push("--authfile", file);
  }
  try {
    const [cmd, ...rest] = args;
    const { stdout } = await execFileP(toolPath("skopeo"), [cmd!, ...pre, ...rest], { maxBuffer: 64 << 20, encoding: "utf8" });
    return stdout;
  } finally {
    if (authDir) rmSync(authDir, { recursive: true, force: true });
  }
}
