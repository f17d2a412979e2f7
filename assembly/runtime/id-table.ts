// A hash table from context id to context, open addressing with linear
// probing and backward-shift deletion. AssemblyScript 0.17's Map keeps deleted
// entries as tombstones and reallocates its storage every few inserts under
// the insert/delete churn of streams; this table allocates only when it grows.

export class IdTable<T> {
  // Keys as raw u32s in an ArrayBuffer (not a StaticArray<u32>: one generic
  // instantiation less in every module).
  private keys: ArrayBuffer;
  private values: StaticArray<T | null>;
  private mask: u32;
  private count: u32 = 0;

  constructor(capacity: u32 = 16) {
    // Capacity is a power of two so the probe wraps with a mask.
    let cap: u32 = 16;
    while (cap < capacity) cap <<= 1;
    this.keys = new ArrayBuffer(<i32>(cap << 2));
    this.values = new StaticArray<T | null>(cap);
    this.mask = cap - 1;
  }

  @inline private keyAt(i: u32): u32 {
    return load<u32>(changetype<usize>(this.keys) + (<usize>i << 2));
  }

  @inline private setKey(i: u32, id: u32): void {
    store<u32>(changetype<usize>(this.keys) + (<usize>i << 2), id);
  }

  get size(): u32 {
    return this.count;
  }

  // Id 0 is never a context id (the host starts at 1), so it marks empty slots.
  @inline private slotOf(id: u32): u32 {
    // Fibonacci hashing spreads sequential ids across the table.
    return (id * 0x9E3779B1) & this.mask;
  }

  get(id: u32): T | null {
    if (id == 0) return null;
    let i = this.slotOf(id);
    while (true) {
      const k = this.keyAt(i);
      if (k == id) return unchecked(this.values[i]);
      if (k == 0) return null;
      i = (i + 1) & this.mask;
    }
  }

  set(id: u32, value: T): void {
    if (id == 0) return;
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    let i = this.slotOf(id);
    while (true) {
      const k = this.keyAt(i);
      if (k == id) {
        unchecked(this.values[i] = value);
        return;
      }
      if (k == 0) {
        this.setKey(i, id);
        unchecked(this.values[i] = value);
        this.count++;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Removes `id`; true when it was present. */
  delete(id: u32): bool {
    if (id == 0) return false;
    const mask = this.mask;
    let i = this.slotOf(id);
    while (true) {
      const k = this.keyAt(i);
      if (k == 0) return false;
      if (k == id) break;
      i = (i + 1) & mask;
    }
    // Backward-shift: move later members of the probe run into the hole so
    // lookups never need tombstones.
    let hole = i;
    let j = (i + 1) & mask;
    while (true) {
      const k = this.keyAt(j);
      if (k == 0) break;
      const home = this.slotOf(k);
      // Move k when its home is not cyclically within (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.setKey(hole, k);
        unchecked(this.values[hole] = unchecked(this.values[j]));
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.setKey(hole, 0);
    unchecked(this.values[hole] = null);
    this.count--;
    return true;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const cap = (this.mask + 1) << 1;
    this.keys = new ArrayBuffer(<i32>(cap << 2));
    this.values = new StaticArray<T | null>(cap);
    this.mask = cap - 1;
    this.count = 0;
    const oldCap = <u32>oldKeys.byteLength >> 2;
    for (let i: u32 = 0; i < oldCap; i++) {
      const k = load<u32>(changetype<usize>(oldKeys) + (<usize>i << 2));
      if (k != 0) {
        const v = unchecked(oldValues[i]);
        if (v !== null) this.set(k, v);
      }
    }
  }
}
