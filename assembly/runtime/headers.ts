// Header and trailer maps. The byte-level functions are the hot path (keys
// pre-encoded at configure time, values compared as bytes); the string-level
// `stream_context` mirrors proxy-runtime's API.
import * as imports from "../imports";
import { HeaderMapTypeValues, WasmResultValues } from "./enums";
import { dataSlot, sizeSlot, takeHostBuffer, resetSlots } from "./host-memory";
import { Headers, serializePairs, deserializePairs } from "./pairs";

/** The first value of `key`, or null when absent (ABI 0.2.x answers NotFound). */
export function getHeaderBytes(map: HeaderMapTypeValues, key: ArrayBuffer): ArrayBuffer | null {
  resetSlots();
  const r = imports.proxy_get_header_map_value(map, changetype<usize>(key), key.byteLength, dataSlot(), sizeSlot());
  if (r != WasmResultValues.Ok) return null;
  return takeHostBuffer();
}

export function addHeaderBytes(map: HeaderMapTypeValues, key: ArrayBuffer, value: ArrayBuffer): WasmResultValues {
  return imports.proxy_add_header_map_value(map, changetype<usize>(key), key.byteLength, changetype<usize>(value), value.byteLength);
}

export function replaceHeaderBytes(map: HeaderMapTypeValues, key: ArrayBuffer, value: ArrayBuffer): WasmResultValues {
  return imports.proxy_replace_header_map_value(map, changetype<usize>(key), key.byteLength, changetype<usize>(value), value.byteLength);
}

export function removeHeaderBytes(map: HeaderMapTypeValues, key: ArrayBuffer): WasmResultValues {
  return imports.proxy_remove_header_map_value(map, changetype<usize>(key), key.byteLength);
}

/** Removes every value of the `len`-byte name at `ptr` (a name read from a pairs block, say). */
export function removeHeaderRaw(map: HeaderMapTypeValues, ptr: usize, len: i32): WasmResultValues {
  return imports.proxy_remove_header_map_value(map, ptr, len);
}

/**
 * The whole map as the host serializes it (u32 count, count × (u32 name length,
 * u32 value length), then each name and value followed by a NUL), read in place:
 * the host's block, not a copy. Returns its address (0 when the host has none)
 * and leaves its size in `borrowedSize()`; the caller hands it back with
 * `releaseHeaderPairs()` before the callback returns.
 */
export function borrowHeaderPairs(map: HeaderMapTypeValues): usize {
  resetSlots();
  const ok = imports.proxy_get_header_map_pairs(map, dataSlot(), sizeSlot()) == WasmResultValues.Ok;
  const ptr = load<u32>(dataSlot()) as usize;
  borrowed = ok ? <i32>load<u32>(sizeSlot()) : 0;
  resetSlots();
  if (!ok) {
    if (ptr != 0) heap.free(ptr);
    return 0;
  }
  return ptr;
}

let borrowed: i32 = 0;

/** Size of the block the last borrowHeaderPairs() returned. */
export function borrowedSize(): i32 {
  return borrowed;
}

/** Frees a block borrowHeaderPairs() returned. */
export function releaseHeaderPairs(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

export function getHeaderPairs(map: HeaderMapTypeValues): Headers {
  resetSlots();
  if (imports.proxy_get_header_map_pairs(map, dataSlot(), sizeSlot()) != WasmResultValues.Ok) return [];
  return deserializePairs(takeHostBuffer());
}

export function setHeaderPairs(map: HeaderMapTypeValues, headers: Headers): WasmResultValues {
  const flat = serializePairs(headers);
  return imports.proxy_set_header_map_pairs(map, changetype<usize>(flat), flat.byteLength);
}

export function getHeaderMapSize(map: HeaderMapTypeValues): u32 {
  if (imports.proxy_get_header_map_size(map, sizeSlot()) != WasmResultValues.Ok) return 0;
  return load<u32>(sizeSlot());
}

// proxy-runtime-compatible functions (string and ArrayBuffer forms).
export function get_header_map_value(typ: HeaderMapTypeValues, key: ArrayBuffer): ArrayBuffer {
  const v = getHeaderBytes(typ, key);
  if (v === null) return new ArrayBuffer(0);
  return v;
}
export function add_header_map_value(typ: HeaderMapTypeValues, key: ArrayBuffer, value: ArrayBuffer): WasmResultValues {
  return addHeaderBytes(typ, key, value);
}
export function add_header_map_value_string(typ: HeaderMapTypeValues, key: string, value: string): WasmResultValues {
  return addHeaderBytes(typ, String.UTF8.encode(key), String.UTF8.encode(value));
}
export function replace_header_map_value(typ: HeaderMapTypeValues, key: ArrayBuffer, value: ArrayBuffer): void {
  replaceHeaderBytes(typ, key, value);
}
export function replace_header_map_value_string(typ: HeaderMapTypeValues, key: string, value: string): void {
  replaceHeaderBytes(typ, String.UTF8.encode(key), String.UTF8.encode(value));
}
export function remove_header_map_value(typ: HeaderMapTypeValues, key: ArrayBuffer): void {
  removeHeaderBytes(typ, key);
}
export function remove_header_map_value_string(typ: HeaderMapTypeValues, key: string): void {
  removeHeaderBytes(typ, String.UTF8.encode(key));
}
export function get_header_map_size(typ: HeaderMapTypeValues): usize {
  return getHeaderMapSize(typ);
}

/** One header map of the current stream, with proxy-runtime's method names. */
export class HeaderStreamManipulator {
  typ: HeaderMapTypeValues;

  constructor(typ: HeaderMapTypeValues) {
    this.typ = typ;
  }

  add(key: string, value: string): void {
    addHeaderBytes(this.typ, String.UTF8.encode(key), String.UTF8.encode(value));
  }
  replace(key: string, value: string): void {
    replaceHeaderBytes(this.typ, String.UTF8.encode(key), String.UTF8.encode(value));
  }
  /** The first value, or "" when absent (proxy-runtime's contract). */
  get(key: string): string {
    const v = getHeaderBytes(this.typ, String.UTF8.encode(key));
    if (v === null) return "";
    return String.UTF8.decode(v);
  }
  remove(key: string): void {
    removeHeaderBytes(this.typ, String.UTF8.encode(key));
  }
  get_headers(): Headers {
    return getHeaderPairs(this.typ);
  }
  set_headers(headers: Headers): void {
    setHeaderPairs(this.typ, headers);
  }
}

// The maps a HeaderStreamManipulator stands for, created on first use: a module
// that never touches stream_context builds none of them (no start-up code).
let headerMaps: StaticArray<HeaderStreamManipulator | null> | null = null;

function headerMap(typ: HeaderMapTypeValues): HeaderStreamManipulator {
  let maps = headerMaps;
  if (maps === null) {
    maps = new StaticArray<HeaderStreamManipulator | null>(8);
    headerMaps = maps;
  }
  let m = unchecked(maps![typ]);
  if (m === null) {
    m = new HeaderStreamManipulator(typ);
    unchecked(maps![typ] = m);
  }
  return m!;
}

/**
 * proxy-runtime's `stream_context`: the header maps of the stream being served
 * (`stream_context.headers.request.get(":path")`, `...trailers.response`, ...).
 */
export namespace stream_context {
  export class headers {
    static get request(): HeaderStreamManipulator { return headerMap(HeaderMapTypeValues.RequestHeaders); }
    static get response(): HeaderStreamManipulator { return headerMap(HeaderMapTypeValues.ResponseHeaders); }
    static get http_callback(): HeaderStreamManipulator { return headerMap(HeaderMapTypeValues.HttpCallResponseHeaders); }
  }
  export class trailers {
    static get request(): HeaderStreamManipulator { return headerMap(HeaderMapTypeValues.RequestTrailers); }
    static get response(): HeaderStreamManipulator { return headerMap(HeaderMapTypeValues.ResponseTrailers); }
    static get http_callback(): HeaderStreamManipulator { return headerMap(HeaderMapTypeValues.HttpCallResponseTrailers); }
  }
}
