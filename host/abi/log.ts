// proxy_log, proxy_get_log_level.
import { LOG_LEVELS, WasmResult } from "../constants.ts";
import type { Vm } from "../vm.ts";
import { utf8 } from "../bytes.ts";

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
      // Envoy reads the message (bounds-checked) and drops it below the level
      // without formatting it; decoding only admitted lines keeps a chatty
      // module's cost close to what it would be in Envoy.
      const message = vm.view(ptr, len);
      if (level >= vm.services.logLevel) emitLog(vm, level, utf8(message));
      return WasmResult.Ok;
    },
    proxy_get_log_level(ptr: number): number {
      vm.setU32(ptr, vm.services.logLevel);
      return WasmResult.Ok;
    },
  };
}
