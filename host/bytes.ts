// Small byte helpers shared by the host modules.
export const enc = new TextEncoder();
const dec = new TextDecoder("utf-8");

export const EMPTY = new Uint8Array(0);

export function toBytes(v: string | Uint8Array | undefined): Uint8Array {
  if (v === undefined) return EMPTY;
  return typeof v === "string" ? enc.encode(v) : v;
}

/** ASCII bytes to a string without TextDecoder's call overhead (most names and values are short). */
function ascii(b: Uint8Array): string | null {
  if (b.length > 256) return null;
  let s = "";
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c > 0x7f) return null;
    s += String.fromCharCode(c);
  }
  return s;
}

export function utf8(b: Uint8Array): string {
  return ascii(b) ?? dec.decode(b);
}

/** Header names/values are octets in Envoy; decoded as UTF-8 (ASCII fast path). */
export function octets(b: Uint8Array): string {
  return ascii(b) ?? dec.decode(b);
}

/** UTF-8 length of a string, and whether it is pure ASCII (then length = string length). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function int64le(v: number | bigint): Uint8Array {
  return int64leInto(v, new Uint8Array(8));
}

/** Writes `v` as a little-endian int64 into `b` (8 bytes) and returns `b`. */
export function int64leInto(v: number | bigint, b: Uint8Array): Uint8Array {
  if (typeof v === "bigint" && v >= -9007199254740991n && v <= 9007199254740991n) v = Number(v);
  if (typeof v === "number" && Number.isSafeInteger(v)) {
    // Two's complement without BigInt (the common case, and far cheaper).
    const hi = Math.floor(v / 4294967296);
    const lo = v - hi * 4294967296;
    b[0] = lo; b[1] = lo >>> 8; b[2] = lo >>> 16; b[3] = lo >>> 24;
    b[4] = hi; b[5] = hi >>> 8; b[6] = hi >>> 16; b[7] = hi >>> 24;
    return b;
  }
  new DataView(b.buffer, b.byteOffset, 8).setBigInt64(0, BigInt(v), true);
  return b;
}

export function uint64le(v: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

export function float64le(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return b;
}
