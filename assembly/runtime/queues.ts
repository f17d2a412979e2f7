// Shared queues: one VM's root context registers a queue by name, any VM of
// the same vm_id (or another vm_id that resolves it by name) enqueues bytes,
// and the registering root context gets onQueueReady(token) to dequeue them.
// proxy-runtime 0.1.8's wrappers passed the token by value where the host
// writes it through a pointer; these return it.
import * as imports from "../imports";
import { WasmResultValues } from "./enums";
import { sizeSlot, resetSlots, dataSlot, takeHostBuffer } from "./host-memory";

export class SharedQueueResult {
  result: WasmResultValues = WasmResultValues.Ok;
  /** Valid when result is Ok. */
  token: u32 = 0;
}

export class DequeueSharedQueueResult {
  /** Ok with data, Empty when the queue holds nothing, NotFound for an unknown token. */
  result: WasmResultValues = WasmResultValues.Ok;
  data: ArrayBuffer = new ArrayBuffer(0);
}

/**
 * Registers (or re-registers) the queue `name` of this VM's vm_id with the
 * current root context, which then receives onQueueReady for it. Call it from
 * the root context.
 */
export function register_shared_queue(name: string): SharedQueueResult {
  const out = new SharedQueueResult();
  const n = String.UTF8.encode(name);
  store<u32>(sizeSlot(), 0);
  out.result = imports.proxy_register_shared_queue(changetype<usize>(n), n.byteLength, sizeSlot());
  if (out.result == WasmResultValues.Ok) out.token = load<u32>(sizeSlot());
  return out;
}

/** The token of queue `name` registered under `vm_id` (NotFound until someone registers it). */
export function resolve_shared_queue(vm_id: string, name: string): SharedQueueResult {
  const out = new SharedQueueResult();
  const v = String.UTF8.encode(vm_id);
  const n = String.UTF8.encode(name);
  store<u32>(sizeSlot(), 0);
  out.result = imports.proxy_resolve_shared_queue(changetype<usize>(v), v.byteLength, changetype<usize>(n), n.byteLength, sizeSlot());
  if (out.result == WasmResultValues.Ok) out.token = load<u32>(sizeSlot());
  return out;
}

export function enqueue_shared_queue(token: u32, data: ArrayBuffer): WasmResultValues {
  return imports.proxy_enqueue_shared_queue(token, changetype<usize>(data), data.byteLength);
}

/** The oldest item of the queue, if any. */
export function dequeue_shared_queue(token: u32): DequeueSharedQueueResult {
  const out = new DequeueSharedQueueResult();
  resetSlots();
  out.result = imports.proxy_dequeue_shared_queue(token, dataSlot(), sizeSlot());
  if (out.result == WasmResultValues.Ok) out.data = takeHostBuffer();
  return out;
}
