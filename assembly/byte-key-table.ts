// Open-addressing map from byte strings to non-negative ints (indexes into the caller's arrays),
// for the per-request lookups of keys assembled in a scratch buffer. A hit hashes the bytes once
// and compares them in place: nothing is allocated, where a Map<string, V> needed a string copy of
// the key and hashed it twice (has, then get) with asc's byte-at-a-time FNV.
//
// Keys live back to back in one arena that grows by doubling; the table is bounded by its owner
// (which replaces it when full), so nothing is ever deleted.

const EMPTY: u32 = 0;

/** A 32-bit hash of `len` bytes at `ptr`, four bytes per step, never 0 (0 marks an empty slot). */
export function hashBytes(ptr: usize, len: i32): u32 {
  let h: u32 = 0x811c9dc5 ^ <u32>len;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    h = (h ^ load<u32>(ptr + <usize>i)) * 0x01000193;
    h ^= h >>> 15;
  }
  for (; i < len; i++) h = (h ^ <u32>load<u8>(ptr + <usize>i)) * 0x01000193;
  // Final avalanche (murmur3 fmix32) so the low bits that pick a slot depend on every byte.
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h | 1;
}

export class ByteKeyTable {
  private hashes: StaticArray<u32>;
  private offsets: StaticArray<i32>;
  private lengths: StaticArray<i32>;
  private values: StaticArray<i32>;
  private mask: i32;
  private arena: ArrayBuffer = new ArrayBuffer(256);
  private arenaUsed: i32 = 0;
  size: i32 = 0;

  constructor(slots: i32 = 64) {
    // A power of two, so the slot is `hash & mask`.
    let n = 16;
    while (n < slots) n <<= 1;
    this.hashes = new StaticArray<u32>(n);
    this.offsets = new StaticArray<i32>(n);
    this.lengths = new StaticArray<i32>(n);
    this.values = new StaticArray<i32>(n);
    this.mask = n - 1;
  }

  /** The value stored for the `len` bytes at `ptr`, or -1. */
  find(ptr: usize, len: i32): i32 {
    const h = hashBytes(ptr, len);
    const arena = changetype<usize>(this.arena);
    let i = <i32>h & this.mask;
    while (true) {
      const sh = unchecked(this.hashes[i]);
      if (sh == EMPTY) return -1;
      if (sh == h && unchecked(this.lengths[i]) == len &&
          memory.compare(arena + <usize>unchecked(this.offsets[i]), ptr, <usize>len) == 0) {
        return unchecked(this.values[i]);
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Stores `value` (>= 0) for the `len` bytes at `ptr`; the caller checked the key is absent. */
  insert(ptr: usize, len: i32, value: i32): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const offset = this.arenaUsed;
    this.reserve(len);
    memory.copy(changetype<usize>(this.arena) + <usize>offset, ptr, <usize>len);
    this.arenaUsed = offset + len;
    this.place(hashBytes(ptr, len), offset, len, value);
    this.size++;
  }

  private place(h: u32, offset: i32, len: i32, value: i32): void {
    let i = <i32>h & this.mask;
    while (unchecked(this.hashes[i]) != EMPTY) i = (i + 1) & this.mask;
    unchecked(this.hashes[i] = h);
    unchecked(this.offsets[i] = offset);
    unchecked(this.lengths[i] = len);
    unchecked(this.values[i] = value);
  }

  private reserve(len: i32): void {
    const needed = this.arenaUsed + len;
    let cap = this.arena.byteLength;
    if (needed <= cap) return;
    while (cap < needed) cap <<= 1;
    const next = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(next), changetype<usize>(this.arena), <usize>this.arenaUsed);
    this.arena = next;
  }

  /** Doubles the slots, re-placing entries by their stored hashes (keys are not re-read). */
  private grow(): void {
    const hashes = this.hashes;
    const offsets = this.offsets;
    const lengths = this.lengths;
    const values = this.values;
    const n = (this.mask + 1) << 1;
    this.hashes = new StaticArray<u32>(n);
    this.offsets = new StaticArray<i32>(n);
    this.lengths = new StaticArray<i32>(n);
    this.values = new StaticArray<i32>(n);
    this.mask = n - 1;
    for (let i = 0; i < hashes.length; i++) {
      const h = unchecked(hashes[i]);
      if (h != EMPTY) this.place(h, unchecked(offsets[i]), unchecked(lengths[i]), unchecked(values[i]));
    }
  }
}
