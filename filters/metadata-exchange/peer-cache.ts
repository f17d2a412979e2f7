// Decoded peers by peer id (x-envoy-peer-metadata-id bytes), bounded.
// Lookups hash and compare the id bytes (no string is built per request).
// When full, the first max/4 entries (at least one) are evicted, as Istio's
// cache does; "first" here is least recently used (a use stamp is written on
// every hit; the ordering work happens only when evicting).

class Entry {
  constructor(public hash: u32, public id: ArrayBuffer, public peer: ArrayBuffer, public lastUse: u64, public next: Entry | null) {}
}

import { hashBytes } from "../../assembly/byte-key-table";

function sameBytes(a: ArrayBuffer, ptr: usize, len: i32): bool {
  if (a.byteLength != len) return false;
  return memory.compare(changetype<usize>(a), ptr, <usize>len) == 0;
}

function byLastUse(a: Entry, b: Entry): i32 {
  if (a.lastUse < b.lastUse) return -1;
  if (a.lastUse > b.lastUse) return 1;
  return 0;
}

export class PeerCache {
  private buckets: Map<u32, Entry> = new Map<u32, Entry>();
  private count: i32 = 0;
  private clock: u64 = 0;
  /** Entries evicted so far (observability for tests / debug logs). */
  evicted: i32 = 0;

  constructor(public readonly max: i32) {}

  get size(): i32 {
    return this.count;
  }

  /** The cached peer bytes for the id of `len` bytes at `ptr`, or null. */
  get(ptr: usize, len: i32): ArrayBuffer | null {
    if (this.max <= 0) return null;
    const h = hashBytes(ptr, len);
    if (!this.buckets.has(h)) return null;
    let e: Entry | null = this.buckets.get(h);
    while (e !== null) {
      if (sameBytes(e.id, ptr, len)) {
        e.lastUse = ++this.clock;
        return e.peer;
      }
      e = e.next;
    }
    return null;
  }

  /** Stores `peer` for `id` (the caller checked it was absent). */
  put(id: ArrayBuffer, peer: ArrayBuffer): void {
    if (this.max <= 0) return;
    if (this.count >= this.max) this.evict();
    const h = hashBytes(changetype<usize>(id), id.byteLength);
    let head: Entry | null = null;
    if (this.buckets.has(h)) head = this.buckets.get(h);
    this.buckets.set(h, new Entry(h, id, peer, ++this.clock, head));
    this.count++;
  }

  /** Drops the max/4 (at least 1) least recently used entries. */
  private evict(): void {
    const all = new Array<Entry>();
    const heads = this.buckets.values();
    for (let i = 0; i < heads.length; i++) {
      let e: Entry | null = heads[i];
      while (e !== null) {
        all.push(e);
        e = e.next;
      }
    }
    all.sort(byLastUse);
    let drop = this.max / 4;
    if (drop < 1) drop = 1;
    // A fresh map, not clear(): asc 0.17's Map#clear drops its entry storage
    // without releasing the values in it, so every cleared Entry leaked.
    this.buckets = new Map<u32, Entry>();
    this.count = 0;
    for (let i = drop; i < all.length; i++) {
      const e = all[i];
      let head: Entry | null = null;
      if (this.buckets.has(e.hash)) head = this.buckets.get(e.hash);
      e.next = head;
      this.buckets.set(e.hash, e);
      this.count++;
    }
    this.evicted += all.length - this.count;
  }
}
