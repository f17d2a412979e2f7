// `mesh-filters run` through the real CLI: the JSON Lines contract, filter state encoding,
// Prometheus output, and clear errors that name the file and line.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { wat, data, arg } from "./wat.ts";
import { tempDir } from "../support/temp-dir.ts";
import { cliAsync, type CliResult } from "../support/cli.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dir = tempDir("mesh-run");

function cli(args: string[], input?: string): Promise<CliResult> {
  return cliAsync(["run", ...args], { cwd: ROOT, input });
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
    // What Envoy's router and connection manager add around the filters (host/hcm/, the run's engine models them).
    expect(a.response).toMatchObject({ status: 201, body: "ok", local: false, details: "via_upstream" });
    expect(a.response.headers.map(([k]: [string, string]) => k)).toEqual([":status", "u", "x-envoy-upstream-service-time", "date", "server"]);
    expect(a.response.headers).toContainEqual(["server", "envoy"]);
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

  test("a reset stream says so (reset, resetReason); ordinary lines keep the exact old shape", async () => {
    const prelude = readFileSync(path.join(ROOT, "tests/fixtures/host/prelude.wat"), "utf8");
    const closer = path.join(dir, "closer.wasm");
    // Closes the stream when the request has a "close" header.
    writeFileSync(closer, await wat(`(module ${prelude} ${data(1024, "close")}
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (if (i32.eqz (call $get_header (i32.const 0) ${arg(1024, "close")} (i32.const 0) (i32.const 4)))
          (then (drop (call $close_stream (i32.const 0)))))
        (i32.const 0)))`));
    const reqs = file("reset.jsonl", [
      JSON.stringify({ request: { headers: [[":path", "/"]] } }),
      JSON.stringify({ request: { headers: [[":path", "/"], ["close", "1"]] } }),
    ].join("\n"));
    const r = await cli(["--plugin", closer, "--requests", reqs]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [plain, reset] = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(Object.keys(plain)).toEqual(["upstreamRequest", "response", "filterState", "logs"]);
    expect(reset.upstreamRequest).toBeNull();
    expect(reset.reset).toBe(true);
    expect(reset.resetReason).toBe("plugin 'closer' called proxy_close_stream(request)");
    expect(reset.response.details).toBe("wasm_close_stream");
  });

  test("a trap is in the stream's line (traps: plugin, function, message), every stream still runs, and run exits 1", async () => {
    const hostile = path.join(dir, "hostile.wasm");
    writeFileSync(hostile, await wat(readFileSync(path.join(ROOT, "tests/fixtures/host/hostile.wat"), "utf8")));
    const trapConfig = file("trap-config.txt", "t"); // hostile.wat traps in on_request_headers with this configuration
    const reqs = file("trap.jsonl", [JSON.stringify({ request: { headers: [] } }), JSON.stringify({ request: { headers: [] } })].join("\n"));
    const r = await cli(["--plugin", hostile, "--config", trapConfig, "--requests", reqs]);
    expect(r.code).toBe(1);
    const [first, second] = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(first.response).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(first.traps).toHaveLength(1);
    expect(first.traps[0]).toMatchObject({ plugin: "hostile", function: "proxy_on_request_headers" });
    expect(first.traps[0].message).toMatch(/^Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/);
    expect(second.traps).toBeUndefined(); // the failed VM is not called again: later streams just fail
    expect(second.response.status).toBe(503);
    expect(r.stderr).toContain(`${reqs}:1: plugin 'hostile' trapped in proxy_on_request_headers: Function: proxy_on_request_headers failed`);
  });

  test("bad values inside a line, and bad --node, --stats-tags and --config files, name the file (and line); nothing runs", async () => {
    const ok = file("fine.jsonl", JSON.stringify({ request: { headers: [] } }) + "\n");
    const nullProp = file("null-prop.jsonl", JSON.stringify({ request: { headers: [] } }) + "\n" + JSON.stringify({ request: { headers: [] }, properties: { "source.address": null } }) + "\n");
    let r = await cli(["--plugin", stateWasm, "--requests", nullProp]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${nullProp}:2: properties["source.address"]: null property values cannot be serialized`);
    const badStatus = file("status.jsonl", JSON.stringify({ request: { headers: [] }, upstream: { status: 0 } }) + "\n");
    r = await cli(["--plugin", stateWasm, "--requests", badStatus]);
    expect(r.stderr).toContain(`${badStatus}:1: upstream.status must be an integer from 100 to 999`);
    const tags = file("bad-tags.json", JSON.stringify([{ tag_name: "reporter", regex: "(unclosed" }]));
    r = await cli(["--plugin", stateWasm, "--requests", ok, "--stats-tags", tags]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--stats-tags ${tags}: [0].regex: Invalid regular expression`);
    const node = file("bad-node.json", JSON.stringify({ id: 7 }));
    r = await cli(["--plugin", stateWasm, "--requests", ok, "--node", node]);
    expect(r.stderr).toContain(`--node ${node}: "id" must be a string`);
    r = await cli(["--plugin", stateWasm, "--config", dir, "--requests", ok]);
    expect(r.stderr).toContain(`--config ${dir}: not a regular file`);
  });

  test("--root-id before any --plugin is a usage error", async () => {
    const r = await cli(["--root-id", "x", "--requests", "r.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--root-id must follow the --plugin");
  });

  test("a key the contract does not know, at any level, is an error naming file:line and the key; nothing runs", async () => {
    const lines = (line: object) => file("typo.jsonl", JSON.stringify({ request: { headers: [] } }) + "\n" + JSON.stringify(line) + "\n");
    let f = lines({ request: { headers: [] }, upsteam: { status: 500 } });
    let r = await cli(["--plugin", stateWasm, "--requests", f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${f}:2: unknown key "upsteam" (a line takes request, upstream, properties). Did you mean 'upstream'?`);
    f = lines({ request: { headers: [], trailer: [] } });
    r = await cli(["--plugin", stateWasm, "--requests", f]);
    expect(r.stderr).toContain(`${f}:2: unknown key "request.trailer" (request takes headers, body, trailers). Did you mean 'trailers'?`);
    f = lines({ request: { headers: [] }, upstream: { stauts: 503 } });
    r = await cli(["--plugin", stateWasm, "--requests", f]);
    expect(r.stderr).toContain(`${f}:2: unknown key "upstream.stauts" (upstream takes status, headers, body, trailers). Did you mean 'status'?`);
  });

  test("--requests - reads the streams from standard input", async () => {
    const input = [{ request: { headers: [[":path", "/a"]] } }, { request: { headers: [[":path", "/b"]] }, upstream: { status: 204 } }].map((l) => JSON.stringify(l)).join("\n") + "\n";
    const r = await cli(["--plugin", stateWasm, "--requests", "-"], input);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(out.map((o) => o.response.status)).toEqual([200, 204]);
    const bad = await cli(["--plugin", stateWasm, "--requests", "-"], "{not json\n");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("-:1: invalid JSON");
  });

  test("an unknown option is a usage error with a suggestion", async () => {
    const r = await cli(["--plugin", stateWasm, "--request", "x.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("mesh-filters run: unknown option '--request'. Did you mean '--requests'?");
    expect(r.stderr).toContain("Usage: mesh-filters run");
  });
});
