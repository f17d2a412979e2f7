// SHA-256 (FIPS 180-4). Streaming (`Sha256`) and one-shot forms; the raw
// forms (`update(ptr, len)`, `finishInto`, `sha256Into`) allocate nothing, so
// hashing a credential per request is allocation-free.

import { hexEncodeBytes } from "./hex";

export const SHA256_DIGEST_LENGTH: i32 = 32;
export const SHA256_BLOCK_LENGTH: i32 = 64;

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** The initial hash value (static data: one copy instead of eight stores). */
const IV: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

export class Sha256 {
  private h: StaticArray<u32> = new StaticArray<u32>(8);
  private w: StaticArray<u32> = new StaticArray<u32>(64);
  private block: StaticArray<u8> = new StaticArray<u8>(64);
  private blockLen: i32 = 0;
  private totalLen: u64 = 0;

  constructor() {
    this.reset();
  }

  reset(): Sha256 {
    memory.copy(changetype<usize>(this.h), IV, 32);
    this.blockLen = 0;
    this.totalLen = 0;
    return this;
  }

  /** Hashes `len` bytes at `ptr`. */
  update(ptr: usize, len: i32): Sha256 {
    if (len <= 0) return this;
    this.totalLen += <u64>len;
    let blockPtr = changetype<usize>(this.block);
    let p = ptr;
    let remaining = len;
    if (this.blockLen > 0) {
      let take = SHA256_BLOCK_LENGTH - this.blockLen;
      if (take > remaining) take = remaining;
      memory.copy(blockPtr + <usize>this.blockLen, p, <usize>take);
      this.blockLen += take;
      p += <usize>take;
      remaining -= take;
      if (this.blockLen < SHA256_BLOCK_LENGTH) return this;
      this.compress(blockPtr);
      this.blockLen = 0;
    }
    while (remaining >= SHA256_BLOCK_LENGTH) {
      this.compress(p);
      p += <usize>SHA256_BLOCK_LENGTH;
      remaining -= SHA256_BLOCK_LENGTH;
    }
    if (remaining > 0) {
      memory.copy(blockPtr, p, <usize>remaining);
      this.blockLen = remaining;
    }
    return this;
  }

  updateArray(data: Uint8Array): Sha256 {
    return this.update(data.dataStart, data.length);
  }

  /** Hashes the UTF-8 bytes of `s`. */
  updateString(s: string): Sha256 {
    let buf = String.UTF8.encode(s, false);
    return this.update(changetype<usize>(buf), buf.byteLength);
  }

  /** Writes the 32-byte digest to `out` and resets for reuse. */
  finishInto(out: usize): void {
    let blockPtr = changetype<usize>(this.block);
    let bitLen = this.totalLen << 3;
    let n = this.blockLen;
    store<u8>(blockPtr + <usize>n, 0x80);
    n++;
    if (n > 56) {
      memory.fill(blockPtr + <usize>n, 0, <usize>(64 - n));
      this.compress(blockPtr);
      n = 0;
    }
    memory.fill(blockPtr + <usize>n, 0, <usize>(56 - n));
    store<u64>(blockPtr + 56, bswap<u64>(bitLen));
    this.compress(blockPtr);
    let h = changetype<usize>(this.h);
    for (let i: usize = 0; i < 8; i++) {
      store<u32>(out + (i << 2), bswap<u32>(load<u32>(h + (i << 2))));
    }
    this.reset();
  }

  /** The digest as a new 32-byte array; resets for reuse. */
  digest(): Uint8Array {
    let out = new Uint8Array(SHA256_DIGEST_LENGTH);
    this.finishInto(out.dataStart);
    return out;
  }

  private compress(p: usize): void {
    let w = changetype<usize>(this.w);
    let k = changetype<usize>(K);
    for (let i: usize = 0; i < 16; i++) {
      store<u32>(w + (i << 2), bswap<u32>(load<u32>(p + (i << 2))));
    }
    for (let i: usize = 16; i < 64; i++) {
      let w15 = load<u32>(w + ((i - 15) << 2));
      let w2 = load<u32>(w + ((i - 2) << 2));
      let s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
      let s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
      store<u32>(w + (i << 2), load<u32>(w + ((i - 16) << 2)) + s0 + load<u32>(w + ((i - 7) << 2)) + s1);
    }
    let hp = changetype<usize>(this.h);
    let a = load<u32>(hp, 0);
    let b = load<u32>(hp, 4);
    let c = load<u32>(hp, 8);
    let d = load<u32>(hp, 12);
    let e = load<u32>(hp, 16);
    let f = load<u32>(hp, 20);
    let g = load<u32>(hp, 24);
    let hh = load<u32>(hp, 28);
    for (let i: usize = 0; i < 64; i++) {
      let S1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
      let ch = (e & f) ^ (~e & g);
      let t1 = hh + S1 + ch + load<u32>(k + (i << 2)) + load<u32>(w + (i << 2));
      let S0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
      let maj = (a & b) ^ (a & c) ^ (b & c);
      let t2 = S0 + maj;
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    store<u32>(hp, load<u32>(hp, 0) + a, 0);
    store<u32>(hp, load<u32>(hp, 4) + b, 4);
    store<u32>(hp, load<u32>(hp, 8) + c, 8);
    store<u32>(hp, load<u32>(hp, 12) + d, 12);
    store<u32>(hp, load<u32>(hp, 16) + e, 16);
    store<u32>(hp, load<u32>(hp, 20) + f, 20);
    store<u32>(hp, load<u32>(hp, 24) + g, 24);
    store<u32>(hp, load<u32>(hp, 28) + hh, 28);
  }
}

const shared: Sha256 = new Sha256();

/** SHA-256 of `len` bytes at `ptr`, written to `out` (32 bytes). Allocates nothing. */
export function sha256Into(ptr: usize, len: i32, out: usize): void {
  shared.reset().update(ptr, len).finishInto(out);
}

/** SHA-256 of `data` as a new 32-byte array. */
export function sha256(data: Uint8Array): Uint8Array {
  let out = new Uint8Array(SHA256_DIGEST_LENGTH);
  sha256Into(data.dataStart, data.length, out.dataStart);
  return out;
}

/** SHA-256 of the UTF-8 bytes of `s`. */
export function sha256String(s: string): Uint8Array {
  let buf = String.UTF8.encode(s, false);
  let out = new Uint8Array(SHA256_DIGEST_LENGTH);
  sha256Into(changetype<usize>(buf), buf.byteLength, out.dataStart);
  return out;
}

/** Lowercase hex SHA-256 of `data`. */
export function sha256Hex(data: Uint8Array): string {
  let d = sha256(data);
  return hexEncodeBytes(d.dataStart, d.length);
}
