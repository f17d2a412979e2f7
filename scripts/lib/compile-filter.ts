// How every module of ours is compiled: the lean layer's abort handler, the
// "half" runtime (reference counting, nothing of it exported to the host).
import { compileAssemblyScript } from "./asc.ts";

// bulk-memory: memory.fill / memory.copy as single instructions instead of
// ~0.6 KB of byte loops in every module (Envoy's V8 and WAMR support it).
export const RELEASE_OPTIONS = {
  optimize: true, runtime: "half", use: ["abort=mesh_abort"], extraFlags: ["--enable", "bulk-memory"],
} as const;
export const DEBUG_OPTIONS = {
  optimize: false, runtime: "half", use: ["abort=mesh_abort"], extraFlags: ["--enable", "bulk-memory"],
} as const;

/** Options for a module on proxy-runtime's stock entry points (benchmark reference). */
export const STOCK_OPTIONS = { optimize: true, runtime: "full", use: ["abort=abort_proc_exit"] } as const;

export function compileRelease(entry: string): Promise<Uint8Array> {
  return compileAssemblyScript(entry, { ...RELEASE_OPTIONS, use: [...RELEASE_OPTIONS.use] });
}

export function compileDebug(entry: string): Promise<Uint8Array> {
  return compileAssemblyScript(entry, { ...DEBUG_OPTIONS, use: [...DEBUG_OPTIONS.use] });
}

export function compileStock(entry: string): Promise<Uint8Array> {
  return compileAssemblyScript(entry, { ...STOCK_OPTIONS, use: [...STOCK_OPTIONS.use] });
}
