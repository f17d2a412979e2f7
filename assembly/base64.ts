// Base64 (RFC 4648), standard (`+/`) and URL-safe (`-_`) alphabets.
//
// Encoding pads with '=' by default (what Istio's metadata exchange and Envoy's
// Base64::encode produce). Decoding follows Envoy's Base64::decodeWithoutPadding,
// which Istio uses on received headers: strip up to two trailing '=', then
// decode; so padded and unpadded input are both accepted. Any character outside
// the chosen alphabet (including whitespace, a third '=', '=' in the middle),
// a length of 4k+1 after stripping, or non-zero unused bits in the last
// character is a failure, signalled by null / -1, never by a trap.
//
// For hot paths: base64DecodeInto / base64EncodeInto work on raw memory
// (e.g. header value bytes) into a caller-owned buffer and allocate nothing.

export enum Base64Alphabet {
  Standard = 0,
  Url = 1,
}

const ENC_STD: StaticArray<u8> = buildEncodeTable(false);
const ENC_URL: StaticArray<u8> = buildEncodeTable(true);
const DEC_STD: StaticArray<u8> = buildDecodeTable(false);
const DEC_URL: StaticArray<u8> = buildDecodeTable(true);

const INVALID: u32 = 0xFF;

function buildEncodeTable(url: bool): StaticArray<u8> {
  let t = new StaticArray<u8>(64);
  for (let i = 0; i < 26; i++) {
    t[i] = <u8>(0x41 + i);
    t[26 + i] = <u8>(0x61 + i);
  }
  for (let i = 0; i < 10; i++) t[52 + i] = <u8>(0x30 + i);
  if (url) {
    t[62] = 0x2D; // -
    t[63] = 0x5F; // _
  } else {
    t[62] = 0x2B; // +
    t[63] = 0x2F; // /
  }
  return t;
}

function buildDecodeTable(url: bool): StaticArray<u8> {
  let enc = buildEncodeTable(url);
  let t = new StaticArray<u8>(256);
  for (let i = 0; i < 256; i++) t[i] = <u8>INVALID;
  for (let i = 0; i < 64; i++) t[<i32>enc[i]] = <u8>i;
  return t;
}

/** Characters needed to encode `len` bytes. */
export function base64EncodedLength(len: i32, pad: bool = true): i32 {
  if (len <= 0) return 0;
  if (pad) return ((len + 2) / 3) * 4;
  let full = (len / 3) * 4;
  let rem = len % 3;
  if (rem == 1) return full + 2;
  if (rem == 2) return full + 3;
  return full;
}

/** Upper bound of the bytes decoded from `len` characters. */
export function base64DecodedMaxLength(len: i32): i32 {
  if (len <= 0) return 0;
  return ((len + 3) >> 2) * 3;
}

/**
 * Encodes `len` bytes at `src` as ASCII into `dst` (room for
 * base64EncodedLength(len, pad) bytes). Returns the number of bytes written.
 */
export function base64EncodeInto(src: usize, len: i32, dst: usize, alphabet: Base64Alphabet = Base64Alphabet.Standard, pad: bool = true): i32 {
  if (len <= 0) return 0;
  let table = changetype<usize>(ENC_STD);
  if (alphabet == Base64Alphabet.Url) table = changetype<usize>(ENC_URL);
  let i = 0;
  let o = dst;
  let full = len - len % 3;
  while (i < full) {
    let v = (<u32>load<u8>(src + <usize>i) << 16) | (<u32>load<u8>(src + <usize>i + 1) << 8) | <u32>load<u8>(src + <usize>i + 2);
    store<u8>(o, load<u8>(table + (v >> 18)));
    store<u8>(o + 1, load<u8>(table + ((v >> 12) & 63)));
    store<u8>(o + 2, load<u8>(table + ((v >> 6) & 63)));
    store<u8>(o + 3, load<u8>(table + (v & 63)));
    o += 4;
    i += 3;
  }
  let rem = len - full;
  if (rem == 1) {
    let v = <u32>load<u8>(src + <usize>i) << 16;
    store<u8>(o, load<u8>(table + (v >> 18)));
    store<u8>(o + 1, load<u8>(table + ((v >> 12) & 63)));
    o += 2;
    if (pad) { store<u8>(o, 0x3D); store<u8>(o + 1, 0x3D); o += 2; }
  } else if (rem == 2) {
    let v = (<u32>load<u8>(src + <usize>i) << 16) | (<u32>load<u8>(src + <usize>i + 1) << 8);
    store<u8>(o, load<u8>(table + (v >> 18)));
    store<u8>(o + 1, load<u8>(table + ((v >> 12) & 63)));
    store<u8>(o + 2, load<u8>(table + ((v >> 6) & 63)));
    o += 3;
    if (pad) { store<u8>(o, 0x3D); o += 1; }
  }
  return <i32>(o - dst);
}

/** Base64 text of `len` bytes at `ptr`. */
export function base64EncodeBytes(ptr: usize, len: i32, alphabet: Base64Alphabet = Base64Alphabet.Standard, pad: bool = true): string {
  let n = base64EncodedLength(len, pad);
  if (n == 0) return "";
  // Encode as ASCII into the second half of the string's own UTF-16 storage,
  // then widen front to back: writing char i (bytes 2i, 2i+1) never reaches
  // an ASCII byte n+j with j > i that is still to be read, since i < n.
  let out = __new(<usize>n << 1, idof<string>());
  let ascii = out + <usize>n;
  base64EncodeInto(ptr, len, ascii, alphabet, pad);
  for (let i: usize = 0; i < <usize>n; i++) {
    store<u16>(out + (i << 1), <u16>load<u8>(ascii + i));
  }
  return changetype<string>(out);
}

/** Base64 text of `data`. */
export function base64Encode(data: Uint8Array, alphabet: Base64Alphabet = Base64Alphabet.Standard, pad: bool = true): string {
  return base64EncodeBytes(data.dataStart, data.length, alphabet, pad);
}

/** Base64 text of a string's UTF-8 bytes. */
export function base64EncodeString(s: string, alphabet: Base64Alphabet = Base64Alphabet.Standard, pad: bool = true): string {
  let buf = String.UTF8.encode(s, false);
  return base64EncodeBytes(changetype<usize>(buf), buf.byteLength, alphabet, pad);
}

/** Length after stripping up to two trailing '=' (1-byte characters). */
function strippedLength8(src: usize, len: i32): i32 {
  let n = len;
  if (n > 0 && load<u8>(src + <usize>(n - 1)) == 0x3D) {
    n--;
    if (n > 0 && load<u8>(src + <usize>(n - 1)) == 0x3D) n--;
  }
  return n;
}

/**
 * Decodes `len` ASCII characters at `src` into `dst`, which must have room for
 * base64DecodedMaxLength(len) bytes. Returns the number of bytes written, or
 * -1 when the input is not valid base64. Allocates nothing.
 */
export function base64DecodeInto(src: usize, len: i32, dst: usize, alphabet: Base64Alphabet = Base64Alphabet.Standard): i32 {
  if (len <= 0) return 0;
  let table = changetype<usize>(DEC_STD);
  if (alphabet == Base64Alphabet.Url) table = changetype<usize>(DEC_URL);
  let n = strippedLength8(src, len);
  let rem = n & 3;
  if (rem == 1) return -1;
  let full = n - rem;
  let o = dst;
  let bad: u32 = 0;
  for (let i = 0; i < full; i += 4) {
    let a = <u32>load<u8>(table + <usize>load<u8>(src + <usize>i));
    let b = <u32>load<u8>(table + <usize>load<u8>(src + <usize>i + 1));
    let c = <u32>load<u8>(table + <usize>load<u8>(src + <usize>i + 2));
    let d = <u32>load<u8>(table + <usize>load<u8>(src + <usize>i + 3));
    bad |= a | b | c | d;
    let v = (a << 18) | (b << 12) | (c << 6) | d;
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o + 1, <u8>(v >> 8));
    store<u8>(o + 2, <u8>v);
    o += 3;
  }
  if (bad & 0x80) return -1;
  if (rem == 2) {
    let a = <u32>load<u8>(table + <usize>load<u8>(src + <usize>full));
    let b = <u32>load<u8>(table + <usize>load<u8>(src + <usize>full + 1));
    if (((a | b) & 0x80) || (b & 0x0F)) return -1;
    store<u8>(o, <u8>((a << 2) | (b >> 4)));
    o += 1;
  } else if (rem == 3) {
    let a = <u32>load<u8>(table + <usize>load<u8>(src + <usize>full));
    let b = <u32>load<u8>(table + <usize>load<u8>(src + <usize>full + 1));
    let c = <u32>load<u8>(table + <usize>load<u8>(src + <usize>full + 2));
    if (((a | b | c) & 0x80) || (c & 0x03)) return -1;
    let v = (a << 12) | (b << 6) | c;
    store<u8>(o, <u8>(v >> 10));
    store<u8>(o + 1, <u8>(v >> 2));
    o += 2;
  }
  return <i32>(o - dst);
}

/** Decodes `len` ASCII characters at `ptr`; null when invalid. */
export function base64DecodeBytes(ptr: usize, len: i32, alphabet: Base64Alphabet = Base64Alphabet.Standard): Uint8Array | null {
  let max = base64DecodedMaxLength(len);
  let out = new Uint8Array(max);
  let n = base64DecodeInto(ptr, len, out.dataStart, alphabet);
  if (n < 0) return null;
  if (n == max) return out;
  return out.subarray(0, n);
}

/** Decodes a buffer of ASCII characters (e.g. a header value as bytes); null when invalid. */
export function base64DecodeBuffer(buf: ArrayBuffer, alphabet: Base64Alphabet = Base64Alphabet.Standard): Uint8Array | null {
  return base64DecodeBytes(changetype<usize>(buf), buf.byteLength, alphabet);
}

/** Decodes a string; null when invalid (any character above U+00FF is invalid). */
export function base64Decode(text: string, alphabet: Base64Alphabet = Base64Alphabet.Standard): Uint8Array | null {
  let len = text.length;
  let ascii = new Uint8Array(len);
  let s = changetype<usize>(text);
  let a = ascii.dataStart;
  for (let i = 0; i < len; i++) {
    let c = <u32>load<u16>(s + (<usize>i << 1));
    if (c > 0x7F) return null;
    store<u8>(a + <usize>i, <u8>c);
  }
  return base64DecodeBytes(a, len, alphabet);
}
