// assembly/byte-key-table.ts against a JavaScript Map: seeded random byte keys (empty, shared
// prefixes, lengths around the four-byte step), thousands of them so the table grows many times.
import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture, type Fixture } from "./harness.ts";
import { mulberry32 } from "../support/mulberry32.ts";

let fx: Fixture;
beforeAll(async () => { fx = await loadFixture("byte-key-table"); });

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function keyOf(rand: () => number, i: number): Uint8Array {
  switch (i % 4) {
    case 0: return new Uint8Array(Math.floor(rand() * 9)).map(() => Math.floor(rand() * 256)); // short, some empty
    case 1: return Buffer.from(`outbound|9080||svc-${Math.floor(rand() * 5000)}.default.svc.cluster.local`);
    case 2: return Buffer.from(`sidecar~10.0.${i % 7}.${Math.floor(rand() * 300)}~p.ns`);
    default: return new Uint8Array(Math.floor(rand() * 300)).map(() => Math.floor(rand() * 4)); // low entropy, long
  }
}

describe("ByteKeyTable", () => {
  for (const slots of [1, 64]) {
    it(`finds exactly what was inserted, through growth (initial slots ${slots})`, () => {
      fx.exports.reset(slots);
      const rand = mulberry32(0xb7e + slots);
      const model = new Map<string, number>();
      for (let i = 0; i < 6000; i++) {
        const key = keyOf(rand, i);
        const [ptr, len] = fx.put(key);
        const found = fx.exports.find(ptr, len) as number;
        expect(found, `key ${i}`).toBe(model.get(hex(key)) ?? -1);
        if (found < 0) {
          fx.exports.insert(ptr, len, i);
          model.set(hex(key), i);
        }
        fx.free(ptr);
      }
      expect(fx.exports.size()).toBe(model.size);
      // every key again, after all the growth
      for (const [k, v] of model) {
        const [ptr, len] = fx.put(Buffer.from(k, "hex"));
        expect(fx.exports.find(ptr, len)).toBe(v);
        fx.free(ptr);
      }
    });
  }

  it("hashes are never 0 (an empty slot) and depend on every byte", () => {
    const rand = mulberry32(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const key = new Uint8Array(1 + (i % 40)).map(() => Math.floor(rand() * 256));
      const h1 = fx.call("hash", key) >>> 0;
      expect(h1).not.toBe(0);
      const flipped = key.slice();
      flipped[i % flipped.length]! ^= 1;
      expect(fx.call("hash", flipped) >>> 0, `byte ${i % key.length} of ${key.length}`).not.toBe(h1);
      seen.add(h1);
    }
    expect(seen.size).toBeGreaterThan(1990);
  });
});
