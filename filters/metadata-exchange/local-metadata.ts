// The local side of the exchange: x-envoy-peer-metadata and
// x-envoy-peer-metadata-id values, computed once from node metadata.
import { decimal } from "../../assembly/decimal";
import { ExchangeKeys, readLocalNode, readLocalNodeId, localNodeProblems } from "../../assembly/peer-metadata";
import { base64EncodeInto, base64EncodedLength } from "../../assembly/base64";
import { LogLevelValues, logAlways, logEnabled } from "../../assembly";
import { quoteForMessage } from "../../assembly/json";

export class LocalMetadata {
  /** Header value: base64 (standard, padded) of the deterministic Struct. */
  header: ArrayBuffer = new ArrayBuffer(0);
  /** Header value: the node id ("" → the id header is not sent). */
  id: ArrayBuffer = new ArrayBuffer(0);
  /** Whether the host answered anything at all (node id or a metadata key). */
  found: bool = false;
}

export function computeLocalMetadata(keys: ExchangeKeys): LocalMetadata {
  const out = new LocalMetadata();
  const node = readLocalNode();
  for (let i = 0; i < localNodeProblems.length; i++) {
    logAlways(LogLevelValues.warn, "metadata-exchange: node metadata " + localNodeProblems[i] + " is not valid UTF-8 / a string map; left out");
  }
  const id = readLocalNodeId();
  out.found = node.present != 0 || id.length > 0;
  const bytes = node.encode(keys);
  const n = base64EncodedLength(bytes.length);
  const header = new ArrayBuffer(n);
  base64EncodeInto(bytes.dataStart, bytes.length, changetype<usize>(header));
  out.header = header;
  out.id = String.UTF8.encode(id);
  if (logEnabled(LogLevelValues.debug)) {
    logAlways(LogLevelValues.debug, "metadata-exchange: local node id " + quoteForMessage(id, 256) + ", metadata " + decimal(bytes.length) +
      " bytes (" + decimal(n) + " base64)");
  }
  return out;
}
