import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture, rng, type Fixture } from "./harness.ts";

// json.ts converts numbers itself (double-double scaling instead of asc's
// strtod, shortest round-trip digits instead of asc's dtoa): check both
// against JavaScript over many magnitudes.
let fx: Fixture;
beforeAll(async () => {
  fx = await loadFixture("json");
});

function roundTrip(text: string): string {
  fx.call("parse", text, 64);
  return fx.outString();
}

function ulpDistance(a: number, b: number): number {
  const buf = new DataView(new ArrayBuffer(16));
  buf.setFloat64(0, a);
  buf.setFloat64(8, b);
  return Math.abs(Number(buf.getBigInt64(0) - buf.getBigInt64(8)));
}

describe("json: number conversion against JavaScript", () => {
  it("random doubles across the exponent range: parsed within 1 ulp, printed as String(x) almost always", () => {
    const next = rng(11);
    let exact = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const x = (next() * 10) * 10 ** Math.floor(next() * 600 - 300);
      if (!Number.isFinite(x) || x === 0) continue;
      const text = String(x);
      const out = roundTrip(text);
      expect(out.startsWith("OK "), text).toBe(true);
      const back = Number(out.slice(3));
      expect(ulpDistance(back, x), `${text} -> ${out}`).toBeLessThanOrEqual(1);
      if (out.slice(3) === text) exact++;
    }
    expect(exact / n).toBeGreaterThan(0.995);
  });

  it("short decimals and integers print exactly as JavaScript does", () => {
    const next = rng(12);
    for (let i = 0; i < 3000; i++) {
      const digits = 1 + Math.floor(next() * 12);
      const m = Math.floor(next() * 10 ** digits);
      const scale = Math.floor(next() * 30) - 15;
      const x = m * 10 ** scale;
      const text = String(x);
      expect(roundTrip(text), text).toBe(`OK ${String(Number(text))}`);
    }
    for (const t of ["0.1", "0.2", "0.3", "1.5", "403.5", "-2.5e-7", "1e+21", "1.7976931348623157e+308", "5e-324", "2.2250738585072014e-308", "123456789012345680000", "0.000001", "1e-7"]) {
      expect(roundTrip(t), t).toBe(`OK ${t}`);
    }
  });
});
