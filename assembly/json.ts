// Strict JSON (RFC 8259) parser for plugin configuration.
//
// - Input is UTF-8 bytes (configuration arrives from the host as bytes); a
//   string entry point encodes first. Invalid UTF-8 is an error.
// - No comments, no trailing commas, no NaN/Infinity, no leading zeros, no
//   single quotes, no control characters in strings, no byte order mark.
// - `\uXXXX` escapes: surrogate pairs are combined; a lone surrogate (high
//   without a following low, or a low on its own) is an ERROR, so every
//   parsed string is valid Unicode and round-trips through UTF-8.
// - Duplicate object keys are an error naming the key.
// - Nesting is handled with an explicit stack (no recursion), limited by
//   `maxDepth` (default 64, at most MAX_DEPTH_LIMIT = 512 because the runtime
//   frees a tree recursively): deeper input is an error, never a stack overflow.
// - Numbers are f64. A number that overflows f64 (1e400) is an error;
//   99999999999999999999 parses (as 1e20) but is not a safe integer, which
//   `isSafeInteger` / `JsonValue.isInteger()` report.
// - Errors carry a position: "line 3, column 7: expected ',' or '}'".
//   Columns count Unicode code points from 1.
// - Hostile input never reaches `throw`/`assert`: every failure is a result.

import { decimal } from "./decimal";
import { ByteBuffer } from "./byte-buffer";
import { findKey, indexLastKey } from "./key-index";
import { utf8SequenceLength } from "./utf8";
export { isValidUtf8, utf8SequenceLength } from "./utf8";

export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** "null", "boolean", "number", "string", "array" or "object". */
export function jsonKindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
    default: return "object";
  }
}

/** 2^53 - 1 */
export const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;

/** True when `x` is finite, integral and within ±(2^53 - 1). */
export function isSafeInteger(x: f64): bool {
  return isFinite(x) && Math.trunc(x) == x && Math.abs(x) <= MAX_SAFE_INTEGER;
}

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  numberValue: f64 = 0;
  /** The string (kind String); a parsed number's source text, cut at 32 characters (kind Number). */
  stringValue: string = "";
  /** Array elements (kind Array). */
  items: Array<JsonValue> | null = null;
  /** Object keys in document order (kind Object). */
  keys: Array<string> | null = null;
  /** Object values, parallel to `keys` (kind Object). */
  values: Array<JsonValue> | null = null;
  /** Key index past 8 keys (key-index.ts). */
  private slots: StaticArray<i32> | null = null;

  static newNull(): JsonValue {
    return new JsonValue();
  }
  static newBool(b: bool): JsonValue {
    let v = new JsonValue();
    v.kind = JsonKind.Bool;
    v.boolValue = b;
    return v;
  }
  static newNumber(n: f64): JsonValue {
    let v = new JsonValue();
    v.kind = JsonKind.Number;
    v.numberValue = n;
    return v;
  }
  static newString(s: string): JsonValue {
    let v = new JsonValue();
    v.kind = JsonKind.String;
    v.stringValue = s;
    return v;
  }
  static newArray(): JsonValue {
    let v = new JsonValue();
    v.kind = JsonKind.Array;
    v.items = new Array<JsonValue>();
    return v;
  }
  static newObject(): JsonValue {
    let v = new JsonValue();
    v.kind = JsonKind.Object;
    v.keys = new Array<string>();
    v.values = new Array<JsonValue>();
    return v;
  }

  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }
  /** A number that is a safe integer (see isSafeInteger). */
  isInteger(): bool { return this.kind == JsonKind.Number && isSafeInteger(this.numberValue); }
  kindName(): string { return jsonKindName(this.kind); }

  /** Element count of an array, key count of an object, 0 otherwise. */
  get length(): i32 {
    if (this.kind == JsonKind.Array) return this.items!.length;
    if (this.kind == JsonKind.Object) return this.keys!.length;
    return 0;
  }

  /** Array element `i`, or null when out of range or not an array. */
  at(i: i32): JsonValue | null {
    if (this.kind != JsonKind.Array) return null;
    let items = this.items!;
    if (i < 0 || i >= items.length) return null;
    return unchecked(items[i]);
  }

  has(key: string): bool {
    if (this.kind != JsonKind.Object) return false;
    return this.indexOf(key) >= 0;
  }

  /** Position of `key` in `keys`, or -1 when absent or not an object. */
  indexOf(key: string): i32 {
    if (this.kind != JsonKind.Object) return -1;
    return findKey(this.keys!, this.slots, key);
  }

  /** Object member `key`, or null when absent or not an object. */
  get(key: string): JsonValue | null {
    let i = this.indexOf(key);
    if (i < 0) return null;
    return unchecked(this.values![i]);
  }

  /** Appends to an array. */
  push(v: JsonValue): void {
    if (this.kind == JsonKind.Array) this.items!.push(v);
  }

  /** Sets an object member (replacing an existing one in place). */
  set(key: string, v: JsonValue): void {
    if (this.kind != JsonKind.Object) return;
    let at = this.indexOf(key);
    if (at >= 0) {
      this.values![at] = v;
      return;
    }
    this.keys!.push(key);
    this.values!.push(v);
    this.slots = indexLastKey(this.keys!, this.slots);
  }

  /** Compact JSON text. Integral safe numbers print without a fraction. */
  toString(): string {
    let out = new ByteBuffer(64);
    stringifyInto(out, this);
    return out.toUtf8String();
  }
}

export class JsonParseResult {
  value: JsonValue | null = null;
  /** Empty on success, else "line L, column C: message". */
  error: string = "";
  /** Byte offset of the error. */
  offset: i32 = -1;
  line: i32 = 0;
  column: i32 = 0;

  get ok(): bool {
    return this.value !== null;
  }
}

export const DEFAULT_MAX_DEPTH: i32 = 64;
/**
 * Upper bound for maxDepth. Parsing itself is iterative, but the runtime frees
 * a value tree recursively (reference counting), so an unbounded depth would
 * move the stack overflow from parse time to free time.
 */
export const MAX_DEPTH_LIMIT: i32 = 512;

/** Parses JSON text. */
export function parseJson(text: string, maxDepth: i32 = DEFAULT_MAX_DEPTH): JsonParseResult {
  let buf = String.UTF8.encode(text, false);
  return parseJsonBytes(changetype<usize>(buf), buf.byteLength, maxDepth);
}

/** Parses JSON from a buffer of UTF-8 bytes (e.g. the plugin configuration). */
export function parseJsonBuffer(buf: ArrayBuffer, maxDepth: i32 = DEFAULT_MAX_DEPTH): JsonParseResult {
  return parseJsonBytes(changetype<usize>(buf), buf.byteLength, maxDepth);
}

/** Parses JSON from `len` UTF-8 bytes at `ptr`. The bytes must stay alive during the call. */
export function parseJsonBytes(ptr: usize, len: i32, maxDepth: i32 = DEFAULT_MAX_DEPTH): JsonParseResult {
  let depth = maxDepth;
  if (depth < 1) depth = 1;
  if (depth > MAX_DEPTH_LIMIT) depth = MAX_DEPTH_LIMIT;
  let p = new Parser(ptr, len < 0 ? 0 : len, depth);
  return p.run();
}

// ---------------------------------------------------------------------------

// @ts-ignore: decorator
@inline const C_TAB: u32 = 0x09;
// @ts-ignore: decorator
@inline const C_LF: u32 = 0x0A;
// @ts-ignore: decorator
@inline const C_CR: u32 = 0x0D;
// @ts-ignore: decorator
@inline const C_SPACE: u32 = 0x20;
// @ts-ignore: decorator
@inline const C_QUOTE: u32 = 0x22;
// @ts-ignore: decorator
@inline const C_COMMA: u32 = 0x2C;
// @ts-ignore: decorator
@inline const C_MINUS: u32 = 0x2D;
// @ts-ignore: decorator
@inline const C_DOT: u32 = 0x2E;
// @ts-ignore: decorator
@inline const C_0: u32 = 0x30;
// @ts-ignore: decorator
@inline const C_COLON: u32 = 0x3A;
// @ts-ignore: decorator
@inline const C_LBRACKET: u32 = 0x5B;
// @ts-ignore: decorator
@inline const C_BACKSLASH: u32 = 0x5C;
// @ts-ignore: decorator
@inline const C_RBRACKET: u32 = 0x5D;
// @ts-ignore: decorator
@inline const C_LBRACE: u32 = 0x7B;
// @ts-ignore: decorator
@inline const C_RBRACE: u32 = 0x7D;

// failExpected's hints
// @ts-ignore: decorator
@inline const HINT_KEY: i32 = 1;
// @ts-ignore: decorator
@inline const HINT_VALUE: i32 = 2;

function hexDigit(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  let l = c | 0x20;
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

function pushUtf8(out: ByteBuffer, cp: u32): void {
  if (cp < 0x80) {
    out.pushByte(cp);
    return;
  }
  // lead byte, then continuation bytes of 6 bits each, most significant first
  let n = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
  out.pushByte(((0xFF00 >> (n + 1)) & 0xFF) | (cp >> (6 * n)));
  while (n-- > 0) out.pushByte(0x80 | ((cp >> (6 * n)) & 0x3F));
}

/**
 * Whether code unit `c` (at `i` of `s`, read up to `end`) must be escaped in a log line: C0 and C1
 * controls, DEL, the quote and backslash, line and paragraph separators, bidi
 * overrides and isolates, the BOM, and surrogates that are not part of a pair.
 */
function unsafeInLog(s: string, i: i32, end: i32, c: u32): bool {
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x27 || c == 0x5C) return true;
  if (c < 0x2028) return false;
  if (c <= 0x202E || (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF) return true;
  if (c >= 0xD800 && c <= 0xDBFF) {
    let next = i + 1 < end ? <u32>s.charCodeAt(i + 1) : 0;
    return next < 0xDC00 || next > 0xDFFF;
  }
  if (c >= 0xDC00 && c <= 0xDFFF) {
    let prev = i > 0 ? <u32>s.charCodeAt(i - 1) : 0;
    return prev < 0xD800 || prev > 0xDBFF;
  }
  return false;
}

/**
 * A short, log-safe rendering of a string (configuration or client data) for
 * log lines: quoted, every character unsafeInLog() names as \uXXXX, cut at
 * `maxChars` code units with "..." after.
 */
export function quoteForMessage(s: string, maxChars: i32 = 64): string {
  let out = "'";
  let n = s.length;
  let limit = n > maxChars ? maxChars : n;
  for (let i = 0; i < limit; i++) {
    let c = <u32>s.charCodeAt(i);
    if (unsafeInLog(s, i, limit, c)) {
      out += "\\u" + hex4(c);
    } else {
      out += String.fromCharCode(c);
    }
  }
  if (n > limit) out += "...";
  return out + "'";
}

function hex4(c: u32): string {
  return hexDigits(c, 4);
}

/** The low `n` hex digits of `c`, lower case (built in place: no digit table, no concatenation). */
function hexDigits(c: u32, n: i32): string {
  let out = __new(<usize>n << 1, idof<string>());
  while (n-- > 0) {
    let d = c & 15;
    store<u16>(out + (<usize>n << 1), <u16>(d < 10 ? 0x30 + d : 0x57 + d));
    c >>= 4;
  }
  return changetype<string>(out);
}

class Parser {
  ptr: usize;
  len: i32;
  pos: i32 = 0;
  maxDepth: i32;
  error: string = "";
  errorPos: i32 = -1;
  scratch: ByteBuffer = new ByteBuffer(64);

  constructor(ptr: usize, len: i32, maxDepth: i32) {
    this.ptr = ptr;
    this.len = len;
    this.maxDepth = maxDepth;
  }

  @inline peek(): u32 {
    return this.pos < this.len ? <u32>load<u8>(this.ptr + <usize>this.pos) : 0xFFFFFFFF;
  }

  fail(at: i32, message: string): void {
    if (this.errorPos < 0) {
      this.errorPos = at;
      this.error = message;
    }
  }

  /** Describes the byte at `at` for messages. */
  describe(at: i32): string {
    if (at >= this.len) return "end of input";
    let c = <u32>load<u8>(this.ptr + <usize>at);
    if (c >= 0x21 && c < 0x7F) return "'" + String.fromCharCode(c) + "'";
    if (c == 0x20) return "' '";
    return "byte 0x" + hexDigits(c, 2);
  }

  /**
   * Records "expected <what>, got <the byte at `at`>", with a hint for the
   * usual non-JSON habits when `hints` is HINT_KEY or HINT_VALUE. (One place
   * builds these messages: fewer string literals and concatenations.)
   */
  failExpected(at: i32, what: string, hints: i32 = 0, afterComma: bool = false): void {
    let msg = "expected " + what + ", got " + this.describe(at);
    if (hints != 0) {
      let c: u32 = at < this.len ? <u32>load<u8>(this.ptr + <usize>at) : 0;
      if (afterComma && (c == C_RBRACE || (hints == HINT_VALUE && c == C_RBRACKET))) msg += " (trailing commas are not allowed)";
      else if (c == 0x2F) msg += " (comments are not allowed)";
      else if (c == 0x27) msg += " (strings use double quotes)";
      else if (hints == HINT_VALUE && (c == 0x4E || c == 0x49 || c == 0x2B || c == C_DOT)) msg += " (not a JSON number)";
    }
    this.fail(at, msg);
  }

  skipWs(): void {
    let p = this.pos;
    let n = this.len;
    let base = this.ptr;
    while (p < n) {
      let c = <u32>load<u8>(base + <usize>p);
      if (c == C_SPACE || c == C_LF || c == C_CR || c == C_TAB) p++;
      else break;
    }
    this.pos = p;
  }

  run(): JsonParseResult {
    let result = new JsonParseResult();
    if (this.len >= 3 && load<u8>(this.ptr) == 0xEF && load<u8>(this.ptr + 1) == 0xBB && load<u8>(this.ptr + 2) == 0xBF) {
      this.fail(0, "byte order mark is not allowed");
    } else {
      let v = this.parseDocument();
      if (v !== null && this.errorPos < 0) {
        this.skipWs();
        if (this.pos < this.len) {
          this.fail(this.pos, "unexpected " + this.describe(this.pos) + " after the JSON value");
        } else {
          result.value = v;
          return result;
        }
      }
    }
    this.fillError(result);
    return result;
  }

  fillError(result: JsonParseResult): void {
    let at = this.errorPos < 0 ? 0 : this.errorPos;
    if (at > this.len) at = this.len;
    let line = 1;
    let column = 1;
    for (let i = 0; i < at; i++) {
      let c = <u32>load<u8>(this.ptr + <usize>i);
      if (c == C_LF) { line++; column = 1; }
      else if ((c & 0xC0) != 0x80) column++;
    }
    result.value = null;
    result.offset = at;
    result.line = line;
    result.column = column;
    result.error = "line " + decimal(line) + ", column " + decimal(column) + ": " + this.error;
  }

  /** The value just completed (a field, not a loop local: see parseDocument). */
  current: JsonValue | null = null;

  /**
   * Iterative value parser: containers live on an explicit stack.
   *
   * POP_LEAK: in asc 0.17, `Array#pop()` of a managed element leaks the
   * element (memory grows per call even with cycle collection), so stacks of
   * managed values here shrink with `length = n - 1` after reading the top.
   */
  parseDocument(): JsonValue | null {
    let stack = new Array<JsonValue>();
    let keyStack = new Array<string>();
    let afterComma = false;
    while (true) {
      let r = this.openOrScalar(stack, keyStack, afterComma);
      if (r == 0) return null;
      if (r == 1) {
        afterComma = false;
      } else {
        let a = this.attach(stack, keyStack);
        while (a == 2) a = this.attach(stack, keyStack);
        if (a == 0) return null;
        if (a == 3) return this.current;
        afterComma = true;
      }
    }
    return null;
  }

  /**
   * Expects a value. Returns 0 on error, 1 when a non-empty container was
   * opened (pushed on the stack), 2 when a complete value is in `current`.
   */
  openOrScalar(stack: Array<JsonValue>, keyStack: Array<string>, afterComma: bool): i32 {
    this.skipWs();
    let start = this.pos;
    let c = this.peek();
    if (c == C_LBRACE || c == C_LBRACKET) {
      if (stack.length >= this.maxDepth) {
        this.fail(start, "nesting deeper than " + decimal(this.maxDepth) + " levels");
        return 0;
      }
      this.pos++;
      let isObject = c == C_LBRACE;
      let container: JsonValue;
      if (isObject) container = JsonValue.newObject();
      else container = JsonValue.newArray();
      this.skipWs();
      let close = isObject ? C_RBRACE : C_RBRACKET;
      if (this.peek() == close) {
        this.pos++;
        this.current = container;
        return 2;
      }
      stack.push(container);
      if (isObject) {
        if (!this.parseKey(container, keyStack, false)) return 0;
      }
      return 1;
    }
    let value = this.parseScalar(afterComma);
    if (value === null) return 0;
    this.current = value;
    return 2;
  }

  /**
   * Attaches `current` to the innermost open container and consumes what
   * follows. Returns 0 on error, 1 after a ',' (a value is expected next),
   * 2 after a closing bracket (the closed container is now `current`), 3 when
   * no container is open (`current` is the document).
   */
  attach(stack: Array<JsonValue>, keyStack: Array<string>): i32 {
    if (stack.length == 0) return 3;
    let value = this.current!;
    let parent = stack[stack.length - 1];
    let isObject = parent.kind == JsonKind.Object;
    if (isObject) {
      let last = keyStack.length - 1;
      parent.set(keyStack[last], value);
      keyStack.length = last; // not pop(): see POP_LEAK below
    } else {
      parent.push(value);
    }
    this.skipWs();
    let sepAt = this.pos;
    let s = this.peek();
    if (s == C_COMMA) {
      this.pos++;
      if (isObject) {
        if (!this.parseKey(parent, keyStack, true)) return 0;
      }
      return 1;
    }
    if ((isObject && s == C_RBRACE) || (!isObject && s == C_RBRACKET)) {
      this.pos++;
      let top = stack.length - 1;
      this.current = stack[top];
      stack.length = top; // not pop(): see POP_LEAK below
      return 2;
    }
    let expected = "',' or ']'";
    if (isObject) expected = "',' or '}'";
    this.failExpected(sepAt, expected);
    return 0;
  }

  /** Parses `"key" :` inside an object; detects duplicates. */
  parseKey(obj: JsonValue, keyStack: Array<string>, afterComma: bool): bool {
    this.skipWs();
    let at = this.pos;
    let c = this.peek();
    if (c != C_QUOTE) {
      this.failExpected(at, "string key", HINT_KEY, afterComma);
      return false;
    }
    let key = this.parseString();
    if (key === null) return false;
    if (obj.has(key!)) {
      this.fail(at, "duplicate key " + quoteForMessage(key!));
      return false;
    }
    this.skipWs();
    let colonAt = this.pos;
    if (this.peek() != C_COLON) {
      this.failExpected(colonAt, "':' after object key");
      return false;
    }
    this.pos++;
    keyStack.push(key!);
    return true;
  }

  parseScalar(afterComma: bool): JsonValue | null {
    let at = this.pos;
    let c = this.peek();
    if (c == C_QUOTE) {
      let s = this.parseString();
      if (s === null) return null;
      return JsonValue.newString(s!);
    }
    if (c == C_MINUS || (c - C_0) < 10) return this.parseNumber();
    if (c == 0x74) { // t
      if (this.matchWord("true")) return JsonValue.newBool(true);
    } else if (c == 0x66) { // f
      if (this.matchWord("false")) return JsonValue.newBool(false);
    } else if (c == 0x6E) { // n
      if (this.matchWord("null")) return JsonValue.newNull();
    }
    this.failExpected(at, "a value", HINT_VALUE, afterComma);
    return null;
  }

  matchWord(word: string): bool {
    let n = word.length;
    if (this.pos + n > this.len) return false;
    for (let i = 0; i < n; i++) {
      if (<u32>load<u8>(this.ptr + <usize>(this.pos + i)) != <u32>word.charCodeAt(i)) return false;
    }
    // the literal must end here (no "truex")
    if (this.pos + n < this.len) {
      let next = <u32>load<u8>(this.ptr + <usize>(this.pos + n));
      if ((next | 0x20) - 0x61 < 26 || next - C_0 < 10 || next == 0x5F) return false;
    }
    this.pos += n;
    return true;
  }

  parseNumber(): JsonValue | null {
    // Scans and converts in one pass: up to 19 significant digits are kept
    // exactly in a u64, the rest only move the decimal exponent (see scaleDecimal).
    let start = this.pos;
    let p = start;
    let n = this.len;
    let base = this.ptr;
    let neg = false;
    let m: u64 = 0;
    let digits = 0;
    let exp = 0;
    if (p < n && <u32>load<u8>(base + <usize>p) == C_MINUS) { p++; neg = true; }
    if (p >= n || <u32>load<u8>(base + <usize>p) - C_0 >= 10) {
      this.failExpected(p, "a digit");
      return null;
    }
    if (<u32>load<u8>(base + <usize>p) == C_0) {
      p++;
      if (p < n && <u32>load<u8>(base + <usize>p) - C_0 < 10) {
        this.fail(start, "leading zeros are not allowed in numbers");
        return null;
      }
    } else {
      while (p < n) {
        let d = <u32>load<u8>(base + <usize>p) - C_0;
        if (d >= 10) break;
        if (digits < 19) { m = m * 10 + d; digits++; } else exp++;
        p++;
      }
    }
    if (p < n && <u32>load<u8>(base + <usize>p) == C_DOT) {
      p++;
      if (p >= n || <u32>load<u8>(base + <usize>p) - C_0 >= 10) {
        this.failExpected(p, "a digit after '.'");
        return null;
      }
      while (p < n) {
        let d = <u32>load<u8>(base + <usize>p) - C_0;
        if (d >= 10) break;
        if (digits < 19 && (m != 0 || d != 0)) { m = m * 10 + d; digits++; exp--; }
        else if (m == 0) exp--;
        p++;
      }
    }
    if (p < n && (<u32>load<u8>(base + <usize>p) | 0x20) == 0x65) {
      p++;
      let eneg = false;
      if (p < n) {
        let s = <u32>load<u8>(base + <usize>p);
        if (s == 0x2B || s == C_MINUS) { p++; eneg = s == C_MINUS; }
      }
      if (p >= n || <u32>load<u8>(base + <usize>p) - C_0 >= 10) {
        this.failExpected(p, "a digit in the exponent");
        return null;
      }
      let e = 0;
      while (p < n) {
        let d = <u32>load<u8>(base + <usize>p) - C_0;
        if (d >= 10) break;
        if (e < 100000) e = e * 10 + <i32>d;
        p++;
      }
      exp += eneg ? -e : e;
    }
    this.pos = p;
    let x = decimalToF64(m, exp);
    // The source text, for messages (config errors quote the number as written).
    // (no ternaries on managed values: asc 0.17's ARC mishandles some)
    // (ASCII: bytes are characters)
    let shown = p - start;
    if (shown > 32) shown = 32;
    let text = String.UTF8.decodeUnsafe(base + <usize>start, <usize>shown, false);
    if (p - start > 32) text += "...";
    if (!isFinite(x)) {
      this.fail(start, "number " + text + " is out of range");
      return null;
    }
    let v = JsonValue.newNumber(neg ? -x : x);
    v.stringValue = text;
    return v;
  }

  /** Parses a string starting at the opening quote. Returns null on error. */
  parseString(): string | null {
    let base = this.ptr;
    let n = this.len;
    let p = this.pos + 1;
    let runStart = p;
    let scratch = this.scratch;
    let escaped = false;
    while (true) {
      if (p >= n) {
        this.fail(this.pos, "unterminated string");
        return null;
      }
      let c = <u32>load<u8>(base + <usize>p);
      if (c == C_QUOTE) break;
      if (c < 0x20) {
        this.fail(p, "control character " + this.describe(p) + " in string (escape it)");
        return null;
      }
      if (c == C_BACKSLASH) {
        if (!escaped) { scratch.clear(); escaped = true; }
        scratch.pushBytes(base + <usize>runStart, p - runStart);
        let escAt = p;
        p++;
        if (p >= n) {
          this.fail(this.pos, "unterminated string");
          return null;
        }
        let e = <u32>load<u8>(base + <usize>p);
        p++;
        // the byte a one-character escape stands for (one pushByte for all of them)
        let single: i32 = -1;
        if (e == C_QUOTE || e == C_BACKSLASH || e == 0x2F) single = <i32>e;
        else if (e == 0x62) single = 0x08;
        else if (e == 0x66) single = 0x0C;
        else if (e == 0x6E) single = 0x0A;
        else if (e == 0x72) single = 0x0D;
        else if (e == 0x74) single = 0x09;
        if (single >= 0) scratch.pushByte(<u32>single);
        else if (e == 0x75) {
          let cp = this.readHex4(p);
          if (cp < 0) { this.fail(escAt, "invalid \\u escape (expected 4 hex digits)"); return null; }
          p += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // must be followed by \uDC00-\uDFFF
            let lo: i32 = -1;
            if (p + 1 < n && <u32>load<u8>(base + <usize>p) == C_BACKSLASH && <u32>load<u8>(base + <usize>(p + 1)) == 0x75) {
              lo = this.readHex4(p + 2);
            }
            if (lo < 0xDC00 || lo > 0xDFFF) {
              this.fail(escAt, "lone surrogate \\u" + hex4(<u32>cp) + " (a high surrogate must be followed by a low surrogate escape)");
              return null;
            }
            p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            this.fail(escAt, "lone surrogate \\u" + hex4(<u32>cp) + " (low surrogate without a high surrogate)");
            return null;
          }
          pushUtf8(scratch, <u32>cp);
        } else {
          let shown = "?";
          if (e >= 0x21 && e < 0x7F) shown = String.fromCharCode(e);
          this.fail(escAt, "invalid escape '\\" + shown + "' in string");
          return null;
        }
        runStart = p;
        continue;
      }
      if (c >= 0x80) {
        let k = utf8SequenceLength(base + <usize>p, base + <usize>n);
        if (k == 0) {
          this.fail(p, "invalid UTF-8 in string");
          return null;
        }
        p += k;
        continue;
      }
      p++;
    }
    // p at closing quote
    let s: string;
    // (validated above: decode without re-checking; asc's decoder, which the
    // layer has anyway, instead of a second one: configure time only)
    if (!escaped) {
      s = String.UTF8.decodeUnsafe(base + <usize>runStart, <usize>(p - runStart), false);
    } else {
      scratch.pushBytes(base + <usize>runStart, p - runStart);
      s = String.UTF8.decodeUnsafe(scratch.dataStart, <usize>scratch.length, false);
    }
    this.pos = p + 1;
    return s;
  }

  readHex4(p: i32): i32 {
    if (p + 4 > this.len) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      let d = hexDigit(<u32>load<u8>(this.ptr + <usize>(p + i)));
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }
}

// ---------------------------------------------------------------------------
// Serialization (for tests, logs and debugging; config paths do not need it)

function stringifyInto(out: ByteBuffer, root: JsonValue): void {
  // Iterative: a hand-built value may be nested arbitrarily deep.
  let stack = new Array<JsonValue>();
  let positions = new Array<i32>();
  let v = root;
  while (true) {
    // emit v (scalars fully, containers: the opening bracket)
    let kind = v.kind;
    if (kind == JsonKind.Array || kind == JsonKind.Object) {
      out.pushByte(kind == JsonKind.Array ? C_LBRACKET : C_LBRACE);
      stack.push(v);
      positions.push(0);
    } else if (kind == JsonKind.Null) {
      out.pushString("null");
    } else if (kind == JsonKind.Bool) {
      out.pushString(v.boolValue ? "true" : "false");
    } else if (kind == JsonKind.Number) {
      out.pushString(formatNumber(v.numberValue));
    } else {
      quoteInto(out, v.stringValue);
    }
    // find the next value to emit
    let found = false;
    while (stack.length > 0) {
      let top = stack[stack.length - 1];
      let i = positions[positions.length - 1];
      if (i < top.length) {
        if (i > 0) out.pushByte(C_COMMA);
        positions[positions.length - 1] = i + 1;
        if (top.kind == JsonKind.Array) {
          v = top.items![i];
        } else {
          quoteInto(out, top.keys![i]);
          out.pushByte(C_COLON);
          v = top.values![i];
        }
        found = true;
        break;
      }
      out.pushByte(top.kind == JsonKind.Array ? C_RBRACKET : C_RBRACE);
      stack.length = stack.length - 1; // not pop(): see POP_LEAK below
      positions.pop();
    }
    if (!found) return;
  }
}

/** n zeros (cold path; a loop instead of String#repeat, which costs more module bytes). */
function zeros(n: i32): string {
  let z = "";
  while (n-- > 0) z += "0";
  return z;
}

/** 10^k for 0 <= k <= 22 (exact: every intermediate product is). */
function pow10(k: i32): f64 {
  let p = 1.0;
  while (k-- > 0) p *= 10;
  return p;
}

/** The rounding error of `a * b` given `p = a * b` (Dekker; exact for normal operands). */
function mulError(a: f64, b: f64, p: f64): f64 {
  let t = a * 134217729.0;
  let ah = t - (t - a);
  let al = a - ah;
  t = b * 134217729.0;
  let bh = t - (t - b);
  let bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/**
 * (h + l) * 10^e for h >= 0, in double-double arithmetic (about 104 bits):
 * returns the high part and leaves the low one in `scaledLow`, so the one
 * final rounding (h + l) is the only one that matters: the result is the
 * correctly rounded value except in rare near-halfway cases (and with less
 * precision for subnormal results). Replaces asc's strtod for JSON numbers:
 * a few hundred bytes instead of ~2 KB per module.
 */
let scaledLow: f64 = 0;
function scaleDecimal(h: f64, l: f64, e: i32): f64 {
  scaledLow = 0;
  if (h == 0) return 0;
  // callers pass h < 10^19: beyond these bounds the result is 0 or Infinity anyway
  if (e > 330) return Infinity;
  if (e < -350) return 0;
  let big = false;
  while (e != 0) {
    if (h > 1e270 && !big) {
      // Dekker's splitting would overflow: work in units of 2^64 (exact)
      h *= 5.421010862427522e-20;
      l *= 5.421010862427522e-20;
      big = true;
    }
    let k = e;
    if (k > 22) k = 22;
    if (k < -22) k = -22;
    e -= k;
    if (k > 0) {
      let c = pow10(k);
      let p = h * c;
      let err = mulError(h, c, p) + l * c;
      h = p + err;
      l = err - (h - p);
    } else {
      let c = pow10(-k);
      let q = h / c;
      if (q >= 2.2250738585072014e-308) { // normal: error terms below it are negligible
        let p = q * c;
        let r = ((h - p) - mulError(q, c, p) + l) / c;
        h = q + r;
        l = r - (h - q);
      } else {
        h = (h + l) / c; // subnormal: plain arithmetic
        l = 0;
      }
    }
  }
  if (big) {
    // near the top of the range, fold in the low part first (scaledLow stays 0)
    if (h > 1e280) return (h + l) * 18446744073709551616.0;
    h *= 18446744073709551616.0;
    l *= 18446744073709551616.0;
  }
  scaledLow = l;
  return h;
}

/** m * 10^e with the u64 `m` split exactly into two f64s. */
function decimalToF64(m: u64, e: i32): f64 {
  let h = <f64>m;
  h = scaleDecimal(h, <f64><i64>(m - <u64>h), e);
  return h + scaledLow;
}

/**
 * Number text as JavaScript's `String(x)` prints it: integers up to 2^53
 * exactly, others with the fewest significant digits (at most 17) that read
 * back (through this module's own reader) as the same f64, in JavaScript's
 * layout (`1.5`, `100000000000000000000`, `1e+21`, `1.5e-7`). Small instead
 * of asc's dtoa (~3 KB with its tables); used by config errors and toString.
 */
export function formatNumber(x: f64): string {
  if (isSafeInteger(x)) {
    if (x == 0 && 1 / x < 0) return "-0";
    return decimal(<i64>x);
  }
  if (x != x) return "NaN";
  let sign = "";
  if (x < 0) { sign = "-"; x = -x; }
  if (x == Infinity) return sign + "Infinity";
  // decimal exponent: 10^e10 <= x < 10^(e10 + 1), estimated from the binary one
  let e10 = <i32>Math.floor(<f64>(<i32>((reinterpret<u64>(x) >> 52) & 0x7FF) - 1023) * 0.30102999566398120);
  // (the estimate is off by one at most, more for subnormals: correct it
  // comparing as a double-double, as h + l may round to 10)
  for (let guard = 0; guard < 20; guard++) {
    let y = scaleDecimal(x, 0, -e10);
    if (y > 10 || (y == 10 && scaledLow >= 0)) e10++;
    else if (y < 1 || (y == 1 && scaledLow < 0)) e10--;
    else break;
  }
  let d: u64 = 0;
  let n = 0; // the decimal point goes after n digits
  for (let p = 1; p <= 17; p++) {
    let k = p - 1 - e10;
    // round(x * 10^k) from the unrounded double-double product
    let h = scaleDecimal(x, 0, k);
    let hi = Math.floor(h);
    d = <u64>hi + <u64><i64>Math.round((h - hi) + scaledLow);
    n = e10 + 1;
    if (d == <u64>pow10(p)) { d /= 10; n++; k--; } // 9.99.. rounded up to 10.0..
    if (p == 17) break;
    // read back the way parseNumber would: trailing zeros move the exponent
    let m = d;
    while (m != 0 && m % 10 == 0) { m /= 10; k--; }
    if (decimalToF64(m, -k) == x) break;
  }
  let s = decimal(<i64>d);
  while (s.length > 1 && s.charCodeAt(s.length - 1) == 0x30) s = s.substring(0, s.length - 1);
  let k = s.length;
  if (k <= n && n <= 21) return sign + s + zeros(n - k);
  if (0 < n && n <= 21) return sign + s.substring(0, n) + "." + s.substring(n);
  if (-6 < n && n <= 0) return sign + "0." + zeros(-n) + s;
  let mant = s.substring(0, 1);
  if (k > 1) mant += "." + s.substring(1);
  let ee = n - 1;
  if (ee < 0) return sign + mant + "e-" + decimal(-ee);
  return sign + mant + "e+" + decimal(ee);
}

/** Appends `s` as a JSON string literal. */
export function quoteInto(out: ByteBuffer, s: string): void {
  out.pushByte(C_QUOTE);
  let n = s.length;
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    let c = <u32>s.charCodeAt(i);
    if (c >= 0x20 && c != C_QUOTE && c != C_BACKSLASH) continue;
    if (i > runStart) out.pushString(s.substring(runStart, i));
    out.pushByte(C_BACKSLASH);
    if (c == C_QUOTE) out.pushByte(C_QUOTE);
    else if (c == C_BACKSLASH) out.pushByte(C_BACKSLASH);
    else if (c == C_LF) out.pushByte(0x6E);
    else if (c == C_CR) out.pushByte(0x72);
    else if (c == C_TAB) out.pushByte(0x74);
    else {
      out.pushByte(0x75);
      out.pushString(hex4(c));
    }
    runStart = i + 1;
  }
  if (runStart == 0) out.pushString(s);
  else if (n > runStart) out.pushString(s.substring(runStart, n));
  out.pushByte(C_QUOTE);
}
