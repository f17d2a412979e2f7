// destination_service / destination_service_name, as Istio derives them
// (istio/proxy extensions/common/context.cc @1.17.0): special clusters name themselves, otherwise
// cluster metadata filter_metadata.istio.services[0].{host,name}, else the fallback host.
import { ProtoReader } from "../../assembly/protobuf";
import { decodeStruct, StructKind } from "../../assembly/struct";
import { boundedLabel } from "./labels";

export const KIND_METADATA: i32 = 0;   // host and name from cluster metadata
export const KIND_SPECIAL: i32 = 1;    // name = the cluster name, host = fallback
export const KIND_NONE: i32 = 2;       // host = fallback, name = host

export class DestService {
  constructor(public index: u32, public kind: i32, public host: string, public name: string) {}
}

export function isSpecialCluster(name: string): bool {
  return name == "BlackHoleCluster" || name == "PassthroughCluster"
    || name == "InboundPassthroughClusterIpv4" || name == "InboundPassthroughClusterIpv6";
}

/**
 * services[0] of envoy.config.core.v3.Metadata bytes (field 1 filter_metadata: map<string, Struct>);
 * null when there is none.
 */
export function servicesFromMetadata(ptr: usize, len: i32, index: u32): DestService | null {
  const r = new ProtoReader(ptr, len);
  while (r.readTag()) {
    if (r.fieldNumber != 1 || r.wireType != 2) { r.skipField(); continue; }
    const entry = r.readMessage();
    if (entry === null) return null;
    let isIstio = false;
    let valPtr: usize = 0;
    let valLen: i32 = -1;
    while (entry.readTag()) {
      if (entry.fieldNumber == 1 && entry.wireType == 2) {
        const k = entry.readString();
        isIstio = k !== null && k == "istio";
      } else if (entry.fieldNumber == 2 && entry.wireType == 2) {
        if (!entry.readLengthDelimited()) return null;
        valPtr = entry.viewPtr;
        valLen = entry.viewLen;
      } else {
        entry.skipField();
      }
    }
    if (!entry.ok) return null;
    if (!isIstio || valLen < 0) continue;
    const d = decodeStruct(valPtr, valLen);
    if (!d.ok) return null;
    const services = d.value!.get("services");
    if (services === null || services.kind != StructKind.List) return null;
    const list = services.listValue!;
    if (list.length == 0 || list[0].kind != StructKind.Struct) return null;
    const svc = list[0].structValue!;
    const host = boundedLabel(svc.getString("host", ""));
    let name = boundedLabel(svc.getString("name", ""));
    if (host.length == 0) return null;
    if (name.length == 0) name = host;
    return new DestService(index, KIND_METADATA, host, name);
  }
  return null;
}
