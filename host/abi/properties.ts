// proxy_get_property / proxy_set_property (envoy context.cc getProperty/setProperty).
import { WasmResult } from "../constants.ts";
import { utf8 } from "../bytes.ts";
import { resolveRootAttribute } from "../attributes.ts";
import type { Vm } from "../vm.ts";

/** Path segments are NUL-separated; a trailing NUL (C++ SDK) is tolerated. */
export function splitPath(raw: Uint8Array): string[] {
  const s = utf8(raw);
  const parts = s.split("\0");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

export function propertyImports(vm: Vm) {
  return {
    proxy_get_property(pp: number, pl: number, vpp: number, vsp: number): number {
      const path = splitPath(vm.view(pp, pl));
      const ctx = vm.effective;
      if (!ctx) return WasmResult.NotFound;
      const v = ctx.kind === "stream" ? ctx.stream.attribute(path, ctx) : resolveRootAttribute(path, ctx.root.plugin, vm);
      if (v === undefined) return WasmResult.NotFound;
      if (v === null) return WasmResult.SerializationFailure;
      return vm.returnBytes(v, vpp, vsp);
    },
    proxy_set_property(pp: number, pl: number, vp: number, vl: number): number {
      const ctx = vm.effective;
      // No stream info in a root context: NotFound, as Envoy answers.
      if (!ctx || ctx.kind !== "stream") return WasmResult.NotFound;
      // The key is the path bytes verbatim, prefixed with "wasm." (CelStateKeyPrefix).
      ctx.stream.filterState.set("wasm." + utf8(vm.view(pp, pl)), vm.bytes(vp, vl));
      return WasmResult.Ok;
    },
  };
}
