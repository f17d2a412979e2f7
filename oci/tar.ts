// Minimal POSIX ustar writer and reader.
//
// The writer is deterministic on purpose: entries sorted by name, mode 0644,
// uid/gid 0, empty user/group names, mtime 0, no pax or GNU extension records,
// so the layer bytes depend on file contents only (not on the clock, the umask
// or who ran the build). The reader understands what other tools put in compat
// layers (ustar prefix, pax `path`/`size` records, GNU long names), because
// `verify` also reads images we did not build.
import { DEFAULT_LIMITS, OciLimitError } from "./limits.ts";

export interface TarEntry {
  name: string;
  data: Uint8Array;
}

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

function putString(h: Uint8Array, off: number, len: number, s: string): void {
  const b = enc.encode(s);
  if (b.length > len) throw new Error(`tar: '${s}' does not fit in ${len} bytes`);
  h.set(b, off);
}

function putOctal(h: Uint8Array, off: number, len: number, value: number): void {
  // len-1 octal digits, zero padded, then NUL (what GNU tar and Go write).
  const s = value.toString(8).padStart(len - 1, "0");
  if (s.length > len - 1) throw new Error(`tar: value ${value} too large for a ${len}-byte field`);
  putString(h, off, len, s + "\0");
}

function header(name: string, size: number): Uint8Array {
  if (enc.encode(name).length > 100) throw new Error(`tar: entry name '${name}' longer than 100 bytes`);
  const h = new Uint8Array(BLOCK);
  putString(h, 0, 100, name);
  putOctal(h, 100, 8, 0o644);
  putOctal(h, 108, 8, 0);
  putOctal(h, 116, 8, 0);
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, 0); // mtime: fixed, see the file comment
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h[156] = 0x30; // '0' regular file
  putString(h, 257, 6, "ustar\0");
  putString(h, 263, 2, "00");
  let sum = 0;
  for (const b of h) sum += b;
  putString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

export function writeTar(entries: TarEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts: Uint8Array[] = [];
  for (const e of sorted) {
    parts.push(header(e.name, e.data.length), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(2 * BLOCK)); // end-of-archive marker
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return dec.decode(end >= 0 ? b.subarray(0, end) : b);
}

/**
 * A numeric header field: octal digits (NUL/space padded), or GNU base-256
 * (high bit of the first byte set). Anything else, a negative base-256 value
 * (first byte 0xff) or a value beyond 2^53 is refused: such a size is how a
 * tiny layer makes a reader loop forever or allocate without end.
 */
function parseNumber(field: Uint8Array, name: string, off: number): number {
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) throw new OciLimitError(`tar: header at offset ${off}: negative base-256 ${name}`);
    let v = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) {
      v = v * 256 + field[i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw new OciLimitError(`tar: header at offset ${off}: base-256 ${name} overflows`);
    }
    return v;
  }
  const s = cString(field).replace(/^[ ]+|[ \0]+$/g, "");
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new OciLimitError(`tar: header at offset ${off}: ${name} field ${JSON.stringify(s)} is not an octal number`);
  return parseInt(s, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const text = dec.decode(data);
  let pos = 0;
  while (pos < text.length) {
    const sp = text.indexOf(" ", pos);
    if (sp < 0) break;
    const len = parseInt(text.slice(pos, sp), 10);
    if (!(len > 0)) break;
    const rec = text.slice(sp + 1, pos + len - 1);
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

export interface TarReadEntry {
  name: string;
  /** ustar type flag: "0" regular file, "5" directory, ... */
  type: string;
  data: Uint8Array;
}

/**
 * Reads every entry; throws on a corrupt header (bad checksum, truncated
 * data), and an OciLimitError on a header built to hurt (negative, non-octal
 * or overflowing size) or more than `maxEntries` entries. Every header moves
 * the offset forward by at least one block, so reading always ends.
 */
export function readTar(tar: Uint8Array, maxEntries = DEFAULT_LIMITS.maxTarEntries): TarReadEntry[] {
  const entries: TarReadEntry[] = [];
  let off = 0;
  let headers = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    // Extension headers (pax, GNU long names) count too: each costs a parse.
    if (++headers > maxEntries) throw new OciLimitError(`tar: more than ${maxEntries} entries`);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (parseNumber(h.subarray(148, 156), "checksum", off) !== sum) throw new Error(`tar: bad header checksum at offset ${off}`);
    const type = String.fromCharCode(h[156] || 0x30);
    let size = parseNumber(h.subarray(124, 136), "size", off);
    if (pax.size !== undefined) {
      if (!/^\d{1,16}$/.test(pax.size) || !Number.isSafeInteger(Number(pax.size))) throw new OciLimitError(`tar: header at offset ${off}: pax size ${JSON.stringify(pax.size)} is not a size`);
      size = Number(pax.size);
    }
    const start = off + BLOCK;
    if (start + size > tar.length) throw new Error(`tar: entry at offset ${off} is truncated`);
    const data = tar.subarray(start, start + size);
    off = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      pax = parsePax(data);
      continue;
    }
    if (type === "g") continue;
    if (type === "L") {
      longName = cString(data);
      continue;
    }
    let name = cString(h.subarray(0, 100));
    const magic = dec.decode(h.subarray(257, 262));
    const prefix = magic === "ustar" ? cString(h.subarray(345, 500)) : "";
    if (prefix) name = `${prefix}/${name}`;
    if (longName !== undefined) name = longName;
    if (pax.path !== undefined) name = pax.path;
    entries.push({ name, type, data });
    longName = undefined;
    pax = {};
  }
  return entries;
}

/** Istio's rule: the first entry whose base name is `plugin.wasm` (nested paths allowed). */
export function findPluginWasm(entries: TarReadEntry[]): Uint8Array | undefined {
  for (const e of entries) {
    const base = e.name.replace(/\/+$/, "").split("/").pop();
    if (base === "plugin.wasm") return e.data;
  }
  return undefined;
}
