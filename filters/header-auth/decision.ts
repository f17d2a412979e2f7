// Byte-level pieces of the per-request decision. Nothing here allocates.
import { constantTimeEqualBytes } from "../../assembly/constant-time";
import { SHA256_DIGEST_LENGTH } from "../../assembly/sha256";
import { hexValue } from "../../assembly/hex";

/** Length of a :path up to (not including) its query or fragment. */
export function pathLength(ptr: usize, len: i32): i32 {
  for (let i = 0; i < len; i++) {
    const c = load<u8>(ptr + <usize>i);
    if (c == 0x3f || c == 0x23) return i; // '?' or '#'
  }
  return len;
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(b: u32): bool {
  return (b | 0x20) - 0x61 < 26 || b - 0x30 < 10 || b == 0x2d || b == 0x2e || b == 0x5f || b == 0x7e;
}

/**
 * Whether the `len`-byte path at `ptr` (query and fragment already cut) is in
 * normal form: what Envoy's normalize_path and merge_slashes leave, with
 * path_with_escaped_slashes_action rejecting %2F and %5C (README "Paths in normal
 * form"): it starts with '/'; it holds only visible ASCII and no '\'; no empty
 * segment ("//") except after a trailing '/'; no segment that is "." or "..", or
 * reads as one (or as empty) once its path parameters (";...") are dropped, as
 * servlet containers drop them; every '%' starts an escape of two hex digits that
 * is not NUL, '/', '\' or an unreserved character (normalize_path decodes those).
 */
export function isNormalPath(ptr: usize, len: i32): bool {
  if (len <= 0 || load<u8>(ptr) != 0x2f) return false;
  let segment = 1; // first byte of the current segment
  let params = -1; // its first ';', -1 while none
  for (let i = 1; i <= len; i++) {
    // A virtual '/' after the last byte closes the last segment.
    const c: u32 = i < len ? <u32>load<u8>(ptr + <usize>i) : 0x2f;
    if (c == 0x2f) {
      const core = (params >= 0 ? params : i) - segment;
      if (i == segment) {
        if (i < len) return false; // "//"; an empty last segment is a trailing '/'
      } else if (core == 0) {
        return false; // ";x": empty once its parameters are dropped
      } else if (core <= 2 && load<u8>(ptr + <usize>segment) == 0x2e && (core == 1 || load<u8>(ptr + <usize>segment + 1) == 0x2e)) {
        return false; // "." or ".."
      }
      segment = i + 1;
      params = -1;
    } else if (c <= 0x20 || c >= 0x7f || c == 0x5c) {
      return false;
    } else if (c == 0x3b) {
      if (params < 0) params = i;
    } else if (c == 0x25) {
      if (i + 2 >= len) return false;
      const hi = hexValue(<u32>load<u8>(ptr + <usize>i + 1));
      const lo = hexValue(<u32>load<u8>(ptr + <usize>i + 2));
      if (hi < 0 || lo < 0) return false;
      const b = <u32>((hi << 4) | lo);
      if (b == 0 || b == 0x2f || b == 0x5c || isUnreserved(b)) return false;
      i += 2;
    }
  }
  return true;
}

/** `ptr` starts with the bytes of `b` (its caller checked that `len` >= their length). */
function startsWith(ptr: usize, b: ArrayBuffer): bool {
  // (one copy of memory.compare's word-at-a-time loop for both callers)
  const n = b.byteLength;
  return n == 0 || memory.compare(ptr, changetype<usize>(b), <usize>n) == 0;
}

export function bytesEqual(ptr: usize, len: i32, b: ArrayBuffer): bool {
  return len == b.byteLength && startsWith(ptr, b);
}

export function hasPrefix(ptr: usize, len: i32, prefix: ArrayBuffer): bool {
  return len >= prefix.byteLength && startsWith(ptr, prefix);
}

export function equalsAny(ptr: usize, len: i32, list: Array<ArrayBuffer>): bool {
  for (let i = 0; i < list.length; i++) {
    if (bytesEqual(ptr, len, unchecked(list[i]))) return true;
  }
  return false;
}

export function prefixOfAny(ptr: usize, len: i32, list: Array<ArrayBuffer>): bool {
  for (let i = 0; i < list.length; i++) {
    if (hasPrefix(ptr, len, unchecked(list[i]))) return true;
  }
  return false;
}

// Result of parseBearer: the token's bounds, or one of these.
export const NOT_BEARER: i32 = -1;
export const BAD_BEARER: i32 = -2;

// @ts-ignore: decorator
@inline function isOws(c: u32): bool {
  return c == 0x20 || c == 0x09;
}

/**
 * Parses an Authorization value as `Bearer <token>` (scheme case-insensitive,
 * RFC 9110 §11.1). Returns the token's length and writes its offset to
 * `offsetOut`; NOT_BEARER when the scheme is another one (or the value is
 * empty); BAD_BEARER when the scheme is Bearer but the token is missing or
 * contains whitespace.
 */
export function parseBearer(ptr: usize, len: i32, offsetOut: usize): i32 {
  if (len < 6) return NOT_BEARER;
  // "bearer", compared case-insensitively: b|0x20 equals a lower-case letter only for that letter.
  if ((<u32>load<u8>(ptr) | 0x20) != 0x62 || (<u32>load<u8>(ptr, 1) | 0x20) != 0x65
    || (<u32>load<u8>(ptr, 2) | 0x20) != 0x61 || (<u32>load<u8>(ptr, 3) | 0x20) != 0x72
    || (<u32>load<u8>(ptr, 4) | 0x20) != 0x65 || (<u32>load<u8>(ptr, 5) | 0x20) != 0x72) return NOT_BEARER;
  if (len == 6) return BAD_BEARER;
  if (!isOws(<u32>load<u8>(ptr, 6))) return NOT_BEARER; // "Bearerx…" is another scheme
  let start = 7;
  while (start < len && isOws(<u32>load<u8>(ptr + <usize>start))) start++;
  let end = len;
  while (end > start && isOws(<u32>load<u8>(ptr + <usize>(end - 1)))) end--;
  if (end == start) return BAD_BEARER;
  for (let i = start; i < end; i++) {
    if (isOws(<u32>load<u8>(ptr + <usize>i))) return BAD_BEARER;
  }
  store<i32>(offsetOut, start);
  return end - start;
}

/**
 * Index of the credential whose stored digest equals `digest`, or -1.
 * Every stored digest is compared, with no early exit and no branch on the
 * outcome, so the time taken does not depend on which credential (if any)
 * matched.
 */
export function matchDigest(digests: ArrayBuffer, digest: usize): i32 {
  const base = changetype<usize>(digests);
  const n = digests.byteLength / SHA256_DIGEST_LENGTH;
  let found: i32 = -1;
  for (let i = 0; i < n; i++) {
    const eq = constantTimeEqualBytes(base + <usize>(i * SHA256_DIGEST_LENGTH), SHA256_DIGEST_LENGTH, digest, SHA256_DIGEST_LENGTH);
    found = select<i32>(i, found, eq);
  }
  return found;
}
