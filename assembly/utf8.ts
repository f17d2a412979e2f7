// UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most U+10FFFF)
// and a one-allocation UTF-8 → string decoder. asc 0.17's
// String.UTF8.decodeUnsafe neither validates nor sizes its output exactly
// (it allocates 2 bytes per input byte, then reallocates).

/** Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid/truncated. */
export function utf8SequenceLength(p: usize, end: usize): i32 {
  let b0 = <u32>load<u8>(p);
  if (b0 < 0x80) return 1;
  if (b0 < 0xC2) return 0; // continuation byte or overlong 2-byte lead
  if (b0 < 0xE0) {
    if (p + 1 >= end) return 0;
    return (<u32>load<u8>(p + 1) & 0xC0) == 0x80 ? 2 : 0;
  }
  if (b0 < 0xF0) {
    if (p + 2 >= end) return 0;
    let b1 = <u32>load<u8>(p + 1);
    let b2 = <u32>load<u8>(p + 2);
    if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80) return 0;
    if (b0 == 0xE0 && b1 < 0xA0) return 0; // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0; // UTF-16 surrogate
    return 3;
  }
  if (b0 < 0xF5) {
    if (p + 3 >= end) return 0;
    let b1 = <u32>load<u8>(p + 1);
    let b2 = <u32>load<u8>(p + 2);
    let b3 = <u32>load<u8>(p + 3);
    if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80) return 0;
    if (b0 == 0xF0 && b1 < 0x90) return 0; // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0; // > U+10FFFF
    return 4;
  }
  return 0;
}

/** True when the `len` bytes at `ptr` are valid UTF-8 (RFC 3629). */
export function isValidUtf8(ptr: usize, len: i32): bool {
  let p = ptr;
  let end = ptr + <usize>(len < 0 ? 0 : len);
  while (p < end) {
    if (<u32>load<u8>(p) < 0x80) { p++; continue; }
    let n = utf8SequenceLength(p, end);
    if (n == 0) return false;
    p += <usize>n;
  }
  return true;
}

/**
 * Decodes `len` bytes of UTF-8 at `ptr` with a single allocation. With
 * `validate`, returns null on invalid UTF-8; without, the bytes must already
 * be known valid (e.g. checked while scanning).
 */
export function utf8ToString(ptr: usize, len: i32, validate: bool = true): string | null {
  if (len <= 0) return "";
  let end = ptr + <usize>len;
  // pass 1: validate and count UTF-16 code units
  let units: usize = 0;
  let p = ptr;
  let ascii = true;
  while (p < end) {
    let b = <u32>load<u8>(p);
    if (b < 0x80) { p++; units++; continue; }
    ascii = false;
    let n: i32;
    if (validate) {
      n = utf8SequenceLength(p, end);
      if (n == 0) return null;
    } else {
      n = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
      if (p + <usize>n > end) return null;
    }
    p += <usize>n;
    units += n == 4 ? 2 : 1;
  }
  let out = __new(units << 1, idof<string>());
  if (ascii) {
    for (let i: usize = 0; i < <usize>len; i++) store<u16>(out + (i << 1), <u16>load<u8>(ptr + i));
    return changetype<string>(out);
  }
  // pass 2: decode
  let o = out;
  p = ptr;
  while (p < end) {
    let b0 = <u32>load<u8>(p);
    if (b0 < 0x80) {
      store<u16>(o, <u16>b0);
      p++;
      o += 2;
    } else if (b0 < 0xE0) {
      store<u16>(o, <u16>(((b0 & 0x1F) << 6) | (<u32>load<u8>(p + 1) & 0x3F)));
      p += 2;
      o += 2;
    } else if (b0 < 0xF0) {
      store<u16>(o, <u16>(((b0 & 0x0F) << 12) | ((<u32>load<u8>(p + 1) & 0x3F) << 6) | (<u32>load<u8>(p + 2) & 0x3F)));
      p += 3;
      o += 2;
    } else {
      let cp = ((b0 & 0x07) << 18) | ((<u32>load<u8>(p + 1) & 0x3F) << 12) | ((<u32>load<u8>(p + 2) & 0x3F) << 6) | (<u32>load<u8>(p + 3) & 0x3F);
      cp -= 0x10000;
      store<u16>(o, <u16>(0xD800 | (cp >> 10)));
      store<u16>(o + 2, <u16>(0xDC00 | (cp & 0x3FF)));
      p += 4;
      o += 4;
    }
  }
  return changetype<string>(out);
}
