import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture, rng, randomBytes, type Fixture } from "./harness.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await loadFixture("crypto");
});

function hash(bytes: Uint8Array | string): string {
  expect(fx.call("hash", bytes)).toBe(1);
  return fx.outString();
}

const nodeSha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

describe("sha256", () => {
  it("FIPS 180-4 / NIST vectors", () => {
    expect(hash("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(
      hash("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
    ).toBe("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    expect(hash("a".repeat(1_000_000))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    fx.exports.hashRepeated(0x61, 1_000_000);
    expect(fx.outString()).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("padding boundaries 0..200 bytes match node:crypto", () => {
    for (let n = 0; n <= 200; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
      expect(hash(data), `length ${n}`).toBe(nodeSha(data));
    }
  });

  it("streaming with every chunk size and instance reuse", () => {
    const data = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
    const expected = nodeSha(data);
    for (const chunk of [1, 3, 55, 56, 63, 64, 65, 127, 128, 300]) {
      fx.call("hashChunked", data, chunk);
      expect(fx.outString(), `chunk ${chunk}`).toBe(expected);
    }
  });

  it("hashes strings as UTF-8", () => {
    fx.call("hashString", "héllo 😀");
    const h = nodeSha("héllo 😀");
    expect(fx.outString()).toBe(`${h} ${h}`);
  });

  it("random inputs match node:crypto", () => {
    const next = rng(31);
    for (let i = 0; i < 2000; i++) {
      const data = randomBytes(next, 300);
      expect(hash(data)).toBe(nodeSha(data));
    }
  });
});

describe("hex", () => {
  function dec(text: string): Buffer | null {
    const n = fx.call("hexDec", text);
    if (n < -1) throw new Error(`hex entry points disagree (${n})`);
    return n < 0 ? null : Buffer.from(fx.outBytes());
  }
  it("decodes both cases, rejects odd length and non-hex", () => {
    expect(dec("")).toEqual(Buffer.alloc(0));
    expect(dec("00ffAbcD")).toEqual(Buffer.from([0x00, 0xff, 0xab, 0xcd]));
    expect(dec("abc")).toBeNull();
    expect(dec("zz")).toBeNull();
    expect(dec("0g")).toBeNull();
    expect(dec("g0")).toBeNull();
    expect(dec(" 0")).toBeNull();
    expect(dec("٠٠")).toBeNull();
  });
  it("fuzz agrees with Buffer and never traps", () => {
    const next = rng(32);
    const alphabet = new TextEncoder().encode("0123456789abcdefABCDEFgG:/ ");
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(next, 12, alphabet);
      const text = Buffer.from(bytes).toString("latin1");
      const valid = /^([0-9a-fA-F]{2})*$/.test(text);
      expect(dec(text)).toEqual(valid ? Buffer.from(text, "hex") : null);
    }
  });
});

describe("constant-time equality", () => {
  function eq(a: Uint8Array, b: Uint8Array): number {
    const [pa, la] = fx.put(a);
    const [pb, lb] = fx.put(b);
    try {
      return fx.exports.ctEqual(pa, la, pb, lb);
    } finally {
      fx.free(pa);
      fx.free(pb);
    }
  }
  it("equal, different, different lengths, empty", () => {
    const a = new Uint8Array(32).fill(7);
    expect(eq(a, a.slice())).toBe(1);
    for (let i = 0; i < 32; i++) {
      const b = a.slice();
      b[i] ^= 0x80;
      expect(eq(a, b)).toBe(0);
    }
    expect(eq(a, a.slice(0, 31))).toBe(0);
    expect(eq(a.slice(0, 31), a)).toBe(0);
    expect(eq(new Uint8Array(0), new Uint8Array(0))).toBe(1);
    expect(eq(new Uint8Array(0), a)).toBe(0);
    expect(eq(a, new Uint8Array(0))).toBe(0);
    // prefix with zero bytes must not compare equal
    expect(eq(new Uint8Array([1, 0]), new Uint8Array([1]))).toBe(0);
  });
  it("random pairs agree with Buffer.equals", () => {
    const next = rng(33);
    for (let i = 0; i < 2000; i++) {
      const a = randomBytes(next, 8, new Uint8Array([0, 1]));
      const b = next() < 0.3 ? a.slice() : randomBytes(next, 8, new Uint8Array([0, 1]));
      expect(eq(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)) ? 1 : 0);
    }
  });
  it("time does not depend on where buffers differ (coarse check)", () => {
    const run = (diffAt: number) => {
      const t0 = process.hrtime.bigint();
      fx.exports.ctLoop(diffAt, 500);
      return Number(process.hrtime.bigint() - t0);
    };
    run(0); run(4095); run(-1); // warm up
    // interleave and keep the minimum of each: robust against a busy machine
    const best = { early: Infinity, late: Infinity, equal: Infinity };
    for (let i = 0; i < 15; i++) {
      best.early = Math.min(best.early, run(0));
      best.late = Math.min(best.late, run(4095));
      best.equal = Math.min(best.equal, run(-1));
    }
    // An early-exit comparison would make `early` ~4000x faster than `late`;
    // allow a factor 5 for noise.
    expect(best.early / best.late).toBeGreaterThan(0.2);
    expect(best.early / best.equal).toBeGreaterThan(0.2);
  });
});
