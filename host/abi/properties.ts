// proxy_get_property / proxy_set_property (envoy context.cc getProperty/setProperty).
import { WasmResult } from "../constants.ts";
import { utf8 } from "../bytes.ts";
import { resolveRootAttribute, JOINED_KEY, type KeyedPath } from "../attributes.ts";
import { BytesAtCache } from "../bytes-at-cache.ts";
import type { Vm } from "../vm.ts";

// A module asks for the same few paths over and over; parse each once. The
// cache is bounded so a module inventing paths cannot grow it without end.
const parsedPaths = new Map<string, string[]>();
const MAX_PARSED_PATHS = 4096;

/** Path segments are NUL-separated; a trailing NUL (C++ SDK) is tolerated. */
export function splitPath(raw: Uint8Array): string[] {
  const s = utf8(raw);
  const cached = parsedPaths.get(s);
  if (cached) return cached;
  const parts: KeyedPath = s.split("\0");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  parts[JOINED_KEY] = parts.join("\0");
  // Shared between calls: callers must not modify it.
  Object.freeze(parts);
  if (parsedPaths.size >= MAX_PARSED_PATHS) parsedPaths.clear();
  parsedPaths.set(s, parts);
  return parts;
}

/**
 * Modules keep their property paths in fixed buffers and pass the same
 * pointer every time: the parsed path is kept per place while its bytes stay
 * the same, so the steady state neither decodes nor splits.
 */
class PathCache {
  private cache = new BytesAtCache<string[]>(MAX_PARSED_PATHS);

  constructor(private vm: Vm) {}

  lookup(ptr: number, len: number): string[] {
    ptr >>>= 0; len >>>= 0;
    // (view() throws the memory fault for a range out of bounds)
    if (len > 255 || !this.vm.inBounds(ptr, len)) return splitPath(this.vm.view(ptr, len));
    return this.cache.get(this.vm, ptr, len, pathAt);
  }
}

function pathAt(vm: Vm, ptr: number, len: number): string[] { return splitPath(vm.view(ptr, len)); }

// Per property name: "wasm." + name, built once (a fresh concatenation per write is a cons string
// the filter-state Map then has to flatten and hash), and the last value written under it. Filters
// write the same bytes stream after stream (a cached peer); an equal value is shared rather than
// copied again. Stored values are never modified (reads copy them into the module).
interface FilterStateSlot { key: string; last: Uint8Array | null }
const MAX_SHARED_VALUE = 16384;
const filterStateSlots = new Map<string, FilterStateSlot>();
function filterStateSlot(name: string): FilterStateSlot {
  let slot = filterStateSlots.get(name);
  if (slot === undefined) {
    if (filterStateSlots.size >= MAX_PARSED_PATHS) filterStateSlots.clear();
    slot = { key: "wasm." + name, last: null };
    filterStateSlots.set(name, slot);
  }
  return slot;
}

export function propertyImports(vm: Vm) {
  const paths = new PathCache(vm);
  return {
    proxy_get_property(pp: number, pl: number, vpp: number, vsp: number): number {
      const path = paths.lookup(pp, pl);
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
      const slot = filterStateSlot(vm.name(pp, pl));
      let value = slot.last;
      if (value === null || !vm.holds(vp, vl, value)) {
        value = vm.bytes(vp, vl);
        // Only modest values are remembered: a module cannot make the host hold large ones.
        slot.last = value.length <= MAX_SHARED_VALUE ? value : null;
      }
      ctx.stream.filterState.set(slot.key, value);
      return WasmResult.Ok;
    },
  };
}
