// Protocol Buffers wire format: a bounds-checked reader and a growable writer.
//
// The reader never traps and never throws: truncation, malformed varints
// (more than 10 bytes, or bits beyond 64), lengths beyond the remaining
// bytes, invalid field numbers / wire types and unbalanced groups set `error`
// ("offset 12: truncated varint") and make every later read return 0 / false
// / null. Offsets are absolute from the outermost reader's first byte.
// A reader is a view over memory: the bytes must stay alive while it is used.

import { decimal } from "./decimal";
import { ByteBuffer } from "./byte-buffer";
import { utf8ToString } from "./utf8";

export enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

/** Largest valid field number (2^29 - 1). */
export const MAX_FIELD_NUMBER: u32 = 536870911;
/** Group nesting the reader follows when skipping unknown groups. */
export const MAX_GROUP_DEPTH: i32 = 32;

/** Bytes a varint encoding of `v` takes (1..10). */
export function varintSize(v: u64): i32 {
  let n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

export class ProtoReader {
  /** Address of the first byte of this (sub)message. */
  readonly start: usize;
  /** Address one past the last readable byte (moved by pushLimit / popLimit). */
  end: usize;
  /** Current read address. */
  pos: usize;
  /** Absolute offset of `start` within the outermost message (for messages). */
  readonly baseOffset: i32;
  /** Empty while no error occurred. */
  error: string = "";
  /** True once an error occurred (cheaper to test than `error`). */
  failed: bool = false;
  /** Field number, wire type and absolute offset of the last tag read by readTag(). */
  fieldNumber: u32 = 0;
  tagOffset: i32 = 0;
  wireType: u32 = 0;
  /** Location of the last length-delimited payload read by readLengthDelimited(). */
  viewPtr: usize = 0;
  viewLen: i32 = 0;

  constructor(ptr: usize, len: i32, baseOffset: i32 = 0) {
    this.start = ptr;
    this.pos = ptr;
    this.end = ptr + <usize>(len < 0 ? 0 : len);
    this.baseOffset = baseOffset;
  }

  static fromArray(data: Uint8Array): ProtoReader {
    return new ProtoReader(data.dataStart, data.length);
  }

  get ok(): bool {
    return !this.failed;
  }

  /** Absolute offset of the read position. */
  get offset(): i32 {
    return this.baseOffset + <i32>(this.pos - this.start);
  }

  get remaining(): i32 {
    return <i32>(this.end - this.pos);
  }

  /** True at the end of the data or after an error. */
  atEnd(): bool {
    return this.pos >= this.end || this.failed;
  }

  /** Records the first error (at `offset`). Always returns false. */
  fail(message: string, offset: i32 = -1): bool {
    if (!this.failed) {
      let at = offset;
      if (at < 0) at = this.offset;
      this.error = "offset " + decimal(at) + ": " + message;
      this.failed = true;
    }
    this.pos = this.end;
    return false;
  }

  /**
   * Reads a length prefix and restricts reading to that many bytes (like
   * protobuf's CodedInputStream::PushLimit), without allocating a sub-reader.
   * Returns the previous end for popLimit(), or 0 on error.
   */
  pushLimit(): usize {
    if (!this.readLengthDelimited()) return 0;
    let old = this.end;
    this.pos = this.viewPtr;
    this.end = this.viewPtr + <usize>this.viewLen;
    return old;
  }

  /** Ends a pushLimit(): continues after the limited payload. */
  popLimit(oldEnd: usize): void {
    let limitEnd = this.end;
    this.end = oldEnd;
    // on error stay at the end so every later read stops
    if (this.failed) this.pos = oldEnd;
    else this.pos = limitEnd;
  }

  /** Reads a varint; 0 with `error` set when malformed or truncated. */
  readVarint(): u64 {
    if (this.failed) return 0;
    let at = this.offset;
    let p = this.pos;
    let end = this.end;
    let result: u64 = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= end) {
        this.fail("truncated varint", at);
        return 0;
      }
      let b = <u64>load<u8>(p);
      p++;
      if (i == 9 && b > 1) {
        // the 10th byte carries bit 63 only
        if (b & 0x80) this.fail("varint longer than 10 bytes", at);
        else this.fail("varint overflows 64 bits", at);
        return 0;
      }
      result |= (b & 0x7F) << (<u64>(7 * i));
      if (!(b & 0x80)) {
        this.pos = p;
        return result;
      }
    }
    this.fail("varint longer than 10 bytes", at);
    return 0;
  }

  /**
   * Reads the next tag into fieldNumber / wireType. Returns false at the end of
   * the data (check `ok` to tell a clean end from an error).
   */
  readTag(): bool {
    if (this.pos >= this.end || this.failed) return false;
    let at = this.offset;
    let tag = this.readVarint();
    if (this.failed) return false;
    if (tag > 0xFFFFFFFF) return this.fail("tag does not fit in 32 bits", at);
    let field = <u32>(tag >> 3);
    let wt = <u32>(tag & 7);
    if (field == 0) return this.fail("invalid field number 0", at);
    if (wt > 5) return this.fail("invalid wire type " + decimal(wt), at);
    this.fieldNumber = field;
    this.wireType = wt;
    this.tagOffset = at;
    return true;
  }

  /** Checks the current tag's wire type; reports "field N: wrong wire type" otherwise. */
  expectWireType(expected: WireType): bool {
    if (this.wireType == <u32>expected) return true;
    return this.fail(
      "field " + decimal(this.fieldNumber) + ": wrong wire type " + decimal(this.wireType) +
      " (expected " + decimal((<u32>expected)) + ")",
      this.tagOffset,
    );
  }

  readFixed32(): u32 {
    if (this.failed) return 0;
    if (this.end - this.pos < 4) { this.fail("truncated fixed32"); return 0; }
    let v = load<u32>(this.pos);
    this.pos += 4;
    return v;
  }

  readFixed64(): u64 {
    if (this.failed) return 0;
    if (this.end - this.pos < 8) { this.fail("truncated fixed64"); return 0; }
    let v = load<u64>(this.pos);
    this.pos += 8;
    return v;
  }

  readDouble(): f64 {
    return reinterpret<f64>(this.readFixed64());
  }

  readFloat(): f32 {
    return reinterpret<f32>(this.readFixed32());
  }

  readBool(): bool {
    return this.readVarint() != 0;
  }

  /** Reads a varint as int32 (protobuf truncation semantics). */
  readInt32(): i32 {
    return <i32>this.readVarint();
  }

  /**
   * Reads a length prefix and the payload's location into viewPtr / viewLen
   * (no copy). False on error (truncated, or longer than the remaining bytes).
   */
  readLengthDelimited(): bool {
    if (this.failed) return false;
    let at = this.offset;
    let len = this.readVarint();
    if (this.failed) return false;
    let remaining = <u64>(this.end - this.pos);
    if (len > remaining) {
      return this.fail("length " + decimal(len, true) + " exceeds the " + decimal(remaining) + " remaining bytes", at);
    }
    this.viewPtr = this.pos;
    this.viewLen = <i32>len;
    this.pos += <usize>len;
    return true;
  }

  /** A reader over the next length-delimited payload; null on error. */
  readMessage(): ProtoReader | null {
    if (!this.readLengthDelimited()) return null;
    return new ProtoReader(this.viewPtr, this.viewLen, this.baseOffset + <i32>(this.viewPtr - this.start));
  }

  /** Copies the next length-delimited payload; null on error. */
  readBytes(): Uint8Array | null {
    if (!this.readLengthDelimited()) return null;
    let out = new Uint8Array(this.viewLen);
    memory.copy(out.dataStart, this.viewPtr, <usize>this.viewLen);
    return out;
  }

  /** The next length-delimited payload as a string; null on error or invalid UTF-8. */
  readString(): string | null {
    let at = this.offset;
    if (!this.readLengthDelimited()) return null;
    let s = utf8ToString(this.viewPtr, this.viewLen, true);
    if (s === null) this.fail("invalid UTF-8 in string", at);
    return s;
  }

  /** Skips the value of the current tag (groups included, up to MAX_GROUP_DEPTH). */
  skipField(): bool {
    if (this.failed) return false;
    let wt = this.wireType;
    if (wt == WireType.Varint) { this.readVarint(); return !this.failed; }
    if (wt == WireType.Fixed64) { this.readFixed64(); return !this.failed; }
    if (wt == WireType.Fixed32) { this.readFixed32(); return !this.failed; }
    if (wt == WireType.LengthDelimited) return this.readLengthDelimited();
    if (wt == WireType.EndGroup) return this.fail("unexpected end-group tag for field " + decimal(this.fieldNumber), this.tagOffset);
    // StartGroup: skip until the matching EndGroup, following nested groups.
    let open = new Array<u32>();
    open.push(this.fieldNumber);
    while (open.length > 0) {
      if (!this.readTag()) {
        if (!this.failed) this.fail("truncated group");
        return false;
      }
      let t = this.wireType;
      if (t == WireType.StartGroup) {
        if (open.length >= MAX_GROUP_DEPTH) return this.fail("groups nested deeper than " + decimal(MAX_GROUP_DEPTH), this.tagOffset);
        open.push(this.fieldNumber);
      } else if (t == WireType.EndGroup) {
        if (open[open.length - 1] != this.fieldNumber) return this.fail("mismatched end-group tag for field " + decimal(this.fieldNumber), this.tagOffset);
        open.pop();
      } else if (t == WireType.Varint) {
        this.readVarint();
      } else if (t == WireType.Fixed64) {
        this.readFixed64();
      } else if (t == WireType.Fixed32) {
        this.readFixed32();
      } else {
        this.readLengthDelimited();
      }
      if (this.failed) return false;
    }
    return true;
  }
}

export class ProtoWriter {
  readonly buf: ByteBuffer;

  constructor(initialCapacity: i32 = 256) {
    this.buf = new ByteBuffer(initialCapacity);
  }

  get length(): i32 {
    return this.buf.length;
  }

  /** Address of the encoded bytes (valid until the next write). */
  get dataStart(): usize {
    return this.buf.dataStart;
  }

  /** Empties the writer, keeping its capacity. */
  clear(): void {
    this.buf.clear();
  }

  writeVarint(v: u64): void {
    let b = this.buf;
    b.ensure(10);
    let p = b.dataStart + <usize>b.length;
    let n = 0;
    while (v >= 0x80) {
      store<u8>(p + <usize>n, <u8>((v & 0x7F) | 0x80));
      v >>= 7;
      n++;
    }
    store<u8>(p + <usize>n, <u8>v);
    b.length += n + 1;
  }

  writeTag(field: u32, wireType: WireType): void {
    this.writeVarint((<u64>field << 3) | <u64>wireType);
  }

  writeFixed32(v: u32): void {
    let b = this.buf;
    b.ensure(4);
    store<u32>(b.dataStart + <usize>b.length, v);
    b.length += 4;
  }

  writeFixed64(v: u64): void {
    let b = this.buf;
    b.ensure(8);
    store<u64>(b.dataStart + <usize>b.length, v);
    b.length += 8;
  }

  writeDouble(x: f64): void {
    this.writeFixed64(reinterpret<u64>(x));
  }

  writeFloat(x: f32): void {
    this.writeFixed32(reinterpret<u32>(x));
  }

  /** Length prefix + raw bytes. */
  writeLengthDelimited(ptr: usize, len: i32): void {
    this.writeVarint(<u64>len);
    this.buf.pushBytes(ptr, len);
  }

  // Field helpers: tag + value.
  writeVarintField(field: u32, v: u64): void {
    this.writeTag(field, WireType.Varint);
    this.writeVarint(v);
  }

  writeBoolField(field: u32, v: bool): void {
    this.writeTag(field, WireType.Varint);
    this.writeVarint(v ? 1 : 0);
  }

  writeDoubleField(field: u32, x: f64): void {
    this.writeTag(field, WireType.Fixed64);
    this.writeDouble(x);
  }

  writeFixed32Field(field: u32, v: u32): void {
    this.writeTag(field, WireType.Fixed32);
    this.writeFixed32(v);
  }

  writeFixed64Field(field: u32, v: u64): void {
    this.writeTag(field, WireType.Fixed64);
    this.writeFixed64(v);
  }

  writeBytesField(field: u32, ptr: usize, len: i32): void {
    this.writeTag(field, WireType.LengthDelimited);
    this.writeLengthDelimited(ptr, len);
  }

  /** Writes `s` as UTF-8. */
  writeStringField(field: u32, s: string): void {
    this.writeTag(field, WireType.LengthDelimited);
    let n = String.UTF8.byteLength(s, false);
    this.writeVarint(<u64>n);
    this.buf.pushString(s);
  }

  /**
   * Starts a nested message (tag written now, length when it ends). Returns a
   * mark for endMessage(). Nested begin/end pairs must be properly nested.
   */
  beginMessage(field: u32): i32 {
    this.writeTag(field, WireType.LengthDelimited);
    return this.buf.length;
  }

  /** Ends the message started at `mark`: inserts its length prefix. */
  endMessage(mark: i32): void {
    let b = this.buf;
    let len = b.length - mark;
    let size = varintSize(<u64>len);
    b.ensure(size);
    let base = b.dataStart;
    memory.copy(base + <usize>(mark + size), base + <usize>mark, <usize>len);
    let p = base + <usize>mark;
    let v = <u64>len;
    let i = 0;
    while (v >= 0x80) {
      store<u8>(p + <usize>i, <u8>((v & 0x7F) | 0x80));
      v >>= 7;
      i++;
    }
    store<u8>(p + <usize>i, <u8>v);
    b.length += size;
  }

  /** A copy of the encoded bytes. */
  finish(): Uint8Array {
    return this.buf.toUint8Array();
  }

  toArrayBuffer(): ArrayBuffer {
    return this.buf.toArrayBuffer();
  }
}
