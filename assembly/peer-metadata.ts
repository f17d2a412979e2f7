// Istio peer metadata: the local node's exchange metadata (read from node
// metadata properties) and a peer's (decoded from a serialized
// google.protobuf.Struct), in one shape. Used by filters/metadata-exchange
// (which produces and learns it) and by filters/stats (which reads it).
//
// API
//   class PeerInfo                     one workload's exchange metadata
//     name, namespace, owner, workloadName, istioVersion, meshId, clusterId,
//     appContainers, instanceIps: string        ("" when absent; see has())
//     labels, platformMetadata: Struct          (string values only)
//     present: u32                              bit set of PEER_* keys seen
//     has(bit): bool
//     app(), version(), canonicalName(), canonicalRevision(): string   (labels, "" when absent)
//     hasLabel(key): bool
//     toStruct(keys: ExchangeKeys): Struct
//     encode(keys: ExchangeKeys): Uint8Array    deterministic Struct bytes
//   enum ExchangeKeys
//     Full      Istio 1.6–1.18 wire set: NAME, NAMESPACE, OWNER, WORKLOAD_NAME,
//               ISTIO_VERSION, MESH_ID, CLUSTER_ID when present; always LABELS,
//               PLATFORM_METADATA (possibly {}), APP_CONTAINERS, INSTANCE_IPS
//               (possibly "").
//     Compact   Istio 1.24+ set: NAME, NAMESPACE, WORKLOAD_NAME, CLUSTER_ID when
//               non-empty; always LABELS limited to app, version,
//               service.istio.io/canonical-name, service.istio.io/canonical-revision
//               (when non-empty); OWNER rebuilt as
//               kubernetes://apis/apps/v1/namespaces/<ns>/<pod|deployment|job|cronjob>s/<workload>
//               when the original OWNER names one of those kinds.
//     Present   exactly the known keys that were present (what
//               metadata-exchange stores in filter state).
//   decodePeer(ptr, len): PeerInfo | null       serialized Struct → PeerInfo
//   decodePeerBuffer(buf: ArrayBuffer): PeerInfo | null
//   lastPeerDecodeError(): string               why the last decodePeer failed
//   readLocalNode(): PeerInfo                   from node metadata properties
//   readLocalNodeId(): string                   the node id ("" when none)
//   readNodeProperty(segments): ArrayBuffer | null
//
// Decoding rules: unknown top-level keys are ignored (whatever their type);
// a known key with the wrong value type (a string key that is not a string,
// LABELS / PLATFORM_METADATA that is not a Struct of strings) makes the whole
// peer invalid (null); nesting deeper than PEER_MAX_DEPTH, malformed protobuf
// and invalid UTF-8 too. Never traps.
//
// Filter state written by metadata-exchange (Envoy stores `wasm.<key>`; read it
// with getPropertyBytes(propertyPath([key]))):
//   downstream_peer_id / upstream_peer_id   the peer's node id, verbatim
//   downstream_peer / upstream_peer         encode(ExchangeKeys.Present) of the
//                                           peer: deterministic Struct bytes
//
// Local node: each key is read from `xds.node.metadata.<KEY>` first (Envoy
// 1.33+ only answers that), then `node.metadata.<KEY>`; the id from
// `xds.node.id`, then `node.id`. Maps (LABELS, PLATFORM_METADATA) arrive
// pairs-encoded; a value that is not valid UTF-8 (or a map that is not valid
// pairs) is treated as absent. Envoy serializes number/bool metadata as raw
// 8/1 bytes: such values are taken as strings when valid UTF-8, as Istio's
// wasm extension did.

import { Struct, StructKind, StructValue, decodeStruct, encodeStruct } from "./struct";
import { isValidUtf8 } from "./json";
import { getPropertyBytes, propertyPath } from "./runtime/properties";

export const KEY_NAME = "NAME";
export const KEY_NAMESPACE = "NAMESPACE";
export const KEY_OWNER = "OWNER";
export const KEY_WORKLOAD_NAME = "WORKLOAD_NAME";
export const KEY_ISTIO_VERSION = "ISTIO_VERSION";
export const KEY_MESH_ID = "MESH_ID";
export const KEY_CLUSTER_ID = "CLUSTER_ID";
export const KEY_LABELS = "LABELS";
export const KEY_PLATFORM_METADATA = "PLATFORM_METADATA";
export const KEY_APP_CONTAINERS = "APP_CONTAINERS";
export const KEY_INSTANCE_IPS = "INSTANCE_IPS";

export const LABEL_APP = "app";
export const LABEL_VERSION = "version";
export const LABEL_CANONICAL_NAME = "service.istio.io/canonical-name";
export const LABEL_CANONICAL_REVISION = "service.istio.io/canonical-revision";

// Bits of PeerInfo.present.
export const PEER_NAME: u32 = 1 << 0;
export const PEER_NAMESPACE: u32 = 1 << 1;
export const PEER_OWNER: u32 = 1 << 2;
export const PEER_WORKLOAD_NAME: u32 = 1 << 3;
export const PEER_ISTIO_VERSION: u32 = 1 << 4;
export const PEER_MESH_ID: u32 = 1 << 5;
export const PEER_CLUSTER_ID: u32 = 1 << 6;
export const PEER_LABELS: u32 = 1 << 7;
export const PEER_PLATFORM_METADATA: u32 = 1 << 8;
export const PEER_APP_CONTAINERS: u32 = 1 << 9;
export const PEER_INSTANCE_IPS: u32 = 1 << 10;

/** Struct nesting a peer may carry (LABELS is level 2; unknown keys may nest a little deeper). */
export const PEER_MAX_DEPTH: i32 = 16;

/** Filter-state keys (Envoy stores them as `wasm.<key>`). */
export const DOWNSTREAM_PEER = "downstream_peer";
export const DOWNSTREAM_PEER_ID = "downstream_peer_id";
export const UPSTREAM_PEER = "upstream_peer";
export const UPSTREAM_PEER_ID = "upstream_peer_id";

export enum ExchangeKeys {
  Full = 0,
  Compact = 1,
  Present = 2,
}

const OWNER_PREFIX = "kubernetes://apis/apps/v1/namespaces/";

export class PeerInfo {
  name: string = "";
  namespace: string = "";
  owner: string = "";
  workloadName: string = "";
  istioVersion: string = "";
  meshId: string = "";
  clusterId: string = "";
  appContainers: string = "";
  instanceIps: string = "";
  labels: Struct = new Struct();
  platformMetadata: Struct = new Struct();
  present: u32 = 0;

  has(bit: u32): bool {
    return (this.present & bit) != 0;
  }

  hasLabel(key: string): bool {
    return this.labels.has(key);
  }

  app(): string { return this.labels.getString(LABEL_APP, ""); }
  version(): string { return this.labels.getString(LABEL_VERSION, ""); }
  canonicalName(): string { return this.labels.getString(LABEL_CANONICAL_NAME, ""); }
  canonicalRevision(): string { return this.labels.getString(LABEL_CANONICAL_REVISION, ""); }

  /** The Struct this peer is sent / stored as (see ExchangeKeys). */
  toStruct(keys: ExchangeKeys): Struct {
    const s = new Struct();
    if (keys == ExchangeKeys.Compact) {
      if (this.name.length > 0) s.setString(KEY_NAME, this.name);
      if (this.namespace.length > 0) s.setString(KEY_NAMESPACE, this.namespace);
      if (this.workloadName.length > 0) s.setString(KEY_WORKLOAD_NAME, this.workloadName);
      if (this.clusterId.length > 0) s.setString(KEY_CLUSTER_ID, this.clusterId);
      const labels = new Struct();
      copyLabelIfNonEmpty(this.labels, labels, LABEL_CANONICAL_NAME);
      copyLabelIfNonEmpty(this.labels, labels, LABEL_CANONICAL_REVISION);
      copyLabelIfNonEmpty(this.labels, labels, LABEL_APP);
      copyLabelIfNonEmpty(this.labels, labels, LABEL_VERSION);
      s.set(KEY_LABELS, StructValue.newStruct(labels));
      const owner = compactOwner(this.owner, this.namespace, this.workloadName);
      if (owner.length > 0) s.setString(KEY_OWNER, owner);
      return s;
    }
    const all = keys == ExchangeKeys.Full;
    if (this.has(PEER_NAME)) s.setString(KEY_NAME, this.name);
    if (this.has(PEER_NAMESPACE)) s.setString(KEY_NAMESPACE, this.namespace);
    if (this.has(PEER_OWNER)) s.setString(KEY_OWNER, this.owner);
    if (this.has(PEER_WORKLOAD_NAME)) s.setString(KEY_WORKLOAD_NAME, this.workloadName);
    if (this.has(PEER_ISTIO_VERSION)) s.setString(KEY_ISTIO_VERSION, this.istioVersion);
    if (this.has(PEER_MESH_ID)) s.setString(KEY_MESH_ID, this.meshId);
    if (this.has(PEER_CLUSTER_ID)) s.setString(KEY_CLUSTER_ID, this.clusterId);
    if (all || this.has(PEER_LABELS)) s.set(KEY_LABELS, StructValue.newStruct(this.labels));
    if (all || this.has(PEER_PLATFORM_METADATA)) s.set(KEY_PLATFORM_METADATA, StructValue.newStruct(this.platformMetadata));
    if (all || this.has(PEER_APP_CONTAINERS)) s.setString(KEY_APP_CONTAINERS, this.appContainers);
    if (all || this.has(PEER_INSTANCE_IPS)) s.setString(KEY_INSTANCE_IPS, this.instanceIps);
    return s;
  }

  /** Deterministic serialized Struct (sorted keys at every level). */
  encode(keys: ExchangeKeys): Uint8Array {
    return encodeStruct(this.toStruct(keys));
  }
}

function copyLabelIfNonEmpty(from: Struct, to: Struct, key: string): void {
  const v = from.getString(key, "");
  if (v.length > 0) to.setString(key, v);
}

/** Istio 1.24 WorkloadMetadataObject::owner() after parseOwner(owner, workload); "" when unknown. */
function compactOwner(owner: string, ns: string, workload: string): string {
  if (owner.length <= workload.length + 2) return "";
  const head = owner.substring(0, owner.length - (workload.length + 2));
  const slash = head.lastIndexOf("/");
  if (slash < 0) return "";
  const kind = head.substring(slash + 1);
  if (kind != "pod" && kind != "deployment" && kind != "job" && kind != "cronjob") return "";
  return OWNER_PREFIX + ns + "/" + kind + "s/" + workload;
}

// ---------------------------------------------------------------------------
// Decoding a peer

let lastError: string = "";

/** Why the last decodePeer / decodePeerBuffer returned null ("" after a success). */
export function lastPeerDecodeError(): string {
  return lastError;
}

function fail(message: string): PeerInfo | null {
  lastError = message;
  return null;
}

/** A peer from `len` bytes of serialized google.protobuf.Struct at `ptr`; null when invalid. */
export function decodePeer(ptr: usize, len: i32): PeerInfo | null {
  const r = decodeStruct(ptr, len, PEER_MAX_DEPTH);
  if (!r.ok) return fail(r.error);
  const s = r.value!;
  const p = new PeerInfo();
  const n = s.keys.length;
  for (let i = 0; i < n; i++) {
    const k = unchecked(s.keys[i]);
    const v = unchecked(s.values[i]);
    let bit: u32 = 0;
    if (k == KEY_NAME) bit = PEER_NAME;
    else if (k == KEY_NAMESPACE) bit = PEER_NAMESPACE;
    else if (k == KEY_OWNER) bit = PEER_OWNER;
    else if (k == KEY_WORKLOAD_NAME) bit = PEER_WORKLOAD_NAME;
    else if (k == KEY_ISTIO_VERSION) bit = PEER_ISTIO_VERSION;
    else if (k == KEY_MESH_ID) bit = PEER_MESH_ID;
    else if (k == KEY_CLUSTER_ID) bit = PEER_CLUSTER_ID;
    else if (k == KEY_LABELS) bit = PEER_LABELS;
    else if (k == KEY_PLATFORM_METADATA) bit = PEER_PLATFORM_METADATA;
    else if (k == KEY_APP_CONTAINERS) bit = PEER_APP_CONTAINERS;
    else if (k == KEY_INSTANCE_IPS) bit = PEER_INSTANCE_IPS;
    else continue; // unknown key: ignored
    if (bit == PEER_LABELS || bit == PEER_PLATFORM_METADATA) {
      if (v.kind != StructKind.Struct || v.structValue === null) return fail(k + ": not a struct");
      const m = v.structValue!;
      for (let j = 0; j < m.values.length; j++) {
        if (unchecked(m.values[j]).kind != StructKind.String) return fail(k + "." + unchecked(m.keys[j]) + ": not a string");
      }
      if (bit == PEER_LABELS) p.labels = m;
      else p.platformMetadata = m;
    } else {
      if (v.kind != StructKind.String) return fail(k + ": not a string");
      setStringField(p, bit, v.stringValue);
    }
    p.present |= bit;
  }
  lastError = "";
  return p;
}

export function decodePeerBuffer(buf: ArrayBuffer): PeerInfo | null {
  return decodePeer(changetype<usize>(buf), buf.byteLength);
}

function setStringField(p: PeerInfo, bit: u32, s: string): void {
  if (bit == PEER_NAME) p.name = s;
  else if (bit == PEER_NAMESPACE) p.namespace = s;
  else if (bit == PEER_OWNER) p.owner = s;
  else if (bit == PEER_WORKLOAD_NAME) p.workloadName = s;
  else if (bit == PEER_ISTIO_VERSION) p.istioVersion = s;
  else if (bit == PEER_MESH_ID) p.meshId = s;
  else if (bit == PEER_CLUSTER_ID) p.clusterId = s;
  else if (bit == PEER_APP_CONTAINERS) p.appContainers = s;
  else if (bit == PEER_INSTANCE_IPS) p.instanceIps = s;
}

// ---------------------------------------------------------------------------
// The local node

/** `xds.node.<segments>` if the host answers it, else `node.<segments>`; null when neither. */
export function readNodeProperty(segments: Array<string>): ArrayBuffer | null {
  const xds = new Array<string>();
  xds.push("xds");
  xds.push("node");
  const legacy = new Array<string>();
  legacy.push("node");
  for (let i = 0; i < segments.length; i++) {
    xds.push(segments[i]);
    legacy.push(segments[i]);
  }
  const v = getPropertyBytes(propertyPath(xds));
  if (v !== null) return v;
  return getPropertyBytes(propertyPath(legacy));
}

function utf8OrNull(buf: ArrayBuffer): string | null {
  if (!isValidUtf8(changetype<usize>(buf), buf.byteLength)) return null;
  return String.UTF8.decode(buf);
}

/** The local node id (`xds.node.id`, then `node.id`); "" when none or not UTF-8. */
export function readLocalNodeId(): string {
  const seg = new Array<string>();
  seg.push("id");
  const v = readNodeProperty(seg);
  if (v === null) return "";
  const s = utf8OrNull(v!);
  if (s === null) return "";
  return s!;
}

function readMetadataKey(key: string): ArrayBuffer | null {
  const seg = new Array<string>();
  seg.push("metadata");
  seg.push(key);
  return readNodeProperty(seg);
}

/**
 * Strict pairs decoding into a Struct of strings: false (and `into` left
 * partially filled) when the buffer is not exactly a valid pairs encoding or a
 * key/value is not UTF-8. An empty buffer is an empty map.
 */
export function parseStringPairs(buf: ArrayBuffer, into: Struct): bool {
  const size = buf.byteLength;
  if (size == 0) return true;
  if (size < 4) return false;
  const base = changetype<usize>(buf);
  const n = load<u32>(base);
  if (<u64>n * 10 + 4 > <u64>size) return false;
  let data: u64 = 4 + 8 * <u64>n;
  for (let i: u32 = 0; i < n; i++) {
    const k = <u64>load<u32>(base + 4 + 8 * <usize>i);
    const v = <u64>load<u32>(base + 8 + 8 * <usize>i);
    if (data + k + v + 2 > <u64>size) return false;
    const kp = base + <usize>data;
    const vp = kp + <usize>k + 1;
    if (load<u8>(kp + <usize>k) != 0 || load<u8>(vp + <usize>v) != 0) return false;
    if (!isValidUtf8(kp, <i32>k) || !isValidUtf8(vp, <i32>v)) return false;
    into.setString(String.UTF8.decodeUnsafe(kp, <usize>k, false), String.UTF8.decodeUnsafe(vp, <usize>v, false));
    data += k + v + 2;
  }
  return data == <u64>size;
}

const STRING_KEYS: Array<string> = [
  KEY_NAME, KEY_NAMESPACE, KEY_OWNER, KEY_WORKLOAD_NAME, KEY_ISTIO_VERSION, KEY_MESH_ID, KEY_CLUSTER_ID,
  KEY_APP_CONTAINERS, KEY_INSTANCE_IPS,
];
const STRING_BITS: Array<u32> = [
  PEER_NAME, PEER_NAMESPACE, PEER_OWNER, PEER_WORKLOAD_NAME, PEER_ISTIO_VERSION, PEER_MESH_ID, PEER_CLUSTER_ID,
  PEER_APP_CONTAINERS, PEER_INSTANCE_IPS,
];

/** Keys readLocalNode() found unusable (not UTF-8, or a map that is not valid pairs). */
export const localNodeProblems: Array<string> = new Array<string>();

/** The local node's exchange metadata from node metadata properties (see the header). */
export function readLocalNode(): PeerInfo {
  localNodeProblems.length = 0;
  const p = new PeerInfo();
  for (let i = 0; i < STRING_KEYS.length; i++) {
    const key = unchecked(STRING_KEYS[i]);
    const v = readMetadataKey(key);
    if (v === null) continue;
    const s = utf8OrNull(v!);
    if (s === null) {
      localNodeProblems.push(key);
      continue;
    }
    const bit = unchecked(STRING_BITS[i]);
    setStringField(p, bit, s!);
    p.present |= bit;
  }
  const labels = readMetadataKey(KEY_LABELS);
  if (labels !== null) {
    const m = new Struct();
    if (parseStringPairs(labels!, m)) {
      p.labels = m;
      p.present |= PEER_LABELS;
    } else {
      localNodeProblems.push(KEY_LABELS);
    }
  }
  const platform = readMetadataKey(KEY_PLATFORM_METADATA);
  if (platform !== null) {
    const m = new Struct();
    if (parseStringPairs(platform!, m)) {
      p.platformMetadata = m;
      p.present |= PEER_PLATFORM_METADATA;
    } else {
      localNodeProblems.push(KEY_PLATFORM_METADATA);
    }
  }
  return p;
}
