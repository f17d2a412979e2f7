// envoy.config.core.v3.Metadata as Envoy serializes it for the
// `xds.cluster_metadata` attribute (SerializeToString of the message).
import { encodeStruct } from "../host/proto.ts";

function lengthDelimited(field: number, bytes: Uint8Array): Uint8Array {
  const header: number[] = [(field << 3) | 2];
  let n = bytes.length;
  while (n >= 0x80) {
    header.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  header.push(n);
  const out = new Uint8Array(header.length + bytes.length);
  out.set(header);
  out.set(bytes, header.length);
  return out;
}

/** Metadata{filter_metadata: {<namespace>: Struct}} (field 1, a map of string to Struct). */
export function encodeFilterMetadata(filterMetadata: Record<string, Record<string, unknown>>): Uint8Array {
  const entries = Object.keys(filterMetadata).sort().map((ns) => {
    const key = lengthDelimited(1, new TextEncoder().encode(ns));
    const value = lengthDelimited(2, encodeStruct(filterMetadata[ns]!));
    const entry = new Uint8Array(key.length + value.length);
    entry.set(key);
    entry.set(value, key.length);
    return lengthDelimited(1, entry);
  });
  const out = new Uint8Array(entries.reduce((n, e) => n + e.length, 0));
  let at = 0;
  for (const e of entries) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}

/** The cluster metadata istiod gives an outbound cluster of a Kubernetes service. */
export function istioServiceClusterMetadata(service: { host: string; name: string; namespace: string }): Uint8Array {
  return encodeFilterMetadata({ istio: { services: [service] } });
}
