// `mesh-filters run` through the real CLI: the JSON Lines contract, filter state encoding,
// Prometheus output, and clear errors that name the file and line.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import { wat, data, arg } from "./wat.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const exec = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), "mesh-run-"));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec("node", [path.join(ROOT, "bin/mesh-filters.js"), "run", ...args], { cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

let stateWasm: string;
beforeAll(async () => {
  // Stores printable and binary filter state, reads the node id and the listener direction,
  // counts requests in a tagged counter, and logs.
  const prelude = readFileSync(path.join(ROOT, "tests/fixtures/host/prelude.wat"), "utf8");
  const name = "reporter=.=x;.;requests_total";
  const bin = await wat(`(module ${prelude}
    ${data(1024, "text")} ${data(1030, "hello")} ${data(1040, "bin")} (data (i32.const 1050) "\\00\\ff\\01")
    ${data(1060, "node\u0000id")} ${data(1080, "node_id")} ${data(1100, "listener_direction")} ${data(1130, "dir")} ${data(1140, name)} ${data(1200, "seen")}
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $set_property ${arg(1024, "text")} ${arg(1030, "hello")}))
      (drop (call $set_property ${arg(1040, "bin")} (i32.const 1050) (i32.const 3)))
      (drop (call $get_property ${arg(1060, "node\u0000id")} (i32.const 0) (i32.const 4)))
      (drop (call $set_property ${arg(1080, "node_id")} (i32.load (i32.const 0)) (i32.load (i32.const 4))))
      (drop (call $get_property ${arg(1100, "listener_direction")} (i32.const 0) (i32.const 4)))
      (drop (call $set_property ${arg(1130, "dir")} (i32.load (i32.const 0)) (i32.const 1)))
      (drop (call $define_metric (i32.const 0) ${arg(1140, name)} (i32.const 16)))
      (drop (call $increment_metric (i32.load (i32.const 16)) (i64.const 1)))
      (drop (call $log (i32.const 2) ${arg(1200, "seen")}))
      (i32.const 0)))`);
  stateWasm = path.join(dir, "state.wasm");
  writeFileSync(stateWasm, bin);
});

describe("mesh-filters run", () => {
  test("one JSON line per stream; filter state as text or base64; node and properties; Prometheus after the last stream", async () => {
    const reqs = file("reqs.jsonl", [
      JSON.stringify({ request: { headers: [[":path", "/a"], ["host", "h"]] }, upstream: { status: 201, headers: [["u", "1"]], body: "ok" }, properties: { "xds.listener_direction": 2 } }),
      "",
      JSON.stringify({ request: { headers: [[":path", "/b"]], body: "payload" } }),
    ].join("\n"));
    const node = file("node.json", JSON.stringify({ id: "sidecar~1.2.3.4~p.ns~ns.svc.cluster.local", metadata: { NAMESPACE: "ns" } }));
    const tags = file("tags.json", JSON.stringify([{ tag_name: "reporter", regex: "(reporter=\\.=(.*?);\\.;)" }]));
    const r = await cli(["--plugin", stateWasm, "--requests", reqs, "--node", node, "--stats-tags", tags, "--metrics", "prometheus"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [l1, l2, ...rest] = r.stdout.split("\n");
    const a = JSON.parse(l1!), b = JSON.parse(l2!);
    expect(a.upstreamRequest.headers).toContainEqual([":authority", "h"]);
    expect(a.response).toEqual({ status: 201, headers: [[":status", "201"], ["u", "1"]], body: "ok", local: false, details: "via_upstream" });
    expect(a.filterState).toEqual({
      "wasm.text": "hello", "wasm.bin": "base64:AP8B", "wasm.node_id": "sidecar~1.2.3.4~p.ns~ns.svc.cluster.local", "wasm.dir": "base64:Ag==",
    });
    expect(a.logs).toEqual([{ level: "info", plugin: "state", message: "seen" }]);
    expect(b.upstreamRequest.body).toBe("payload");
    expect(b.response.status).toBe(200);
    expect(rest.join("\n")).toContain('# TYPE requests_total counter\nrequests_total{reporter="x"} 2\n');
  });

  test("the starter filter (build/add-header.wasm) adds its header to responses", async () => {
    const wasm = path.join(ROOT, "build/add-header.wasm");
    if (!existsSync(wasm)) throw new Error("build/add-header.wasm missing: run `npx mesh-filters build` first");
    const reqs = file("starter.jsonl", JSON.stringify({ request: { headers: [[":path", "/"]] }, upstream: { status: 200, body: "hi" } }) + "\n");
    const r = await cli(["--plugin", wasm, "--root-id", "add_header", "--config", '{"name":"x-test","value":"yes"}', "--requests", reqs]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.response.headers).toContainEqual(["x-test", "yes"]);
    expect(out.response.body).toBe("hi");
  });

  test("a rejected configuration fails with the module's own log lines", async () => {
    const wasm = path.join(ROOT, "build/add-header.wasm");
    const reqs = file("one.jsonl", JSON.stringify({ request: { headers: [] } }) + "\n");
    const r = await cli(["--plugin", wasm, "--root-id", "add_header", "--config", '{"bogus":1}', "--requests", reqs]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("add-header.wasm");
    expect(r.stderr).toContain("bogus");
  });

  test("a bad JSON line is an error naming the file and line; nothing is run", async () => {
    const reqs = file("bad.jsonl", JSON.stringify({ request: { headers: [] } }) + "\n{oops\n");
    const r = await cli(["--plugin", stateWasm, "--requests", reqs]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${reqs}:2: invalid JSON`);
    expect(r.stdout).toBe("");
  });

  test("a malformed stream shape names the line too", async () => {
    const reqs = file("shape.jsonl", JSON.stringify({ request: { headers: [["only-one"]] } }) + "\n");
    const r = await cli(["--plugin", stateWasm, "--requests", reqs]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${reqs}:1: request.headers must be an array`);
  });

  test("an unreadable module is an error naming the file", async () => {
    const reqs = file("ok.jsonl", JSON.stringify({ request: { headers: [] } }) + "\n");
    const r = await cli(["--plugin", path.join(dir, "missing.wasm"), "--requests", reqs]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("missing.wasm");
  });

  test("--root-id before any --plugin is a usage error", async () => {
    const r = await cli(["--root-id", "x", "--requests", "r.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--root-id must follow the --plugin");
  });
});
