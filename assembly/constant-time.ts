// Constant-time byte comparison for secrets (API keys, digests).
//
// The running time depends only on the length of `a` (the expected value),
// never on where or whether the contents differ: every byte of `a` is
// compared, without branching on content, against the byte of `b` at the
// same index, or (when `b` is shorter) against a byte of `a` itself, and the
// lengths are folded into the result at the end.
//
// What may still leak: the lengths. Time is proportional to `a`'s length, and
// a length mismatch is not hidden in any stronger sense. Compare fixed-length
// values to avoid that: hash the presented secret with SHA-256 and compare the
// 32-byte digest with the stored 32-byte digest (`constantTimeEqual(expected,
// sha256(presented))`), which also keeps the plain secret out of the config.

/** Constant-time equality of `aLen` bytes at `a` and `bLen` bytes at `b`. */
export function constantTimeEqualBytes(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  if (aLen < 0) aLen = 0;
  if (bLen < 0) bLen = 0;
  let diff: u32 = <u32>(aLen ^ bLen);
  // When b is shorter, read from a instead (branch-free select) so nothing is
  // read out of bounds; diff is already non-zero in that case.
  let bLimit = <usize>bLen;
  for (let i = 0; i < aLen; i++) {
    let idx = <usize>i;
    let inB = idx < bLimit;
    let src = select<usize>(b + idx, a + idx, inB);
    diff |= <u32>load<u8>(a + idx) ^ <u32>load<u8>(src);
  }
  return diff == 0;
}

/** Constant-time equality of two byte arrays (time depends on `a.length` only). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): bool {
  return constantTimeEqualBytes(a.dataStart, a.length, b.dataStart, b.length);
}
