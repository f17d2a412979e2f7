// Allocation-free reads of host values straight into a ByteBuffer, for per-request paths (the stats
// series key, metadata-exchange's peer id): the host hands us a malloc'ed block, we copy it where
// we need it and free it at once; no managed buffer per value.
import * as imports from "./imports";
import { WasmResultValues } from "./runtime/enums";
import { dataSlot, sizeSlot, resetSlots, discardHostBuffer } from "./runtime/host-memory";
import { ByteBuffer } from "./byte-buffer";

export const ABSENT: u32 = 0xffffffff;

export function pushU32(b: ByteBuffer, v: u32): void {
  b.ensure(4);
  store<u32>(b.dataStart + <usize>b.length, v);
  b.length += 4;
}

export function pushU64(b: ByteBuffer, v: u64): void {
  b.ensure(8);
  store<u64>(b.dataStart + <usize>b.length, v);
  b.length += 8;
}

function takeInto(b: ByteBuffer, ok: bool): i32 {
  const ptr = load<u32>(dataSlot()) as usize;
  const size = load<u32>(sizeSlot());
  let n = -1;
  if (!ok) {
    pushU32(b, ABSENT);
  } else {
    pushU32(b, size);
    if (size > 0 && ptr != 0) b.pushBytes(ptr, <i32>size);
    n = <i32>size;
  }
  discardHostBuffer();
  return n;
}

/** Appends `u32 length` + the property's bytes (length ABSENT when the host has none). */
export function appendProperty(b: ByteBuffer, path: ArrayBuffer): i32 {
  resetSlots();
  const r = imports.proxy_get_property(changetype<usize>(path), path.byteLength, dataSlot(), sizeSlot());
  return takeInto(b, r == WasmResultValues.Ok);
}

/** Appends `u32 length` + the header's first value (length ABSENT when missing). */
export function appendHeader(b: ByteBuffer, map: u32, key: ArrayBuffer): i32 {
  resetSlots();
  const r = imports.proxy_get_header_map_value(map, changetype<usize>(key), key.byteLength, dataSlot(), sizeSlot());
  return takeInto(b, r == WasmResultValues.Ok);
}

/** Compares `len` bytes at `ptr` with `lit`. */
export function bytesEqual(ptr: usize, len: i32, lit: ArrayBuffer): bool {
  if (len != lit.byteLength) return false;
  return memory.compare(ptr, changetype<usize>(lit), <usize>len) == 0;
}

/** Sets property `path` to the `len` bytes at `ptr` (bytes read into a buffer, no copy made). */
export function setPropertyFrom(path: ArrayBuffer, ptr: usize, len: i32): WasmResultValues {
  return imports.proxy_set_property(changetype<usize>(path), path.byteLength, ptr, len);
}
