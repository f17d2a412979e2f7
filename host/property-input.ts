// Encodes user-supplied property values the way Envoy serializes attribute values.
import { enc, int64le, float64le } from "./bytes.ts";
import { encodePairs } from "./pairs.ts";
import type { PropertyInput } from "./types.ts";

export function encodePropertyInput(v: PropertyInput): Uint8Array {
  if (v instanceof Uint8Array) return v;
  switch (typeof v) {
    case "string": return enc.encode(v);
    case "boolean": return new Uint8Array([v ? 1 : 0]);
    case "bigint": return int64le(v);
    case "number": return Number.isInteger(v) ? int64le(v) : float64le(v);
    case "object": {
      if (v === null) throw new Error("null property values cannot be serialized");
      // Maps are pairs-encoded, nested maps recursively (envoy context.cc serializeValue).
      return encodePairs(Object.entries(v).map(([k, x]) => [k, encodePropertyInput(x)] as const));
    }
    default: throw new Error(`unsupported property value type ${typeof v}`);
  }
}
