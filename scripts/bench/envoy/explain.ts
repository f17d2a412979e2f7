// `bench --engine envoy --explain`: where a filter's CPU goes in Envoy. Two
// figures combined: (1) what Envoy charges per Proxy-Wasm crossing, from
// synthetic modules measured in the same rounds as the cases (a do-nothing
// module with all six per-stream callbacks or only two, and the same with 32
// host calls of one kind per request); (2) how many crossings each of our
// cases makes per request, counted in the host (host/), whose callbacks and
// host calls follow Envoy's for these streams. A case's estimate is a
// do-nothing stream per plugin + host calls x host call + returned values x (returned
// value - host call) (+ callbacks beyond the do-nothing six): Envoy calls the
// module's malloc for every value it returns, one more crossing.
import { loadCases } from "../cases.ts";
import { prepare } from "../measure.ts";
import { BENCH_REQUEST, type EnvoyBenchCase } from "./cases.ts";
import type { EnvoyCaseResult } from "./measure.ts";

export const CALL_PREFIX = "envoy:call-";
const K = 32;
const ALL_CALLBACKS = ["request_headers", "response_headers", "log", "done", "delete"];

const CALLBACK_WAT: Record<string, string> = {
  response_headers: `(func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))`,
  log: `(func (export "proxy_on_log") (param i32))`,
  done: `(func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))`,
  delete: `(func (export "proxy_on_delete") (param i32))`,
};

/** A Proxy-Wasm 0.2.1 module that does nothing but `perRequest` in proxy_on_request_headers. */
function probeWat(callbacks: string[], perRequest = "", configure = ""): string {
  return `(module
  (import "env" "proxy_get_header_map_size" (func $size (param i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment (param i32 i64) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "x-api-key")
  (data (i32.const 32) "request\\00path")
  (data (i32.const 64) "mesh_bench_probe")
  (global $heap (mut i32) (i32.const 4096))
  ;; Envoy's returned values land here; the region is reused, so memory stays flat.
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (if (i32.gt_u (i32.add (global.get $heap) (local.get $n)) (i32.const 131072)) (then (global.set $heap (i32.const 4096))))
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) ${configure} (i32.const 1))
  ${callbacks.includes("request_headers") ? `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${perRequest} (i32.const 0))` : ""}
  ${callbacks.filter((c) => c !== "request_headers").map((c) => CALLBACK_WAT[c]).join("\n  ")})`;
}

const times = (call: string) => Array.from({ length: K }, () => call).join(" ");

/** name → WAT of each probe. */
export const CALL_PROBES: Record<string, string> = {
  [`${CALL_PREFIX}floor`]: probeWat(ALL_CALLBACKS),
  [`${CALL_PREFIX}floor-2-callbacks`]: probeWat(["request_headers"]),
  [`${CALL_PREFIX}header-size-x${K}`]: probeWat(ALL_CALLBACKS, times("(drop (call $size (i32.const 0) (i32.const 200)))")),
  [`${CALL_PREFIX}header-value-x${K}`]: probeWat(ALL_CALLBACKS, times("(drop (call $value (i32.const 0) (i32.const 16) (i32.const 9) (i32.const 200) (i32.const 204)))")),
  [`${CALL_PREFIX}property-x${K}`]: probeWat(ALL_CALLBACKS, times("(drop (call $property (i32.const 32) (i32.const 12) (i32.const 200) (i32.const 204)))")),
  [`${CALL_PREFIX}metric-x${K}`]: probeWat(ALL_CALLBACKS, times("(drop (call $increment (i32.load (i32.const 300)) (i64.const 1)))"),
    "(drop (call $define (i32.const 0) (i32.const 64) (i32.const 16) (i32.const 300)))"),
};

export async function callProbeCases(): Promise<EnvoyBenchCase[]> {
  const wabt = await (await import("wabt")).default();
  return Object.entries(CALL_PROBES).map(([name, text]) => {
    const m = wabt.parseWat(`${name}.wat`, text);
    try {
      const module = new Uint8Array(m.toBinary({}).buffer);
      return { name, filters: [{ kind: "wasm" as const, name: name.slice("envoy:".length), module, rootId: "" }], request: BENCH_REQUEST, expectStatus: 200 };
    } finally {
      m.destroy();
    }
  });
}

export interface CallCosts {
  /** What a do-nothing module receiving Envoy's six per-stream callbacks adds per stream. */
  streamNs: number;
  /** One more callback: the do-nothing module with six callbacks against one with two, per callback (small; often below the noise). */
  callbackNs: number;
  /** One host call that returns no value (proxy_get_header_map_size). */
  hostCallNs: number;
  /** One host call returning a value: proxy_get_header_map_value, with Envoy's call of the module's malloc. */
  returnedValueNs: number;
  /** proxy_get_property of request.path (a value returned). */
  propertyNs: number;
  metricNs: number;
}

export function callCosts(results: EnvoyCaseResult[]): CallCosts | undefined {
  const a = (n: string) => results.find((r) => r.name === `${CALL_PREFIX}${n}`)?.addedCpuNsPerRequest;
  const floor = a("floor"), two = a("floor-2-callbacks");
  const size = a(`header-size-x${K}`), value = a(`header-value-x${K}`), property = a(`property-x${K}`), metric = a(`metric-x${K}`);
  if ([floor, two, size, value, property, metric].some((x) => x === undefined)) return undefined;
  const per = (x: number) => round((x - floor!) / K);
  return {
    streamNs: round(floor!), callbackNs: round((floor! - two!) / 4),
    hostCallNs: per(size!), returnedValueNs: per(value!), propertyNs: per(property!), metricNs: per(metric!),
  };
}

export interface CaseCalls {
  name: string;
  /** Calls from the host into the module per request (malloc included). */
  callbacks: number;
  hostCalls: number;
  /** Values the host returned (each one a malloc callback). */
  returnedValues: number;
  perRequest: Record<string, number>;
}

/**
 * Counts, in the host, the crossings per request of our cases (the host bench's, with the
 * Envoy bench's names): every import and export of each VM wrapped with a counter while
 * the cases run. The host instantiates modules with `new WebAssembly.Instance`, which is
 * replaced for the duration of the count only.
 */
export async function countCalls(names: string[]): Promise<CaseCalls[]> {
  // Compiled before the replacement: the compiler has wasm of its own.
  const cases = await loadCases({ only: names.map((n) => n.slice("envoy:".length)) });
  const counts = new Map<string, number>();
  let counting = false;
  const count = (k: string) => { if (counting) counts.set(k, (counts.get(k) ?? 0) + 1); };
  const Instance = WebAssembly.Instance;
  const wrap = (obj: Record<string, unknown>, prefix: string) => Object.fromEntries(Object.entries(obj).map(([k, v]) =>
    [k, typeof v === "function" ? (...args: unknown[]) => { count(`${prefix}${k}`); return (v as (...a: unknown[]) => unknown)(...args); } : v]));
  (WebAssembly as { Instance: unknown }).Instance = function (module: WebAssembly.Module, imports: Record<string, Record<string, unknown>>) {
    const inst = new Instance(module, Object.fromEntries(Object.entries(imports ?? {}).map(([ns, o]) => [ns, wrap(o, "host:")])) as WebAssembly.Imports);
    return { exports: wrap(inst.exports as Record<string, unknown>, "module:") };
  };
  try {
    const out: CaseCalls[] = [];
    for (const c of cases) {
      const p = await prepare(c);
      p.run(100);
      counts.clear();
      counting = true;
      const n = 1000;
      p.run(n);
      counting = false;
      const perRequest = Object.fromEntries([...counts].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, v / n]));
      const sum = (pre: string) => [...counts].filter(([k]) => k.startsWith(pre)).reduce((s, [, v]) => s + v, 0) / n;
      out.push({ name: `envoy:${c.name}`, callbacks: sum("module:"), hostCalls: sum("host:"), returnedValues: (counts.get("module:malloc") ?? 0) / n, perRequest });
    }
    return out;
  } finally {
    (WebAssembly as { Instance: unknown }).Instance = Instance;
  }
}

/** A do-nothing stream per plugin, plus callbacks beyond their six, host calls, and one more crossing per returned value. */
export function estimateNs(c: CaseCalls, k: CallCosts): number {
  const streams = c.perRequest["module:proxy_on_context_create"] ?? 1;
  const extraCallbacks = Math.max(0, c.callbacks - c.returnedValues - 6 * streams);
  return round(streams * k.streamNs + extraCallbacks * k.callbackNs + c.hostCalls * k.hostCallNs + c.returnedValues * (k.returnedValueNs - k.hostCallNs));
}

function round(n: number): number { return Math.round(n * 10) / 10; }
