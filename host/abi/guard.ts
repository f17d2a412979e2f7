// Host functions answer InvalidMemoryAccess when the module hands over a bad pointer, as
// cpp-host does when getMemory/setWord fail; anything else propagates and fails the VM.
import { WasmResult } from "../constants.ts";
import { MemoryFault } from "../errors.ts";

type HostFn = (...args: never[]) => number | void;

export function guard<T extends Record<string, HostFn>>(fns: T, faultCode: number = WasmResult.InvalidMemoryAccess): T {
  const out: Record<string, HostFn> = {};
  for (const [name, f] of Object.entries(fns)) {
    out[name] = (...args: never[]) => {
      try { return f(...args); } catch (e) {
        if (e instanceof MemoryFault) return faultCode;
        throw e;
      }
    };
  }
  return out as T;
}
