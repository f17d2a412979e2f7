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

const METADATA_LINE = /^(\[\w+\] [^:]*: xds\.cluster_metadata = )([0-9a-f]*)$/;

/** Two log lines printing `xds.cluster_metadata` as hex (fidelity/modules/attributes.wat) that decode to the same Metadata. */
function sameMetadataLine(h: unknown, e: unknown): boolean {
  const mh = METADATA_LINE.exec(String(h)), me = METADATA_LINE.exec(String(e));
  if (!mh || !me || mh[1] !== me[1]) return false;
  const jh = metadataJson(Buffer.from(mh[2]!, "hex")), je = metadataJson(Buffer.from(me[2]!, "hex"));
  return jh !== null && jh === je;
}

/** Digits of the x-envoy-upstream-service-time a client got (0 when there is none). */
export function serviceTimeDigits(headers: [string, string][] | undefined): number {
  return headers?.find(([k]) => k.toLowerCase() === "x-envoy-upstream-service-time")?.[1].length ?? 0;
}

const TOTAL_SIZE_LINE = /^(\[\w+\] [^:]*: response\.total_size = )([0-9a-f]{16})$/;

/** little-endian int64 as a module prints it (fidelity/modules/attributes.wat) */
function int64le(hex: string): number {
  return Number(Buffer.from(hex, "hex").readBigInt64LE());
}

/**
 * Two response.total_size log lines that differ by exactly as many bytes as the two engines'
 * x-envoy-upstream-service-time values differ in digits (and those do differ).
 */
function serviceTimeSizeLine(h: unknown, e: unknown, ctx: DiffContext): boolean {
  const digits = serviceTimeDigits(ctx.envoy?.response.headers) - serviceTimeDigits(ctx.host?.response.headers);
  const mh = TOTAL_SIZE_LINE.exec(String(h)), me = TOTAL_SIZE_LINE.exec(String(e));
  return digits !== 0 && !!mh && !!me && mh[1] === me[1] && int64le(me[2]!) - int64le(mh[2]!) === digits;
}

/** The width of the circllhist bin holding v: two significant digits (host/metrics.ts). */
function binWidth(v: number): number {
  return v >= 1 ? 10 ** (Math.floor(Math.log10(v)) - 1) : 0.01;
}

/**
 * A response-size histogram's bucket or sum off by no more than the streams whose service
 * time had another number of digits in the two engines can move it: each such stream's
 * size is a byte or two off, which moves its sample at most one bucket (le) or one
 * circllhist bin (no wider than the bin of the whole sum). A bin adds its representative,
 * the harmonic mean of its bounds, so the next bin's is up to 5% more than a bin's width
 * further (244.898 to 254.902 for [240, 250) and [250, 260), seen in Envoy 1.40.0).
 */
function serviceTimeSizeMetric(d: Difference, ctx: DiffContext): boolean {
  const n = ctx.serviceTimeMismatches ?? 0;
  const h = Number(d.host), e = Number(d.envoy);
  if (!n || !Number.isFinite(h) || !Number.isFinite(e)) return false;
  const name = metricName(d);
  if (name === "istio_response_bytes_bucket") return Math.abs(h - e) <= n;
  if (name === "istio_response_bytes_sum") return Math.abs(h - e) <= n * 1.05 * binWidth(Math.max(h, e));
  return false;
}

export const KINDS: DifferenceKind[] = [
  {
    id: "metadata-field-order",
    what: "the bytes of xds.cluster_metadata: the same Metadata, its Struct's fields in another order",
    why: "protobuf map entries have no order, and Envoy writes a Struct's fields in the order of its hash map, which depends on the binary; the host writes them sorted by key (host/proto.ts: deterministic, as protobuf's deterministic serialization). Decoded, both are the same",
    pinnedBy: "tests/fidelity/kinds.test.ts › metadata-field-order",
    explains: (d) => /^hops\[\d+\]\.logs$/.test(d.field) && sameMetadataLine(d.host, d.envoy),
  },
  {
    id: "service-time-in-total-size",
    what: "response.total_size as a module reads it at the end of a stream: one byte more or less",
    why: "the response's x-envoy-upstream-service-time is how many ms the upstream took, and the total size counts its digits: \"9\" in one engine, \"12\" in the other. Timing, not fidelity; the header itself is masked (fidelity/normalize.ts) and every other byte of the size agrees",
    pinnedBy: "tests/fidelity/kinds.test.ts › service-time-in-total-size",
    explains: (d, ctx) => /^hops\[\d+\]\.logs$/.test(d.field) && serviceTimeSizeLine(d.host, d.envoy, ctx),
  },
  {
    id: "service-time-in-response-bytes",
    what: "the bucket counts and sum of istio_response_bytes, by no more than the streams of service-time-in-total-size can move them",
    why: "the same cause as service-time-in-total-size, seen through stats: istio_response_bytes records response.total_size, so a stream whose x-envoy-upstream-service-time had a digit more in one engine may land in the next bucket or circllhist bin. Bounded by the number of such streams in the scenario; the per-stream sizes are compared exactly in the attributes scenario",
    pinnedBy: "tests/fidelity/kinds.test.ts › service-time-in-response-bytes",
    explains: (d, ctx) => d.field.startsWith("metrics[") && serviceTimeSizeMetric(d, ctx),
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
