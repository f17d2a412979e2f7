// Header/trailer/metadata map functions (envoy context.cc getHeaderMapValue & co). A map that
// Envoy is not holding for the calling filter at this point answers BadArgument.
import { MapType, WasmResult } from "../constants.ts";
import { HeaderMap } from "../headers.ts";
import { decodePairs } from "../pairs.ts";
import { enc } from "../bytes.ts";
import type { Vm } from "../vm.ts";

export function mapOf(vm: Vm, type: number): HeaderMap | null {
  const ctx = vm.effective;
  switch (type) {
    case MapType.HttpCallResponseHeaders:
    case MapType.GrpcInitialMetadata:
      return vm.callResponse?.headers ?? null;
    case MapType.HttpCallResponseTrailers:
    case MapType.GrpcTrailingMetadata:
      return vm.callResponse?.trailers ?? null;
  }
  if (!ctx || ctx.kind !== "stream") return null;
  switch (type) {
    case MapType.RequestHeaders: return ctx.reqHeaders;
    case MapType.RequestTrailers: return ctx.reqTrailers;
    case MapType.ResponseHeaders: return ctx.respHeaders;
    case MapType.ResponseTrailers: return ctx.respTrailers;
  }
  return null;
}

function modified(vm: Vm, type: number): void {
  // ABI <= 0.2.1: any request-header change clears the route cache (Envoy 1.33 changelog).
  const ctx = vm.effective;
  if (type === MapType.RequestHeaders && ctx?.kind === "stream") ctx.stream.routeCacheCleared = true;
}

export function headerImports(vm: Vm) {
  return {
    proxy_get_header_map_value(type: number, kp: number, kl: number, vpp: number, vsp: number): number {
      const map = mapOf(vm, type);
      if (!map) return WasmResult.BadArgument;
      const v = map.get(vm.name(kp, kl));
      // ABI 0.2.x: a missing key is NotFound (0.1.0 answered an empty value).
      if (v === undefined) return WasmResult.NotFound;
      return vm.returnBytes(v, vpp, vsp);
    },
    proxy_add_header_map_value(type: number, kp: number, kl: number, vp: number, vl: number): number {
      const map = mapOf(vm, type);
      if (!map) return WasmResult.BadArgument;
      map.add(vm.name(kp, kl), vm.str(vp, vl), (kl >>> 0) + (vl >>> 0));
      modified(vm, type);
      return WasmResult.Ok;
    },
    proxy_replace_header_map_value(type: number, kp: number, kl: number, vp: number, vl: number): number {
      const map = mapOf(vm, type);
      if (!map) return WasmResult.BadArgument;
      map.replace(vm.name(kp, kl), vm.str(vp, vl), (kl >>> 0) + (vl >>> 0));
      modified(vm, type);
      return WasmResult.Ok;
    },
    proxy_remove_header_map_value(type: number, kp: number, kl: number): number {
      const map = mapOf(vm, type);
      if (!map) return WasmResult.BadArgument;
      map.remove(vm.name(kp, kl));
      modified(vm, type);
      return WasmResult.Ok;
    },
    proxy_get_header_map_pairs(type: number, pp: number, sp: number): number {
      const map = mapOf(vm, type);
      if (!map) return WasmResult.BadArgument;
      return vm.returnBytes(map.encodedPairs(), pp, sp);
    },
    proxy_set_header_map_pairs(type: number, ptr: number, len: number): number {
      const map = mapOf(vm, type);
      if (!map) return WasmResult.BadArgument;
      const pairs = decodePairs(vm.view(ptr, len));
      if (!pairs) return WasmResult.BadArgument;
      map.setAll(pairs);
      modified(vm, type);
      return WasmResult.Ok;
    },
    proxy_get_header_map_size(type: number, sizePtr: number): number {
      const map = mapOf(vm, type);
      if (!map) return WasmResult.BadArgument;
      // Envoy answers HeaderMap::byteSize(), not the entry count.
      vm.setU32(sizePtr, map.byteSize());
      return WasmResult.Ok;
    },
  };
}

export function headerMapFrom(list: [string, string][] | undefined, status?: number): HeaderMap {
  const m = HeaderMap.from(list ?? []);
  if (status !== undefined && m.get(":status") === undefined) m.add(":status", String(status));
  return m;
}

export { enc };
