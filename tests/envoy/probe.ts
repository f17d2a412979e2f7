// A probe module for the engine tests: on each request it copies the
// attributes Envoy derives (source.address, xds.listener_direction,
// xds.cluster_name, xds.node.id) into filter state, stores a value with bytes that are not
// UTF-8, counts the request in a tagged counter and a histogram, and logs in
// on_request_headers (info), on_log (info) and on_done (warn) — the last one
// after Envoy's access-log line.
import { arg, data, mod } from "../host/wat.ts";

const COUNTER = "reporter=.=probe;.;probe_requests_total";

export function probeModule(): Promise<Uint8Array> {
  const copy = (from: number, path: string, to: number, key: string) => `
      (i32.store (i32.const 0) (i32.const 0)) (i32.store (i32.const 4) (i32.const 0))
      (if (i32.eqz (call $get_property ${arg(from, path)} (i32.const 0) (i32.const 4)))
        (then (drop (call $set_property ${arg(to, key)} (i32.load (i32.const 0)) (i32.load (i32.const 4))))))`;
  return mod(`
    ${data(1024, "source\u0000address")} ${data(1060, "src")}
    ${data(1070, "xds\u0000listener_direction")} ${data(1100, "dir")}
    ${data(1110, "xds\u0000cluster_name")} ${data(1130, "cluster")}
    ${data(1140, "bin")} (data (i32.const 1150) "\\00\\ff\\01\\22\\0a")
    ${data(1160, "request headers")} ${data(1180, "on log")} ${data(1190, "on done")}
    ${data(1200, COUNTER)} ${data(1260, "probe_size")}
    ${data(1280, "xds\u0000node\u0000id")} ${data(1300, "node")}
    (global $counter (mut i32) (i32.const 0))
    (global $histogram (mut i32) (i32.const 0))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32)
      (drop (call $define_metric (i32.const 0) ${arg(1200, COUNTER)} (i32.const 16)))
      (global.set $counter (i32.load (i32.const 16)))
      (drop (call $define_metric (i32.const 2) ${arg(1260, "probe_size")} (i32.const 16)))
      (global.set $histogram (i32.load (i32.const 16)))
      (i32.const 1))
    (func (export "proxy_on_context_create") (param i32 i32))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      ${copy(1024, "source\u0000address", 1060, "src")}
      ${copy(1070, "xds\u0000listener_direction", 1100, "dir")}
      ${copy(1110, "xds\u0000cluster_name", 1130, "cluster")}
      ${copy(1280, "xds\u0000node\u0000id", 1300, "node")}
      (drop (call $set_property ${arg(1140, "bin")} (i32.const 1150) (i32.const 5)))
      (drop (call $increment_metric (global.get $counter) (i64.const 1)))
      (drop (call $record_metric (global.get $histogram) (i64.const 7)))
      (drop (call $log (i32.const 2) ${arg(1160, "request headers")}))
      (i32.const 0))
    (func (export "proxy_on_log") (param i32) (drop (call $log (i32.const 2) ${arg(1180, "on log")})))
    (func (export "proxy_on_done") (param i32) (result i32) (drop (call $log (i32.const 3) ${arg(1190, "on done")})) (i32.const 1))
  `);
}
