// Shared data (CAS, across workers), shared queues, ticks on a controllable clock, gRPC calls,
// proxy_set_effective_context and the log level.
import { describe, expect, test } from "vitest";
import { ProxyWasmHost } from "../../host/index.ts";
import { arg, data, messages, mod, VM_OK } from "./wat.ts";

describe("shared data", () => {
  test("get is NotFound until set; CAS mismatch is rejected; values are shared across workers' VMs", async () => {
    const host = new ProxyWasmHost({ workers: 2 });
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "k")} ${data(1030, "v1")} ${data(1040, "v2")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $get_shared ${arg(1024, "k")} (i32.const 0) (i32.const 4) (i32.const 16)))
        (if (i32.eqz (i32.load (i32.const 16)))
          (then
            (call $log_num (call $set_shared ${arg(1024, "k")} ${arg(1030, "v1")} (i32.const 0)))
            (return (i32.const 0))))
        (call $log_ret)
        (call $log_num (call $set_shared ${arg(1024, "k")} ${arg(1040, "v2")} (i32.add (i32.load (i32.const 16)) (i32.const 1))))
        (call $log_num (call $set_shared ${arg(1024, "k")} ${arg(1040, "v2")} (i32.load (i32.const 16))))
        (i32.const 0))`) });
    const c = host.chain([p]);
    expect(messages((await c.send({ request: { headers: [] } })).logs)).toEqual(["1", "0"]);
    // The second stream runs on worker 1's VM and sees worker 0's write.
    expect(messages((await c.send({ request: { headers: [] } })).logs)).toEqual(["0", "v1", "8", "0"]);
  });
});

describe("shared queues and ticks", () => {
  test("enqueue delivers proxy_on_queue_ready to the registering root context; dequeue then Empty", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(`${data(1024, "q")} ${data(1030, "vm")} ${data(1040, "item")}
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $register_queue ${arg(1024, "q")} (i32.const 100))) (i32.const 1))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $resolve_queue ${arg(1030, "vm")} ${arg(1024, "q")} (i32.const 104)))
        (call $log_num (i32.eq (i32.load (i32.const 100)) (i32.load (i32.const 104))))
        (call $log_num (call $enqueue (i32.load (i32.const 104)) ${arg(1040, "item")}))
        (i32.const 0))
      (func (export "proxy_on_queue_ready") (param i32 i32)
        (call $log_num (local.get 0))
        (call $log_num (call $dequeue (local.get 1) (i32.const 0) (i32.const 4))) (call $log_ret)
        (call $log_num (call $dequeue (local.get 1) (i32.const 0) (i32.const 4))))`), vmId: "vm" });
    await host.chain([p]).send({ request: { headers: [] } });
    await host.settle();
    expect(messages(host.logs)).toEqual(["0", "1", "0", "1", "0", "item", "7"]);
  });

  test("ticks fire as the controllable clock advances, at the period the root context set", async () => {
    const host = new ProxyWasmHost();
    await host.loadPlugin({ module: await mod(`
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param i32 i32) (result i32) (drop (call $set_tick (i32.const 100))) (i32.const 1))
      (func (export "proxy_on_tick") (param i32) (call $log_num (local.get 0)))`) });
    host.advanceTime(50);
    expect(host.logs.length).toBe(0);
    host.advanceTime(60);
    expect(messages(host.logs)).toEqual(["1"]);
    host.advanceTime(300);
    expect(messages(host.logs)).toEqual(["1", "1", "1", "1"]);
  });
});

describe("gRPC calls", () => {
  test("a unary success delivers proxy_on_grpc_receive with the message; a failure proxy_on_grpc_close with status", async () => {
    const host = new ProxyWasmHost();
    host.registerGrpcUpstream("grpc-cluster", (req) => req.method === "Ok"
      ? { message: "resp:" + Buffer.from(req.message).toString() }
      : { status: 7, statusMessage: "denied" });
    const call = (method: string, a: number) => `(drop (call $grpc_call ${arg(1024, "grpc-cluster")} ${arg(1050, "svc.S")} ${arg(a, method)}
        (i32.const 0) (i32.const 0) ${arg(1070, "req")} (i32.const 1000) (i32.const 16)))`;
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "grpc-cluster")} ${data(1050, "svc.S")} ${data(1060, "Ok")} ${data(1064, "No")} ${data(1070, "req")} ${data(1080, "unknown")}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        ${call("Ok", 1060)} ${call("No", 1064)}
        (call $log_num (call $grpc_call ${arg(1080, "unknown")} ${arg(1050, "svc.S")} ${arg(1060, "Ok")} (i32.const 0) (i32.const 0) ${arg(1070, "req")} (i32.const 1000) (i32.const 16)))
        (i32.const 1))
      (func (export "proxy_on_grpc_receive") (param i32 i32 i32)
        (drop (call $get_buffer (i32.const 5) (i32.const 0) (local.get 2) (i32.const 0) (i32.const 4))) (call $log_ret))
      (func (export "proxy_on_grpc_close") (param i32 i32 i32)
        (call $log_num (local.get 2))
        (drop (call $get_status (i32.const 16) (i32.const 0) (i32.const 4))) (call $log_ret)
        (drop (call $continue_stream (i32.const 0))))`) });
    // The stream stays stopped until the calls are answered (a destroyed context's calls are cancelled).
    const r = await host.chain([p]).send({ request: { headers: [] } });
    expect(messages(r.logs)).toEqual(["4", "resp:req", "7", "denied"]);
    expect(r.upstreamRequest).not.toBeNull();
  });
});

describe("effective context and log level", () => {
  test("set_effective_context makes host calls act on another live context; unknown ids are BadArgument", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(`${VM_OK} ${data(1024, "k")} ${data(1030, "from-root")}
      (global $stream (mut i32) (i32.const 0))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (global.set $stream (local.get 0)) (drop (call $set_tick (i32.const 10))) (i32.const 0))
      (func (export "proxy_on_tick") (param i32)
        (call $log_num (call $set_effective (i32.const 4242)))
        (call $log_num (call $set_effective (global.get $stream))))`) });
    const c = host.chain([p]);
    const r = await c.send({ request: { headers: [] } });
    host.advanceTime(20);
    // The stream is gone by the time the tick runs: its id no longer names a context.
    expect(messages(host.logs).slice(-2)).toEqual(["2", "2"]);
    expect(r.response.status).toBe(200);
  });

  test("get_log_level reports the host's level; messages below it are dropped", async () => {
    const host = new ProxyWasmHost({ logLevel: "warn" });
    await host.loadPlugin({ module: await mod(`${data(1024, "dbg")} ${data(1030, "wrn")}
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (drop (call $get_log_level (i32.const 16)))
        (drop (call $log (i32.const 1) ${arg(1024, "dbg")}))
        (drop (call $log (i32.const 3) ${arg(1030, "wrn")}))
        (drop (call $log (i32.const 3) (i32.const 1000) (i32.const 0)))
        (i32.store8 (i32.const 20) (i32.add (i32.const 48) (i32.load (i32.const 16))))
        (drop (call $log (i32.const 3) (i32.const 20) (i32.const 1)))
        (i32.const 1))`) });
    expect(messages(host.logs)).toEqual(["wrn", "", "3"]);
  });
});
