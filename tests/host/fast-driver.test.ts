// FastDriver replays exactly what the full engine did, and refuses streams that do not repeat.
import { expect, test } from "vitest";
import { FastDriver, FastPathDiverged, ProxyWasmHost } from "../../host/index.ts";
import { arg, data, mod, VM_OK } from "./wat.ts";

test("a local reply is replayed on every request, and header edits do not leak between requests", async () => {
  const host = new ProxyWasmHost();
  const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "x-n")} ${data(1030, "1")} ${data(1040, "no")}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (call $log_num (local.get 1))
      (drop (call $add_header (i32.const 0) ${arg(1024, "x-n")} ${arg(1030, "1")}))
      (drop (call $send_local_response (i32.const 403) ${arg(1040, "no")} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1)))
      (i32.const 0))`), name: "deny" });
  const d = new FastDriver(host.chain([p]), { requestHeaders: [[":path", "/"]], response: { status: 200 } });
  expect(d.probe).toEqual({ local: true, status: 403, details: "no" });
  // If the added header leaked, the header count (logged) would grow and the replay diverge.
  expect(d.run(1000)).toBe(1000);
  expect(host.logs.slice(-3).map((l) => l.message)).toEqual(["4", "4", "4"]);
});

test("a module whose answers change from request to request is refused", async () => {
  const host = new ProxyWasmHost();
  const p = await host.loadPlugin({ module: await mod(`${VM_OK} (global $n (mut i32) (i32.const 0))
    (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (i32.and (global.get $n) (i32.const 1)))`) });
  expect(() => new FastDriver(host.chain([p]), { requestHeaders: [], response: { status: 200 } }).run(10)).toThrow(FastPathDiverged);
});

test("a trap during replay fails the VM like any other trap", async () => {
  const host = new ProxyWasmHost();
  const p = await host.loadPlugin({ module: await mod(`${VM_OK} (global $n (mut i32) (i32.const 0))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (if (i32.eq (global.get $n) (i32.const 5)) (then unreachable))
      (i32.const 0))`), name: "late-trap" });
  const d = new FastDriver(host.chain([p]), { requestHeaders: [], response: { status: 200 } });
  expect(() => d.run(10)).toThrow(FastPathDiverged);
  expect(p.failed).toBe(true);
  expect(p.traps[0]!.message).toContain("unreachable");
  // The failed VM now answers streams the fail-closed way.
  expect((await host.chain([p]).send({ request: { headers: [] } })).response.details).toBe("wasm_fail_stream");
});
