// Body and configuration buffers.
import * as imports from "../imports";
import { BufferTypeValues, WasmResultValues } from "./enums";
import { dataSlot, sizeSlot, takeHostBuffer, resetSlots } from "./host-memory";

/** Bytes [start, start+length) of a buffer; empty when the host has none. */
export function get_buffer_bytes(typ: BufferTypeValues, start: u32, length: u32): ArrayBuffer {
  resetSlots();
  if (imports.proxy_get_buffer_bytes(typ, start, length, dataSlot(), sizeSlot()) != WasmResultValues.Ok) {
    return new ArrayBuffer(0);
  }
  return takeHostBuffer();
}

/**
 * Replaces bytes [start, start+size) of a buffer with `data` (Envoy: start 0 and
 * size >= the buffer length replaces the whole body). proxy-runtime bound this
 * to the wrong host function, so bodies could not be replaced with it.
 */
export function set_buffer_bytes(typ: BufferTypeValues, start: u32, size: u32, data: ArrayBuffer): WasmResultValues {
  return imports.proxy_set_buffer_bytes(typ, start, size, changetype<usize>(data), data.byteLength);
}

export class BufferStatusResult {
  result: WasmResultValues = WasmResultValues.Ok;
  length: usize = 0;
  flags: u32 = 0;
}

export function get_buffer_status(typ: BufferTypeValues): BufferStatusResult {
  const out = new BufferStatusResult();
  out.result = imports.proxy_get_buffer_status(typ, sizeSlot(), dataSlot());
  if (out.result == WasmResultValues.Ok) {
    out.length = load<u32>(sizeSlot());
    out.flags = load<u32>(dataSlot());
  }
  return out;
}
