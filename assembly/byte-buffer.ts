// Growable byte buffer shared by the helpers (JSON string unescaping, protobuf
// writer). Owns one ArrayBuffer that doubles when full; `clear()` keeps the
// capacity so a long-lived buffer allocates nothing in steady state.

export class ByteBuffer {
  buffer: ArrayBuffer;
  length: i32 = 0;

  constructor(initialCapacity: i32 = 64) {
    this.buffer = new ArrayBuffer(initialCapacity < 8 ? 8 : initialCapacity);
  }

  /** Address of the first byte. Valid until the next write that grows the buffer. */
  @inline get dataStart(): usize {
    return changetype<usize>(this.buffer);
  }

  get capacity(): i32 {
    return this.buffer.byteLength;
  }

  clear(): void {
    this.length = 0;
  }

  /** Makes room for `extra` more bytes. */
  ensure(extra: i32): void {
    let needed = <i64>this.length + <i64>extra;
    let cap = this.buffer.byteLength;
    if (needed <= <i64>cap) return;
    let newCap = <i64>cap;
    while (newCap < needed) newCap <<= 1;
    // ArrayBuffer is limited to 1 GiB in AS; stay well below it.
    if (newCap > 0x3FFFFFFF) newCap = needed;
    let next = new ArrayBuffer(<i32>newCap);
    memory.copy(changetype<usize>(next), changetype<usize>(this.buffer), <usize>this.length);
    this.buffer = next;
  }

  pushByte(b: u32): void {
    this.ensure(1);
    store<u8>(changetype<usize>(this.buffer) + <usize>this.length, <u8>b);
    this.length++;
  }

  pushBytes(ptr: usize, len: i32): void {
    if (len <= 0) return;
    this.ensure(len);
    memory.copy(changetype<usize>(this.buffer) + <usize>this.length, ptr, <usize>len);
    this.length += len;
  }

  pushArray(data: Uint8Array): void {
    this.pushBytes(data.dataStart, data.length);
  }

  /** Appends the UTF-8 encoding of `s`. */
  pushString(s: string): void {
    let n = String.UTF8.byteLength(s, false);
    if (n == 0) return;
    this.ensure(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, changetype<usize>(this.buffer) + <usize>this.length, false);
    this.length += n;
  }

  /** A copy of the contents. */
  toUint8Array(): Uint8Array {
    let out = new Uint8Array(this.length);
    memory.copy(out.dataStart, changetype<usize>(this.buffer), <usize>this.length);
    return out;
  }

  /** A copy of the contents as an ArrayBuffer (what proxy-runtime's host calls take). */
  toArrayBuffer(): ArrayBuffer {
    let out = new ArrayBuffer(this.length);
    memory.copy(changetype<usize>(out), changetype<usize>(this.buffer), <usize>this.length);
    return out;
  }

  /** The contents decoded as UTF-8 (no validation). */
  toUtf8String(): string {
    return String.UTF8.decodeUnsafe(changetype<usize>(this.buffer), <usize>this.length, false);
  }
}
