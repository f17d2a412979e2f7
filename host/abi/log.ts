// proxy_log, proxy_get_log_level.
import { LOG_LEVELS, WasmResult } from "../constants.ts";
import type { Vm } from "../vm.ts";

export function emitLog(vm: Vm, level: number, message: string): void {
  if (level < vm.services.logLevel) return;
  const ctx = vm.effective;
  const plugin = ctx ? ctx.root.plugin.name : ([...vm.roots.keys()][0]?.name ?? "");
  const name = LOG_LEVELS[level]!;
  vm.loadLogs?.push({ level: name, message });
  vm.services.log({ level: name, plugin, message }, name);
  if (ctx && ctx.kind === "stream") ctx.stream.addLog(name, plugin, message);
}

export function logImports(vm: Vm) {
  return {
    proxy_log(level: number, ptr: number, len: number): number {
      if (level >>> 0 > 5) return WasmResult.BadArgument;
      emitLog(vm, level, vm.str(ptr, len));
      return WasmResult.Ok;
    },
    proxy_get_log_level(ptr: number): number {
      vm.setU32(ptr, vm.services.logLevel);
      return WasmResult.Ok;
    },
  };
}
