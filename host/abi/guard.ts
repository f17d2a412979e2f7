// Host functions answer InvalidMemoryAccess when the module hands over a bad pointer, as
// cpp-host does when getMemory/setWord fail; anything else propagates and fails the VM.
import { WasmResult } from "../constants.ts";
import { MemoryFault } from "../errors.ts";

type HostFn = (...args: never[]) => number | void;

/**
 * Wraps each host function so a MemoryFault becomes `faultCode`. Each wrapper
 * is compiled on its own (new Function) with the function's own arity, so its
 * call site sees one target and V8 can inline it: a shared closure made every
 * host call go through one megamorphic call site.
 */
export function guard<T extends Record<string, HostFn>>(fns: T, faultCode: number = WasmResult.InvalidMemoryAccess): T {
  const out: Record<string, HostFn> = {};
  for (const [name, fn] of Object.entries(fns)) {
    const params = Array.from({ length: fn.length }, (_, i) => `a${i}`).join(", ");
    const make = new Function("f", "MemoryFault", "faultCode",
      `return function ${name}(${params}) {
        try { return f(${params}); } catch (err) {
          if (err instanceof MemoryFault) return faultCode;
          throw err;
        }
      };`) as (f: HostFn, fault: typeof MemoryFault, code: number) => HostFn;
    out[name] = make(fn, MemoryFault, faultCode);
  }
  return out as T;
}
