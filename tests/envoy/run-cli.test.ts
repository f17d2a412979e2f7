// `mesh-filters run --engine envoy` through the real CLI: the README's example
// gives the same JSON shape (and the same decisions) as `--engine host`;
// filter state and logs agree between the engines; properties Envoy cannot
// produce, bad lines and a missing Envoy are clear errors with a non-zero exit.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { watToWasm } from "../../scripts/lib/validate-wasm.ts";
import { builtModule, envoySuite, ENVOY_BIN } from "./helpers.ts";
import { probeModule } from "./probe.ts";
import { tempDir } from "../support/temp-dir.ts";
import { cliAsync, type CliResult } from "../support/cli.ts";

const dir = tempDir("mesh-run-envoy");

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return cliAsync(["run", ...args], { cwd: PROJECT_ROOT, env: { ENVOY_BIN, ...env } });
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The README's `jsonl` example block of the `mesh-filters run` section. */
function readmeExample(): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## `mesh-filters run`"));
  const m = /```jsonl\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error("README: no ```jsonl example in the `mesh-filters run` section");
  return m[1]!;
}

/** A JSON value's shape: object keys and the types of leaves; arrays by the shapes of their elements. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return [...new Set(v.map((x) => JSON.stringify(shape(x))))].sort().map((x) => JSON.parse(x));
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return v === null ? "null" : typeof v;
}

const lines = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l));

envoySuite("mesh-filters run --engine envoy", () => {
  const headerAuth = () => ["--plugin", builtModule("header-auth"), "--root-id", "header_auth", "--config", "filters/header-auth/example-config.json"];

  it("the README's example gives the same JSON shape and the same decisions as --engine host", async () => {
    const requests = file("readme.jsonl", readmeExample());
    const host = await run([...headerAuth(), "--requests", requests]);
    const envoy = await run([...headerAuth(), "--requests", requests, "--engine", "envoy"]);
    expect(host.code, host.stderr).toBe(0);
    expect(envoy.code, envoy.stderr).toBe(0);
    const h = lines(host.stdout), e = lines(envoy.stdout);
    expect(e).toHaveLength(3);
    expect(e.map(shape)).toEqual(h.map(shape));
    const decided = (r: any) => ({
      status: r.response.status, local: r.response.local, details: r.response.details, body: r.response.body,
      reached: r.upstreamRequest !== null, principal: r.upstreamRequest?.headers.find(([k]: string[]) => k === "x-auth-principal")?.[1],
      filterState: r.filterState, logs: r.logs,
    });
    expect(e.map(decided)).toEqual(h.map(decided));
    expect(e.map((r: any) => r.response.status)).toEqual([200, 403, 401]);
    expect(e[1].response.details).toBe("header_auth_forbidden");
    // Envoy's own additions (engine/README.md) the host's engine now makes too (host/hcm/): the same names reach the upstream.
    const names = (r: any) => r.upstreamRequest.headers.map(([k]: string[]) => k).sort();
    expect(names(e[0])).toContain("x-request-id");
    expect(names(h[0])).toEqual(names(e[0]));
  });

  it("filter state, logs and Prometheus agree with the host", async () => {
    const probe = path.join(dir, "probe.wasm");
    writeFileSync(probe, await probeModule());
    const requests = file("probe.jsonl", `${JSON.stringify({ request: { headers: [[":path", "/"]] }, properties: { "xds.listener_direction": 1 } })}\n`);
    const tags = file("tags.json", JSON.stringify([{ tag_name: "reporter", regex: "(reporter=\\.=(.*?);\\.;)" }]));
    const node = file("node.json", JSON.stringify({ id: "sidecar~10.0.0.1~probe.ns~ns.svc.cluster.local", cluster: "probe.ns", metadata: { NAMESPACE: "ns" } }));
    const args = ["--plugin", probe, "--requests", requests, "--filter-state", "wasm.bin", "--filter-state", "wasm.dir", "--filter-state", "wasm.node",
      "--node", node, "--stats-tags", tags, "--metrics", "prometheus"];
    const host = await run(args);
    const envoy = await run([...args, "--engine", "envoy"]);
    expect(envoy.code, envoy.stderr).toBe(0);
    const first = (out: string) => JSON.parse(out.split("\n")[0]!);
    expect(first(envoy.stdout).filterState).toEqual({
      "wasm.bin": "base64:AP8BIgo=", "wasm.dir": "base64:AQAAAAAAAAA=", "wasm.node": "sidecar~10.0.0.1~probe.ns~ns.svc.cluster.local",
    });
    expect(first(envoy.stdout).filterState).toEqual(first(host.stdout).filterState);
    expect(first(envoy.stdout).logs).toEqual(first(host.stdout).logs);
    expect(first(envoy.stdout).logs.map((l: any) => `${l.level} ${l.plugin} ${l.message}`)).toEqual(["info probe request headers", "info probe on log", "warn probe on done"]);
    for (const out of [host.stdout, envoy.stdout]) expect(out).toMatch(/^probe_requests_total\{reporter="probe"\} 1$/m);
    expect(envoy.stdout).toMatch(/^envoy_http_downstream_rq_total\{/m);
  });

  it("a property Envoy cannot produce is an error naming the file and line; nothing runs", async () => {
    const requests = file("unproducible.jsonl", [
      JSON.stringify({ request: { headers: [] } }),
      JSON.stringify({ request: { headers: [] }, properties: { "request.time": 1 } }),
    ].join("\n"));
    const r = await run([...headerAuth(), "--requests", requests, "--engine", "envoy"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${requests}:2: property request.time: Envoy derives it from the traffic`);
    expect(r.stdout).toBe("");
  });

  it("a plugin that traps: each engine prints the trap on its stream's line, lists it on stderr and exits 1", async () => {
    const trapper = path.join(dir, "trap-on-demand.wasm");
    writeFileSync(trapper, await watToWasm(readFileSync(path.join(PROJECT_ROOT, "tests/fixtures/envoy/trap-on-demand.wat"), "utf8")));
    const requests = file("trap.jsonl", [
      JSON.stringify({ request: { headers: [[":path", "/ok"]] } }),
      JSON.stringify({ request: { headers: [[":path", "/trap"], ["x-trap", "1"]] } }),
      JSON.stringify({ request: { headers: [[":path", "/after"]] } }),
    ].join("\n"));
    for (const engine of ["host", "envoy"]) {
      const r = await run(["--plugin", trapper, "--requests", requests, "--engine", engine]);
      expect(r.code, `${engine}: ${r.stderr}`).toBe(1);
      const out = lines(r.stdout);
      expect(out.map((l: any) => [l.response.status, l.response.details]), engine).toEqual([[200, "via_upstream"], [503, "wasm_fail_stream"], [503, "wasm_fail_stream"]]);
      expect(out[0].traps, engine).toBeUndefined();
      expect(out[1].traps, engine).toEqual([{ plugin: "trap-on-demand", function: "proxy_on_request_headers", message: expect.stringMatching(/^Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/) }]);
      expect(out[2].traps, engine).toBeUndefined();
      expect(r.stderr, engine).toContain(`${requests}:2: plugin 'trap-on-demand' trapped in proxy_on_request_headers: Function: proxy_on_request_headers failed`);
    }
  });

  it("a reset stream carries the reason from Envoy's access log", async () => {
    const requests = file("reset.jsonl", `${JSON.stringify({ request: { headers: [[":path", "/"], ["content-type", "application/grpc"], ["x_spoofed", "1"]] } })}\n`);
    const r = await run(["--plugin", builtModule("add-header"), "--root-id", "add_header", "--config", "filters/add-header/example-config.json", "--requests", requests, "--engine", "envoy"]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]).toMatchObject({ reset: true, resetReason: "proxy reset the stream: http2.unexpected_underscore, response flags DR", response: { status: 0 } });
  });

  it("a rejected configuration names the module and carries our log line", async () => {
    const requests = file("one.jsonl", `${JSON.stringify({ request: { headers: [] } })}\n`);
    const r = await run(["--plugin", builtModule("add-header"), "--root-id", "add_header", "--config", '{"bogus":1}', "--requests", requests, "--engine", "envoy"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`plugin ${builtModule("add-header")}:`);
    expect(r.stderr).toContain("bogus");
  });
});

describe("mesh-filters run --engine envoy without Envoy", () => {
  let requests: string;
  beforeAll(() => {
    requests = file("plain.jsonl", `${JSON.stringify({ request: { headers: [] } })}\n`);
  });

  it("says which binary is wrong, or how to get one", async () => {
    const r = await run(["--plugin", builtModule("add-header"), "--requests", requests, "--engine", "envoy"], { ENVOY_BIN: path.join(dir, "no-such-envoy") });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`ENVOY_BIN=${path.join(dir, "no-such-envoy")} is not an executable file`);
  });

  it("an unknown engine is a usage error", async () => {
    const r = await run(["--plugin", builtModule("add-header"), "--requests", requests, "--engine", "nginx"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--engine must be one of host, envoy");
  });
});
