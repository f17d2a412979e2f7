// Receiving memory from the host. The host calls our `malloc` (a raw,
// unmanaged TLSF block) and returns the block's address and size through two
// out-parameter slots. We copy the block into a managed ArrayBuffer and free
// it at once, so nothing the host hands us can leak.

// Out-parameter slots, allocated once: no per-call allocation.
const slots: usize = heap.alloc(16);

/** Address of the slot the host writes a returned data pointer into. */
// @ts-ignore: decorator
@inline export function dataSlot(): usize { return slots; }
/** Address of the slot the host writes a returned size (or a u32 result) into. */
// @ts-ignore: decorator
@inline export function sizeSlot(): usize { return slots + 4; }
/** An 8-byte slot for u64 results (time, metric values). */
// @ts-ignore: decorator
@inline export function u64Slot(): usize { return slots + 8; }

/** Clears the returned-buffer slots before a host call that may not fill them. */
// @ts-ignore: decorator
@inline export function resetSlots(): void {
  store<u32>(slots, 0);
  store<u32>(slots + 4, 0);
}

/** Takes ownership of the buffer the host returned in the slots. */
export function takeHostBuffer(): ArrayBuffer {
  const ptr = load<u32>(slots) as usize;
  const size = load<u32>(slots + 4) as i32;
  const out = new ArrayBuffer(size);
  if (ptr != 0) {
    if (size > 0) memory.copy(changetype<usize>(out), ptr, size);
    heap.free(ptr);
  }
  store<u32>(slots, 0);
  store<u32>(slots + 4, 0);
  return out;
}

/** Frees a returned buffer without reading it. */
export function discardHostBuffer(): void {
  const ptr = load<u32>(slots) as usize;
  if (ptr != 0) heap.free(ptr);
  store<u32>(slots, 0);
  store<u32>(slots + 4, 0);
}
