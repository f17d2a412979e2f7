// Reads plugin configuration out of a parsed JSON object, naming the bad field
// in every error and collecting ALL problems instead of stopping at the first.
//
//   let r = ConfigReader.parseBuffer(configBytes);
//   let header = r.string("header", "x-api-key");
//   let creds = r.objectArray("credentials");
//   for (let i = 0; i < creds.length; i++) {
//     let c = creds[i];
//     let name = c.requiredString("name");
//     let digest = c.hexBytes("key_sha256", 32);
//     c.rejectUnknown();
//   }
//   r.rejectUnknown();
//   if (!r.ok) { for (...) log(LogLevel.Critical, r.errors[i]); return false; }
//
// Error strings look like
//   "credentials[2].key_sha256: expected 64 hex characters, got 12"
//   "max_series: must be between 1 and 10000, got 0"
//   "unknown field 'credentails'"            (root level)
//   "credentials[0]: unknown field 'nmae'"   (nested)
//   "invalid JSON: line 3, column 7: expected ',' or '}', got '\"'"
//
// Rules: a present field with the wrong JSON type is an error (JSON null is a
// wrong type too, not "absent"); an absent optional field takes its default;
// an empty or whitespace-only configuration is read as `{}` (Envoy passes an
// empty configuration when none is set). Readers never throw.

import { decimal } from "./decimal";
import { JsonValue, JsonKind, parseJsonBytes, isSafeInteger, formatNumber, quoteForMessage } from "./json";
import { hexValue } from "./hex";

/** `parts` joined by `separator` (a loop: asc's Array#join costs ~0.35 KB per module). */
export function joined(parts: Array<string>, separator: string): string {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out += separator;
    out += unchecked(parts[i]);
  }
  return out;
}

/** "name[i]": the path of an array element, for messages. */
export function elementPath(name: string, i: i32): string {
  return name + "[" + decimal(i) + "]";
}

export class ConfigReader {
  /** Path of this object ("" at the root, e.g. "credentials[2]" below). */
  readonly path: string;
  /** The JSON object read; null when the value was not an object (already reported). */
  readonly value: JsonValue | null;
  /** All problems found so far, shared by a reader and its children. */
  readonly errors: Array<string>;
  /**
   * Which keys of `value` a read method asked for, by position (a byte per
   * key instead of a Set<string> or an Array<bool>: no generic instantiation).
   */
  private seen: ArrayBuffer;

  constructor(value: JsonValue | null, path: string = "", errors: Array<string> | null = null) {
    this.path = path;
    let errs: Array<string>;
    if (errors === null) errs = new Array<string>();
    else errs = errors!;
    this.errors = errs;
    if (value !== null && value!.kind == JsonKind.Object) {
      this.value = value;
      this.seen = new ArrayBuffer(value!.length);
    } else {
      this.value = null;
      this.seen = new ArrayBuffer(0);
      if (value !== null) {
        let where = path;
        if (where.length == 0) where = "configuration";
        errs.push(where + ": expected a JSON object, got " + value!.kindName());
      }
    }
  }

  /** Parses `len` UTF-8 bytes of JSON; empty/whitespace-only input reads as `{}`. */
  static parseBytes(ptr: usize, len: i32, maxDepth: i32 = 64): ConfigReader {
    let blank = true;
    for (let i = 0; i < len; i++) {
      let c = <u32>load<u8>(ptr + <usize>i);
      if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) { blank = false; break; }
    }
    if (blank) return new ConfigReader(JsonValue.newObject());
    let result = parseJsonBytes(ptr, len, maxDepth);
    if (result.ok) return new ConfigReader(result.value);
    let reader = new ConfigReader(null);
    reader.errors.push("invalid JSON: " + result.error);
    return reader;
  }

  static parseBuffer(buf: ArrayBuffer, maxDepth: i32 = 64): ConfigReader {
    return ConfigReader.parseBytes(changetype<usize>(buf), buf.byteLength, maxDepth);
  }

  static parse(text: string, maxDepth: i32 = 64): ConfigReader {
    let buf = String.UTF8.encode(text, false);
    return ConfigReader.parseBytes(changetype<usize>(buf), buf.byteLength, maxDepth);
  }

  /** True while no error has been recorded (by this reader or any other sharing its list). */
  get ok(): bool {
    return this.errors.length == 0;
  }

  /** "name" at the root, "path.name" below. */
  fieldPath(name: string): string {
    if (this.path.length == 0) return name;
    return this.path + "." + name;
  }

  /** Records `path.name: message`. Filters use it for their own checks. */
  error(name: string, message: string): void {
    this.errors.push(this.fieldPath(name) + ": " + message);
  }

  /** Records a problem with this object as a whole. */
  errorHere(message: string): void {
    if (this.path.length == 0) this.errors.push(message);
    else this.errors.push(this.path + ": " + message);
  }

  /** Whether the field is present (any type). Does not mark it as read. */
  has(name: string): bool {
    let v = this.value;
    return v !== null && v!.has(name);
  }

  /** Marks a field as read and returns it (null when absent). */
  raw(name: string): JsonValue | null {
    let v = this.value;
    if (v === null) return null;
    let i = v!.indexOf(name);
    if (i < 0) return null;
    if (i < this.seen.byteLength) store<u8>(changetype<usize>(this.seen) + <usize>i, 1);
    return unchecked(v!.values![i]);
  }

  private typeError(name: string, expected: string, got: JsonValue): void {
    this.expectedGot(name, expected, got.kindName());
  }

  /** Records `path.name: expected <expected>, got <got>` (the one place building these). */
  private expectedGot(name: string, expected: string, got: string): void {
    this.error(name, "expected " + expected + ", got " + got);
  }

  string(name: string, def: string): string {
    let v = this.raw(name);
    if (v === null) return def;
    if (v!.kind != JsonKind.String) { this.typeError(name, "string", v!); return def; }
    return v!.stringValue;
  }

  /** A string that must be present (may be empty). */
  requiredString(name: string): string {
    let v = this.raw(name);
    if (v === null) {
      if (this.value !== null) this.error(name, "required field is missing");
      return "";
    }
    if (v!.kind != JsonKind.String) { this.typeError(name, "string", v!); return ""; }
    return v!.stringValue;
  }

  /** A string restricted to `allowed` values. */
  stringOneOf(name: string, def: string, allowed: Array<string>): string {
    let v = this.raw(name);
    if (v === null) return def;
    if (v!.kind != JsonKind.String) { this.typeError(name, "string", v!); return def; }
    let s = v!.stringValue;
    for (let i = 0; i < allowed.length; i++) {
      if (allowed[i] == s) return s;
    }
    this.error(name, "must be one of " + joined(allowed, ", ") + ", got " + quoteForMessage(s));
    return def;
  }

  bool(name: string, def: bool): bool {
    let v = this.raw(name);
    if (v === null) return def;
    if (v!.kind != JsonKind.Bool) { this.typeError(name, "boolean", v!); return def; }
    return v!.boolValue;
  }

  /** An integer (a JSON number without fraction, within ±2^53) in [min, max]. */
  integer(name: string, def: i64, min: i64, max: i64): i64 {
    let v = this.raw(name);
    if (v === null) return def;
    if (v!.kind != JsonKind.Number) { this.typeError(name, "integer", v!); return def; }
    let x = v!.numberValue;
    if (!isSafeInteger(x)) {
      // the number as written (formatting an f64 would pull ~1.5 KB into every module)
      let shown = v!.stringValue;
      if (shown.length == 0) shown = "a non-integer";
      this.expectedGot(name, "integer", shown);
      return def;
    }
    let i = <i64>x;
    if (i < min || i > max) {
      this.error(name, "must be between " + decimal(min) + " and " + decimal(max) + ", got " + decimal(i));
      return def;
    }
    return i;
  }

  /** A number in [min, max]. */
  number(name: string, def: f64, min: f64, max: f64): f64 {
    let v = this.raw(name);
    if (v === null) return def;
    if (v!.kind != JsonKind.Number) { this.typeError(name, "number", v!); return def; }
    let x = v!.numberValue;
    if (x < min || x > max) {
      this.error(name, "must be between " + formatNumber(min) + " and " + formatNumber(max) + ", got " + formatNumber(x));
      return def;
    }
    return x;
  }

  /** An array of strings; absent → empty array. Bad elements are reported as name[i]. */
  stringArray(name: string): Array<string> {
    let out = new Array<string>();
    let v = this.raw(name);
    if (v === null) return out;
    if (v!.kind != JsonKind.Array) { this.typeError(name, "array of strings", v!); return out; }
    let items = v!.items!;
    for (let i = 0; i < items.length; i++) {
      let item = items[i];
      if (item.kind != JsonKind.String) {
        this.typeError(elementPath(name, i), "string", item);
      } else {
        out.push(item.stringValue);
      }
    }
    return out;
  }

  /**
   * Bytes given as hex (either case); must decode to exactly `byteLength` bytes
   * when byteLength > 0. Required: absent is an error. Returns null on error.
   */
  hexBytes(name: string, byteLength: i32): Uint8Array | null {
    let v = this.hexField(name, byteLength);
    if (v === null) return null;
    let out = new Uint8Array(v!.stringValue.length >> 1);
    if (!this.hexDecode(name, v!, out.dataStart)) return null;
    return out;
  }

  /**
   * hexBytes() into `byteLength` (> 0) bytes at `out` instead of a new array
   * (no Uint8Array in a module that needs none). False on error (reported).
   */
  hexInto(name: string, byteLength: i32, out: usize): bool {
    let v = this.hexField(name, byteLength);
    return v !== null && this.hexDecode(name, v!, out);
  }

  /** The hex string field, checked for presence, type and length; null (reported) otherwise. */
  private hexField(name: string, byteLength: i32): JsonValue | null {
    let v = this.raw(name);
    if (v === null) {
      if (this.value !== null) this.error(name, "required field is missing");
      return null;
    }
    if (v!.kind != JsonKind.String) { this.typeError(name, "hex string", v!); return null; }
    let n = v!.stringValue.length;
    if (byteLength > 0 && n != byteLength * 2) {
      this.error(name, "expected " + decimal(byteLength * 2) + " hex characters, got " + decimal(n));
      return null;
    }
    if (n & 1) {
      this.error(name, "expected an even number of hex characters, got " + decimal(n));
      return null;
    }
    return v;
  }

  private hexDecode(name: string, v: JsonValue, out: usize): bool {
    let s = v.stringValue;
    let n = s.length;
    for (let i = 0; i < n; i += 2) {
      let hi = hexValue(<u32>s.charCodeAt(i));
      let lo = hexValue(<u32>s.charCodeAt(i + 1));
      if (hi < 0 || lo < 0) {
        let at = i;
        if (hi >= 0) at = i + 1;
        this.error(name, "invalid hex character at index " + decimal(at));
        return false;
      }
      store<u8>(out + <usize>(i >> 1), <u8>((hi << 4) | lo));
    }
    return true;
  }

  /** A child reader for an optional object field; null when absent or not an object. */
  object(name: string): ConfigReader | null {
    let v = this.raw(name);
    if (v === null) return null;
    if (v!.kind != JsonKind.Object) { this.typeError(name, "object", v!); return null; }
    return new ConfigReader(v, this.fieldPath(name), this.errors);
  }

  /** Like object(), but absence is an error. */
  requiredObject(name: string): ConfigReader | null {
    if (this.value !== null && !this.value!.has(name)) {
      this.error(name, "required field is missing");
      return null;
    }
    return this.object(name);
  }

  /** Child readers for an array of objects (paths name[i]); absent → empty. */
  objectArray(name: string): Array<ConfigReader> {
    let out = new Array<ConfigReader>();
    let v = this.raw(name);
    if (v === null) return out;
    if (v!.kind != JsonKind.Array) { this.typeError(name, "array of objects", v!); return out; }
    let items = v!.items!;
    for (let i = 0; i < items.length; i++) {
      let item = items[i];
      let element = elementPath(name, i);
      if (item.kind != JsonKind.Object) {
        this.typeError(element, "object", item);
      } else {
        out.push(new ConfigReader(item, this.fieldPath(element), this.errors));
      }
    }
    return out;
  }

  /** An object whose values are all strings (e.g. labels); keys keep document order. */
  stringMap(name: string): Map<string, string> {
    let out = new Map<string, string>();
    let v = this.raw(name);
    if (v === null) return out;
    if (v!.kind != JsonKind.Object) { this.typeError(name, "object of strings", v!); return out; }
    let keys = v!.keys!;
    let values = v!.values!;
    for (let i = 0; i < keys.length; i++) {
      let item = values[i];
      if (item.kind != JsonKind.String) {
        this.typeError(name + "." + keys[i], "string", item);
      } else {
        out.set(keys[i], item.stringValue);
      }
    }
    return out;
  }

  /** Keys of this object in document order (empty when not an object). */
  keys(): Array<string> {
    let v = this.value;
    if (v === null) return new Array<string>();
    return v!.keys!.slice(0);
  }

  /** Reports every field of this object that no read method asked for. */
  rejectUnknown(): void {
    let v = this.value;
    if (v === null) return;
    let keys = v!.keys!;
    for (let i = 0; i < keys.length; i++) {
      let k = keys[i];
      if (i >= this.seen.byteLength || load<u8>(changetype<usize>(this.seen) + <usize>i) == 0) {
        this.errorHere("unknown field " + quoteForMessage(k));
      }
    }
  }
}

