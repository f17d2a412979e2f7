// Properties (Envoy attributes) and filter state. A path is its segments joined
// by NUL; build paths once (configure time) with `propertyPath` and reuse them.
import * as imports from "../imports";
import { WasmResultValues } from "./enums";
import { dataSlot, sizeSlot, takeHostBuffer, resetSlots } from "./host-memory";

/** Encodes path segments as the host expects: UTF-8, NUL-separated. */
export function propertyPath(segments: string[]): ArrayBuffer {
  // (a loop, not Array#join: ~0.35 KB less per module)
  let path = "";
  for (let i = 0; i < segments.length; i++) {
    if (i > 0) path += "\0";
    path += unchecked(segments[i]);
  }
  return String.UTF8.encode(path);
}

/** The property's bytes, or null when the host has none (NotFound or any error). */
export function getPropertyBytes(path: ArrayBuffer): ArrayBuffer | null {
  resetSlots();
  const r = imports.proxy_get_property(changetype<usize>(path), path.byteLength, dataSlot(), sizeSlot());
  if (r != WasmResultValues.Ok) return null;
  return takeHostBuffer();
}

export function setPropertyBytes(path: ArrayBuffer, value: ArrayBuffer): WasmResultValues {
  return imports.proxy_set_property(changetype<usize>(path), path.byteLength, changetype<usize>(value), value.byteLength);
}

/** proxy-runtime's get_property: `path` with NUL-separated segments; empty when absent (it trapped). */
export function get_property(path: string): ArrayBuffer {
  const v = getPropertyBytes(String.UTF8.encode(path));
  if (v === null) return new ArrayBuffer(0);
  return v;
}

export function set_property(path: string, data: ArrayBuffer): WasmResultValues {
  return setPropertyBytes(String.UTF8.encode(path), data);
}

/** Reads an int64 property (Envoy encodes integers as 8 bytes little-endian). */
export function getPropertyI64(path: ArrayBuffer, fallback: i64): i64 {
  const v = getPropertyBytes(path);
  if (v === null || v.byteLength != 8) return fallback;
  return load<i64>(changetype<usize>(v));
}

/** Reads a string property; "" when absent. */
export function getPropertyString(path: ArrayBuffer): string {
  const v = getPropertyBytes(path);
  if (v === null) return "";
  return String.UTF8.decode(v);
}
