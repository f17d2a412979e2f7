// Per-request helpers must not grow wasm memory: repeat them many times after
// a warm-up and check the memory size stays put. The "half" runtime frees by
// reference counting, but objects of possibly-cyclic classes whose count once
// dropped to a non-zero value stay buffered until a cycle collection; the lean
// layer runs one after every stream (proxy_on_delete), so we do the same.
import { describe, expect, it } from "vitest";
import { loadFixture } from "./harness.ts";
import { SAMPLE_ISTIO_HEADER } from "../fixtures/istio/sample-istio-header.ts";

async function pagesAfter(name: string, run: (fx: Awaited<ReturnType<typeof loadFixture>>) => void, rounds: number) {
  const fx = await loadFixture(name, { optimize: true });
  for (let i = 0; i < 200; i++) { run(fx); fx.exports.collect(); } // warm-up
  const before = fx.memory.buffer.byteLength;
  for (let i = 0; i < rounds; i++) { run(fx); fx.exports.collect(); }
  return { before, after: fx.memory.buffer.byteLength };
}

describe("helpers do not leak wasm memory", () => {
  const header = SAMPLE_ISTIO_HEADER;

  it("base64 + Struct decode of the Istio header, 5,000 times", async () => {
    const { before, after } = await pagesAfter("protobuf", (fx) => fx.call("istioNamespace", header), 5000);
    expect(after).toBe(before);
  });

  it("Struct decode + deterministic re-encode, 2,000 times", async () => {
    const raw = Buffer.from(header, "base64");
    const { before, after } = await pagesAfter("protobuf", (fx) => fx.call("reencode", raw, 32), 2000);
    expect(after).toBe(before);
  });

  it("JSON config parse + ConfigReader (errors included), 3,000 times", async () => {
    const cfg = JSON.stringify({ header: "h", max_series: 0, tags: ["a", 1], credentials: [{ name: "x", key_sha256: "ab" }], bogus: 1 });
    const { before, after } = await pagesAfter("config-reader", (fx) => fx.call("read", cfg), 3000);
    expect(after).toBe(before);
  });

  it("sha256 / base64 decode / constant-time compare, 5,000 times", async () => {
    const { before, after } = await pagesAfter("crypto", (fx) => fx.call("hash", "api-key-0123456789"), 5000);
    expect(after).toBe(before);
    const b = await pagesAfter("base64", (fx) => fx.call("decode", "aGVsbG8gd29ybGQ", 0), 5000);
    expect(b.after).toBe(b.before);
  });
});
