import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture, rng, randomBytes, type Fixture } from "./harness.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await loadFixture("json");
});

function parse(text: string | Uint8Array, maxDepth = 64): string {
  fx.call("parse", text, maxDepth);
  return fx.outString();
}

describe("json: valid documents", () => {
  it.each([
    ["null", "null"],
    ["true", "true"],
    [" false ", "false"],
    ["0", "0"],
    ["-0", "-0"],
    ["123", "123"],
    ["-12.5e2", "-1250"],
    ["1E+2", "100"],
    ["0.25", "0.25"],
    ['""', '""'],
    ['"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"', '"a\\"b\\\\c/d\\u0008\\u000c\\n\\r\\t"'],
    ['"\\u00e9\\u20AC"', '"é€"'],
    ['"\\ud83d\\ude00"', '"😀"'],
    ['"héllo 😀"', '"héllo 😀"'],
    ['"\\u0000"', '"\\u0000"'],
    ["[]", "[]"],
    ["{}", "{}"],
    ["[1, [2, [3]], {}]", "[1,[2,[3]],{}]"],
    ['{"b": 1, "a": {"c": [true, null]}}', '{"b":1,"a":{"c":[true,null]}}'],
    ["\t\r\n [ 1 ,2 ] \n", "[1,2]"],
  ])("%s", (input, expected) => {
    expect(parse(input)).toBe(`OK ${expected}`);
  });

  it("keeps object keys in document order and exposes them", () => {
    fx.call("describe", '{"z":1,"a":2,"m":3}');
    expect(fx.outString()).toBe("object int=0 keys=z,a,m");
  });

  it("matches JSON.parse on a realistic configuration", () => {
    const cfg = {
      header: "x-api-key",
      credentials: [{ name: "svc-a", key_sha256: "ab".repeat(32) }, { name: "ünï", key_sha256: "00".repeat(32) }],
      nested: { list: [1, 2.5, -3e-7, "s", null, false], empty: {} },
    };
    const out = parse(JSON.stringify(cfg, null, 2));
    expect(out.startsWith("OK ")).toBe(true);
    expect(JSON.parse(out.slice(3))).toEqual(cfg);
  });

  it("parses through the string entry point too", () => {
    fx.call("parseViaString", '{"k": ["v", 1]}');
    expect(fx.outString()).toBe('OK {"k":["v",1]}');
    fx.call("parseViaString", "{,}");
    expect(fx.outString()).toMatch(/^ERR line 1, column 2: /);
  });

  it("looks up members", () => {
    const doc = fx.put('{"a": {"b": 2}, "c": "x"}');
    const key = fx.put("a");
    expect(fx.exports.lookup(doc[0], doc[1], key[0], key[1])).toBe(1);
    expect(fx.outString()).toBe('{"b":2}');
    const missing = fx.put("zz");
    expect(fx.exports.lookup(doc[0], doc[1], missing[0], missing[1])).toBe(0);
  });

  it("looks up members and finds duplicates in large objects too (hashed past 8 keys)", () => {
    for (const n of [8, 9, 40, 300]) {
      const keys = Array.from({ length: n }, (_, i) => `key${i}`);
      const text = `{${keys.map((k, i) => `"${k}": ${i}`).join(", ")}}`;
      const doc = fx.put(text);
      for (const i of [0, 1, n >> 1, n - 1]) {
        const key = fx.put(keys[i]);
        expect(fx.exports.lookup(doc[0], doc[1], key[0], key[1])).toBe(1);
        expect(fx.outString()).toBe(String(i));
      }
      const missing = fx.put(`key${n}`);
      expect(fx.exports.lookup(doc[0], doc[1], missing[0], missing[1])).toBe(0);
      expect(parse(`{${keys.map((k, i) => `"${k}": ${i}`).join(",")},"key${n >> 1}":0}`)).toMatch(
        new RegExp(`^ERR line 1, column \\d+: duplicate key 'key${n >> 1}'$`));
    }
  });

  it("builds values and serializes with escapes; set replaces in place", () => {
    expect(fx.exports.builder()).toBe(3);
    expect(fx.outString()).toBe('{"b":2,"a":"x\\n\\"y\\u0001","c":[true,null,1.5]}');
  });
});

describe("json: errors carry line and column", () => {
  it.each([
    ["", "line 1, column 1: expected a value, got end of input"],
    ["{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7: expected ':' after object key, got '2'"],
    ['{\n  "a": 1\n  "b": 2\n}', "line 3, column 3: expected ',' or '}', got '\"'"],
    ["[1, 2,]", "line 1, column 7: expected a value, got ']' (trailing commas are not allowed)"],
    ['{"a": 1,}', "line 1, column 9: expected string key, got '}' (trailing commas are not allowed)"],
    ["[1] // c", "line 1, column 5: unexpected '/' after the JSON value"],
    ["/* c */ 1", "line 1, column 1: expected a value, got '/' (comments are not allowed)"],
    ["NaN", "line 1, column 1: expected a value, got 'N' (not a JSON number)"],
    ["[Infinity]", "line 1, column 2: expected a value, got 'I' (not a JSON number)"],
    ["-Infinity", "line 1, column 2: expected a digit, got 'I'"],
    ["01", "line 1, column 1: leading zeros are not allowed in numbers"],
    ["-01", "line 1, column 1: leading zeros are not allowed in numbers"],
    ["1.", "line 1, column 3: expected a digit after '.', got end of input"],
    [".5", "line 1, column 1: expected a value, got '.' (not a JSON number)"],
    ["+1", "line 1, column 1: expected a value, got '+' (not a JSON number)"],
    ["1e", "line 1, column 3: expected a digit in the exponent, got end of input"],
    ["0x10", "line 1, column 2: unexpected 'x' after the JSON value"],
    ["1e400", "line 1, column 1: number 1e400 is out of range"],
    ["[-1e999999999999]", "line 1, column 2: number -1e999999999999 is out of range"],
    ["{'a': 1}", "line 1, column 2: expected string key, got ''' (strings use double quotes)"],
    ['{"a": 1, "a": 2}', "line 1, column 10: duplicate key 'a'"],
    ['{"x": {"dup\\n": 1, "dup\\u000a": 2}}', "line 1, column 20: duplicate key 'dup\\u000a'"],
    ['"abc', "line 1, column 1: unterminated string"],
    ['"a\tb"', "line 1, column 3: control character byte 0x09 in string (escape it)"],
    ['"\\x"', "line 1, column 2: invalid escape '\\x' in string"],
    ['"\\u12"', "line 1, column 2: invalid \\u escape (expected 4 hex digits)"],
    ['"\\ud800"', "line 1, column 2: lone surrogate \\ud800 (a high surrogate must be followed by a low surrogate escape)"],
    ['"\\ud800\\u0041"', "line 1, column 2: lone surrogate \\ud800 (a high surrogate must be followed by a low surrogate escape)"],
    ['"\\udc00"', "line 1, column 2: lone surrogate \\udc00 (low surrogate without a high surrogate)"],
    ["tru", "line 1, column 1: expected a value, got 't'"],
    ["truex", "line 1, column 1: expected a value, got 't'"],
    ["nul", "line 1, column 1: expected a value, got 'n'"],
    ["[1 2]", "line 1, column 4: expected ',' or ']', got '2'"],
    ["1 2", "line 1, column 3: unexpected '2' after the JSON value"],
    ['{"é": x}', "line 1, column 7: expected a value, got 'x'"],
  ])("%j", (input, expected) => {
    expect(parse(input)).toBe(`ERR ${expected}`);
  });

  it("rejects invalid UTF-8 and a byte order mark", () => {
    expect(parse(new Uint8Array([0x22, 0xc3, 0x28, 0x22]))).toBe("ERR line 1, column 2: invalid UTF-8 in string");
    expect(parse(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe("ERR line 1, column 2: invalid UTF-8 in string"); // CESU surrogate
    expect(parse(new Uint8Array([0x22, 0xc0, 0xaf, 0x22]))).toBe("ERR line 1, column 2: invalid UTF-8 in string"); // overlong
    expect(parse(new Uint8Array([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]))).toBe("ERR line 1, column 2: invalid UTF-8 in string");
    expect(parse(new Uint8Array([0xef, 0xbb, 0xbf, 0x31]))).toBe("ERR line 1, column 1: byte order mark is not allowed");
    expect(parse(new Uint8Array([0x31, 0x20, 0xff]))).toBe("ERR line 1, column 3: unexpected byte 0xff after the JSON value");
  });
});

describe("json: numbers", () => {
  it("huge and long numbers are reported, never trap", () => {
    expect(parse("99999999999999999999")).toBe("OK 100000000000000000000");
    fx.call("describe", "99999999999999999999");
    expect(fx.outString()).toBe("number int=0 keys=");
    fx.call("describe", "9007199254740991");
    expect(fx.outString()).toBe("number int=1 keys=");
    fx.call("describe", "9007199254740992");
    expect(fx.outString()).toBe("number int=0 keys=");
    fx.call("describe", "1.5");
    expect(fx.outString()).toBe("number int=0 keys=");
    fx.call("describe", "1e2");
    expect(fx.outString()).toBe("number int=1 keys=");
    expect(parse("1" + "0".repeat(400))).toMatch(/^ERR line 1, column 1: number 1{1}0{31}\.\.\. is out of range$/);
    expect(parse("1e-400")).toBe("OK 0");
    expect(parse("0." + "0".repeat(5000) + "1")).toBe("OK 0");
    expect(parse("1" + "1".repeat(10000))).toMatch(/^ERR .* is out of range$/);
  });

  it("agrees with JSON.parse on random numbers", () => {
    const next = rng(7);
    for (let i = 0; i < 500; i++) {
      const x = (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20);
      const text = String(x);
      const out = parse(text);
      expect(out.startsWith("OK ")).toBe(true);
      const back = Number(out.slice(3));
      // asc 0.17's strtod/dtoa are not always correctly rounded: allow 1 ulp-ish
      expect(Math.abs(back - x)).toBeLessThanOrEqual(Math.abs(x) * 4e-16);
    }
  });

  it("isSafeInteger", () => {
    const s = fx.exports.safeInteger;
    expect(s(0)).toBe(1);
    expect(s(-9007199254740991)).toBe(1);
    expect(s(9007199254740992)).toBe(0);
    expect(s(0.5)).toBe(0);
    expect(s(NaN)).toBe(0);
    expect(s(Infinity)).toBe(0);
  });
});

describe("json: depth limits", () => {
  it("10,000 levels of nesting is an error, not a stack overflow", () => {
    expect(parse("[".repeat(10000) + "]".repeat(10000))).toBe("ERR line 1, column 65: nesting deeper than 64 levels");
    expect(parse('{"a":'.repeat(10000) + "1" + "}".repeat(10000))).toBe(
      "ERR line 1, column 321: nesting deeper than 64 levels",
    );
    expect(parse("[".repeat(100000))).toMatch(/nesting deeper than 64 levels/);
  });

  it("exactly maxDepth levels parse; the parameter is honoured", () => {
    expect(parse("[".repeat(64) + "]".repeat(64))).toBe(`OK ${"[".repeat(64)}${"]".repeat(64)}`);
    expect(parse("[[[1]]]", 3)).toBe("OK [[[1]]]");
    expect(parse("[[[1]]]", 2)).toBe("ERR line 1, column 3: nesting deeper than 2 levels");
    // a big limit is clamped to 512: parsing is iterative, but the runtime frees trees recursively
    expect(parse("[".repeat(512) + "]".repeat(512), 1_000_000).slice(0, 4)).toBe("OK [");
    expect(parse("[".repeat(20000) + "]".repeat(20000), 1_000_000)).toBe("ERR line 1, column 513: nesting deeper than 512 levels");
    expect(parse('{"a":'.repeat(512) + "1" + "}".repeat(512), 1_000_000).slice(0, 4)).toBe("OK {");
  });

  it("unterminated deep nesting reports end of input", () => {
    expect(parse("[[[")).toBe("ERR line 1, column 4: expected a value, got end of input");
    expect(parse('{"a":[1,')).toBe("ERR line 1, column 9: expected a value, got end of input");
  });
});

describe("json: hostile input never traps", () => {
  it("random bytes", () => {
    const next = rng(1);
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(next, 64);
      expect(() => fx.call("parse", bytes, 64)).not.toThrow();
    }
  });

  it("random JSON-ish token soup agrees with JSON.parse on validity", () => {
    const next = rng(2);
    const tokens = ["{", "}", "[", "]", ",", ":", '"a"', '"b"', "1", "-", "0", ".5", "e3", "true", "null", " ", '"\\u', "d83d", '"'];
    for (let i = 0; i < 4000; i++) {
      let s = "";
      const n = Math.floor(next() * 12);
      for (let j = 0; j < n; j++) s += tokens[Math.floor(next() * tokens.length)];
      let expectedOk = true;
      let parsed: unknown;
      try {
        parsed = JSON.parse(s);
      } catch {
        expectedOk = false;
      }
      let ok = 0;
      expect(() => { ok = fx.call("parse", s, 64); }).not.toThrow();
      // JSON.parse accepts duplicate keys and lone surrogates; we reject them.
      const dupOrSurrogate = /duplicate key|lone surrogate/.test(fx.outString());
      if (!dupOrSurrogate) expect(ok === 1, s).toBe(expectedOk);
      if (ok === 1) expect(JSON.parse(fx.outString().slice(3))).toEqual(parsed);
    }
  });

  it("mutated valid documents", () => {
    const next = rng(3);
    const base = new TextEncoder().encode(JSON.stringify({ a: [1, 2, { b: "cé😀", c: null }], d: -1.5e3, e: true }));
    for (let i = 0; i < 3000; i++) {
      const m = base.slice(0, Math.floor(next() * (base.length + 1)));
      const flips = Math.floor(next() * 3);
      for (let f = 0; f < flips && m.length; f++) m[Math.floor(next() * m.length)] = Math.floor(next() * 256);
      expect(() => fx.call("parse", m, 64)).not.toThrow();
    }
  });

  it("utf8ToString agrees with TextDecoder(fatal)", () => {
    const next = rng(5);
    const dec = new TextDecoder("utf-8", { fatal: true });
    const pieces = new Uint8Array([0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xa9, 0xdf, 0xe0, 0xe2, 0x82, 0xac, 0xed, 0xef, 0xf0, 0x9f, 0x98, 0x80, 0xf4, 0x8f, 0xf5]);
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(next, 10, pieces);
      let expected: string | null;
      try { expected = dec.decode(bytes); } catch { expected = null; }
      const n = fx.call("utf8Decode", bytes);
      if (expected === null) expect(n, Buffer.from(bytes).toString("hex")).toBe(-1);
      else {
        expect(n).toBe(expected.length);
        expect(fx.outString()).toBe(expected);
      }
    }
    expect(fx.call("utf8Decode", "héllo 😀 €")).toBe("héllo 😀 €".length);
    expect(fx.outString()).toBe("héllo 😀 €");
  });

  it("isValidUtf8 agrees with TextDecoder(fatal)", () => {
    const next = rng(4);
    const dec = new TextDecoder("utf-8", { fatal: true });
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(next, 8, new Uint8Array([0x41, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x90, 0x9f]));
      let ok = true;
      try { dec.decode(bytes); } catch { ok = false; }
      expect(fx.call("validUtf8", bytes), Buffer.from(bytes).toString("hex")).toBe(ok ? 1 : 0);
    }
  });
});
