// The differences between the host and Envoy that are known, explained and
// kept: each kind says what differs, why the host does not (or cannot) do what
// Envoy does, and the test that pins it. host/README.md "Where the host
// differs from Envoy" lists the same kinds. A difference no kind explains is
// unexplained, and the differential suite fails on it.
import type { DiffContext, Difference } from "./differential.ts";
import { metadataJson } from "./metadata-proto.ts";

export interface DifferenceKind {
  id: string;
  what: string;
  why: string;
  /** The test that pins it: "<file> › <test name>". */
  pinnedBy: string;
  explains(d: Difference, ctx: DiffContext): boolean;
}

const metricName = (d: Difference) => (d.key ?? "").replace(/\{.*$/, "");

/**
 * Two log lists that differ only in lines printing `xds.cluster_metadata` as hex
 * (fidelity/modules/attributes.wat), each pair decoding to the same Metadata.
 */
function sameMetadataLogs(h: unknown, e: unknown): boolean {
  if (!Array.isArray(h) || !Array.isArray(e) || h.length !== e.length) return false;
  let differs = false;
  for (let i = 0; i < h.length; i++) {
    if (h[i] === e[i]) continue;
    const mh = /xds\.cluster_metadata = ([0-9a-f]*)$/.exec(String(h[i])), me = /xds\.cluster_metadata = ([0-9a-f]*)$/.exec(String(e[i]));
    if (!mh || !me) return false;
    const jh = metadataJson(Buffer.from(mh[1]!, "hex")), je = metadataJson(Buffer.from(me[1]!, "hex"));
    if (jh === null || jh !== je) return false;
    differs = true;
  }
  return differs;
}

export const KINDS: DifferenceKind[] = [
  {
    id: "traps-not-reported-by-envoy-engine",
    what: "a stream's traps: the host names the plugin and callback whose VM failed, the Envoy engine reports none",
    why: "not the host's: the Envoy runner reads no VM-failure lines from Envoy's log yet (engine/envoy); what the trap does to the stream — Envoy's 503 wasm_fail_stream, for that stream and the later ones — is compared and agrees",
    pinnedBy: "tests/fidelity/kinds.test.ts › traps-not-reported-by-envoy-engine",
    explains: (d, ctx) => d.field === "traps" && d.envoy === "" && (ctx.envoy?.traps ?? []).length === 0 && ctx.host?.response.details === ctx.envoy?.response.details,
  },
  {
    id: "metadata-field-order",
    what: "the bytes of xds.cluster_metadata: the same Metadata, its Struct's fields in another order",
    why: "protobuf map entries have no order, and Envoy writes a Struct's fields in the order of its hash map, which depends on the binary; the host writes them in the order the topology gives. Decoded, both are the same",
    pinnedBy: "tests/fidelity/kinds.test.ts › metadata-field-order",
    explains: (d) => /^hops\[\d+\]\.logs$/.test(d.field) && sameMetadataLogs(d.host, d.envoy),
  },
  {
    id: "histogram-timing",
    what: "the buckets and sum of a histogram of durations (istio_request_duration_milliseconds)",
    why: "they measure how long each stream took, which differs from run to run in either engine; the count of samples is compared",
    pinnedBy: "tests/fidelity/kinds.test.ts › histogram-timing",
    explains: (d) => d.field.startsWith("metrics[") && /_duration_milliseconds_(bucket|sum)$/.test(metricName(d)),
  },
];

export function kindById(id: string): DifferenceKind | undefined {
  return KINDS.find((k) => k.id === id);
}
