// Shared data (one key-value store per VM id, shared across worker VMs) with
// compare-and-swap. proxy-runtime's wrappers passed the wrong pointers here.
import * as imports from "../imports";
import { WasmResultValues } from "./enums";
import { dataSlot, sizeSlot, u64Slot, takeHostBuffer, resetSlots } from "./host-memory";

export class SharedData {
  result: WasmResultValues = WasmResultValues.Ok;
  value: ArrayBuffer = new ArrayBuffer(0);
  cas: u32 = 0;
}

export function get_shared_data(key: string): SharedData {
  const out = new SharedData();
  const k = String.UTF8.encode(key);
  resetSlots();
  out.result = imports.proxy_get_shared_data(changetype<usize>(k), k.byteLength, dataSlot(), sizeSlot(), u64Slot());
  if (out.result == WasmResultValues.Ok) {
    out.cas = load<u32>(u64Slot());
    out.value = takeHostBuffer();
  }
  return out;
}

/** Sets `key` when `cas` is 0 or matches the stored cas; CasMismatch otherwise. */
export function set_shared_data(key: string, value: ArrayBuffer, cas: u32 = 0): WasmResultValues {
  const k = String.UTF8.encode(key);
  return imports.proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(value), value.byteLength, cas);
}
