// Header and body bytes on the wire. Node's HTTP libraries carry header
// values as Latin-1 strings (one char per byte); the run contract's are UTF-8
// text, so values are converted both ways and non-ASCII bytes pass unchanged.
import type { HeaderList, RequestInput } from "../types.ts";

type Bytes = string | Uint8Array;

export function fromWire(raw: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), latin1ToUtf8(raw[i + 1]!)]);
  return out;
}

/** Flat [name, value, name, value...] as http.request and writeHead take. */
export function toWire(list: HeaderList): string[] {
  const out: string[] = [];
  for (const [k, v] of list) out.push(k, utf8ToLatin1(v));
  return out;
}

export function toWirePairs(list: HeaderList): [string, string][] {
  return list.map(([k, v]) => [k, utf8ToLatin1(v)]);
}

function latin1ToUtf8(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, "latin1").toString("utf8");
}

/** A UTF-8 string as Node's HTTP libraries write it: one char per byte. */
export function utf8ToLatin1(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, "utf8").toString("latin1");
}

export function bytesOf(body: Bytes | Bytes[] | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (Array.isArray(body)) return Buffer.concat(body.map((b) => bytesOf(b)));
  return typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The request's chunks, each its own write (the run contract's separate data frames). */
export function chunksOf(body: RequestInput["body"]): Buffer[] {
  if (body === undefined) return [];
  return (Array.isArray(body) ? body : [body]).map((b) => bytesOf(b)).filter((b) => b.length > 0);
}
