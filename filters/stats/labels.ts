// The 25 standard Istio labels (STD_ISTIO_DIMENSIONS, istio/proxy extensions/stats/plugin.h @1.17.0),
// in Istio's order, which is also their order in a stat name.
import { decimal } from "../../assembly/decimal";

export const REPORTER: i32 = 0;
export const SOURCE_WORKLOAD: i32 = 1;
export const SOURCE_WORKLOAD_NAMESPACE: i32 = 2;
export const SOURCE_PRINCIPAL: i32 = 3;
export const SOURCE_APP: i32 = 4;
export const SOURCE_VERSION: i32 = 5;
export const SOURCE_CANONICAL_SERVICE: i32 = 6;
export const SOURCE_CANONICAL_REVISION: i32 = 7;
export const SOURCE_CLUSTER: i32 = 8;
export const DESTINATION_WORKLOAD: i32 = 9;
export const DESTINATION_WORKLOAD_NAMESPACE: i32 = 10;
export const DESTINATION_PRINCIPAL: i32 = 11;
export const DESTINATION_APP: i32 = 12;
export const DESTINATION_VERSION: i32 = 13;
export const DESTINATION_SERVICE: i32 = 14;
export const DESTINATION_SERVICE_NAME: i32 = 15;
export const DESTINATION_SERVICE_NAMESPACE: i32 = 16;
export const DESTINATION_CANONICAL_SERVICE: i32 = 17;
export const DESTINATION_CANONICAL_REVISION: i32 = 18;
export const DESTINATION_CLUSTER: i32 = 19;
export const REQUEST_PROTOCOL: i32 = 20;
export const RESPONSE_FLAGS: i32 = 21;
export const CONNECTION_SECURITY_POLICY: i32 = 22;
export const RESPONSE_CODE: i32 = 23;
export const GRPC_RESPONSE_STATUS: i32 = 24;
export const STANDARD_LABEL_COUNT: i32 = 25;

export const STANDARD_LABELS: string[] = [
  "reporter", "source_workload", "source_workload_namespace", "source_principal", "source_app",
  "source_version", "source_canonical_service", "source_canonical_revision", "source_cluster",
  "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
  "destination_version", "destination_service", "destination_service_name", "destination_service_namespace",
  "destination_canonical_service", "destination_canonical_revision", "destination_cluster",
  "request_protocol", "response_flags", "connection_security_policy", "response_code", "grpc_response_status",
];

export function standardLabelIndex(name: string): i32 {
  for (let i = 0; i < STANDARD_LABELS.length; i++) if (STANDARD_LABELS[i] == name) return i;
  return -1;
}

// Envoy ResponseFlag bit i ↔ short code i (istio/proxy extensions/common/util.cc @1.17.0).
const FLAG_CODES: string[] = [
  "LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "RLSE", "DC", "URX", "SI", "IH",
  "DPE", "UMSDR", "RFCF", "NFCF", "DT", "UPE", "NC", "OM", "DF",
];

/** Istio's response_flags value: comma-joined short codes, "-" when none, unknown high bits as decimal. */
export function responseFlagsString(flags: u64): string {
  if (flags == 0) return "-";
  let out = "";
  for (let i = 0; i < FLAG_CODES.length; i++) {
    if ((flags & (<u64>1 << <u64>i)) != 0) {
      if (out.length > 0) out += ",";
      out += FLAG_CODES[i];
    }
  }
  const known: u64 = (<u64>1 << <u64>FLAG_CODES.length) - 1;
  const rest = flags & ~known;
  if (rest != 0) {
    if (out.length > 0) out += ",";
    out += decimal(<i64>rest, true);
  }
  return out;
}

/**
 * A label value is at most this many bytes of UTF-8 (README "Robustness"): longer
 * ones are cut at a character boundary, whatever their source (peer metadata,
 * node metadata, cluster metadata, a header or an attribute).
 */
export const MAX_LABEL_BYTES: i32 = 256;

/** `s` cut to at most MAX_LABEL_BYTES of UTF-8, at a character boundary (a surrogate pair is one). */
export function boundedLabel(s: string): string {
  const n = s.length;
  if (n <= MAX_LABEL_BYTES / 3) return s; // fits whatever it holds (at most 3 bytes a code unit)
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = <u32>s.charCodeAt(i);
    let w = 3;
    let units = 1;
    if (c < 0x80) w = 1;
    else if (c < 0x800) w = 2;
    else if (c - 0xD800 < 0x400 && i + 1 < n && <u32>s.charCodeAt(i + 1) - 0xDC00 < 0x400) { w = 4; units = 2; }
    if (bytes + w > MAX_LABEL_BYTES) return s.substring(0, i);
    bytes += w;
    i += units - 1;
  }
  return s;
}

/** One side of a request (the local node or a peer): the seven workload labels, empty → "unknown" already applied. */
export class WorkloadLabels {
  workload: string = "unknown";
  namespace: string = "unknown";
  app: string = "unknown";
  version: string = "unknown";
  canonicalService: string = "unknown";
  canonicalRevision: string = "latest";
  cluster: string = "unknown";
  /** The canonical-name label as given ("" when absent), for Istio's inbound destination_service fallback. */
  canonicalLabel: string = "";
  /** Never reused; part of the per-request series key. 0 = the unknown peer. */
  index: u32 = 0;

  /** Bytes of label text this holds (UTF-16, as asc stores it), for the cache budget. */
  textBytes(): i32 {
    return (this.workload.length + this.namespace.length + this.app.length + this.version.length + this.canonicalService.length
      + this.canonicalRevision.length + this.cluster.length + this.canonicalLabel.length) << 1;
  }

  /** From node-metadata-shaped fields (Istio map_node, plugin.cc:56-140). */
  static from(workload: string, namespace: string, cluster: string, app: string, version: string,
    canonicalName: string, canonicalRevision: string, index: u32): WorkloadLabels {
    const w = new WorkloadLabels();
    // Cut here, so a cached peer holds at most MAX_LABEL_BYTES a label.
    workload = boundedLabel(workload);
    canonicalName = boundedLabel(canonicalName);
    w.workload = orUnknown(workload);
    w.namespace = orUnknown(boundedLabel(namespace));
    w.cluster = orUnknown(boundedLabel(cluster));
    w.app = orUnknown(boundedLabel(app));
    w.version = orUnknown(boundedLabel(version));
    if (canonicalName.length > 0) w.canonicalService = canonicalName;
    else w.canonicalService = orUnknown(workload);
    if (canonicalRevision.length > 0) w.canonicalRevision = boundedLabel(canonicalRevision);
    else w.canonicalRevision = "latest";
    w.canonicalLabel = canonicalName;
    w.index = index;
    return w;
  }
}

export function orUnknown(s: string): string {
  if (s.length == 0) return "unknown";
  return s;
}
