// stats: Istio-compatible request metrics (istio_requests_total, istio_request_duration_milliseconds,
// istio_request_bytes, istio_response_bytes) with Istio's 25 labels encoded in the stat name, so
// Envoy's stats_tags extract them. Peers come from the filter state metadata-exchange writes.
//
// Per request (onLog) the filter reads a dozen host values straight into one reused byte buffer,
// swapping the peer's Struct bytes and the cluster name for small cached indexes; those bytes are
// the key of a table of the four metric ids. A hit costs the host reads and one hash of those bytes.
export * from "../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, BufferTypeValues, HeaderMapTypeValues,
  get_buffer_bytes, propertyPath, getPropertyI64, getPropertyBool, increment_metric, record_metric,
} from "../../assembly";
import { ConfigReader } from "../../assembly/config-reader";
import { configurationAccepted } from "../../assembly/config-report";
import { ByteBuffer } from "../../assembly/byte-buffer";
import {
  StatsConfig, parseConfig, DIRECTION_AUTO, DIRECTION_INBOUND, DIRECTION_OUTBOUND, METRIC_COUNT,
  METRIC_REQUESTS_TOTAL, METRIC_REQUEST_DURATION, METRIC_REQUEST_BYTES, METRIC_RESPONSE_BYTES,
} from "./config";
import * as L from "./labels";
import { WorkloadLabels, responseFlagsString, orUnknown, MAX_LABEL_BYTES } from "./labels";
import { localWorkload, peerWorkload, unknownWorkload } from "./peer";
import { DestService, KIND_METADATA, KIND_SPECIAL, KIND_NONE, isSpecialCluster, servicesFromMetadata } from "./dest-service";
import { SeriesTable, SeriesEntry, NO_METRIC } from "./series";
import { ABSENT, appendProperty, appendHeader, bytesEqual, pushU32, pushU64 } from "../../assembly/host-read";
import { ByteKeyTable } from "../../assembly/byte-key-table";
import { decimal } from "../../assembly/decimal";
import { isValidUtf8 } from "../../assembly/utf8";

// Property paths and header names, encoded once.
const P_XDS_DIRECTION = propertyPath(["xds", "listener_direction"]);
const P_DIRECTION = propertyPath(["listener_direction"]);
const P_DOWNSTREAM_PEER = propertyPath(["downstream_peer"]);
const P_UPSTREAM_PEER = propertyPath(["upstream_peer"]);
const P_DOWNSTREAM_PEER_ID = propertyPath(["downstream_peer_id"]);
const P_UPSTREAM_PEER_ID = propertyPath(["upstream_peer_id"]);
const P_XDS_CLUSTER_NAME = propertyPath(["xds", "cluster_name"]);
const P_CLUSTER_NAME = propertyPath(["cluster_name"]);
const P_XDS_CLUSTER_METADATA = propertyPath(["xds", "cluster_metadata"]);
const P_CLUSTER_METADATA = propertyPath(["cluster_metadata"]);
const P_XDS_ROUTE_NAME = propertyPath(["xds", "route_name"]);
const P_ROUTE_NAME = propertyPath(["route_name"]);
const P_RESPONSE_CODE = propertyPath(["response", "code"]);
const P_RESPONSE_FLAGS = propertyPath(["response", "flags"]);
const P_GRPC_STATUS = propertyPath(["response", "grpc_status"]);
const P_MTLS = propertyPath(["connection", "mtls"]);
const P_CONN_PEER_SAN = propertyPath(["connection", "uri_san_peer_certificate"]);
const P_CONN_LOCAL_SAN = propertyPath(["connection", "uri_san_local_certificate"]);
const P_UP_PEER_SAN = propertyPath(["upstream", "uri_san_peer_certificate"]);
const P_UP_LOCAL_SAN = propertyPath(["upstream", "uri_san_local_certificate"]);
const P_DURATION = propertyPath(["request", "duration"]);
const P_REQUEST_TOTAL_SIZE = propertyPath(["request", "total_size"]);
const P_RESPONSE_TOTAL_SIZE = propertyPath(["response", "total_size"]);
const H_CONTENT_TYPE = String.UTF8.encode("content-type");
const H_AUTHORITY = String.UTF8.encode(":authority");
const GRPC_TYPES: ArrayBuffer[] = [
  String.UTF8.encode("application/grpc"), String.UTF8.encode("application/grpc+proto"), String.UTF8.encode("application/grpc+json"),
];
const ROUTE_BLOCK_ALL = String.UTF8.encode("block_all");
const ROUTE_ALLOW_ANY = String.UTF8.encode("allow_any");

// Bounds of the caches that are keyed by what the network sends (README "Robustness"). Peers (by
// Struct bytes and by id) and clusters share one generation: when any of them is full, in entries
// or in bytes, all are replaced (the series keys too: they name peers and clusters by index).
// The series keys are replaced alone when they are full. Bytes are what a cache holds: its keys,
// label text (UTF-16), and a fixed charge per entry for slots and objects.
const MAX_PEERS: i32 = 4096;
const MAX_CLUSTERS: i32 = 4096;
const MAX_PEER_CACHE_BYTES: i32 = 4 << 20;
const MAX_KEY_CACHE_BYTES: i32 = 4 << 20;
const ENTRY_CHARGE: i32 = 96;
/** Peer Structs and ids longer than this are decoded per stream, not cached (metadata-exchange writes at most 6 and 8 KiB). */
const MAX_CACHED_PEER_BYTES: i32 = 16384;
/** The key buffer is replaced after a stream that grew it past this (a 60 KiB :authority, say). */
const MAX_KEY_BUFFER: i32 = 16384;

// String segments of the key, after the fixed part.
const SEG_SOURCE_PRINCIPAL: i32 = 0;
const SEG_DESTINATION_PRINCIPAL: i32 = 1;
const SEG_HOST: i32 = 2;
const SEG_DIMS: i32 = 3;

class StatsRoot extends RootContext {
  cfg: StatsConfig = new StatsConfig();
  table: SeriesTable = new SeriesTable(new StatsConfig());
  local: WorkloadLabels | null = null;
  unknownPeer: WorkloadLabels = unknownWorkload();
  // Caches keyed by raw bytes (peer Struct, peer id, cluster name, series key); the tables hold
  // indexes into the lists.
  peerList: Array<WorkloadLabels> = new Array<WorkloadLabels>();
  peers: ByteKeyTable = new ByteKeyTable();
  peersById: ByteKeyTable = new ByteKeyTable();
  clusterList: Array<DestService> = new Array<DestService>();
  clusters: ByteKeyTable = new ByteKeyTable();
  entryList: Array<SeriesEntry> = new Array<SeriesEntry>();
  keys: ByteKeyTable = new ByteKeyTable();
  maxKeys: i32 = 0;
  /** Bytes charged to the peer and cluster caches, and to the series keys (see the bounds above). */
  peerBytes: i32 = 0;
  keyBytes: i32 = 0;
  nextIndex: u32 = 16;
  blackHole: DestService = new DestService(2, KIND_SPECIAL, "", "BlackHoleCluster");
  passthrough: DestService = new DestService(3, KIND_SPECIAL, "", "PassthroughCluster");
  noCluster: DestService = new DestService(4, KIND_NONE, "", "");
  kb: ByteBuffer = new ByteBuffer(512);
  segOff: StaticArray<i32> = new StaticArray<i32>(SEG_DIMS + 16);

  constructor(context_id: u32, readonly forced: i32) {
    super(context_id);
  }

  onConfigure(configuration_size: u32): bool {
    const reader = ConfigReader.parseBuffer(get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, configuration_size));
    const cfg = parseConfig(reader, this.forced);
    if (!configurationAccepted("stats", reader)) return false;
    this.cfg = cfg;
    this.table = new SeriesTable(cfg);
    this.maxKeys = cfg.maxSeries * 2 + 64;
    this.clearCaches();
    return true;
  }

  createContext(context_id: u32): Context {
    return new StatsStream(context_id, this);
  }

  private clearCaches(): void {
    // Replaced, not cleared (asc 0.17's Map#clear and Array#length = 0 keep old values alive).
    this.peerList = new Array<WorkloadLabels>();
    this.peers = new ByteKeyTable();
    this.peersById = new ByteKeyTable();
    this.clusterList = new Array<DestService>();
    this.clusters = new ByteKeyTable();
    this.peerBytes = 0;
    this.clearKeys();
  }

  private clearKeys(): void {
    this.entryList = new Array<SeriesEntry>();
    this.keys = new ByteKeyTable();
    this.keyBytes = 0;
  }

  /**
   * Makes room in the peer and cluster caches for one more entry of each kind and `bytes`
   * more bytes, by replacing them all when they are full. A new generation of indexes too:
   * they are never reused while a key could name them.
   */
  private roomForPeers(bytes: i32): void {
    if (this.peers.size < MAX_PEERS && this.peersById.size < MAX_PEERS && this.clusters.size < MAX_CLUSTERS
      && this.peerBytes + bytes <= MAX_PEER_CACHE_BYTES && this.nextIndex < 0xFFFF0000) {
      this.peerBytes += bytes;
      return;
    }
    this.clearCaches();
    if (this.nextIndex >= 0xFFFF0000) this.nextIndex = 16;
    this.peerBytes = bytes;
  }

  private peer(inbound: bool): WorkloadLabels {
    const kb = this.kb;
    const start = kb.length;
    // Peers metadata-exchange named by node id are cached by that id, as its
    // own cache is: a hit reads the short id, not the whole peer Struct.
    const idLen = appendProperty(kb, inbound ? P_DOWNSTREAM_PEER_ID : P_UPSTREAM_PEER_ID);
    if (idLen > 0) {
      const hit = this.peersById.find(kb.dataStart + <usize>start + 4, idLen);
      if (hit >= 0) {
        kb.length = start;
        return this.peerList[hit];
      }
    }
    // The id stays in the buffer (the Struct goes after it) until it is bound below.
    const structStart = kb.length;
    const len = appendProperty(kb, inbound ? P_DOWNSTREAM_PEER : P_UPSTREAM_PEER);
    let w = this.unknownPeer;
    if (len > 0) {
      let at = this.peers.find(kb.dataStart + <usize>structStart + 4, len);
      if (at >= 0) {
        w = this.peerList[at];
      } else {
        const decoded = peerWorkload(kb.dataStart + <usize>structStart + 4, len, this.nextIndex++);
        if (decoded !== null) w = decoded;
        if (len > MAX_CACHED_PEER_BYTES || idLen > MAX_CACHED_PEER_BYTES) {
          kb.length = start;
          return w;
        }
        // Every insertion below is charged to the budget first (a new id bound to a cached
        // Struct too: one Struct under a million ids must not grow the by-id cache).
        this.roomForPeers(len + w.textBytes() + 2 * ENTRY_CHARGE + (idLen > 0 ? idLen : 0));
        at = this.peerList.length;
        this.peerList.push(w);
        this.peers.insert(kb.dataStart + <usize>structStart + 4, len, at);
        if (idLen > 0 && w !== this.unknownPeer) this.peersById.insert(kb.dataStart + <usize>start + 4, idLen, at);
        kb.length = start;
        return w;
      }
      // Only a decoded peer is bound to its id (a later request may carry it).
      if (idLen > 0 && idLen <= MAX_CACHED_PEER_BYTES && w !== this.unknownPeer) {
        const before = this.peerList;
        this.roomForPeers(idLen + ENTRY_CHARGE);
        if (this.peerList !== before) {
          // The caches were just replaced: the peer is bound anew, under its Struct too.
          at = this.peerList.length;
          this.peerList.push(w);
          this.peers.insert(kb.dataStart + <usize>structStart + 4, len, at);
          this.peerBytes += len + w.textBytes() + ENTRY_CHARGE;
        }
        this.peersById.insert(kb.dataStart + <usize>start + 4, idLen, at);
      }
    }
    kb.length = start;
    return w;
  }

  private destService(): DestService {
    const kb = this.kb;
    const start = kb.length;
    let len = appendProperty(kb, P_XDS_CLUSTER_NAME);
    if (len < 0) { kb.length = start; len = appendProperty(kb, P_CLUSTER_NAME); }
    let ds = this.noCluster;
    if (len <= 0) {
      kb.length = start;
      let rl = appendProperty(kb, P_XDS_ROUTE_NAME);
      if (rl < 0) { kb.length = start; rl = appendProperty(kb, P_ROUTE_NAME); }
      const rp = kb.dataStart + <usize>start + 4;
      if (rl > 0 && bytesEqual(rp, rl, ROUTE_BLOCK_ALL)) ds = this.blackHole;
      else if (rl > 0 && bytesEqual(rp, rl, ROUTE_ALLOW_ANY)) ds = this.passthrough;
    } else {
      const ptr = kb.dataStart + <usize>start + 4;
      const at = this.clusters.find(ptr, len);
      if (at >= 0) {
        ds = this.clusterList[at];
      } else {
        this.roomForPeers(len + ENTRY_CHARGE + 2 * MAX_LABEL_BYTES);
        // Bound to the name now: the metadata read below reuses the buffer the name is in.
        const slot = this.clusterList.length;
        this.clusters.insert(ptr, len, slot);
        const name = String.UTF8.decodeUnsafe(ptr, <usize>len);
        const index = this.nextIndex++;
        if (isSpecialCluster(name)) {
          ds = new DestService(index, KIND_SPECIAL, "", name);
        } else {
          kb.length = start;
          let ml = appendProperty(kb, P_XDS_CLUSTER_METADATA);
          if (ml < 0) { kb.length = start; ml = appendProperty(kb, P_CLUSTER_METADATA); }
          let found: DestService | null = null;
          if (ml > 0) found = servicesFromMetadata(kb.dataStart + <usize>start + 4, ml, index);
          if (found !== null) ds = found;
          else ds = new DestService(index, KIND_NONE, "", "");
        }
        this.clusterList.push(ds);
      }
    }
    kb.length = start;
    return ds;
  }

  /** Records the stream's metrics (onLog). */
  record(): void {
    const cfg = this.cfg;
    if (this.local === null) this.local = localWorkload();
    const kb = this.kb;
    kb.clear();
    let direction = cfg.direction;
    if (direction == DIRECTION_AUTO) {
      let d = getPropertyI64(P_XDS_DIRECTION, -1);
      if (d < 0) d = getPropertyI64(P_DIRECTION, 0);
      // UNSPECIFIED (0) or absent: Istio reports as the source (outbound) side.
      direction = d == 1 ? DIRECTION_INBOUND : DIRECTION_OUTBOUND;
    }
    const inbound = direction == DIRECTION_INBOUND;
    kb.pushByte(inbound ? 1 : 0);
    const peer = this.peer(inbound);
    pushU32(kb, peer.index);
    const ds = this.destService();
    pushU32(kb, ds.index);
    const code = getPropertyI64(P_RESPONSE_CODE, 0);
    pushU32(kb, <u32>code);
    pushU64(kb, <u64>getPropertyI64(P_RESPONSE_FLAGS, 0));
    // request_protocol: gRPC by content type.
    const ctStart = kb.length;
    const ctLen = appendHeader(kb, HeaderMapTypeValues.RequestHeaders, H_CONTENT_TYPE);
    let grpc = false;
    if (ctLen > 0) {
      const p = kb.dataStart + <usize>ctStart + 4;
      for (let i = 0; i < GRPC_TYPES.length; i++) if (bytesEqual(p, ctLen, GRPC_TYPES[i])) { grpc = true; break; }
    }
    kb.length = ctStart;
    kb.pushByte(grpc ? 1 : 0);
    if (grpc) pushU32(kb, <u32>getPropertyI64(P_GRPC_STATUS, 2));
    if (inbound) kb.pushByte(getPropertyBool(P_MTLS, false) ? 1 : 0);
    const seg = this.segOff;
    // The variable segments, each cut to MAX_LABEL_BYTES in the key itself: label values
    // and the key cache stay bounded whatever a request carries.
    seg[SEG_SOURCE_PRINCIPAL] = kb.length;
    appendProperty(kb, inbound ? P_CONN_PEER_SAN : P_UP_LOCAL_SAN);
    cutSegment(kb, seg[SEG_SOURCE_PRINCIPAL]);
    seg[SEG_DESTINATION_PRINCIPAL] = kb.length;
    appendProperty(kb, inbound ? P_CONN_LOCAL_SAN : P_UP_PEER_SAN);
    cutSegment(kb, seg[SEG_DESTINATION_PRINCIPAL]);
    seg[SEG_HOST] = kb.length;
    if (ds.kind != KIND_METADATA && !cfg.disableHostHeaderFallback) {
      appendHeader(kb, HeaderMapTypeValues.RequestHeaders, H_AUTHORITY);
      cutSegment(kb, seg[SEG_HOST]);
    } else {
      pushU32(kb, ABSENT);
    }
    const dims = cfg.dimensions;
    for (let d = 0; d < dims.length; d++) {
      const segAt = kb.length;
      seg[SEG_DIMS + d] = segAt;
      const dim = dims[d];
      if (dim.isHeader) appendHeader(kb, HeaderMapTypeValues.RequestHeaders, dim.key);
      else appendProperty(kb, dim.key);
      cutSegment(kb, segAt);
    }

    let entry: SeriesEntry;
    const at = this.keys.find(kb.dataStart, kb.length);
    if (at >= 0) {
      entry = this.entryList[at];
    } else {
      entry = this.resolve(inbound, peer, ds, <i32>code, grpc);
      const charge = kb.length + ENTRY_CHARGE;
      if (this.keys.size >= this.maxKeys || this.keyBytes + charge > MAX_KEY_CACHE_BYTES) this.clearKeys();
      this.keys.insert(kb.dataStart, kb.length, this.entryList.length);
      this.entryList.push(entry);
      this.keyBytes += charge;
    }
    // A huge header grew the buffer once; it is not kept at that size.
    if (kb.capacity > MAX_KEY_BUFFER) this.kb = new ByteBuffer(512);

    const ids = entry.ids;
    if (ids[METRIC_REQUESTS_TOTAL] != NO_METRIC) increment_metric(ids[METRIC_REQUESTS_TOTAL], 1);
    if (ids[METRIC_REQUEST_DURATION] != NO_METRIC) {
      const ns = getPropertyI64(P_DURATION, 0);
      record_metric(ids[METRIC_REQUEST_DURATION], ns > 0 ? <u64>(ns / 1000000) : 0);
    }
    if (ids[METRIC_REQUEST_BYTES] != NO_METRIC) {
      const v = getPropertyI64(P_REQUEST_TOTAL_SIZE, 0);
      record_metric(ids[METRIC_REQUEST_BYTES], v > 0 ? <u64>v : 0);
    }
    if (ids[METRIC_RESPONSE_BYTES] != NO_METRIC) {
      const v = getPropertyI64(P_RESPONSE_TOTAL_SIZE, 0);
      record_metric(ids[METRIC_RESPONSE_BYTES], v > 0 ? <u64>v : 0);
    }
    if (entry.overflow) increment_metric(this.table.overflowCounter, 1);
  }

  private segment(i: i32): string {
    const kb = this.kb;
    const off = this.segOff[i];
    const len = load<u32>(kb.dataStart + <usize>off);
    if (len == ABSENT || len == 0) return "";
    return lossyUtf8(kb.dataStart + <usize>off + 4, <i32>len);
  }

  private segmentInt(i: i32): string {
    const kb = this.kb;
    const off = this.segOff[i];
    const len = load<u32>(kb.dataStart + <usize>off);
    if (len != 8) return this.segment(i);
    return decimal(load<i64>(kb.dataStart + <usize>off + 4));
  }

  /** Builds the label values for a new combination (Istio plugin.cc / context.cc rules). */
  private resolve(inbound: bool, peer: WorkloadLabels, ds: DestService, code: i32, grpc: bool): SeriesEntry {
    const cfg = this.cfg;
    const local = this.local!;
    let src = local;
    let dst = peer;
    if (inbound) { src = peer; dst = local; }
    const v = new Array<string>(L.STANDARD_LABEL_COUNT);
    v[L.REPORTER] = inbound ? "destination" : "source";
    v[L.SOURCE_WORKLOAD] = src.workload;
    v[L.SOURCE_WORKLOAD_NAMESPACE] = src.namespace;
    v[L.SOURCE_PRINCIPAL] = orUnknown(this.segment(SEG_SOURCE_PRINCIPAL));
    v[L.SOURCE_APP] = src.app;
    v[L.SOURCE_VERSION] = src.version;
    v[L.SOURCE_CANONICAL_SERVICE] = src.canonicalService;
    v[L.SOURCE_CANONICAL_REVISION] = src.canonicalRevision;
    v[L.SOURCE_CLUSTER] = src.cluster;
    v[L.DESTINATION_WORKLOAD] = dst.workload;
    v[L.DESTINATION_WORKLOAD_NAMESPACE] = dst.namespace;
    v[L.DESTINATION_PRINCIPAL] = orUnknown(this.segment(SEG_DESTINATION_PRINCIPAL));
    v[L.DESTINATION_APP] = dst.app;
    v[L.DESTINATION_VERSION] = dst.version;
    let host = "";
    let name = "";
    if (ds.kind == KIND_METADATA) {
      host = ds.host;
      name = ds.name;
    } else {
      if (!cfg.disableHostHeaderFallback) host = this.segment(SEG_HOST);
      else if (inbound) host = local.canonicalLabel;
      if (ds.kind == KIND_SPECIAL) name = ds.name;
      else name = host;
    }
    v[L.DESTINATION_SERVICE] = orUnknown(host);
    v[L.DESTINATION_SERVICE_NAME] = orUnknown(name);
    v[L.DESTINATION_SERVICE_NAMESPACE] = dst.namespace;
    v[L.DESTINATION_CANONICAL_SERVICE] = dst.canonicalService;
    v[L.DESTINATION_CANONICAL_REVISION] = dst.canonicalRevision;
    v[L.DESTINATION_CLUSTER] = dst.cluster;
    v[L.REQUEST_PROTOCOL] = grpc ? "grpc" : "http";
    // The fixed part of the key: dir(1) peer(4) cluster(4) code(4) flags(8) ...
    const flags = load<u64>(this.kb.dataStart + 13);
    v[L.RESPONSE_FLAGS] = responseFlagsString(flags);
    if (inbound) {
      const mtlsAt = 21 + 1 + (grpc ? 4 : 0);
      v[L.CONNECTION_SECURITY_POLICY] = load<u8>(this.kb.dataStart + <usize>mtlsAt) != 0 ? "mutual_tls" : "none";
    } else {
      v[L.CONNECTION_SECURITY_POLICY] = "unknown";
    }
    v[L.RESPONSE_CODE] = decimal(code);
    if (grpc) v[L.GRPC_RESPONSE_STATUS] = decimal(load<i32>(this.kb.dataStart + 22));
    else v[L.GRPC_RESPONSE_STATUS] = "";
    const dims = new Array<string>(cfg.dimensions.length);
    for (let d = 0; d < cfg.dimensions.length; d++) {
      if (cfg.dimensions[d].isInt) dims[d] = orUnknown(this.segmentInt(SEG_DIMS + d));
      else dims[d] = orUnknown(this.segment(SEG_DIMS + d));
    }
    return this.table.resolve(v, dims, inbound);
  }
}

/**
 * Cuts the segment at `at` (u32 length, then the bytes; the last thing in `kb`) to
 * MAX_LABEL_BYTES, at a UTF-8 character boundary.
 */
function cutSegment(kb: ByteBuffer, at: i32): void {
  const p = kb.dataStart + <usize>at;
  const len = load<u32>(p);
  if (len == ABSENT || len <= <u32>MAX_LABEL_BYTES) return;
  let n = MAX_LABEL_BYTES;
  // back to the start of a character that would straddle the cut
  while (n > 0 && (load<u8>(p + 4 + <usize>n) & 0xC0) == 0x80) n--;
  store<u32>(p, <u32>n);
  kb.length = at + 4 + n;
}

/** The bytes as a string: UTF-8 when valid, else each non-ASCII byte as '_'. */
function lossyUtf8(ptr: usize, len: i32): string {
  if (isValidUtf8(ptr, len)) return String.UTF8.decodeUnsafe(ptr, <usize>len);
  const out = changetype<string>(__new(<usize>len << 1, idof<string>()));
  const o = changetype<usize>(out);
  for (let i = 0; i < len; i++) {
    const b = <u32>load<u8>(ptr + <usize>i);
    store<u16>(o + (<usize>i << 1), <u16>(b < 0x80 ? b : 0x5F));
  }
  return out;
}

class StatsStream extends Context {
  constructor(context_id: u32, readonly root: StatsRoot) {
    super(context_id, root);
  }

  onLog(): void {
    this.root.record();
  }
}

function newAuto(context_id: u32): RootContext { return new StatsRoot(context_id, DIRECTION_AUTO); }
function newInbound(context_id: u32): RootContext { return new StatsRoot(context_id, DIRECTION_INBOUND); }
function newOutbound(context_id: u32): RootContext { return new StatsRoot(context_id, DIRECTION_OUTBOUND); }

registerRootContext(newAuto, "stats");
registerRootContext(newInbound, "stats_inbound");
registerRootContext(newOutbound, "stats_outbound");
