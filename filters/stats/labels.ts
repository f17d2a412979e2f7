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

  /** From node-metadata-shaped fields (Istio map_node, plugin.cc:56-140). */
  static from(workload: string, namespace: string, cluster: string, app: string, version: string,
    canonicalName: string, canonicalRevision: string, index: u32): WorkloadLabels {
    const w = new WorkloadLabels();
    w.workload = orUnknown(workload);
    w.namespace = orUnknown(namespace);
    w.cluster = orUnknown(cluster);
    w.app = orUnknown(app);
    w.version = orUnknown(version);
    if (canonicalName.length > 0) w.canonicalService = canonicalName;
    else w.canonicalService = orUnknown(workload);
    if (canonicalRevision.length > 0) w.canonicalRevision = canonicalRevision;
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
