// Host functions answer InvalidMemoryAccess when the module hands over a bad pointer, as
// cpp-host does when getMemory/setWord fail; anything else propagates and fails the VM.
import { WasmResult } from "../constants.ts";
import { MemoryFault } from "../errors.ts";

type HostFn = (...args: never[]) => number | void;

export function guard<T extends Record<string, HostFn>>(fns: T, faultCode: number = WasmResult.InvalidMemoryAccess): T {
  const out: Record<string, HostFn> = {};
  for (const [name, fn] of Object.entries(fns)) {
    const f = fn as unknown as (...a: unknown[]) => number | void;
    // Fixed parameters (no rest/spread) keep the wrapper allocation-free on every host call.
    out[name] = ((a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, g: unknown, h: unknown, i: unknown, j: unknown, k: unknown, l: unknown, m: unknown) => {
      try { return f(a, b, c, d, e, g, h, i, j, k, l, m); } catch (err) {
        if (err instanceof MemoryFault) return faultCode;
        throw err;
      }
    }) as unknown as HostFn;
  }
  return out as T;
}
