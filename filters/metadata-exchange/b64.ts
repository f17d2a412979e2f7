// Standard-alphabet base64 for this filter, table-free.
// Workaround: assembly/base64.ts keeps its tables in `@lazy` globals whose
// initializer asc 0.17 never emits when the first use is inside a method
// compiled late (build/metadata-exchange.debug.wasm had `global.get ENC_STD`
// but no store to it: encoding produced NUL bytes, decoding accepted anything
// as zeros). Same semantics as base64.ts (Envoy decodeWithoutPadding: up to two
// trailing '=' stripped; any other non-alphabet character, a 4k+1 length or
// non-zero unused bits fail). Drop this file once base64.ts is fixed.

// @ts-ignore: decorator
@inline function encChar(v: u32): u8 {
  if (v < 26) return <u8>(0x41 + v);
  if (v < 52) return <u8>(0x61 + v - 26);
  if (v < 62) return <u8>(0x30 + v - 52);
  if (v == 62) return 0x2B;
  return 0x2F;
}

/** 0..63, or 0xFF when `c` is not in the standard alphabet. */
// @ts-ignore: decorator
@inline function decChar(c: u32): u32 {
  if (c >= 0x41 && c <= 0x5A) return c - 0x41;
  if (c >= 0x61 && c <= 0x7A) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2B) return 62;
  if (c == 0x2F) return 63;
  return 0xFF;
}

export function b64EncodedLength(len: i32): i32 {
  return ((len + 2) / 3) * 4;
}

/** Padded standard base64 of `len` bytes at `src` into `dst`; returns bytes written. */
export function b64EncodeInto(src: usize, len: i32, dst: usize): i32 {
  let i = 0;
  let o = dst;
  const full = len - len % 3;
  while (i < full) {
    const v = (<u32>load<u8>(src + <usize>i) << 16) | (<u32>load<u8>(src + <usize>i + 1) << 8) | <u32>load<u8>(src + <usize>i + 2);
    store<u8>(o, encChar(v >> 18));
    store<u8>(o + 1, encChar((v >> 12) & 63));
    store<u8>(o + 2, encChar((v >> 6) & 63));
    store<u8>(o + 3, encChar(v & 63));
    o += 4;
    i += 3;
  }
  const rem = len - full;
  if (rem == 1) {
    const v = <u32>load<u8>(src + <usize>i) << 16;
    store<u8>(o, encChar(v >> 18));
    store<u8>(o + 1, encChar((v >> 12) & 63));
    store<u8>(o + 2, 0x3D);
    store<u8>(o + 3, 0x3D);
    o += 4;
  } else if (rem == 2) {
    const v = (<u32>load<u8>(src + <usize>i) << 16) | (<u32>load<u8>(src + <usize>i + 1) << 8);
    store<u8>(o, encChar(v >> 18));
    store<u8>(o + 1, encChar((v >> 12) & 63));
    store<u8>(o + 2, encChar((v >> 6) & 63));
    store<u8>(o + 3, 0x3D);
    o += 4;
  }
  return <i32>(o - dst);
}

/** Decodes `len` characters at `src` into `dst` (room for ((len+3)/4)*3); -1 when invalid. */
export function b64DecodeInto(src: usize, len: i32, dst: usize): i32 {
  let n = len;
  if (n > 0 && load<u8>(src + <usize>(n - 1)) == 0x3D) {
    n--;
    if (n > 0 && load<u8>(src + <usize>(n - 1)) == 0x3D) n--;
  }
  const rem = n & 3;
  if (rem == 1) return -1;
  const full = n - rem;
  let o = dst;
  let bad: u32 = 0;
  for (let i = 0; i < full; i += 4) {
    const a = decChar(load<u8>(src + <usize>i));
    const b = decChar(load<u8>(src + <usize>i + 1));
    const c = decChar(load<u8>(src + <usize>i + 2));
    const d = decChar(load<u8>(src + <usize>i + 3));
    bad |= a | b | c | d;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o + 1, <u8>(v >> 8));
    store<u8>(o + 2, <u8>v);
    o += 3;
  }
  if (bad & 0x80) return -1;
  if (rem == 2) {
    const a = decChar(load<u8>(src + <usize>full));
    const b = decChar(load<u8>(src + <usize>full + 1));
    if (((a | b) & 0x80) || (b & 0x0F)) return -1;
    store<u8>(o, <u8>((a << 2) | (b >> 4)));
    o += 1;
  } else if (rem == 3) {
    const a = decChar(load<u8>(src + <usize>full));
    const b = decChar(load<u8>(src + <usize>full + 1));
    const c = decChar(load<u8>(src + <usize>full + 2));
    if (((a | b | c) & 0x80) || (c & 0x03)) return -1;
    const v = (a << 12) | (b << 6) | c;
    store<u8>(o, <u8>(v >> 10));
    store<u8>(o + 1, <u8>(v >> 2));
    o += 2;
  }
  return <i32>(o - dst);
}
