// Loading rules as cpp-host/Envoy apply them: ABI detection by export, required exports,
// import linking, start functions, vm_start/configure, root and stream context ids, WASI.
import { describe, expect, test } from "vitest";
import { ProxyWasmHost, PluginLoadError } from "../../host/index.ts";
import { arg, data, messages, mod, wat, VM_OK } from "./wat.ts";

const MIN = (extra = "") => `(module (memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) (i32.const 1024)) ${extra})`;

describe("module requirements", () => {
  test("a module without a proxy_abi_version export is rejected", async () => {
    const host = new ProxyWasmHost();
    await expect(host.loadPlugin({ module: await wat(MIN()) })).rejects.toThrow("Missing or unknown Proxy-Wasm ABI version");
  });

  test("ABI 0.2.0 and 0.2.1 are detected by export", async () => {
    const host = new ProxyWasmHost();
    const a = await host.loadPlugin({ module: await wat(MIN(`(func (export "proxy_abi_version_0_2_0"))`)) });
    const b = await host.loadPlugin({ module: await wat(MIN(`(func (export "proxy_abi_version_0_2_1"))`)) });
    expect([a.abiVersion, b.abiVersion]).toEqual(["0.2.0", "0.2.1"]);
  });

  test("malloc or proxy_on_memory_allocate is required", async () => {
    const host = new ProxyWasmHost();
    const noMalloc = `(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1")))`;
    await expect(host.loadPlugin({ module: await wat(noMalloc) })).rejects.toThrow("Wasm module is missing malloc function.");
    const alias = `(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024)))`;
    await expect(host.loadPlugin({ module: await wat(alias) })).resolves.toBeTruthy();
  });

  test("an import Envoy does not provide fails to link, naming it (AssemblyScript's env.abort)", async () => {
    const host = new ProxyWasmHost();
    const m = `(module (import "env" "abort" (func (param i32 i32 i32 i32))) (memory (export "memory") 1)
      (func (export "malloc") (param i32) (result i32) (i32.const 0)) (func (export "proxy_abi_version_0_2_1")))`;
    await expect(host.loadPlugin({ module: await wat(m) })).rejects.toThrow("Failed to load Wasm module due to a missing import: env.abort");
  });

  test("proxy_clear_route_cache is registered for ABI 0.1.0 only, so a 0.2.1 module importing it does not link", async () => {
    const host = new ProxyWasmHost();
    const m = `(module (import "env" "proxy_clear_route_cache" (func (result i32))) (memory (export "memory") 1)
      (func (export "malloc") (param i32) (result i32) (i32.const 0)) (func (export "proxy_abi_version_0_2_1")))`;
    await expect(host.loadPlugin({ module: await wat(m) })).rejects.toThrow("missing import: env.proxy_clear_route_cache");
  });

  test("proxy_get_log_level exists for 0.2.1 but not for 0.2.0", async () => {
    const host = new ProxyWasmHost();
    const m = (abi: string) => `(module (import "env" "proxy_get_log_level" (func (param i32) (result i32))) (memory (export "memory") 1)
      (func (export "malloc") (param i32) (result i32) (i32.const 0)) (func (export "proxy_abi_version_${abi}")))`;
    await expect(host.loadPlugin({ module: await wat(m("0_2_1")) })).resolves.toBeTruthy();
    await expect(host.loadPlugin({ module: await wat(m("0_2_0")) })).rejects.toThrow("missing import: env.proxy_get_log_level");
  });
});

describe("start and configuration", () => {
  test("_initialize runs, then on_context_create(root, 0), on_vm_start(vm config size), on_configure(plugin config size)", async () => {
    const host = new ProxyWasmHost();
    const m = await mod(`
      ${data(1024, "init")}
      (func (export "_initialize") (drop (call $log (i32.const 2) ${arg(1024, "init")})))
      (func (export "proxy_on_context_create") (param i32 i32) (call $log_num (local.get 0)) (call $log_num (local.get 1)))
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (call $log_num (local.get 1)) (i32.const 1))
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (call $log_num (local.get 1))
        (call $log_num (call $get_buffer (i32.const 7) (i32.const 0) (local.get 1) (i32.const 0) (i32.const 4)))
        (call $log_ret)
        (call $log_num (call $get_buffer (i32.const 6) (i32.const 0) (i32.const 100) (i32.const 0) (i32.const 4)))
        (call $log_ret)
        (i32.const 1))`);
    await host.loadPlugin({ module: m, configuration: '{"a":1}', vmConfiguration: "vmconf" });
    expect(messages(host.logs)).toEqual(["init", "1", "0", "6", "7", "0", '{"a":1}', "0", "vmconf"]);
  });

  test("plugin configuration is not readable outside configuration (NotFound)", async () => {
    const host = new ProxyWasmHost();
    const m = await mod(`${VM_OK}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $log_num (call $get_buffer (i32.const 7) (i32.const 0) (i32.const 10) (i32.const 0) (i32.const 4))) (i32.const 0))`);
    const p = await host.loadPlugin({ module: m, configuration: "x" });
    const r = await host.chain([p]).send({ request: { headers: [] } });
    expect(messages(r.logs)).toEqual(["1"]);
  });

  test("on_configure returning false rejects the plugin with the module's own log lines", async () => {
    const host = new ProxyWasmHost();
    const m = await mod(`${data(1024, "bad config: missing header")}
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $log (i32.const 4) ${arg(1024, "bad config: missing header")})) (i32.const 0))`);
    const err = await host.loadPlugin({ module: m, name: "p" }).catch((e) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect(err.logs).toEqual([{ level: "error", plugin: "p", message: "bad config: missing header" }]);
    expect(err.message).toContain("bad config: missing header");
  });

  test("on_vm_start returning false rejects the plugin", async () => {
    const host = new ProxyWasmHost();
    const m = await mod(`(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 0))`);
    await expect(host.loadPlugin({ module: m })).rejects.toThrow("proxy_on_vm_start returned false");
  });
});

describe("contexts and workers", () => {
  const IDS = `${VM_OK}
    (func (export "proxy_on_context_create") (param i32 i32) (call $log_num (local.get 0)) (call $log_num (local.get 1)))`;

  test("stream context ids increase after the root context id; the parent is the plugin's root", async () => {
    const host = new ProxyWasmHost();
    const p = await host.loadPlugin({ module: await mod(IDS) });
    const c = host.chain([p]);
    const a = await c.send({ request: { headers: [] } });
    const b = await c.send({ request: { headers: [] } });
    expect(messages(a.logs)).toEqual(["2", "1"]);
    expect(messages(b.logs)).toEqual(["3", "1"]);
  });

  test("two plugins of one module and vm_id share the VM: one root context each, ids from one counter", async () => {
    const host = new ProxyWasmHost();
    const bin = await mod(IDS);
    const a = await host.loadPlugin({ module: bin, rootId: "a", vmId: "shared" });
    const b = await host.loadPlugin({ module: bin, rootId: "b", vmId: "shared" });
    expect(messages(host.logs)).toEqual(["1", "0", "2", "0"]);
    const r = await host.chain([a, b]).send({ request: { headers: [] } });
    expect(messages(r.logs)).toEqual(["3", "1", "4", "2"]);
  });

  test("workers: one VM per worker, streams round-robin across them", async () => {
    const host = new ProxyWasmHost({ workers: 2 });
    const p = await host.loadPlugin({ module: await mod(IDS) });
    expect(p.vms.length).toBe(2);
    const c = host.chain([p]);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(messages((await c.send({ request: { headers: [] } })).logs)[0]);
    // Each worker's VM counts its own ids: root 1, then 2, 3 on each.
    expect(ids).toEqual(["2", "2", "3", "3"]);
  });
});

describe("WASI", () => {
  test("fd_write: stdout is info, stderr is error, one trailing newline stripped; other fds EBADF", async () => {
    const host = new ProxyWasmHost();
    const m = await mod(`
      ${data(1024, "out line\n")} ${data(1040, "err line\n")}
      (func $w (param $fd i32) (param $p i32) (param $l i32) (result i32)
        (i32.store (i32.const 16) (local.get $p)) (i32.store (i32.const 20) (local.get $l))
        (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (drop (call $w (i32.const 1) ${arg(1024, "out line\n")}))
        (drop (call $w (i32.const 2) ${arg(1040, "err line\n")}))
        (call $log_num (call $w (i32.const 3) ${arg(1024, "out line\n")}))
        (call $log_num (i32.load (i32.const 24)))
        (i32.const 1))`);
    await host.loadPlugin({ module: m });
    expect(host.logs.map((l) => [l.level, l.message])).toEqual([["info", "out line"], ["error", "err line"], ["info", "8"], ["info", "9"]]);
  });

  test("proc_exit only logs; environ comes from the VM's environment variables", async () => {
    const host = new ProxyWasmHost();
    const m = await mod(`
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (drop (call $environ_sizes (i32.const 16) (i32.const 20)))
        (call $log_num (i32.load (i32.const 16))) (call $log_num (i32.load (i32.const 20)))
        (call $proc_exit (i32.const 3))
        (i32.const 1))`);
    const p = await host.loadPlugin({ module: m, env: { A: "1", BB: "22" } });
    expect(messages(host.logs)).toEqual(["2", "10", "wasi_unstable proc_exit"]);
    expect(p.failed).toBe(false);
  });

  test("clock_time_get realtime follows the host clock", async () => {
    const host = new ProxyWasmHost({ now: () => 1_700_000_000_123_456_789n });
    const m = await mod(`
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (call $log_num (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 16)))
        (call $log_num (i32.wrap_i64 (i64.rem_u (i64.load (i32.const 16)) (i64.const 1000000000))))
        (call $log_num (call $clock_time_get (i32.const 9) (i64.const 1) (i32.const 16)))
        (i32.const 1))`);
    await host.loadPlugin({ module: m });
    expect(messages(host.logs)).toEqual(["0", "123456789", "58"]);
  });
});
