// Lowercase hex encoding; decoding accepts both cases. Decoding never traps:
// odd length or a non-hex character returns null (or -1 for the raw form).

const HEX_DIGITS: StaticArray<u8> = [
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
];

/** Value of one hex digit (0-9, a-f, A-F) or -1. */
export function hexValue(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  let l = c | 0x20;
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

/** Lowercase hex of `len` bytes at `ptr`. */
export function hexEncodeBytes(ptr: usize, len: i32): string {
  if (len <= 0) return "";
  let out = changetype<string>(__new(<usize>len << 2, idof<string>()));
  let o = changetype<usize>(out);
  for (let i = 0; i < len; i++) {
    let b = <u32>load<u8>(ptr + <usize>i);
    store<u16>(o + (<usize>i << 2), unchecked(HEX_DIGITS[b >> 4]));
    store<u16>(o + (<usize>i << 2) + 2, unchecked(HEX_DIGITS[b & 15]));
  }
  return out;
}

/** Lowercase hex of `data`. */
export function hexEncode(data: Uint8Array): string {
  return hexEncodeBytes(data.dataStart, data.length);
}

/**
 * Decodes `text` (even length, hex digits of either case) into bytes.
 * Returns null when the length is odd or a character is not a hex digit.
 */
export function hexDecode(text: string): Uint8Array | null {
  let n = text.length;
  if (n & 1) return null;
  let out = new Uint8Array(n >> 1);
  let s = changetype<usize>(text);
  let o = out.dataStart;
  for (let i = 0; i < n; i += 2) {
    let hi = hexValue(<u32>load<u16>(s + (<usize>i << 1)));
    let lo = hexValue(<u32>load<u16>(s + (<usize>i << 1) + 2));
    if ((hi | lo) < 0) return null;
    store<u8>(o + (<usize>i >> 1), <u8>((hi << 4) | lo));
  }
  return out;
}

/**
 * Decodes `len` ASCII hex characters at `src` into `dst` (room for len/2 bytes).
 * Returns the number of bytes written, or -1 on odd length / invalid character.
 */
export function hexDecodeInto(src: usize, len: i32, dst: usize): i32 {
  if (len < 0 || (len & 1)) return -1;
  for (let i = 0; i < len; i += 2) {
    let hi = hexValue(<u32>load<u8>(src + <usize>i));
    let lo = hexValue(<u32>load<u8>(src + <usize>i + 1));
    if ((hi | lo) < 0) return -1;
    store<u8>(dst + (<usize>i >> 1), <u8>((hi << 4) | lo));
  }
  return len >> 1;
}
