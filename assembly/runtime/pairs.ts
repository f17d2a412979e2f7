// Proxy-Wasm pairs encoding (spec "Serialization", cpp-host pairs_util.cc):
// u32 count, count x (u32 key_len, u32 value_len), then each key and value
// followed by a NUL byte; little-endian.

export class HeaderPair {
  key: ArrayBuffer;
  value: ArrayBuffer;

  constructor(key: ArrayBuffer, value: ArrayBuffer) {
    this.key = key;
    this.value = value;
  }

  toString(): string {
    return String.UTF8.decode(this.key) + ":" + String.UTF8.decode(this.value);
  }
}

export type Headers = Array<HeaderPair>;

export function serializePairs(pairs: Headers): ArrayBuffer {
  const n = pairs.length;
  let size = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    size += p.key.byteLength + p.value.byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, n);
  let data = base + 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    const k = p.key.byteLength;
    const v = p.value.byteLength;
    store<u32>(base + 4 + 8 * i, k);
    store<u32>(base + 8 + 8 * i, v);
    memory.copy(data, changetype<usize>(p.key), k);
    data += k;
    store<u8>(data++, 0);
    memory.copy(data, changetype<usize>(p.value), v);
    data += v;
    store<u8>(data++, 0);
  }
  return out;
}

/** Decodes a pairs buffer; malformed input yields the pairs read so far, never a trap. */
export function deserializePairs(buf: ArrayBuffer): Headers {
  const result = new Array<HeaderPair>();
  const size = buf.byteLength;
  if (size < 4) return result;
  const base = changetype<usize>(buf);
  const n = load<u32>(base);
  // Each pair needs at least 8 bytes of sizes and 2 NULs.
  if (<u64>n * 10 + 4 > <u64>size) return result;
  let data = 4 + 8 * (n as i32);
  for (let i: i32 = 0; i < (n as i32); i++) {
    const k = load<u32>(base + 4 + 8 * i);
    const v = load<u32>(base + 8 + 8 * i);
    if (<u64>data + <u64>k + <u64>v + 2 > <u64>size) break;
    const key = buf.slice(data, data + (k as i32));
    data += (k as i32) + 1;
    const value = buf.slice(data, data + (v as i32));
    data += (v as i32) + 1;
    result.push(new HeaderPair(key, value));
  }
  return result;
}
