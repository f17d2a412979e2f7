// What a module keeps at a fixed place and passes again and again (header names, property paths,
// a long header value it sends on every response): derived once per (pointer, length) and reused
// while the bytes there stay the same, which is checked on every use without a view object.
import type { Vm } from "./vm.ts";

/** Keys are ptr * 2^15 + len: only ranges shorter than this are kept. */
export const MAX_CACHED_RANGE = 32768;

export class BytesAtCache<T> {
  private entries = new Map<number, { bytes: Buffer; value: T }>();

  /** At most `maxEntries` ranges (then it starts over), so a module cannot grow it without end. */
  constructor(private readonly maxEntries: number) {}

  /**
   * `derive(vm, ptr, len)`, or what it gave last time for these same bytes at this place. The
   * range must be in bounds and shorter than MAX_CACHED_RANGE; `derive` must be a plain function
   * (no closure per call) that does not call into the module.
   */
  get(vm: Vm, ptr: number, len: number, derive: (vm: Vm, ptr: number, len: number) => T): T {
    const key = ptr * MAX_CACHED_RANGE + len;
    const hit = this.entries.get(key);
    if (hit && vm.equalsAt(ptr, hit.bytes)) return hit.value;
    const value = derive(vm, ptr, len);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { bytes: vm.copyOut(ptr, len), value });
    return value;
  }
}
