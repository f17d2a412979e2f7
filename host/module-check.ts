// A module is untrusted input: before V8 compiles it, its section layout, its
// imports and its memory declarations are checked with every count and size
// bounded by the bytes actually present, and its memory is held to the host's
// cap (maxMemoryPages). Shared memories (threads) would escape the cap and
// Proxy-Wasm hosts never give one; an initial size above the cap is refused; a
// maximum above it (or none) is lowered to the cap, so growth fails there.
// Envoy itself only has V8's 4 GiB limit; the cap keeps one runaway module
// from exhausting the test process.
import { PluginLoadError } from "./errors.ts";

const PAGE = 65536;
const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;

function mib(pages: number): string {
  const m = (pages * PAGE) / (1024 * 1024);
  return `${Number.isInteger(m) ? m : m.toFixed(1)} MiB`;
}

class Reader {
  constructor(readonly b: Uint8Array, public pos: number, readonly end: number) {}

  byte(what: string): number {
    if (this.pos >= this.end) throw new PluginLoadError(`${what} runs past its section (offset ${this.pos})`);
    return this.b[this.pos++]!;
  }

  /** Unsigned LEB128 of at most 32 bits (5 bytes). */
  u32(what: string): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.byte(what);
      result += (byte & 0x7f) * 2 ** (7 * i);
      if (!(byte & 0x80)) {
        if (i === 4 && byte > 0x0f) break;
        return result;
      }
    }
    throw new PluginLoadError(`malformed LEB128 at offset ${start}`);
  }

  skip(n: number, what: string): void {
    if (n > this.end - this.pos) throw new PluginLoadError(`${what} runs past its section (offset ${this.pos})`);
    this.pos += n;
  }

  name(what: string): string {
    const len = this.u32(what);
    const at = this.pos;
    this.skip(len, what);
    return new TextDecoder().decode(this.b.subarray(at, at + len));
  }
}

interface Limits { flags: number; min: number; max?: number }

function limits(r: Reader, what: string): Limits {
  const flags = r.byte(what);
  if (flags > 7) throw new PluginLoadError(`${what}: unknown limits flags 0x${flags.toString(16)}`);
  const min = r.u32(what);
  return flags & 1 ? { flags, min, max: r.u32(what) } : { flags, min };
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

function checkImports(r: Reader, size: number): void {
  const count = r.u32("import section");
  // module name, field name (one length byte each at least), kind, descriptor
  if (count > size / 4) throw new PluginLoadError(`import section declares ${count} imports in ${size} bytes`);
  for (let i = 0; i < count; i++) {
    const mod = r.name("import");
    const field = r.name("import");
    const kind = r.byte("import");
    if (kind === 0) r.u32("import");
    else if (kind === 1) { r.byte("import"); limits(r, "table import"); }
    else if (kind === 2) throw new PluginLoadError(`imports its memory (${mod}.${field}); Envoy provides none, a Proxy-Wasm module defines and exports its own`);
    else if (kind === 3) { r.byte("import"); r.byte("import"); }
    else if (kind === 4) { r.byte("import"); r.u32("import"); }
    else throw new PluginLoadError(`import ${mod}.${field} has unknown kind ${kind}`);
  }
}

/** The memory section's limits, checked; returns the section rewritten with the capped maximum. */
function capMemorySection(r: Reader, size: number, maxPages: number): number[] {
  const count = r.u32("memory section");
  if (count > (size - 1) / 2) throw new PluginLoadError(`memory section declares ${count} memories in ${size} bytes`);
  if (count > 1) throw new PluginLoadError(`memory section declares ${count} memories; a Proxy-Wasm module has one`);
  const body = [...leb(count)];
  for (let i = 0; i < count; i++) {
    const l = limits(r, `memory ${i}`);
    if (l.flags & 2) throw new PluginLoadError(`memory ${i} is shared (threads); Proxy-Wasm hosts give each VM its own unshared memory`);
    if (l.flags & 4) throw new PluginLoadError(`memory ${i} is a 64-bit memory; Proxy-Wasm modules are wasm32`);
    if (l.min > maxPages) throw new PluginLoadError(`memory ${i} starts at ${l.min} pages (${mib(l.min)}), above the host's cap of ${maxPages} pages (${mib(maxPages)}, maxMemoryPages)`);
    const max = Math.max(l.min, Math.min(l.max ?? maxPages, maxPages));
    body.push(1, ...leb(l.min), ...leb(max));
  }
  return [SECTION_MEMORY, ...leb(body.length), ...body];
}

/**
 * Checks the module's header, section bounds, imports and memory against the
 * caps; returns the bytes to compile (the memory maximum lowered to
 * `maxPages`). Errors are PluginLoadErrors without the file name (the caller
 * adds it).
 */
export function checkModule(bytes: Uint8Array, maxPages: number): Uint8Array {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new PluginLoadError("not a Wasm module (no \\0asm magic)");
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version !== 1) throw new PluginLoadError(`unsupported Wasm binary version ${version >>> 0} (expected 1)`);
  let memory: { start: number; end: number; section: number[] } | undefined;
  const top = new Reader(bytes, 8, bytes.length);
  while (top.pos < bytes.length) {
    const at = top.pos;
    const id = top.byte("section header");
    const size = top.u32("section header");
    if (size > bytes.length - top.pos) throw new PluginLoadError(`section ${id} at offset ${at} claims ${size} bytes, past the end of the module (${bytes.length} bytes)`);
    const body = new Reader(bytes, top.pos, top.pos + size);
    if (id === SECTION_IMPORT) checkImports(body, size);
    if (id === SECTION_MEMORY && !memory) memory = { start: at, end: top.pos + size, section: capMemorySection(body, size, maxPages) };
    top.pos += size;
  }
  if (!memory) return bytes;
  const out = new Uint8Array(bytes.length - (memory.end - memory.start) + memory.section.length);
  out.set(bytes.subarray(0, memory.start));
  out.set(memory.section, memory.start);
  out.set(bytes.subarray(memory.end), memory.start + memory.section.length);
  return out;
}
