// bcrypt ($2y$), enough to write an htpasswd file for Debian's docker-registry
// (distribution accepts only bcrypt entries) without apache2-utils or an npm
// dependency. Test-only: never used to protect anything.
//
// Blowfish's initial P-array and S-boxes are the fractional hex digits of pi;
// rather than pasting 1042 constants they are computed here (Machin's formula
// in BigInt) and pinned by the known-answer tests in htpasswd.test.ts.
import { randomBytes } from "node:crypto";

const WORDS = 18 + 4 * 256;

function piFractionWords(): Uint32Array {
  const bits = BigInt(WORDS * 32);
  const guard = 64n;
  const one = 1n << (bits + guard);
  const atanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    let k = 1n;
    let positive = true;
    while (term !== 0n) {
      sum += positive ? term / k : -(term / k);
      term /= x2;
      k += 2n;
      positive = !positive;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  const frac = (pi - 3n * one) >> guard; // `bits` bits of the fraction
  const out = new Uint32Array(WORDS);
  for (let i = 0; i < WORDS; i++) out[i] = Number((frac >> (bits - 32n * BigInt(i + 1))) & 0xffffffffn);
  return out;
}

let INIT: Uint32Array | undefined;

class Blowfish {
  P: Uint32Array;
  S: Uint32Array;
  constructor() {
    INIT ??= piFractionWords();
    this.P = INIT.slice(0, 18);
    this.S = INIT.slice(18);
  }
  private F(x: number): number {
    const S = this.S;
    return (((S[x >>> 24]! + S[256 + ((x >>> 16) & 0xff)]!) ^ S[512 + ((x >>> 8) & 0xff)]!) + S[768 + (x & 0xff)]!) >>> 0;
  }
  encipher(lr: Uint32Array, off: number): void {
    let l = lr[off]!;
    let r = lr[off + 1]!;
    const P = this.P;
    l ^= P[0]!;
    for (let n = 1; n <= 16; n += 2) {
      r ^= this.F(l >>> 0) ^ P[n]!;
      l ^= this.F(r >>> 0) ^ P[n + 1]!;
    }
    lr[off] = (r ^ P[17]!) >>> 0;
    lr[off + 1] = l >>> 0;
  }
  private static word(data: Uint8Array, pos: { j: number }): number {
    let w = 0;
    for (let i = 0; i < 4; i++) {
      w = ((w << 8) | data[pos.j]!) >>> 0;
      pos.j = (pos.j + 1) % data.length;
    }
    return w;
  }
  expand(key: Uint8Array, salt?: Uint8Array): void {
    const kp = { j: 0 };
    for (let i = 0; i < 18; i++) this.P[i] = (this.P[i]! ^ Blowfish.word(key, kp)) >>> 0;
    const lr = new Uint32Array(2);
    const sp = { j: 0 };
    const fill = (arr: Uint32Array): void => {
      for (let i = 0; i < arr.length; i += 2) {
        if (salt) {
          lr[0] = (lr[0]! ^ Blowfish.word(salt, sp)) >>> 0;
          lr[1] = (lr[1]! ^ Blowfish.word(salt, sp)) >>> 0;
        }
        this.encipher(lr, 0);
        arr[i] = lr[0]!;
        arr[i + 1] = lr[1]!;
      }
    };
    fill(this.P);
    fill(this.S);
  }
}

const B64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function encode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const c1 = bytes[i++]!;
    out += B64[c1 >> 2];
    let c = (c1 & 0x03) << 4;
    if (i >= bytes.length) {
      out += B64[c];
      break;
    }
    const c2 = bytes[i++]!;
    c |= c2 >> 4;
    out += B64[c];
    c = (c2 & 0x0f) << 2;
    if (i >= bytes.length) {
      out += B64[c];
      break;
    }
    const c3 = bytes[i++]!;
    c |= c3 >> 6;
    out += B64[c] + B64[c3 & 0x3f];
  }
  return out;
}

function decode(s: string, len: number): Uint8Array {
  const v = [...s].map((ch) => {
    const i = B64.indexOf(ch);
    if (i < 0) throw new Error(`bcrypt: bad salt character '${ch}'`);
    return i;
  });
  const out: number[] = [];
  for (let i = 0; out.length < len; i += 4) {
    const [a, b, c, d] = [v[i]!, v[i + 1]!, v[i + 2] ?? 0, v[i + 3] ?? 0];
    out.push(((a << 2) | (b >> 4)) & 0xff);
    if (out.length < len) out.push(((b << 4) | (c >> 2)) & 0xff);
    if (out.length < len) out.push(((c << 6) | d) & 0xff);
  }
  return Uint8Array.from(out);
}

/** bcrypt with an explicit `$2a$NN$<22 chars>` (or $2b$/$2y$) setting string. */
export function bcryptWithSetting(password: string, setting: string): string {
  const m = /^\$(2[aby])\$(\d\d)\$([./A-Za-z0-9]{22})/.exec(setting);
  if (!m) throw new Error(`bcrypt: bad setting '${setting}'`);
  const cost = Number(m[2]);
  const salt = decode(m[3]!, 16);
  const pw = new TextEncoder().encode(password);
  const key = new Uint8Array(Math.min(pw.length + 1, 72));
  key.set(pw.subarray(0, key.length));
  const bf = new Blowfish();
  bf.expand(key, salt);
  for (let i = 0; i < 2 ** cost; i++) {
    bf.expand(key);
    bf.expand(salt);
  }
  const ctext = new Uint32Array(6);
  const magic = new TextEncoder().encode("OrpheanBeholderScryDoubt");
  for (let i = 0; i < 6; i++) ctext[i] = ((magic[4 * i]! << 24) | (magic[4 * i + 1]! << 16) | (magic[4 * i + 2]! << 8) | magic[4 * i + 3]!) >>> 0;
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encipher(ctext, j);
  const bytes = new Uint8Array(24);
  for (let i = 0; i < 6; i++) {
    bytes[4 * i] = ctext[i]! >>> 24;
    bytes[4 * i + 1] = (ctext[i]! >>> 16) & 0xff;
    bytes[4 * i + 2] = (ctext[i]! >>> 8) & 0xff;
    bytes[4 * i + 3] = ctext[i]! & 0xff;
  }
  return `$${m[1]}$${m[2]}$${m[3]}${encode(bytes.subarray(0, 23))}`;
}

export function bcrypt(password: string, cost = 5): string {
  const salt = encode(randomBytes(16)).slice(0, 22);
  return bcryptWithSetting(password, `$2y$${String(cost).padStart(2, "0")}$${salt}`);
}

/** One htpasswd line, `user:$2y$...`. */
export function htpasswdLine(user: string, password: string): string {
  return `${user}:${bcrypt(password)}`;
}
