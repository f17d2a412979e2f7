// The import object a module links against: env.proxy_* for its ABI version, WASI, and the two
// emscripten helpers Envoy registers (cpp-host wasm.cc registerCallbacks).
import { guard } from "./abi/guard.ts";
import { logImports } from "./abi/log.ts";
import { headerImports } from "./abi/headers.ts";
import { bufferImports } from "./abi/buffers.ts";
import { propertyImports } from "./abi/properties.ts";
import { streamControlImports } from "./abi/stream-control.ts";
import { metricImports } from "./abi/metrics.ts";
import { sharedImports } from "./abi/shared.ts";
import { callImports } from "./abi/calls.ts";
import { wasiImports } from "./wasi.ts";
import type { Vm } from "./vm.ts";

export function buildImports(vm: Vm): Record<string, Record<string, unknown>> {
  const { proxy_continue_stream, proxy_close_stream, ...control } = streamControlImports(vm);
  const { proxy_get_log_level, ...log } = logImports(vm);
  const env: Record<string, unknown> = guard({
    ...log, ...headerImports(vm), ...bufferImports(vm), ...propertyImports(vm), ...control,
    ...metricImports(vm), ...sharedImports(vm), ...callImports(vm),
    // ABI-specific functions: 0.2.0 gets continue/close_stream, 0.2.1 also get_log_level.
    // proxy_clear_route_cache is registered for ABI 0.1.0 only, so 0.2.x modules that import it
    // do not link in Envoy; they use the foreign function "clear_route_cache" instead.
    proxy_continue_stream, proxy_close_stream,
    ...(vm.abi === "0.2.1" ? { proxy_get_log_level } : {}),
  });
  env.pthread_equal = (a: number, b: number) => (a === b ? 1 : 0);
  env.emscripten_notify_memory_growth = () => {};
  // A bad pointer handed to WASI is EFAULT (21), as in cpp-host.
  const wasi = guard(wasiImports(vm) as Record<string, (...a: never[]) => number>, 21);
  return { env, wasi_unstable: wasi, wasi_snapshot_preview1: wasi };
}
