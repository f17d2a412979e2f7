// A small, deterministic DEFLATE (RFC 1951) encoder: greedy LZ77 over a 32 KiB
// window, one fixed-Huffman block (or stored blocks when that would be larger).
//
// Why not node:zlib: its output is only as stable as the zlib Node bundles, and
// that changes between Node releases (nodejs/node#50138) and with CPU-specific
// hashing in some builds. The compat layer's digest is part of the manifest
// digest Istio pins, so "same sources, same digest on any machine" needs an
// encoder whose output is fixed by this file alone. Compression is a little
// worse than zlib -9; modules are tens of KiB, so that costs little.
// Decoding uses node:zlib (any correct inflater gives the same bytes back).

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

const WINDOW = 32768;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
const HASH_BITS = 15;
// Bounded chain walk: keeps the encoder linear-ish on repetitive input. Part of
// the output definition: changing it changes digests.
const MAX_CHAIN = 128;

class BitWriter {
  private out: number[] = [];
  private acc = 0;
  private n = 0;
  /** Appends the low `count` bits of `value`, least significant first (RFC 1951 §3.1.1). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++) {
      this.acc |= ((value >>> i) & 1) << this.n;
      if (++this.n === 8) {
        this.out.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }
  /** Huffman codes are defined most significant bit first. */
  code(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bits((code >>> i) & 1, 1);
  }
  finish(): Uint8Array {
    if (this.n > 0) this.out.push(this.acc);
    return Uint8Array.from(this.out);
  }
}

function literalCode(w: BitWriter, sym: number): void {
  if (sym <= 143) w.code(0x30 + sym, 8);
  else if (sym <= 255) w.code(0x190 + sym - 144, 9);
  else if (sym <= 279) w.code(sym - 256, 7);
  else w.code(0xc0 + sym - 280, 8);
}

function lengthSymbol(len: number): number {
  let i = LENGTH_BASE.length - 1;
  while (LENGTH_BASE[i]! > len) i--;
  return i;
}

function distSymbol(dist: number): number {
  let i = DIST_BASE.length - 1;
  while (DIST_BASE[i]! > dist) i--;
  return i;
}

function hashAt(data: Uint8Array, i: number): number {
  const v = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
  return Math.imul(v, 0x9e3779b1) >>> (32 - HASH_BITS);
}

function fixedBlock(data: Uint8Array): Uint8Array {
  const w = new BitWriter();
  w.bits(1, 1); // BFINAL
  w.bits(1, 2); // BTYPE=01 fixed Huffman
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const prev = new Int32Array(data.length).fill(-1);
  const insert = (i: number): void => {
    if (i + MIN_MATCH > data.length) return;
    const h = hashAt(data, i);
    prev[i] = head[h]!;
    head[h] = i;
  };
  let i = 0;
  while (i < data.length) {
    let bestLen = 0;
    let bestDist = 0;
    if (i + MIN_MATCH <= data.length) {
      const max = Math.min(MAX_MATCH, data.length - i);
      let j = head[hashAt(data, i)]!;
      let chain = 0;
      while (j >= 0 && i - j <= WINDOW && chain++ < MAX_CHAIN) {
        let len = 0;
        while (len < max && data[j + len] === data[i + len]) len++;
        if (len > bestLen) {
          bestLen = len;
          bestDist = i - j;
          if (len === max) break;
        }
        j = prev[j]!;
      }
    }
    if (bestLen >= MIN_MATCH) {
      const ls = lengthSymbol(bestLen);
      literalCode(w, 257 + ls);
      w.bits(bestLen - LENGTH_BASE[ls]!, LENGTH_EXTRA[ls]!);
      const ds = distSymbol(bestDist);
      w.code(ds, 5);
      w.bits(bestDist - DIST_BASE[ds]!, DIST_EXTRA[ds]!);
      for (let k = 0; k < bestLen; k++) insert(i + k);
      i += bestLen;
    } else {
      literalCode(w, data[i]!);
      insert(i);
      i++;
    }
  }
  literalCode(w, 256); // end of block
  return w.finish();
}

function storedBlocks(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let pos = 0;
  do {
    const len = Math.min(65535, data.length - pos);
    const final = pos + len >= data.length ? 1 : 0;
    out.push(final); // BFINAL + BTYPE=00, then padding to the byte boundary
    out.push(len & 0xff, len >>> 8, ~len & 0xff, (~len >>> 8) & 0xff);
    for (let k = 0; k < len; k++) out.push(data[pos + k]!);
    pos += len;
  } while (pos < data.length);
  return Uint8Array.from(out);
}

/** Raw DEFLATE stream of `data`; the same input always gives the same bytes. */
export function deflateRaw(data: Uint8Array): Uint8Array {
  const fixed = fixedBlock(data);
  // Incompressible input (rare for wasm): stored blocks bound the expansion.
  return fixed.length <= data.length + 5 * Math.ceil(Math.max(data.length, 1) / 65535) ? fixed : storedBlocks(data);
}
