// Module inspection done before instantiation, as cpp-host does on load: ABI version by export,
// required exports. (Bounds and memory caps are checked before compiling: module-check.ts.)
import { PluginLoadError } from "./errors.ts";
import type { AbiVersion } from "./constants.ts";

export interface ModuleInfo { module: WebAssembly.Module; abi: AbiVersion; bytes: number }

export function inspectModule(module: WebAssembly.Module, size: number): ModuleInfo {
  const exports = WebAssembly.Module.exports(module);
  const fn = new Set(exports.filter((e) => e.kind === "function").map((e) => e.name));
  // cpp-host bytecode_util.cc: the newest matching version export wins.
  const abi: AbiVersion | undefined = fn.has("proxy_abi_version_0_2_1") ? "0.2.1"
    : fn.has("proxy_abi_version_0_2_0") ? "0.2.0"
    : fn.has("proxy_abi_version_0_1_0") ? "0.1.0" : undefined;
  if (!abi) throw new PluginLoadError("Missing or unknown Proxy-Wasm ABI version");
  if (abi === "0.1.0") throw new PluginLoadError("Proxy-Wasm ABI 0.1.0 modules are not supported by this host (0.2.0 and 0.2.1 are)");
  if (!exports.some((e) => e.kind === "memory" && e.name === "memory")) throw new PluginLoadError("Wasm module is missing the exported memory");
  if (!fn.has("malloc") && !fn.has("proxy_on_memory_allocate")) throw new PluginLoadError("Wasm module is missing malloc function.");
  return { module, abi, bytes: size };
}
