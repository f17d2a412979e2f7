// Credentials go nowhere they should not: the temporary auth file `push`
// hands to ORAS/skopeo is gone even when the push is interrupted, and the
// registry client sends Basic credentials only to a token realm on the
// registry's own host or over HTTPS (and never to an internal address a
// registry points at), the rules oras-go and Istio adopted against realm SSRF
// (the rules one by one: token-realm.test.ts).
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullArtifact, packageFilters, type PackageResult } from "../../oci/index.ts";
import { makeFixtureProject, REPO_ROOT, tempDir, type FixtureProject } from "./helpers/fixture-project.ts";
import { startFakeRegistry, type FakeRegistry } from "./helpers/fake-registry.ts";

const USER = "deployer";
const PASSWORD = "hunter2-in-the-auth-file";
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

let fx: FixtureProject;
let pkg: PackageResult;

beforeAll(async () => {
  fx = await makeFixtureProject({ filters: [{ name: "header-auth", rootIds: ["header_auth"] }] });
  pkg = packageFilters({ projectRoot: fx.root, env: { SOURCE_DATE_EPOCH: "1700000000" } });
});

async function waitFor<T>(probe: () => T | undefined, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("an interrupted push leaves no auth file behind", () => {
  let reg: FakeRegistry;
  beforeAll(async () => {
    reg = await startFakeRegistry(); // answers /v2/, so push gets as far as running the tool
  });
  afterAll(async () => reg?.close());

  /** An `oras` that records its pid and argv, then hangs (a registry that stalls the upload). */
  function stallingOras(): { bin: string; log: string } {
    const dir = tempDir("stalling-oras");
    const bin = path.join(dir, "bin");
    mkdirSync(bin);
    const log = path.join(dir, "call.json");
    writeFileSync(path.join(bin, "oras"), `#!/usr/bin/env node
require("fs").writeFileSync(${JSON.stringify(log)}, JSON.stringify({ pid: process.pid, argv: process.argv.slice(2) }));
setInterval(() => {}, 1000);
`);
    chmodSync(path.join(bin, "oras"), 0o755);
    return { bin, log };
  }

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} while ORAS runs: the auth file (and its directory) is removed, ORAS is stopped, nothing recorded`, async () => {
      const { bin, log } = stallingOras();
      const tmp = tempDir("push-tmp"); // the CLI's TMPDIR: where its auth directory goes
      const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "mesh-filters.js"), "push", "--registry", `${reg.host}/wasm`, "--plain-http", "--tool", "oras", "--variant", "wasm", "--username", USER, "--password-stdin"], {
        cwd: fx.root,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ORAS_BIN: path.join(bin, "oras"), TMPDIR: tmp, SOURCE_DATE_EPOCH: "" },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, sig) => resolve({ code, signal: sig })));
      child.stdin.end(PASSWORD);
      try {
        const call = await waitFor(() => (existsSync(log) ? (JSON.parse(readFileSync(log, "utf8")) as { pid: number; argv: string[] }) : undefined), `the fake oras to start (stderr: ${stderr})`);
        const authFile = call.argv[call.argv.indexOf("--to-registry-config") + 1]!;
        expect(authFile.startsWith(tmp)).toBe(true);
        expect(readFileSync(authFile, "utf8")).toContain(Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));

        child.kill(signal);
        const { code, signal: how } = await exited;
        expect(how ?? code).toBe(signal); // died of the signal it got, as an interrupted command should
        expect(existsSync(authFile)).toBe(false);
        expect(readdirSync(tmp).filter((n) => n.startsWith("mesh-filters-auth-"))).toEqual([]);
        await waitFor(() => {
          try {
            process.kill(call.pid, 0);
            return undefined;
          } catch {
            return true;
          }
        }, "the fake oras to be stopped", 5_000);
        expect(existsSync(path.join(fx.root, "dist", "pushed.json"))).toBe(false);
      } finally {
        child.kill("SIGKILL");
        if (existsSync(log)) {
          try {
            process.kill((JSON.parse(readFileSync(log, "utf8")) as { pid: number }).pid, "SIGKILL");
          } catch {
            /* already gone */
          }
        }
      }
    });
  }
});

describe("Basic credentials and bearer token realms", () => {
  const credentials = { username: USER, password: PASSWORD };
  let reg: FakeRegistry;
  let tokenServer: FakeRegistry;
  let realm = "";

  beforeAll(async () => {
    reg = await startFakeRegistry();
    reg.put("wasm/header-auth", "0.1.0", pkg.artifacts.find((a) => a.tag === "header-auth")!.artifact);
    // Everything but the ping wants a token from `realm`; the token "good" is accepted.
    reg.route((req, res) => {
      if (req.url === "/v2/" || req.headers.authorization === "Bearer good") return false;
      res.writeHead(401, { "www-authenticate": `Bearer realm="${realm}",service="fake"` }).end();
      return true;
    });
    tokenServer = await startFakeRegistry("127.0.0.2"); // another host (a loopback alias on Linux)
    tokenServer.route((req, res) => {
      if (!req.url?.startsWith("/token")) return false;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "good" }));
      return true;
    });
  });
  afterAll(async () => {
    await reg?.close();
    await tokenServer?.close();
  });

  it("a realm on another, internal host is refused before anything is sent to it", async () => {
    realm = `http://${tokenServer.host}/token`;
    await expect(pullArtifact(`${reg.host}/wasm/header-auth:0.1.0`, { plainHttp: true, credentials })).rejects.toThrow(
      `registry ${reg.host}: rejected unsafe bearer realm '${realm}': 127.0.0.2 is a loopback, private, link-local or unspecified address and not the registry's host`,
    );
    expect(tokenServer.requests).toEqual([]);
  });

  it("a realm on the registry's own host (another port) gets the credentials and the pull works", async () => {
    const sameHost = await startFakeRegistry("127.0.0.1");
    sameHost.route((req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "good" }));
      return true;
    });
    try {
      realm = `http://${sameHost.host}/token`;
      const a = await pullArtifact(`${reg.host}/wasm/header-auth:0.1.0`, { plainHttp: true, credentials });
      expect(a.manifestDigest).toBe(pkg.artifacts.find((x) => x.tag === "header-auth")!.manifestDigest);
      expect(sameHost.requests[0]!.authorization).toBe(BASIC);
      expect(sameHost.requests[0]!.url).toMatch(/^\/token\?service=fake&scope=repository%3Awasm%2Fheader-auth%3Apull$/);
    } finally {
      await sameHost.close();
    }
  });

  it("a realm that redirects does not take the credentials along", async () => {
    const redirector = await startFakeRegistry("127.0.0.1");
    redirector.route((_req, res) => {
      res.writeHead(302, { location: `http://${tokenServer.host}/token` }).end();
      return true;
    });
    try {
      realm = `http://${redirector.host}/token`;
      const before = tokenServer.requests.length;
      await expect(pullArtifact(`${reg.host}/wasm/header-auth:0.1.0`, { plainHttp: true, credentials })).rejects.toThrow(/answered a redirect \(HTTP 302\); credentials are not sent on/);
      expect(tokenServer.requests.length).toBe(before);
    } finally {
      await redirector.close();
    }
  });
});
