// A small seeded random source for the robustness suites.
import { mulberry32 } from "../support/mulberry32.ts";
export class Rand {
  /** [0, 1) */
  readonly next: () => number;
  constructor(seed: number) { this.next = mulberry32(seed); }
  /** [0, n) */
  int(n: number): number { return Math.floor(this.next() * n); }
  /** true with probability p */
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(a: readonly T[]): T { return a[Math.floor(this.next() * a.length)]!; }
  str(n: number, alphabet: string): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
  /** n random code units 0..255 (bytes 0x80+ travel as 2-byte UTF-8 in headers). */
  binary(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(256));
    return s;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** The seed a suite uses: FUZZ_SEED / SOAK_SEED when set, else a fixed default. */
export function seedFrom(env: string | undefined, fallback: number): number {
  if (env === undefined || env === "") return fallback;
  const n = Number(env);
  if (!Number.isFinite(n)) throw new Error(`bad seed ${env}`);
  return n >>> 0;
}
