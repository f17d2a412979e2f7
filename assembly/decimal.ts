// Decimal text of an integer. asc's Number#toString carries radix support (its
// digit table and error strings) and separate 32/64-bit paths: ~0.7 KB of code
// and data in every module, for messages that only need base 10.

/**
 * `x` in base 10, as JavaScript's String(x) prints an integer ("-12", "0");
 * with `unsigned`, the bits of `x` read as a u64.
 */
export function decimal(x: i64, unsigned: bool = false): string {
  let neg = x < 0 && !unsigned;
  let u: u64 = neg ? <u64>0 - <u64>x : <u64>x;
  let n: usize = neg ? 2 : 1;
  for (let t = u; t >= 10; t /= 10) n++;
  let out = __new(n << 1, idof<string>());
  let p = out + (n << 1);
  do {
    p -= 2;
    store<u16>(p, <u16>(0x30 + <u32>(u % 10)));
    u /= 10;
  } while (u != 0);
  if (neg) store<u16>(out, 0x2D);
  return changetype<string>(out);
}
