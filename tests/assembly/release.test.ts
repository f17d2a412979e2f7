// The same helpers built with the release flags filters ship with (-O3z,
// --noAssert): representative vectors plus a short hostile-input loop each,
// so an optimizer-only difference cannot hide behind the debug-build suites.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadFixture, rng, randomBytes } from "./harness.ts";
import { SAMPLE_ISTIO_HEADER } from "../fixtures/istio/sample-istio-header.ts";

describe("helpers in release builds", () => {
  it("json + config-reader", async () => {
    const json = await loadFixture("json", { optimize: true });
    json.call("parse", '{"a": [1, "x\\u00e9", null]}', 64);
    expect(json.outString()).toBe('OK {"a":[1,"xé",null]}');
    json.call("parse", "[".repeat(10000), 64);
    expect(json.outString()).toBe("ERR line 1, column 65: nesting deeper than 64 levels");
    json.call("parse", "1e400", 64);
    expect(json.outString()).toBe("ERR line 1, column 1: number 1e400 is out of range");
    const cfg = await loadFixture("config-reader", { optimize: true });
    expect(cfg.call("read", '{"max_series": 0, "credentails": 1}')).toBe(2);
    const next = rng(51);
    for (let i = 0; i < 1000; i++) {
      const b = randomBytes(next, 48);
      expect(() => json.call("parse", b, 64)).not.toThrow();
      expect(() => cfg.call("read", b)).not.toThrow();
    }
  });

  it("base64, sha256, constant-time", async () => {
    const b64 = await loadFixture("base64", { optimize: true });
    expect(b64.call("decode", "Zm9vYmE", 0)).toBe(5);
    expect(b64.outString()).toBe("fooba");
    expect(b64.call("decode", "Zm9v YmE=", 0)).toBe(-1);
    const crypto = await loadFixture("crypto", { optimize: true });
    crypto.call("hash", "abc");
    expect(crypto.outString()).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const next = rng(52);
    for (let i = 0; i < 1000; i++) {
      const b = randomBytes(next, 100);
      expect(() => b64.call("decode", b, i & 1)).not.toThrow();
      crypto.call("hash", b);
      expect(crypto.outString()).toBe(createHash("sha256").update(b).digest("hex"));
    }
    const [pa, la] = crypto.put(new Uint8Array([1, 2, 3]));
    const [pb, lb] = crypto.put(new Uint8Array([1, 2, 4]));
    expect(crypto.exports.ctEqual(pa, la, pb, lb)).toBe(0);
    expect(crypto.exports.ctEqual(pa, la, pa, la)).toBe(1);
  });

  it("protobuf + struct", async () => {
    const pb = await loadFixture("protobuf", { optimize: true });
    const text = SAMPLE_ISTIO_HEADER;
    pb.call("istioNamespace", text);
    expect(pb.outString()).toBe("default|productpage-v1|productpage|dflt");
    pb.call("reencode", Buffer.from("0a070a016b12021a00", "hex"), 32);
    expect(Buffer.from(pb.outString(), "base64").toString("hex")).toBe("0a070a016b12021a00");
    const raw = Buffer.from(text, "base64");
    const next = rng(53);
    for (let i = 0; i < 1000; i++) {
      const m = Buffer.from(raw.subarray(0, Math.floor(next() * raw.length)));
      if (m.length) m[Math.floor(next() * m.length)] = Math.floor(next() * 256);
      expect(() => pb.call("decode", m, 32)).not.toThrow();
      expect(() => pb.call("scan", randomBytes(next, 32))).not.toThrow();
    }
  });
});
