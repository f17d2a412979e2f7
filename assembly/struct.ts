// google.protobuf.Struct / Value / ListValue: model, decoder and a
// deterministic encoder (what Istio's metadata exchange puts, base64'd, in
// x-envoy-peer-metadata).
//
// Decoding (bounds-checked, never traps):
//   - unknown fields are skipped (groups included);
//   - a known field with the wrong wire type is an error;
//   - strings must be valid UTF-8 (proto3 rule; C++ fails the parse too);
//   - nesting (Struct/ListValue inside Value) is limited by maxDepth
//     (default 32, clamped to 1..100: C++ protobuf's default recursion limit
//     is 100); deeper input is an error, not a stack overflow;
//   - map semantics: a repeated key keeps the last value (in the position of
//     the first); an entry without key means key "", without value an unset
//     Value; oneof semantics: the last kind field wins, and a repeated
//     struct_value / list_value merges into the previous one, as protobuf does.
//
// Encoding is deterministic and byte-identical to C++
// `SerializeToString` with `SetSerializationDeterministic(true)`:
//   - Struct map entries sorted by key, bytewise on UTF-8, at every level;
//   - every entry writes key (field 1) and value (field 2), even when empty;
//   - a Value writes its oneof field even when it holds the default:
//     null → field 1 varint 0, number → field 2 double, string → field 3 (an
//     empty string value is `1a 00`, so an entry `"k": ""` is
//     `0a 07 0a 01 6b 12 02 1a 00`), bool → field 4, struct → field 5,
//     list → field 6; an unset Value is empty.

import { findKey, indexLastKey } from "./key-index";
import { decimal } from "./decimal";
import { ProtoReader, ProtoWriter, WireType } from "./protobuf";

/** Kind of a Value; the numbers are the Value oneof field numbers (0 = not set). */
export enum StructKind {
  Unset = 0,
  Null = 1,
  Number = 2,
  String = 3,
  Bool = 4,
  Struct = 5,
  List = 6,
}

export class StructValue {
  kind: StructKind = StructKind.Unset;
  numberValue: f64 = 0;
  stringValue: string = "";
  boolValue: bool = false;
  structValue: Struct | null = null;
  listValue: Array<StructValue> | null = null;

  static newNull(): StructValue {
    let v = new StructValue();
    v.kind = StructKind.Null;
    return v;
  }
  static newNumber(x: f64): StructValue {
    let v = new StructValue();
    v.kind = StructKind.Number;
    v.numberValue = x;
    return v;
  }
  static newString(s: string): StructValue {
    let v = new StructValue();
    v.kind = StructKind.String;
    v.stringValue = s;
    return v;
  }
  static newBool(b: bool): StructValue {
    let v = new StructValue();
    v.kind = StructKind.Bool;
    v.boolValue = b;
    return v;
  }
  static newStruct(s: Struct): StructValue {
    let v = new StructValue();
    v.kind = StructKind.Struct;
    v.structValue = s;
    return v;
  }
  static newList(items: Array<StructValue>): StructValue {
    let v = new StructValue();
    v.kind = StructKind.List;
    v.listValue = items;
    return v;
  }

  isString(): bool { return this.kind == StructKind.String; }
  isStruct(): bool { return this.kind == StructKind.Struct; }
  isList(): bool { return this.kind == StructKind.List; }
}

/** google.protobuf.Struct: string keys (insertion order kept) → values. */
export class Struct {
  keys: Array<string> = new Array<string>();
  values: Array<StructValue> = new Array<StructValue>();
  /** Key index past 8 keys (key-index.ts). */
  private slots: StaticArray<i32> | null = null;

  get length(): i32 {
    return this.keys.length;
  }

  has(key: string): bool {
    return findKey(this.keys, this.slots, key) >= 0;
  }

  get(key: string): StructValue | null {
    let i = findKey(this.keys, this.slots, key);
    if (i < 0) return null;
    return unchecked(this.values[i]);
  }

  /** Sets `key` (a new key is appended; an existing one is replaced in place). */
  set(key: string, value: StructValue): void {
    let i = findKey(this.keys, this.slots, key);
    if (i >= 0) {
      this.values[i] = value;
      return;
    }
    this.keys.push(key);
    this.values.push(value);
    this.slots = indexLastKey(this.keys, this.slots);
  }

  setString(key: string, s: string): void {
    this.set(key, StructValue.newString(s));
  }

  /** The string value of `key`, or `def` when absent or not a string. */
  getString(key: string, def: string = ""): string {
    let v = this.get(key);
    if (v === null || v!.kind != StructKind.String) return def;
    return v!.stringValue;
  }

  /** The Struct value of `key`, or null when absent or not a struct. */
  getStruct(key: string): Struct | null {
    let v = this.get(key);
    if (v === null || v!.kind != StructKind.Struct) return null;
    return v!.structValue;
  }
}

export class StructDecodeResult {
  value: Struct | null = null;
  /** Empty on success, else "offset N: message". */
  error: string = "";
  get ok(): bool {
    return this.value !== null;
  }
}

export const DEFAULT_STRUCT_MAX_DEPTH: i32 = 32;

/** Decodes a serialized google.protobuf.Struct from `len` bytes at `ptr`. */
export function decodeStruct(ptr: usize, len: i32, maxDepth: i32 = DEFAULT_STRUCT_MAX_DEPTH): StructDecodeResult {
  let depth = maxDepth;
  if (depth < 1) depth = 1;
  if (depth > 100) depth = 100;
  let r = new ProtoReader(ptr, len);
  let s = new Struct();
  let d = new StructDecoder(depth);
  d.readStruct(r, s, 1);
  let result = new StructDecodeResult();
  if (r.ok) {
    result.value = s;
  } else {
    result.error = r.error;
  }
  return result;
}

export function decodeStructArray(data: Uint8Array, maxDepth: i32 = DEFAULT_STRUCT_MAX_DEPTH): StructDecodeResult {
  return decodeStruct(data.dataStart, data.length, maxDepth);
}

export function decodeStructBuffer(buf: ArrayBuffer, maxDepth: i32 = DEFAULT_STRUCT_MAX_DEPTH): StructDecodeResult {
  return decodeStruct(changetype<usize>(buf), buf.byteLength, maxDepth);
}

class StructDecoder {
  maxDepth: i32;
  constructor(maxDepth: i32) {
    this.maxDepth = maxDepth;
  }

  // One reader throughout: nested messages are read with pushLimit/popLimit
  // (no sub-reader allocations). Errors stop every later read.

  /** Reads Struct fields up to the reader's limit into `s` (merging). `depth` counts this Struct. */
  readStruct(r: ProtoReader, s: Struct, depth: i32): bool {
    if (depth > this.maxDepth) return r.fail("nesting deeper than " + decimal(this.maxDepth) + " levels");
    while (r.readTag()) {
      if (r.fieldNumber == 1) {
        if (!r.expectWireType(WireType.LengthDelimited)) return false;
        let old = r.pushLimit();
        if (r.failed) return false;
        this.readEntry(r, s, depth);
        r.popLimit(old);
      } else {
        r.skipField();
      }
    }
    return !r.failed;
  }

  readEntry(r: ProtoReader, s: Struct, depth: i32): void {
    let key = "";
    let value = new StructValue();
    while (r.readTag()) {
      let f = r.fieldNumber;
      if (f == 1) {
        if (!r.expectWireType(WireType.LengthDelimited)) return;
        let k = r.readString();
        if (k === null) return;
        key = k!;
      } else if (f == 2) {
        if (!r.expectWireType(WireType.LengthDelimited)) return;
        let old = r.pushLimit();
        if (r.failed) return;
        // a repeated value field merges into the previous one
        this.readValue(r, value, depth);
        r.popLimit(old);
      } else {
        r.skipField();
      }
    }
    if (!r.failed) s.set(key, value);
  }

  /** Reads Value fields up to the reader's limit into `v` (merging). */
  readValue(r: ProtoReader, v: StructValue, depth: i32): void {
    while (r.readTag()) {
      let f = r.fieldNumber;
      if (f == 1) {
        if (!r.expectWireType(WireType.Varint)) return;
        r.readVarint();
        this.setKind(v, StructKind.Null);
      } else if (f == 2) {
        if (!r.expectWireType(WireType.Fixed64)) return;
        let x = r.readDouble();
        this.setKind(v, StructKind.Number);
        v.numberValue = x;
      } else if (f == 3) {
        if (!r.expectWireType(WireType.LengthDelimited)) return;
        let str = r.readString();
        if (str === null) return;
        this.setKind(v, StructKind.String);
        v.stringValue = str!;
      } else if (f == 4) {
        if (!r.expectWireType(WireType.Varint)) return;
        let b = r.readBool();
        this.setKind(v, StructKind.Bool);
        v.boolValue = b;
      } else if (f == 5) {
        if (!r.expectWireType(WireType.LengthDelimited)) return;
        let old = r.pushLimit();
        if (r.failed) return;
        if (v.kind != StructKind.Struct) {
          this.setKind(v, StructKind.Struct);
          v.structValue = new Struct();
        }
        this.readStruct(r, v.structValue!, depth + 1);
        r.popLimit(old);
      } else if (f == 6) {
        if (!r.expectWireType(WireType.LengthDelimited)) return;
        let old = r.pushLimit();
        if (r.failed) return;
        if (v.kind != StructKind.List) {
          this.setKind(v, StructKind.List);
          v.listValue = new Array<StructValue>();
        }
        this.readList(r, v.listValue!, depth + 1);
        r.popLimit(old);
      } else {
        r.skipField();
      }
    }
  }

  /** Switches the oneof, clearing what the previous kind held. */
  setKind(v: StructValue, kind: StructKind): void {
    if (v.kind == kind) return;
    v.kind = kind;
    v.numberValue = 0;
    v.stringValue = "";
    v.boolValue = false;
    v.structValue = null;
    v.listValue = null;
  }

  readList(r: ProtoReader, items: Array<StructValue>, depth: i32): void {
    if (depth > this.maxDepth) {
      r.fail("nesting deeper than " + decimal(this.maxDepth) + " levels");
      return;
    }
    while (r.readTag()) {
      if (r.fieldNumber == 1) {
        if (!r.expectWireType(WireType.LengthDelimited)) return;
        let old = r.pushLimit();
        if (r.failed) return;
        let v = new StructValue();
        this.readValue(r, v, depth);
        r.popLimit(old);
        if (!r.failed) items.push(v);
      } else {
        r.skipField();
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Deterministic encoding

class SortEntry {
  constructor(public key: ArrayBuffer, public keyString: string, public value: StructValue) {}
}

function compareKeyBytes(a: SortEntry, b: SortEntry): i32 {
  let la = a.key.byteLength;
  let lb = b.key.byteLength;
  let n = la < lb ? la : lb;
  let pa = changetype<usize>(a.key);
  let pb = changetype<usize>(b.key);
  for (let i = 0; i < n; i++) {
    let x = <i32>load<u8>(pa + <usize>i);
    let y = <i32>load<u8>(pb + <usize>i);
    if (x != y) return x - y;
  }
  return la - lb;
}

/** Serializes `s` deterministically (see the header comment). */
export function encodeStruct(s: Struct): Uint8Array {
  let w = new ProtoWriter(256);
  encodeStructInto(w, s);
  return w.finish();
}

/** Appends the serialized fields of Struct `s` to `w` (no outer tag/length). */
export function encodeStructInto(w: ProtoWriter, s: Struct): void {
  let n = s.keys.length;
  let entries = new Array<SortEntry>(0);
  for (let i = 0; i < n; i++) {
    let k = s.keys[i];
    entries.push(new SortEntry(String.UTF8.encode(k, false), k, s.values[i]));
  }
  if (n > 1) entries.sort(compareKeyBytes);
  for (let i = 0; i < n; i++) {
    let e = entries[i];
    let entryMark = w.beginMessage(1);
    w.writeBytesField(1, changetype<usize>(e.key), e.key.byteLength);
    let valueMark = w.beginMessage(2);
    encodeValueInto(w, e.value);
    w.endMessage(valueMark);
    w.endMessage(entryMark);
  }
}

/** Appends the serialized fields of Value `v` to `w` (no outer tag/length). */
export function encodeValueInto(w: ProtoWriter, v: StructValue): void {
  switch (v.kind) {
    case StructKind.Null: w.writeVarintField(1, 0); break;
    case StructKind.Number: w.writeDoubleField(2, v.numberValue); break;
    case StructKind.String: w.writeStringField(3, v.stringValue); break;
    case StructKind.Bool: w.writeBoolField(4, v.boolValue); break;
    case StructKind.Struct: {
      let mark = w.beginMessage(5);
      let sv = v.structValue;
      if (sv !== null) encodeStructInto(w, sv!);
      w.endMessage(mark);
      break;
    }
    case StructKind.List: {
      let mark = w.beginMessage(6);
      let items = v.listValue;
      if (items !== null) {
        let list = items!;
        for (let i = 0; i < list.length; i++) {
          let m = w.beginMessage(1);
          encodeValueInto(w, list[i]);
          w.endMessage(m);
        }
      }
      w.endMessage(mark);
      break;
    }
    default: break; // Unset: empty message
  }
}
