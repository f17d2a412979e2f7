// .ci/run: what CI runs on a fresh clone. It ends with exactly the README's
// test command (after npm ci, the pinned tools of `npm run setup` and doctor), installs only the Debian packages that are missing (as root, or
// through non-interactive sudo), and stops with a clear message when it cannot.
// Run here against stub commands that record how they were called.
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { tempDir } from "../support/temp-dir.ts";

const CI_RUN = path.join(PROJECT_ROOT, ".ci", "run");

/** The README's "run every test" command, from the block under "The two commands". */
function readmeTestCommand(): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## The two commands"));
  const m = /^(\S.*?)\s+#\s*build every filter, run every test\s*$/m.exec(section);
  if (!m) throw new Error("README.md: no test command under 'The two commands'");
  return m[1]!;
}

interface Stubs {
  uid?: number;
  nodeMajor?: number;
  present?: string[];
  sudo?: boolean;
}

/** Runs .ci/run with PATH holding only stubs; returns its exit code, output and the calls the stubs saw. */
function runWithStubs(s: Stubs) {
  const bin = tempDir("mwf-ci-stubs");
  const calls = path.join(bin, "calls.log");
  writeFileSync(calls, "");
  const stub = (name: string, body = "") => {
    writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >> "${calls}"\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  const major = s.nodeMajor ?? 20;
  stub("node", `[ "$1" = "-p" ] && echo ${major}; [ "$1" = "--version" ] && echo v${major}.0.0; exit 0`);
  stub("npm", `[ "$1" = "--version" ] && echo 11.0.0; exit 0`);
  stub("id", `echo ${s.uid ?? 1000}`);
  stub("apt-get");
  if (s.sudo) stub("sudo", `[ "$1" = "-n" ] && shift; exec "$@"`);
  for (const tool of s.present ?? ["git", "docker-registry", "skopeo"]) stub(tool);
  symlinkSync("/usr/bin/dirname", path.join(bin, "dirname"));
  const r = spawnSync("/bin/bash", [CI_RUN], { encoding: "utf8", env: { PATH: bin, HOME: bin } });
  const log = readFileSync(calls, "utf8").split("\n").filter((l) => l && !/^(node|id) /.test(l) && l !== "npm --version");
  return { code: r.status, out: `${r.stdout}${r.stderr}`, calls: log };
}

describe(".ci/run", () => {
  it("ends with exactly the README's test command, after npm ci and the tool setup", () => {
    const lines = readFileSync(CI_RUN, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    expect(readmeTestCommand()).toBe("npm test");
    expect(lines.at(-1)).toBe(readmeTestCommand());
    expect(lines.slice(-4, -1)).toEqual(["npm ci --no-audit --no-fund", "npm run setup", "node bin/mesh-filters.js doctor"]);
    expect(lines[0]).toBe("set -euo pipefail");
  });

  it("with everything installed: no apt-get, then npm ci and the tests (so a second run changes nothing)", () => {
    const r = runWithStubs({ uid: 0 });
    expect(r.code, r.out).toBe(0);
    expect(r.calls).toEqual(["npm ci --no-audit --no-fund", "npm run setup", "npm test"]);
  });

  it("installs only what is missing: as root directly, otherwise through non-interactive sudo", () => {
    const root = runWithStubs({ uid: 0, present: ["git", "docker-registry"] });
    expect(root.code, root.out).toBe(0);
    expect(root.calls).toEqual(["apt-get update -q", "apt-get install -y -q skopeo", "npm ci --no-audit --no-fund", "npm run setup", "npm test"]);
    const user = runWithStubs({ uid: 1000, sudo: true, present: ["git"] });
    expect(user.code, user.out).toBe(0);
    expect(user.calls).toEqual(["sudo -n apt-get update -q", "apt-get update -q", "sudo -n apt-get install -y -q docker-registry skopeo", "apt-get install -y -q docker-registry skopeo", "npm ci --no-audit --no-fund", "npm run setup", "npm test"]);
  });

  it("stops with a clear message when it cannot install, or Node is too old, before running anything", () => {
    const noSudo = runWithStubs({ uid: 1000, present: ["git", "docker-registry"] });
    expect(noSudo.code).toBe(1);
    expect(noSudo.out).toMatch(/missing skopeo and not root, no sudo: apt-get install -y skopeo/);
    expect(noSudo.calls).toEqual([]);
    const old = runWithStubs({ uid: 0, nodeMajor: 18 });
    expect(old.code).toBe(1);
    expect(old.out).toMatch(/Node.js v18.0.0 is too old: 20 or newer is required/);
    expect(old.calls).toEqual([]);
  });
});
