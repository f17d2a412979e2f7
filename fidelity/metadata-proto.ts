// envoy.config.core.v3.Metadata bytes (what `xds.cluster_metadata` holds) read
// back as JSON with sorted keys, so that two serializations of the same
// metadata compare equal whatever order their map entries were written in
// (protobuf maps have none: Envoy writes a Struct's fields in its hash map's order).
import { fromBinary } from "@bufbuild/protobuf";
import { StructSchema, type Struct } from "@bufbuild/protobuf/wkt";
import { toJson } from "@bufbuild/protobuf";

function varint(b: Uint8Array, at: { i: number }): number {
  let n = 0, shift = 0;
  for (;;) {
    if (at.i >= b.length || shift > 49) throw new Error("truncated varint");
    const x = b[at.i++]!;
    n += (x & 0x7f) * 2 ** shift;
    if (!(x & 0x80)) return n;
    shift += 7;
  }
}

/** The length-delimited fields of a message, in order (other wire types are not expected here). */
function fields(b: Uint8Array): { field: number; bytes: Uint8Array }[] {
  const out: { field: number; bytes: Uint8Array }[] = [];
  const at = { i: 0 };
  while (at.i < b.length) {
    const tag = varint(b, at);
    if ((tag & 7) !== 2) throw new Error(`wire type ${tag & 7}`);
    const len = varint(b, at);
    if (at.i + len > b.length) throw new Error("truncated field");
    out.push({ field: Math.floor(tag / 8), bytes: b.subarray(at.i, at.i + len) });
    at.i += len;
  }
  return out;
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
  return v;
}

/** `{"filter_metadata": {...}}` with every object's keys sorted, or null when the bytes are not a Metadata. */
export function metadataJson(bytes: Uint8Array): string | null {
  try {
    const filterMetadata: Record<string, unknown> = {};
    for (const f of fields(bytes)) {
      if (f.field !== 1) return null;
      let key = "", value: Struct | undefined;
      for (const e of fields(f.bytes)) {
        if (e.field === 1) key = Buffer.from(e.bytes).toString("utf8");
        else if (e.field === 2) value = fromBinary(StructSchema, e.bytes);
        else return null;
      }
      filterMetadata[key] = value ? toJson(StructSchema, value) : {};
    }
    return JSON.stringify(sorted({ filter_metadata: filterMetadata }));
  } catch {
    return null;
  }
}
