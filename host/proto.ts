// Minimal protobuf writer for the messages the host serves whole: envoy.config.core.v3.Node
// (id = 1, cluster = 2, metadata = 3 google.protobuf.Struct) and Struct/Value.
import { enc, concat } from "./bytes.ts";

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}

function field(num: number, wire: number): number[] { return varint(num * 8 + wire); }

function lenDelim(num: number, body: Uint8Array): Uint8Array {
  return concat([new Uint8Array([...field(num, 2), ...varint(body.length)]), body]);
}

export function encodeValue(v: unknown): Uint8Array {
  if (v === null || v === undefined) return new Uint8Array([...field(1, 0), 0]);
  if (typeof v === "number") {
    const b = new Uint8Array(9); b[0] = field(2, 1)[0]!;
    new DataView(b.buffer).setFloat64(1, v, true);
    return b;
  }
  if (typeof v === "string") return lenDelim(3, enc.encode(v));
  if (typeof v === "boolean") return new Uint8Array([...field(4, 0), v ? 1 : 0]);
  if (Array.isArray(v)) return lenDelim(6, concat(v.map((x) => lenDelim(1, encodeValue(x)))));
  return lenDelim(5, encodeStruct(v as Record<string, unknown>));
}

export function encodeStruct(obj: Record<string, unknown>): Uint8Array {
  // Keys sorted so the bytes are deterministic, as protobuf's deterministic mode does for maps.
  const entries = Object.keys(obj).sort().map((k) =>
    lenDelim(1, concat([lenDelim(1, enc.encode(k)), lenDelim(2, encodeValue(obj[k]))])));
  return concat(entries.length ? entries : [new Uint8Array(0)]);
}

export interface NodeInfo { id?: string; cluster?: string; metadata?: Record<string, unknown> }

export function encodeNode(node: NodeInfo): Uint8Array {
  const parts: Uint8Array[] = [];
  if (node.id) parts.push(lenDelim(1, enc.encode(node.id)));
  if (node.cluster) parts.push(lenDelim(2, enc.encode(node.cluster)));
  if (node.metadata) parts.push(lenDelim(3, encodeStruct(node.metadata)));
  return concat(parts.length ? parts : [new Uint8Array(0)]);
}
