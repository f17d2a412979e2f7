// Proxy-Wasm pairs serialization (cpp-host src/pairs_util.cc): u32 count, count × (u32 key_len,
// u32 value_len), then each key and value followed by a NUL byte; little-endian.
import { enc, octets } from "./bytes.ts";

/** Plugin-supplied pairs limits (cpp-host include/proxy-wasm/limits.h). */
export const PAIRS_MAX_BYTES = 1 << 20;
export const PAIRS_MAX_COUNT = 1024;

export function encodePairs(pairs: ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array, ...unknown[]]>): Uint8Array {
  // An empty map serializes to a zero-length buffer, not to a count of 0 (cpp-host exports.cc).
  if (pairs.length === 0) return new Uint8Array(0);
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  let size = 4 + pairs.length * 8;
  for (const [k, v] of pairs) {
    const kb = typeof k === "string" ? enc.encode(k) : k;
    const vb = typeof v === "string" ? enc.encode(v) : v;
    keys.push(kb); values.push(vb);
    size += kb.length + vb.length + 2;
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, pairs.length, true);
  let o = 4;
  for (let i = 0; i < pairs.length; i++) {
    dv.setUint32(o, keys[i]!.length, true);
    dv.setUint32(o + 4, values[i]!.length, true);
    o += 8;
  }
  for (let i = 0; i < pairs.length; i++) {
    out.set(keys[i]!, o); o += keys[i]!.length + 1;
    out.set(values[i]!, o); o += values[i]!.length + 1;
  }
  return out;
}

/** Decodes pairs; returns null when malformed or over the limits (the host answers BadArgument). */
export function decodePairs(buf: Uint8Array): [string, string][] | null {
  if (buf.length === 0) return [];
  if (buf.length < 4 || buf.length > PAIRS_MAX_BYTES) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getUint32(0, true);
  if (n > PAIRS_MAX_COUNT || 4 + n * 8 > buf.length) return null;
  const out: [string, string][] = [];
  let data = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = dv.getUint32(4 + i * 8, true);
    const vl = dv.getUint32(8 + i * 8, true);
    if (data + kl + 1 + vl + 1 > buf.length) return null;
    const k = octets(buf.subarray(data, data + kl)); data += kl + 1;
    const v = octets(buf.subarray(data, data + vl)); data += vl + 1;
    out.push([k, v]);
  }
  return out;
}
