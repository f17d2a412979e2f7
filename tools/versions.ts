// What version each external tool reports, parsed from its own version output.
import { exec } from "./exec.ts";
import type { ToolName } from "./locate.ts";

interface VersionProbe {
  args: string[];
  pattern: RegExp;
}

/** How to ask each tool its version, and where the number is in the answer. */
const PROBES: Record<ToolName, VersionProbe> = {
  // `envoy --version`: "envoy  version: <40 hex>/1.40.0/Clean/RELEASE/BoringSSL"
  envoy: { args: ["--version"], pattern: /version: [0-9a-f]+\/(\d+\.\d+\.\d+[\w.-]*)\// },
  // `oras version`: "Version:    1.3.3"
  oras: { args: ["version"], pattern: /^Version:\s+(\S+)/m },
  // "skopeo version 1.9.3"
  skopeo: { args: ["--version"], pattern: /skopeo version (\S+)/ },
  // "docker-registry github.com/docker/distribution 2.8.2+ds1"
  "docker-registry": { args: ["--version"], pattern: /distribution v?(\d+\.\d+\.\d+\S*)/ },
  // "h2load nghttp2/1.52.0"
  h2load: { args: ["--version"], pattern: /nghttp2\/(\S+)/ },
  // "wrk debian/4.1.0-3+b2 [epoll] ..." (wrk -v exits 1 after printing its usage)
  wrk: { args: ["-v"], pattern: /^wrk (?:\S+\/)?(\d+\.\d+\.\d+\S*)/m },
  // "go version go1.26.8 linux/amd64"
  go: { args: ["version"], pattern: /go version go(\d+\.\d+(?:\.\d+)?)/ },
  // "Python 3.11.7"
  python3: { args: ["--version"], pattern: /Python (\S+)/ },
};

export function parseVersion(name: ToolName, output: string): string | undefined {
  return PROBES[name].pattern.exec(output)?.[1];
}

/** The tool's version, or undefined with the reason when it cannot be told. */
export async function toolVersion(name: ToolName, bin: string, env: NodeJS.ProcessEnv = process.env): Promise<{ version?: string; error?: string }> {
  const r = await exec([bin, ...PROBES[name].args], { env, timeoutMs: 20_000 });
  const version = parseVersion(name, r.stdout + "\n" + r.stderr);
  if (version) return { version };
  const said = (r.stderr.trim() || r.stdout.trim()).split("\n")[0] ?? "";
  return { error: `\`${bin} ${PROBES[name].args.join(" ")}\` exited ${r.code}${said ? `: ${said}` : " with no version"}` };
}

/** Compares dotted numeric versions: negative when a < b. Non-numeric suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => parseInt(x, 10));
  const pb = b.split(/[.+-]/).map((x) => parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.isNaN(pa[i] ?? 0) ? 0 : (pa[i] ?? 0);
    const y = Number.isNaN(pb[i] ?? 0) ? 0 : (pb[i] ?? 0);
    if (x !== y) return x - y;
  }
  return 0;
}

/** A pinned version written with a leading `v` (ORAS's Go module tag) as the tool prints it. */
export function bareVersion(v: string): string {
  return v.replace(/^v/, "");
}
