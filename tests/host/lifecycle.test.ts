// The stream lifecycle as Envoy's FilterManager drives Wasm filters: order through a chain,
// local replies, StopIteration + proxy_continue_stream, body buffering and replacement,
// close_stream, and the end of stream (on_log before on_done/on_delete).
import { describe, expect, test } from "vitest";
import { ProxyWasmHost } from "../../host/index.ts";
import { arg, data, messages, mod, VM_OK } from "./wat.ts";

/** A module that logs "<tag>:<callback>" for every stream callback and continues. */
function tracer(tag: string, overrides: Record<string, string> = {}): Promise<Uint8Array> {
  const cbs: [string, string, string][] = [
    ["proxy_on_context_create", "(param i32 i32)", ""],
    ["proxy_on_request_headers", "(param i32 i32 i32) (result i32)", "(i32.const 0)"],
    ["proxy_on_request_body", "(param i32 i32 i32) (result i32)", "(i32.const 0)"],
    ["proxy_on_request_trailers", "(param i32 i32) (result i32)", "(i32.const 0)"],
    ["proxy_on_response_headers", "(param i32 i32 i32) (result i32)", "(i32.const 0)"],
    ["proxy_on_response_body", "(param i32 i32 i32) (result i32)", "(i32.const 0)"],
    ["proxy_on_response_trailers", "(param i32 i32) (result i32)", "(i32.const 0)"],
    ["proxy_on_log", "(param i32)", ""],
    ["proxy_on_done", "(param i32) (result i32)", "(i32.const 1)"],
    ["proxy_on_delete", "(param i32)", ""],
  ];
  let addr = 2048;
  const parts = cbs.map(([name, sig, ret]) => {
    const msg = `${tag}:${name.replace("proxy_on_", "")}`;
    const a = addr; addr += 64;
    return `${data(a, msg)} (func (export "${name}") ${sig} (drop (call $log (i32.const 2) ${arg(a, msg)})) ${overrides[name] ?? ret})`;
  });
  return mod(VM_OK + LOCAL_DATA + parts.join("\n"));
}

describe("chain order", () => {
  test("request in order, response in reverse, then on_log for all, then on_done/on_delete for all", async () => {
    const host = new ProxyWasmHost();
    const a = await host.loadPlugin({ module: await tracer("A"), name: "a" });
    const b = await host.loadPlugin({ module: await tracer("B"), name: "b" });
    const r = await host.chain([a, b]).send({ request: { headers: [], body: "x" }, upstream: { status: 200, body: "y" } });
    expect(messages(r.logs)).toEqual([
      "A:context_create", "A:request_headers", "B:context_create", "B:request_headers",
      "A:request_body", "B:request_body",
      "B:response_headers", "A:response_headers", "B:response_body", "A:response_body",
      "A:log", "B:log", "A:done", "A:delete", "B:done", "B:delete",
    ]);
    expect(r.logs.map((l) => l.plugin).slice(0, 2)).toEqual(["a", "a"]);
    expect(r.response).toMatchObject({ status: 200, local: false, details: "via_upstream" });
  });

  test("end_of_stream flags: headers-only request has end_of_stream=1 on headers", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(`${VM_OK}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (call $log_num (local.get 2)) (i32.const 0))
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (call $log_num (local.get 1)) (call $log_num (local.get 2)) (i32.const 0))`) });
    const c = host.chain([p]);
    expect(messages((await c.send({ request: { headers: [] } })).logs)).toEqual(["1"]);
    expect(messages((await c.send({ request: { headers: [], body: "abc" } })).logs)).toEqual(["0", "3", "1"]);
    expect(messages((await c.send({ request: { headers: [], body: "abc", trailers: [["t", "1"]] } })).logs)).toEqual(["0", "3", "0"]);
  });
});

const LOCAL_DATA = `${data(1024, "denied by policy")} ${data(1060, "nope")} ${data(1100, "\u0001\u0000\u0000\u0000\u0006\u0000\u0000\u0000\u0001\u0000\u0000\u0000x-deny\u0000y\u0000")}`;
const LOCAL = `
  (call $log_num (call $send_local_response (i32.const 403) ${arg(1024, "denied by policy")} ${arg(1060, "nope")} (i32.const 1100) (i32.const 23) (i32.const -1)))`;

describe("local responses", () => {
  test("later plugins and the upstream never see the request; the reply passes back through the caller and earlier plugins", async () => {
    const host = new ProxyWasmHost();
    const a = await host.loadPlugin({ module: await tracer("A"), name: "a" });
    // B replies locally from on_request_headers and returns Continue: Envoy overrides it to stop.
    const b = await host.loadPlugin({ module: await tracer("B", { proxy_on_request_headers: `${LOCAL} (i32.const 0)` }), name: "b" });
    const c = await host.loadPlugin({ module: await tracer("C"), name: "c" });
    let upstreamCalled = false;
    const r = await host.chain([a, b, c]).send({ request: { headers: [] }, upstream: () => { upstreamCalled = true; return { status: 200 }; } });
    expect(upstreamCalled).toBe(false);
    expect(r.upstreamRequest).toBeNull();
    expect(messages(r.logs)).toEqual([
      "A:context_create", "A:request_headers", "B:context_create", "B:request_headers", "0",
      "B:response_headers", "A:response_headers", "B:response_body", "A:response_body",
      // C never saw the request, yet Envoy's Context::log creates it so on_log runs.
      "A:log", "B:log", "C:context_create", "C:log",
      "A:done", "A:delete", "B:done", "B:delete", "C:done", "C:delete",
    ]);
    expect(r.response.status).toBe(403);
    expect(r.response.local).toBe(true);
    // Whitespace in details becomes '_' (envoy StringUtil::replaceAllEmptySpace).
    expect(r.response.details).toBe("denied_by_policy");
    expect(Buffer.from(r.response.body).toString()).toBe("nope");
    expect(r.response.headers).toEqual([[":status", "403"], ["x-deny", "y"], ["content-length", "4"], ["content-type", "text/plain"]]);
  });

  test("response.code and response.code_details are visible in on_log", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${LOCAL_DATA} ${data(2048, "response\u0000code_details")} ${data(2100, "response\u0000code")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${LOCAL} (i32.const 0))
      (func (export "proxy_on_log") (param i32)
        (drop (call $get_property ${arg(2048, "response\u0000code_details")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (drop (call $get_property ${arg(2100, "response\u0000code")} (i32.const 0) (i32.const 4)))
        (call $log_num (i32.load (i32.load (i32.const 0)))))`) });
    const r = await host.chain([p]).send({ request: { headers: [] } });
    expect(messages(r.logs)).toEqual(["0", "denied_by_policy", "403"]);
  });

  test("a local reply from on_response_headers replaces the response without running the remaining encoders", async () => {
    const host = new ProxyWasmHost();
    const a = await host.loadPlugin({ module: await tracer("A") });
    const b = await host.loadPlugin({ module: await tracer("B", { proxy_on_response_headers: `${LOCAL} (i32.const 0)` }) });
    const r = await host.chain([a, b]).send({ request: { headers: [] }, upstream: { status: 200, body: "upstream body" } });
    expect(r.upstreamRequest).not.toBeNull();
    expect(r.response.status).toBe(403);
    expect(Buffer.from(r.response.body).toString()).toBe("nope");
    const m = messages(r.logs);
    expect(m.slice(m.indexOf("B:response_headers"))).toEqual(["B:response_headers", "0", "A:log", "B:log", "A:done", "A:delete", "B:done", "B:delete"]);
  });

  test("gRPC requests get a trailers-only gRPC reply carrying the status", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "d")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $send_local_response (i32.const 401) ${arg(1024, "d")} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 7))) (i32.const 0))`) });
    const r = await host.chain([p]).send({ request: { headers: [["content-type", "application/grpc"]] } });
    expect(r.response.status).toBe(200);
    expect(r.response.headers).toContainEqual(["grpc-status", "7"]);
  });
});

describe("stopping and continuing", () => {
  test("StopIteration on request headers holds the request until proxy_continue_stream (after an http call)", async () => {
    const host = new ProxyWasmHost();
    host.registerHttpUpstream("authz", async (req) => {
      await new Promise((r) => setTimeout(r, 5));
      return { headers: [[":status", "200"], ["x-authz", "ok"]], body: req.headers.find(([k]) => k === ":path")![1] };
    });
    const pairs = "\u0003\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0006\u0000\u0000\u0000\u0007\u0000\u0000\u0000\u0003\u0000\u0000\u0000\n\u0000\u0000\u0000\u0005\u0000\u0000\u0000:path\u0000/check\u0000:method\u0000GET\u0000:authority\u0000authz.svc\u0000";
    const a = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "authz")} ${data(1100, pairs)} ${data(1300, "x-authz")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $http_call ${arg(1024, "authz")} (i32.const 1100) (i32.const ${Buffer.byteLength(pairs)}) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 16)))
        (call $log_num (i32.load (i32.const 16)))
        (i32.const 1))
      (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32)
        (call $log_num (local.get 1)) (call $log_num (local.get 2)) (call $log_num (local.get 3))
        (drop (call $get_header (i32.const 6) ${arg(1300, "x-authz")} (i32.const 0) (i32.const 4))) (call $log_ret)
        (drop (call $get_buffer (i32.const 4) (i32.const 0) (local.get 3) (i32.const 0) (i32.const 4))) (call $log_ret)
        (drop (call $continue_stream (i32.const 0))))`) });
    const b = await host.loadPlugin({ module: await tracer("B") });
    const r = await host.chain([a, b]).send({ request: { headers: [] } });
    expect(messages(r.logs)).toEqual(["0", "1", "1", "2", "6", "ok", "/check",
      "B:context_create", "B:request_headers", "B:response_headers", "B:log", "B:done", "B:delete"]);
    expect(r.upstreamRequest).not.toBeNull();
  });

  test("http_call to an unknown cluster is BadArgument; missing :authority is BadArgument", async () => {
    const host = new ProxyWasmHost();
    host.registerHttpUpstream("known", () => ({}));
    const pairs = "\u0001\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0001\u0000\u0000\u0000:path\u0000/\u0000";
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "nope")} ${data(1040, "known")} ${data(1100, pairs)}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $http_call ${arg(1024, "nope")} (i32.const 1100) (i32.const ${Buffer.byteLength(pairs)}) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 16)))
        (call $log_num (call $http_call ${arg(1040, "known")} (i32.const 1100) (i32.const ${Buffer.byteLength(pairs)}) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 16)))
        (i32.const 0))`) });
    expect(messages((await host.chain([p]).send({ request: { headers: [] } })).logs)).toEqual(["2", "2"]);
  });

  test("a failed http call delivers zero sizes and status BrokenConnection/reset", async () => {
    const host = new ProxyWasmHost();
    host.registerHttpUpstream("c", () => { throw new Error("connect refused"); });
    const pairs = "\u0003\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0001\u0000\u0000\u0000\u0007\u0000\u0000\u0000\u0003\u0000\u0000\u0000\n\u0000\u0000\u0000\u0001\u0000\u0000\u0000:path\u0000/\u0000:method\u0000GET\u0000:authority\u0000a\u0000";
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "c")} ${data(1100, pairs)}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $http_call ${arg(1024, "c")} (i32.const 1100) (i32.const ${Buffer.byteLength(pairs)}) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 16)))
        (i32.const 1))
      (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32)
        (call $log_num (local.get 2)) (call $log_num (local.get 3))
        (drop (call $get_status (i32.const 16) (i32.const 0) (i32.const 4))) (call $log_num (i32.load (i32.const 16))) (call $log_ret)
        (drop (call $continue_stream (i32.const 0))))`) });
    expect(messages((await host.chain([p]).send({ request: { headers: [] } })).logs)).toEqual(["0", "0", "11", "reset"]);
  });

  test("a stream nobody continues ends as Envoy's stream idle timeout would (408 stream_idle_timeout)", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await tracer("A", { proxy_on_request_headers: "(i32.const 1)" }) });
    const r = await host.chain([p]).send({ request: { headers: [] } });
    expect(r.upstreamRequest).toBeNull();
    expect(r.response).toMatchObject({ status: 408, details: "stream_idle_timeout", local: true });
  });
});

describe("bodies", () => {
  const BUFFER_THEN_REPLACE = `${VM_OK} ${data(1024, "REPLACED")}
    (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
      (call $log_num (local.get 1))
      (if (i32.eqz (local.get 2)) (then (return (i32.const 1))))
      (drop (call $get_buffer (i32.const 0) (i32.const 0) (local.get 1) (i32.const 0) (i32.const 4))) (call $log_ret)
      (call $log_num (call $set_buffer (i32.const 0) (i32.const 0) (local.get 1) ${arg(1024, "REPLACED")}))
      (i32.const 0))`;

  test("StopIterationAndBuffer accumulates chunks; the last call sees the whole body; set_buffer_bytes replaces it", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(BUFFER_THEN_REPLACE) });
    const r = await host.chain([p]).send({ request: { headers: [], body: ["ab", "cd", "ef"] } });
    expect(messages(r.logs)).toEqual(["2", "4", "6", "abcdef", "0"]);
    expect(Buffer.from(r.upstreamRequest!.body).toString()).toBe("REPLACED");
  });

  test("set_buffer_bytes: start 0 with length 0 prepends, start >= size appends, in the middle is BadArgument", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "<")} ${data(1030, ">")}
      (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
        (call $log_num (call $set_buffer (i32.const 1) (i32.const 0) (i32.const 0) ${arg(1024, "<")}))
        (call $log_num (call $set_buffer (i32.const 1) (i32.const 100) (i32.const 0) ${arg(1030, ">")}))
        (call $log_num (call $set_buffer (i32.const 1) (i32.const 2) (i32.const 1) ${arg(1030, ">")}))
        (call $log_num (call $buffer_status (i32.const 1) (i32.const 16) (i32.const 20))) (call $log_num (i32.load (i32.const 16)))
        (i32.const 0))`) });
    const r = await host.chain([p]).send({ request: { headers: [] }, upstream: { status: 200, body: "body" } });
    expect(messages(r.logs)).toEqual(["0", "0", "2", "0", "6"]);
    expect(Buffer.from(r.response.body).toString()).toBe("<body>");
  });
});

describe("close_stream", () => {
  test("proxy_close_stream resets the stream: nothing reaches the upstream, details wasm_close_stream", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await tracer("A", { proxy_on_request_headers: "(drop (call $close_stream (i32.const 0))) (i32.const 0)" }) });
    const r = await host.chain([p]).send({ request: { headers: [] } });
    expect(r.reset).toBe(true);
    expect(r.upstreamRequest).toBeNull();
    expect(r.response.details).toBe("wasm_close_stream");
    expect(messages(r.logs).slice(-3)).toEqual(["A:log", "A:done", "A:delete"]);
  });
});
