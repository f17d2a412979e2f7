import { fromBinary, fromJson, toBinary, toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { StructSchema, type Struct, type Value } from "@bufbuild/protobuf/wkt";
import protobuf from "protobufjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture, rng, randomBytes, type Fixture } from "./harness.ts";
import { SAMPLE_ISTIO_HEADER } from "../fixtures/istio/sample-istio-header.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await loadFixture("protobuf");
});

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ""), "hex");

function scan(bytes: Uint8Array): string {
  fx.call("scan", bytes);
  return fx.outString();
}

/** Our decoder: "OK <json>" / "ERR <message>". */
function decode(bytes: Uint8Array, maxDepth = 32): string {
  fx.call("decode", bytes, maxDepth);
  return fx.outString();
}
function decodeJson(bytes: Uint8Array, maxDepth = 32): unknown {
  const out = decode(bytes, maxDepth);
  expect(out.startsWith("OK "), out).toBe(true);
  return JSON.parse(out.slice(3));
}
/** Our decode + deterministic re-encode. */
function reencode(bytes: Uint8Array): Buffer {
  fx.call("reencode", bytes, 32);
  const out = fx.outString();
  if (out.startsWith("ERR ")) throw new Error(out);
  return Buffer.from(out, "base64");
}

/** Reference for C++ deterministic output: bufbuild writes entries in insertion order, so insert sorted by UTF-8 bytes. */
function sortedDeep(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortedDeep);
  if (v && typeof v === "object") {
    const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const out: JsonObject = {};
    for (const k of keys) out[k] = sortedDeep((v as JsonObject)[k]);
    return out;
  }
  return v;
}
function referenceDeterministic(obj: JsonObject): Buffer {
  return Buffer.from(toBinary(StructSchema, fromJson(StructSchema, sortedDeep(obj))));
}

/** Random Struct-shaped JSON (no integer-like keys: JS objects reorder those). */
function randomStruct(next: () => number, depth: number): JsonObject {
  const obj: JsonObject = {};
  const n = Math.floor(next() * 5);
  const keyChars = ["a", "B", "_", "é", "😀", "\uFFFD", "z", "-", " ", "K"];
  for (let i = 0; i < n; i++) {
    let k = "k";
    const kl = Math.floor(next() * 4);
    for (let j = 0; j < kl; j++) k += keyChars[Math.floor(next() * keyChars.length)];
    if (next() < 0.1) k = "";
    obj[k] = randomValue(next, depth);
  }
  return obj;
}
function randomValue(next: () => number, depth: number): JsonValue {
  const r = next();
  if (r < 0.15) return null;
  if (r < 0.3) return next() < 0.5 ? true : false;
  if (r < 0.5) return Math.round((next() - 0.5) * 1e6) / (next() < 0.5 ? 1 : 1000);
  if (r < 0.7 || depth <= 0) return next() < 0.2 ? "" : "s" + Array.from("é😀x").slice(0, Math.floor(next() * 4)).join("");
  if (r < 0.85) return randomStruct(next, depth - 1);
  const len = Math.floor(next() * 4);
  return Array.from({ length: len }, () => randomValue(next, depth - 1));
}

describe("protobuf wire reader", () => {
  it("reads every wire type", () => {
    expect(scan(hex("08 96 01"))).toBe("f1:0=150;");
    expect(scan(hex("10 ff ff ff ff ff ff ff ff ff 01"))).toBe("f2:0=18446744073709551615;");
    expect(scan(hex("19 0102030405060708"))).toBe("f3:1=578437695752307201;");
    expect(scan(hex("25 01000000"))).toBe("f4:5=1;");
    expect(scan(hex("2a 03 616263 32 00"))).toBe("f5:2=len3;f6:2=len0;");
    expect(scan(hex("fa ff ff ff 0f 00"))).toBe("f536870911:2=len0;");
    // group with nested group and every wire type inside, then a field
    expect(scan(hex("0b 08 01 13 19 0000000000000000 14 25 00000000 2a 00 0c 10 07"))).toBe("f1:3=group;f2:0=7;");
    expect(scan(new Uint8Array(0))).toBe("");
  });

  it("reports truncation and malformed input with offsets", () => {
    const cases: [string, string][] = [
      ["08", "ERR offset 1: truncated varint"],
      ["08 96", "ERR offset 1: truncated varint"],
      ["96", "ERR offset 0: truncated varint"],
      ["08 ff ff ff ff ff ff ff ff ff ff 01", "ERR offset 1: varint longer than 10 bytes"],
      ["08 ff ff ff ff ff ff ff ff ff 02", "ERR offset 1: varint overflows 64 bits"],
      ["0a 05 0102", "ERR offset 1: length 5 exceeds the 2 remaining bytes"],
      ["0a ff ff ff ff 0f", "ERR offset 1: length 4294967295 exceeds the 0 remaining bytes"],
      ["0a ff ff ff ff ff ff ff ff ff 01", "ERR offset 1: length 18446744073709551615 exceeds the 0 remaining bytes"],
      ["19 01020304", "ERR offset 1: truncated fixed64"],
      ["25 0102", "ERR offset 1: truncated fixed32"],
      ["0e", "ERR offset 0: invalid wire type 6"],
      ["0f", "ERR offset 0: invalid wire type 7"],
      ["02 00", "ERR offset 0: invalid field number 0"],
      ["80 80 80 80 80 01", "ERR offset 0: tag does not fit in 32 bits"],
      ["0c", "ERR offset 0: unexpected end-group tag for field 1"],
      ["0b 08 01", "ERR offset 3: truncated group"],
      ["0b 14", "ERR offset 1: mismatched end-group tag for field 2"],
        ["0b".repeat(40), "ERR offset 32: groups nested deeper than 32"],
    ];
    for (const [input, expected] of cases) expect(scan(hex(input)), input).toBe(expected);
  });

  it("writes varints like protobufjs", () => {
    const values = [0n, 1n, 127n, 128n, 150n, 16383n, 16384n, 2n ** 32n - 1n, 2n ** 35n, 2n ** 63n, 2n ** 64n - 1n];
    for (const v of values) {
      const n = fx.exports.writeVarint(Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0);
      const ref = protobuf.Writer.create().uint64(long64(v)).finish();
      expect(n, String(v)).toBe(ref.length);
      expect(Buffer.from(fx.outString(), "base64").toString("hex"), String(v)).toBe(Buffer.from(ref).toString("hex"));
    }
  });

  it("writer output matches protobufjs, including nested lengths over 127 bytes", () => {
    fx.exports.writeAll();
    const ours = Buffer.from(fx.outString(), "base64");
    const inner = protobuf.Writer.create();
    for (let i = 0; i < 100; i++) inner.uint32((1 << 3) | 2).string("0123456789");
    const innerBytes = inner.finish();
    const m = protobuf.Writer.create().uint32((1 << 3) | 0).uint64(1).uint32((2 << 3) | 2).bytes(innerBytes).finish();
    const ref = protobuf.Writer.create()
      .uint32((1 << 3) | 0).uint64(150)
      .uint32((2 << 3) | 0).bool(true)
      .uint32((3 << 3) | 1).double(1.5)
      .uint32((4 << 3) | 5).fixed32(0xdeadbeef)
      .uint32((5 << 3) | 1).fixed64(long64(0x0102030405060708n))
      .uint32((6 << 3) | 2).string("héllo")
      .uint32((7 << 3) | 2).bytes(m)
      .uint32((8 << 3) | 2).bytes(new Uint8Array([1, 2, 3]))
      .uint32((9 << 3) | 5).float(2.5)
      .finish();
    expect(ours.toString("hex")).toBe(Buffer.from(ref).toString("hex"));
  });

  it("never traps on random bytes", () => {
    const next = rng(41);
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(next, 48);
      expect(() => fx.call("scan", bytes)).not.toThrow();
    }
  });
});

describe("google.protobuf.Struct", () => {
  it("encodes deterministically: sorted keys at every level, key and value always written", () => {
    const expectedJson = {
      NAMESPACE: "default2",
      LABELS: { version: "v1", app: "" },
      "": "empty-key",
      b: false,
      n: 0,
      z: null,
      list: ["", -2.5, {}, []],
      "é": "accent",
      "\uFFFD": "replacement",
      "😀": "emoji",
    };
    const n = fx.exports.buildAndEncode(0);
    const ours = Buffer.from(fx.outString(), "base64");
    expect(ours.length).toBe(n);
    // byte-identical to bufbuild fed in UTF-8 byte order (= C++ deterministic)
    expect(ours.toString("hex")).toBe(referenceDeterministic(expectedJson).toString("hex"));
    const parsed = fromBinary(StructSchema, ours);
    expect(toJson(StructSchema, parsed)).toEqual(expectedJson);
    // key order on the wire: bytewise UTF-8 (U+FFFD = EF BF BD sorts before U+1F600 = F0 9F 98 80)
    expect(Object.keys(parsed.fields)).toEqual(["", "LABELS", "NAMESPACE", "b", "list", "n", "z", "é", "\uFFFD", "😀"]);
    expect(Object.keys((parsed.fields.LABELS.kind.value as Struct).fields)).toEqual(["app", "version"]);
    // exact bytes of pieces
    expect(ours.includes(hex("0a 09 0a 03 617070 12 02 1a 00 0a 0f"))).toBe(true); // LABELS: "app": "" (field 3 even when empty), then "version"
    expect(ours.includes(hex("0a 08 0a 01 62 12 03 20 00"))).toBe(false);
    expect(ours.includes(hex("0a 07 0a 01 62 12 02 20 00"))).toBe(true); // "b": false
    expect(ours.includes(hex("0a 07 0a 01 7a 12 02 08 00"))).toBe(true); // "z": null
    expect(ours.includes(hex("0a 0e 0a 01 6e 12 09 11 0000000000000000"))).toBe(true); // "n": 0
  });

  it("an unset Value encodes as an empty message", () => {
    fx.exports.buildAndEncode(1);
    const ours = Buffer.from(fx.outString(), "base64");
    const parsed = fromBinary(StructSchema, ours);
    expect(plain(parsed).list).toEqual(["", -2.5, {}, [], "<unset>"]);
    expect(ours.includes(hex("32 00 0a 00"))).toBe(true); // ...empty list, then values entry with empty Value
  });

  it("matches bufbuild's bytes exactly for sorted input (C++ deterministic order)", () => {
    const next = rng(42);
    for (let i = 0; i < 300; i++) {
      const obj = randomStruct(next, 3);
      const bufbuildBytes = Buffer.from(toBinary(StructSchema, fromJson(StructSchema, obj)));
      // ours: decode bufbuild's (unsorted) bytes, re-encode sorted
      const ours = reencode(bufbuildBytes);
      expect(ours.toString("hex"), JSON.stringify(obj)).toBe(referenceDeterministic(obj).toString("hex"));
      // and bufbuild reads ours back to the same value
      expect(toJson(StructSchema, fromBinary(StructSchema, ours))).toEqual(obj);
      // ours reads bufbuild's bytes to the same value
      expect(decodeJson(bufbuildBytes)).toEqual(obj);
    }
  });

  it("exact bytes for an empty string entry value", () => {
    const ours = reencode(Buffer.from(toBinary(StructSchema, fromJson(StructSchema, { k: "" }))));
    expect(ours.toString("hex")).toBe("0a070a016b12021a00");
  });

  it("decodes the real Istio header (unpadded, unsorted, extra keys)", () => {
    const text = SAMPLE_ISTIO_HEADER;
    const n = fx.call("istioNamespace", text);
    expect(fx.outString()).toBe("default|productpage-v1|productpage|dflt");
    const raw = Buffer.from(text, "base64");
    const reference = toJson(StructSchema, fromBinary(StructSchema, raw)) as JsonObject;
    expect(n).toBe(Object.keys(reference).length);
    expect(decodeJson(raw)).toEqual(reference);
    // re-encoded deterministically: identical to the sorted reference
    expect(reencode(raw).toString("hex")).toBe(referenceDeterministic(reference).toString("hex"));
  });

  it("skips unknown fields everywhere, merges repeated struct values, last map key wins", () => {
    // Struct{ f99 varint, f98 group, entry{ f7 fixed32, key "a", value{ f9 LEN, string "x" } } }
    const value = hex("4a 01 00 1a 01 78");
    const entry = Buffer.concat([hex("3d 00000000 0a 01 61 12"), Buffer.from([value.length]), value]);
    const struct = Buffer.concat([hex("f8 06 01 93 06 08 01 94 06 0a"), Buffer.from([entry.length]), entry]);
    expect(decode(struct)).toBe('OK {"a":"x"}');
    expect(toJson(StructSchema, fromBinary(StructSchema, struct))).toEqual({ a: "x" });
    // Value with struct_value twice: protobuf merges the two messages
    const s1 = toBinary(StructSchema, fromJson(StructSchema, { p: 1 }));
    const s2 = toBinary(StructSchema, fromJson(StructSchema, { q: 2 }));
    const v = Buffer.concat([hex("2a"), Buffer.from([s1.length]), s1, hex("2a"), Buffer.from([s2.length]), s2]);
    const e = Buffer.concat([hex("0a 01 6d 12"), Buffer.from([v.length]), v]);
    const merged = Buffer.concat([hex("0a"), Buffer.from([e.length]), e]);
    expect(decodeJson(merged)).toEqual({ m: { p: 1, q: 2 } });
    expect(toJson(StructSchema, fromBinary(StructSchema, merged))).toEqual({ m: { p: 1, q: 2 } });
    // oneof: last kind wins (string then bool)
    const v2 = hex("1a 01 78 20 01");
    const e2 = Buffer.concat([hex("0a 01 6d 12"), Buffer.from([v2.length]), v2]);
    const lastWins = Buffer.concat([hex("0a"), Buffer.from([e2.length]), e2]);
    expect(decodeJson(lastWins)).toEqual({ m: true });
    // duplicate map key: last value wins
    const dup = Buffer.concat([
      toBinary(StructSchema, fromJson(StructSchema, { k: "first", other: 1 })),
      toBinary(StructSchema, fromJson(StructSchema, { k: "second" })),
    ]);
    expect(decodeJson(dup)).toEqual({ k: "second", other: 1 });
    expect(toJson(StructSchema, fromBinary(StructSchema, dup))).toEqual({ k: "second", other: 1 });
    // entry without key / without value
    expect(decode(hex("0a 02 12 00"))).toBe('OK {"":"<unset>"}');
    expect(decode(hex("0a 03 0a 01 61"))).toBe('OK {"a":"<unset>"}');
  });

  it("reports wrong wire types, truncation and invalid UTF-8", () => {
    expect(decode(hex("08 01"))).toBe("ERR offset 0: field 1: wrong wire type 0 (expected 2)");
    expect(decode(hex("0a 03 08 01 00"))).toBe("ERR offset 2: field 1: wrong wire type 0 (expected 2)");
    expect(decode(hex("0a 05 0a 01 61 10 01"))).toBe("ERR offset 5: field 2: wrong wire type 0 (expected 2)");
    expect(decode(hex("0a 07 0a 01 61 12 02 18 01"))).toBe("ERR offset 7: field 3: wrong wire type 0 (expected 2)");
    expect(decode(hex("0a 07 0a 01 61 12 02 11 01"))).toBe("ERR offset 8: truncated fixed64");
    expect(decode(hex("0a 07 0a 01 61 12 02 1a 05"))).toBe("ERR offset 8: length 5 exceeds the 0 remaining bytes");
    expect(decode(hex("0a 04 0a 02 c3 28"))).toBe("ERR offset 3: invalid UTF-8 in string");
    expect(decode(hex("0a 08 0a 01 61 12 03 1a 01 ff"))).toBe("ERR offset 8: invalid UTF-8 in string");
    expect(decode(hex("0a 09 0a 01 61"))).toBe("ERR offset 1: length 9 exceeds the 3 remaining bytes");
  });

  it("every truncation of a valid encoding is handled without a trap", () => {
    const next = rng(43);
    for (let i = 0; i < 40; i++) {
      const full = Buffer.from(toBinary(StructSchema, fromJson(StructSchema, randomStruct(next, 3))));
      for (let cut = 0; cut < full.length; cut++) {
        let out = "";
        expect(() => { out = decode(full.subarray(0, cut)); }).not.toThrow();
        let bufbuildOk = true;
        try { fromBinary(StructSchema, full.subarray(0, cut)); } catch { bufbuildOk = false; }
        expect(out.startsWith("OK "), `cut ${cut}: ${out}`).toBe(bufbuildOk);
      }
    }
  });

  it("absurd nesting (10,000 levels) is an error, not a stack overflow", () => {
    // Struct{"a": Value{struct_value: Struct{"a": ...}}}
    let inner: Buffer = Buffer.alloc(0);
    const varint = (n: number) => { const b = []; while (n >= 0x80) { b.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); } b.push(n); return Buffer.from(b); };
    const ld = (tag: number, payload: Buffer) => Buffer.concat([Buffer.from([tag]), varint(payload.length), payload]);
    for (let d = 0; d < 10000; d++) {
      const value = ld(0x2a, inner);
      const entry = Buffer.concat([hex("0a 01 61"), ld(0x12, value)]);
      inner = ld(0x0a, entry);
    }
    expect(decode(inner)).toMatch(/^ERR offset \d+: nesting deeper than 32 levels$/);
    expect(decode(inner, 1000)).toMatch(/nesting deeper than 100 levels$/); // clamped to 100
    // lists: Value{list_value: ListValue{values: Value{list_value: ...}}}
    let list: Buffer = Buffer.alloc(0);
    for (let d = 0; d < 10000; d++) list = ld(0x0a, ld(0x32, list));
    const top = Buffer.concat([ld(0x0a, Buffer.concat([hex("0a 01 6c"), ld(0x12, ld(0x32, list))]))]);
    expect(decode(top)).toMatch(/nesting deeper than 32 levels$/);
    // within the limit is fine
    let ok: Buffer = Buffer.alloc(0);
    for (let d = 0; d < 31; d++) ok = ld(0x0a, Buffer.concat([hex("0a 01 61"), ld(0x12, ld(0x2a, ok))]));
    expect(decode(ok)).toMatch(/^OK /);
  });

  it("fuzz: random and mutated bytes never trap; validity agrees with bufbuild when strings are valid", () => {
    const next = rng(44);
    const seeds = Array.from({ length: 20 }, () => Buffer.from(toBinary(StructSchema, fromJson(StructSchema, randomStruct(next, 3)))));
    for (let i = 0; i < 4000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = randomBytes(next, 40);
      } else {
        const m = Buffer.from(seeds[Math.floor(next() * seeds.length)]);
        const flips = 1 + Math.floor(next() * 3);
        for (let f = 0; f < flips && m.length; f++) m[Math.floor(next() * m.length)] = Math.floor(next() * 256);
        bytes = m;
      }
      let out = "";
      expect(() => { out = decode(bytes); }).not.toThrow();
      expect(() => fx.call("reencode", bytes, 32)).not.toThrow();
      if (out.startsWith("OK ")) {
        // whatever we accept, bufbuild accepts with the same content
        const ref = plain(fromBinary(StructSchema, bytes));
        expect(JSON.parse(out.slice(3))).toEqual(ref);
      }
    }
  });
});

/** A bufbuild Struct as plain JSON, kind-less Values as "<unset>" (like our fixture's dump). */
function plain(s: Struct): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.fields)) out[k] = plainValue(v);
  return out;
}
function plainValue(v: Value): unknown {
  switch (v.kind.case) {
    case "nullValue": return null;
    case "numberValue": return v.kind.value;
    case "stringValue": return v.kind.value;
    case "boolValue": return v.kind.value;
    case "structValue": return plain(v.kind.value);
    case "listValue": return v.kind.value.values.map(plainValue);
    default: return "<unset>";
  }
}

function long64(v: bigint) {
  return { low: Number(v & 0xffffffffn) | 0, high: Number((v >> 32n) & 0xffffffffn) | 0, unsigned: true } as unknown as number;
}
