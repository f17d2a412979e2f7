// Workload labels of the local node (node metadata) and of peers (the serialized
// google.protobuf.Struct metadata-exchange stores in filter state), through the
// shared assembly/peer-metadata.ts, so both filters read the same keys the same way.
import { decodePeer, readLocalNode, PeerInfo } from "../../assembly/peer-metadata";
import { WorkloadLabels } from "./labels";

function labelsOf(p: PeerInfo, index: u32): WorkloadLabels {
  return WorkloadLabels.from(p.workloadName, p.namespace, p.clusterId, p.app(), p.version(),
    p.canonicalName(), p.canonicalRevision(), index);
}

/** The local node's labels (`xds.node.metadata.*`, then `node.metadata.*`). */
export function localWorkload(): WorkloadLabels {
  return labelsOf(readLocalNode(), 1);
}

/** A peer's labels from its serialized Struct; null when the bytes do not decode. */
export function peerWorkload(ptr: usize, len: i32, index: u32): WorkloadLabels | null {
  const p = decodePeer(ptr, len);
  if (p === null) return null;
  return labelsOf(p, index);
}

/** The unknown peer: every label `unknown`, canonical revision `latest` (Istio's map_node on an empty node). */
export function unknownWorkload(): WorkloadLabels {
  return WorkloadLabels.from("", "", "", "", "", "", "", 0);
}
