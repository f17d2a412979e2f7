import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture, rng, randomBytes, type Fixture } from "./harness.ts";
import { SAMPLE_ISTIO_HEADER } from "../fixtures/istio/sample-istio-header.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await loadFixture("base64");
});

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Reference: Envoy Base64::decodeWithoutPadding semantics. */
function referenceDecode(text: string, url: boolean): Buffer | null {
  const alphabet = url ? URL_ALPHA : STD;
  let n = text.length;
  if (n > 0 && text[n - 1] === "=") { n--; if (n > 0 && text[n - 1] === "=") n--; }
  const body = text.slice(0, n);
  if (n % 4 === 1) return null;
  for (const ch of body) if (!alphabet.includes(ch)) return null;
  const last = n % 4 === 0 ? -1 : alphabet.indexOf(body[n - 1]);
  if (n % 4 === 2 && (last & 0x0f) !== 0) return null;
  if (n % 4 === 3 && (last & 0x03) !== 0) return null;
  return Buffer.from(body, url ? "base64url" : "base64");
}

function decode(text: string | Uint8Array, url = false): Buffer | null {
  const n = fx.call("decode", text, url ? 1 : 0);
  if (n < -1) throw new Error(`decode entry points disagree (${n})`);
  return n < 0 ? null : Buffer.from(fx.outBytes());
}

function encode(bytes: Uint8Array, url = false, pad = true): string {
  const n = fx.call("encode", bytes, url ? 1 : 0, pad ? 1 : 0);
  if (n < 0) throw new Error(`encode entry points disagree (${n})`);
  return fx.outString();
}

describe("base64", () => {
  it("RFC 4648 test vectors", () => {
    const vectors: [string, string][] = [
      ["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, b64] of vectors) {
      expect(encode(Buffer.from(plain))).toBe(b64);
      expect(encode(Buffer.from(plain), false, false)).toBe(b64.replace(/=+$/, ""));
      expect(decode(b64)?.toString()).toBe(plain);
      expect(decode(b64.replace(/=+$/, ""))?.toString()).toBe(plain);
    }
  });

  it("URL alphabet", () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf, 0xfe]);
    expect(encode(bytes)).toBe("+/+//g==");
    expect(encode(bytes, true)).toBe("-_-__g==");
    expect(encode(bytes, true, false)).toBe("-_-__g");
    expect(decode("-_-__g", true)).toEqual(Buffer.from(bytes));
    expect(decode("-_-__g==", true)).toEqual(Buffer.from(bytes));
    expect(decode("-_-__g")).toBeNull(); // URL chars are invalid in the standard alphabet
    expect(decode("+/+//g", true)).toBeNull();
  });

  it("raw encodeInto matches", () => {
    fx.call("encodeInto", Buffer.from("hello world"), 0, 1);
    expect(fx.outString()).toBe("aGVsbG8gd29ybGQ=");
  });

  it("rejects invalid input without trapping", () => {
    for (const bad of ["Z", "Zg=", "Zg===", "Z===", "Zm9v=Zm9v", "Zm 9v", "Zm9v\n", "Zh==", "Zm9=", "Zm8", "====", "Z@==", "\u00ff\u00ff"]) {
      const ref = referenceDecode(bad, false);
      expect(decode(bad), JSON.stringify(bad)).toEqual(ref);
    }
    expect(decode("Zh==")).toBeNull(); // non-zero unused bits
    expect(decode("Zm9=")).toBeNull();
    expect(decode("Zg=")?.toString()).toBe("f"); // Envoy strips up to two '=' whatever the count needed
    expect(decode("=")).toEqual(Buffer.alloc(0));
    expect(decode("==")).toEqual(Buffer.alloc(0));
    expect(decode("===")).toBeNull();
  });

  it("string decode rejects non-ASCII characters", () => {
    expect(fx.exports.decodeNonAscii()).toBe(1);
    expect(fx.outString()).toBe(Buffer.from("héllo").toString("base64url"));
  });

  it("decodes the real Istio metadata header (unpadded)", async () => {
    const text = SAMPLE_ISTIO_HEADER;
    const ours = decode(text);
    expect(ours).toEqual(Buffer.from(text, "base64"));
    expect(ours!.length).toBeGreaterThan(1000);
  });

  it("round-trips random bytes and matches Node's Buffer", () => {
    const next = rng(21);
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(next, 100);
      const url = next() < 0.5;
      const pad = next() < 0.5;
      const text = encode(bytes, url, pad);
      let expected = Buffer.from(bytes).toString(url ? "base64url" : "base64");
      if (!url && !pad) expected = expected.replace(/=+$/, "");
      if (url && pad) expected += "=".repeat((4 - (expected.length % 4)) % 4);
      expect(text).toBe(expected);
      expect(decode(text, url)).toEqual(Buffer.from(bytes));
    }
  });

  it("fuzz: random text agrees with the Envoy reference and never traps", () => {
    const next = rng(22);
    const alphabet = new TextEncoder().encode(STD + "-_= \n.\u0000");
    for (let i = 0; i < 4000; i++) {
      const bytes = next() < 0.8 ? randomBytes(next, 24, alphabet) : randomBytes(next, 24);
      const url = next() < 0.5;
      let got: Buffer | null = null;
      expect(() => { got = decode(bytes, url); }).not.toThrow();
      const asText = Buffer.from(bytes).toString("latin1");
      expect(got, JSON.stringify(asText)).toEqual(referenceDecode(asText, url));
    }
  });
});
