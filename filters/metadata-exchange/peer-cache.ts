// Decoded peers by peer id (x-envoy-peer-metadata-id bytes), bounded in entries
// (`max`) and in bytes (MAX_PEER_CACHE_BYTES of ids and peer bytes, each entry
// charged ENTRY_OVERHEAD more): an id and its peer can be 8 KiB and 6 KiB, so
// max_peer_cache_size alone (up to 100,000) would not bound the memory.
// Lookups hash and compare the id bytes (no string is built per request).
// When full, the first max/4 entries (at least one) are evicted, as Istio's
// cache does, and more until the bytes are at most 3/4 of the budget; "first"
// here is least recently used (a use stamp is written on every hit; the
// ordering work happens only when evicting).

/** Bytes of ids and peers the cache holds at most. */
export const MAX_PEER_CACHE_BYTES: i32 = 4 << 20;
/** What an entry costs besides its id and peer bytes (objects, block headers, map slot), for the budget. */
const ENTRY_OVERHEAD: i32 = 128;

class Entry {
  constructor(public hash: u32, public id: ArrayBuffer, public peer: ArrayBuffer, public lastUse: u64, public next: Entry | null) {}
}

import { hashBytes } from "../../assembly/byte-key-table";

function sameBytes(a: ArrayBuffer, ptr: usize, len: i32): bool {
  if (a.byteLength != len) return false;
  return memory.compare(changetype<usize>(a), ptr, <usize>len) == 0;
}

function charge(e: Entry): i32 {
  return e.id.byteLength + e.peer.byteLength + ENTRY_OVERHEAD;
}

function byLastUse(a: Entry, b: Entry): i32 {
  if (a.lastUse < b.lastUse) return -1;
  if (a.lastUse > b.lastUse) return 1;
  return 0;
}

export class PeerCache {
  private buckets: Map<u32, Entry> = new Map<u32, Entry>();
  private count: i32 = 0;
  private bytes: i32 = 0;
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
    const h = hashBytes(changetype<usize>(id), id.byteLength);
    const e = new Entry(h, id, peer, ++this.clock, null);
    const cost = charge(e);
    if (this.count >= this.max || this.bytes + cost > MAX_PEER_CACHE_BYTES) this.evict(this.count >= this.max, cost);
    let head: Entry | null = null;
    if (this.buckets.has(h)) head = this.buckets.get(h);
    e.next = head;
    this.buckets.set(h, e);
    this.count++;
    this.bytes += cost;
  }

  /**
   * Drops the least recently used entries: max/4 (at least 1) when the count is full,
   * and as many as leave room for `incoming` bytes within 3/4 of the byte budget.
   */
  private evict(full: bool, incoming: i32): void {
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
    let drop = 0;
    if (full) {
      drop = this.max / 4;
      if (drop < 1) drop = 1;
    }
    let kept = this.bytes;
    for (let i = 0; i < drop && i < all.length; i++) kept -= charge(all[i]);
    const room = MAX_PEER_CACHE_BYTES - (MAX_PEER_CACHE_BYTES >> 2) - incoming;
    while (drop < all.length && kept > room) kept -= charge(all[drop++]);
    // A fresh map, not clear(): asc 0.17's Map#clear drops its entry storage
    // without releasing the values in it, so every cleared Entry leaked.
    this.buckets = new Map<u32, Entry>();
    this.count = 0;
    this.bytes = 0;
    for (let i = drop; i < all.length; i++) {
      const e = all[i];
      let head: Entry | null = null;
      if (this.buckets.has(e.hash)) head = this.buckets.get(e.hash);
      e.next = head;
      this.buckets.set(e.hash, e);
      this.count++;
      this.bytes += charge(e);
    }
    this.evicted += all.length - this.count;
  }
}
