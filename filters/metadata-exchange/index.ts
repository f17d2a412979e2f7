// metadata-exchange: Istio-compatible peer metadata exchange over the
// x-envoy-peer-metadata / x-envoy-peer-metadata-id headers (see README.md).
//
// Configure time: configuration parsed once, the local header values computed
// once from node metadata, metric ids defined. Per request: a few header
// calls, one direction property read, filter-state writes of cached bytes; a
// peer is base64- and protobuf-decoded only the first time its id is seen.
export * from "../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, HeaderMapTypeValues, LogLevelValues,
  BufferTypeValues, MetricTypeValues, get_buffer_bytes, getHeaderBytes, addHeaderBytes, replaceHeaderBytes,
  removeHeaderBytes, getHeaderMapSize, setPropertyBytes, propertyPath, getPropertyI64, defineMetric, increment_metric,
  logAlways, logEnabled,
} from "../../assembly";
import { ConfigReader } from "../../assembly/config-reader";
import { configurationAccepted } from "../../assembly/config-report";
import { base64DecodeInto } from "../../assembly/base64";
import { ByteBuffer } from "../../assembly/byte-buffer";
import { decimal } from "../../assembly/decimal";
import { quoteForMessage } from "../../assembly/json";
import { appendHeader, setPropertyFrom } from "../../assembly/host-read";
import {
  decodePeer, lastPeerDecodeError, ExchangeKeys,
  DOWNSTREAM_PEER, DOWNSTREAM_PEER_ID, UPSTREAM_PEER, UPSTREAM_PEER_ID,
} from "../../assembly/peer-metadata";
import { MxConfig, readConfig, DIRECTION_AUTO, DIRECTION_INBOUND, DIRECTION_OUTBOUND, DIRECTION_UNSPECIFIED } from "./config";
import { PeerCache } from "./peer-cache";
import { LocalMetadata, computeLocalMetadata } from "./local-metadata";

/** Largest header value (metadata or id) we accept; larger ones mean an unknown peer. */
const MAX_HEADER_BYTES: i32 = 8192;

const HEADER_METADATA = String.UTF8.encode("x-envoy-peer-metadata");
const METADATA_TOO_LONG = "x-envoy-peer-metadata longer than 8192 bytes";
const HEADER_ID = String.UTF8.encode("x-envoy-peer-metadata-id");
const FS_DOWNSTREAM_PEER = propertyPath([DOWNSTREAM_PEER]);
const FS_DOWNSTREAM_PEER_ID = propertyPath([DOWNSTREAM_PEER_ID]);
const FS_UPSTREAM_PEER = propertyPath([UPSTREAM_PEER]);
const FS_UPSTREAM_PEER_ID = propertyPath([UPSTREAM_PEER_ID]);
const PROP_DIRECTION = propertyPath(["xds", "listener_direction"]);
const PROP_DIRECTION_LEGACY = propertyPath(["listener_direction"]);

class MetadataExchangeRoot extends RootContext {
  config: MxConfig = new MxConfig();
  local: LocalMetadata = new LocalMetadata();
  /** Node metadata was not readable at configure time: retry once on the first stream. */
  localPending: bool = false;
  cache: PeerCache = new PeerCache(0);
  /** base64 output for the largest accepted header, allocated once. */
  scratch: ArrayBuffer = new ArrayBuffer((MAX_HEADER_BYTES / 4 + 1) * 3);
  /** The stream's peer id as read from the host (length-prefixed), reused: no buffer per request. */
  idBuffer: ByteBuffer = new ByteBuffer(256);
  decodeErrors: u32 = u32.MAX_VALUE;
  decoded: u32 = u32.MAX_VALUE;

  onConfigure(configuration_size: u32): bool {
    const reader = ConfigReader.parseBuffer(get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, configuration_size));
    const config = readConfig(reader);
    if (!configurationAccepted("metadata-exchange", reader)) return false;
    this.config = config;
    this.cache = new PeerCache(config.maxPeerCacheSize);
    this.decodeErrors = defineMetric(MetricTypeValues.Counter, "metadata_exchange.decode_error");
    this.decoded = defineMetric(MetricTypeValues.Counter, "metadata_exchange.peer_decoded");
    this.local = computeLocalMetadata(config.keys);
    this.localPending = !this.local.found;
    return true;
  }

  createContext(context_id: u32): Context {
    return new MetadataExchangeStream(context_id, this);
  }

  /** Recomputes the local values once if the root context could not read node metadata. */
  ensureLocal(): void {
    if (!this.localPending) return;
    this.localPending = false;
    this.local = computeLocalMetadata(this.config.keys);
  }

  decodeError(why: string): void {
    increment_metric(this.decodeErrors, 1);
    if (logEnabled(LogLevelValues.debug)) logAlways(LogLevelValues.debug, "metadata-exchange: unknown peer: " + why);
  }

  /**
   * The peer's filter-state bytes for header value `metadata` (non-empty) sent with the id of
   * `idLen` bytes at `idPtr` (idLen 0 when none, else not in the cache): decoded, and cached by id.
   * Null when the header does not decode (counted as a decode error).
   */
  learn(idPtr: usize, idLen: i32, metadata: ArrayBuffer): ArrayBuffer | null {
    const len = metadata.byteLength;
    if (len > MAX_HEADER_BYTES) {
      this.decodeError(METADATA_TOO_LONG);
      return null;
    }
    const scratch = changetype<usize>(this.scratch);
    const n = base64DecodeInto(changetype<usize>(metadata), len, scratch);
    if (n < 0) {
      this.decodeError("x-envoy-peer-metadata is not valid base64");
      return null;
    }
    const peer = decodePeer(scratch, n);
    if (peer === null) {
      // The reason is built only when it will be logged: bad headers are traffic, not configuration.
      increment_metric(this.decodeErrors, 1);
      if (logEnabled(LogLevelValues.debug)) {
        // (the reason may name a key the client sent: escaped)
        logAlways(LogLevelValues.debug, "metadata-exchange: unknown peer: x-envoy-peer-metadata: " + quoteForMessage(lastPeerDecodeError(), 256));
      }
      return null;
    }
    const bytes = peer!.encode(ExchangeKeys.Present).buffer;
    if (idLen > 0) {
      const id = new ArrayBuffer(idLen);
      memory.copy(changetype<usize>(id), idPtr, <usize>idLen);
      this.cache.put(id, bytes);
    }
    increment_metric(this.decoded, 1);
    if (logEnabled(LogLevelValues.debug)) {
      // Ids and names are the client's: every control, line break or bidi character escaped.
      let who = "(no id)";
      if (idLen > 0) who = quoteForMessage(String.UTF8.decodeUnsafe(idPtr, <usize>idLen), 256);
      logAlways(LogLevelValues.debug, "metadata-exchange: decoded peer " + who + ": workload " + quoteForMessage(peer!.workloadName, 128) +
        ", namespace " + quoteForMessage(peer!.namespace, 128) + "; cache " + decimal(this.cache.size) + "/" + decimal(this.config.maxPeerCacheSize));
    }
    return bytes;
  }
}

class MetadataExchangeStream extends Context {
  direction: i32 = DIRECTION_AUTO;
  /** The request carried a non-empty x-envoy-peer-metadata / -id (the response answers only then). */
  metadataReceived: bool = false;
  idReceived: bool = false;

  constructor(context_id: u32, readonly root: MetadataExchangeRoot) {
    super(context_id, root);
  }

  /** Direction of this stream: configured, else xds.listener_direction, else listener_direction, else 0. */
  streamDirection(): i32 {
    if (this.direction != DIRECTION_AUTO) return this.direction;
    let d = this.root.config.direction;
    if (d == DIRECTION_AUTO) {
      let v = getPropertyI64(PROP_DIRECTION, -1);
      if (v < 0) v = getPropertyI64(PROP_DIRECTION_LEGACY, DIRECTION_UNSPECIFIED);
      d = <i32>v;
      if (d != DIRECTION_INBOUND && d != DIRECTION_OUTBOUND) d = DIRECTION_UNSPECIFIED;
    }
    this.direction = d;
    return d;
  }

  /**
   * Removes the pair from `map` and records what it says in filter state.
   * Returns 1 when a non-empty metadata header was present, 2 when a non-empty
   * id was, 3 for both (what the response rule needs).
   */
  discover(map: HeaderMapTypeValues, fsPeer: ArrayBuffer, fsPeerId: ArrayBuffer): i32 {
    const root = this.root;
    let seen = 0;
    // A huge id grows the buffer once; it is not kept at that size.
    if (root.idBuffer.capacity > 16384) root.idBuffer = new ByteBuffer(256);
    const idBuffer = root.idBuffer;
    idBuffer.clear();
    const idLen = appendHeader(idBuffer, map, HEADER_ID);
    // The id stays in idBuffer (after its length) until this call returns.
    const idPtr = idBuffer.dataStart + 4;
    let usableIdLen = 0;
    let idTooLong = false;
    if (idLen >= 0) {
      removeHeaderBytes(map, HEADER_ID);
      if (idLen > 0) {
        seen |= 2;
        if (idLen > MAX_HEADER_BYTES) {
          idTooLong = true;
        } else {
          setPropertyFrom(fsPeerId, idPtr, idLen);
          usableIdLen = idLen;
        }
      }
    }
    if (usableIdLen > 0) {
      const known = root.cache.get(idPtr, usableIdLen);
      if (known !== null) return seen | this.discoverKnown(map, fsPeer, known!);
    }
    const metadata = getHeaderBytes(map, HEADER_METADATA);
    if (metadata !== null) {
      removeHeaderBytes(map, HEADER_METADATA);
      if (metadata.byteLength > 0) {
        seen |= 1;
        if (idTooLong) {
          root.decodeError("x-envoy-peer-metadata-id longer than 8192 bytes");
        } else {
          const peer = root.learn(idPtr, usableIdLen, metadata);
          if (peer !== null) setPropertyBytes(fsPeer, peer);
        }
      }
    } else if (idTooLong) {
      root.decodeError("x-envoy-peer-metadata-id longer than 8192 bytes");
    }
    return seen;
  }

  /**
   * The metadata header of a peer whose id is cached: only whether a non-empty one came matters,
   * and the removal tells, by how much the map's byte size (names plus values) shrinks, without
   * copying the header (~1 KB) out of the host. Returns 1 when it came (then the cached peer is
   * recorded), else 0. Of repeated headers Envoy's get answers the first; here any non-empty one counts.
   */
  discoverKnown(map: HeaderMapTypeValues, fsPeer: ArrayBuffer, known: ArrayBuffer): i32 {
    const before = getHeaderMapSize(map);
    removeHeaderBytes(map, HEADER_METADATA);
    const removed = before - getHeaderMapSize(map);
    const name = <u32>HEADER_METADATA.byteLength;
    if (removed <= name) return 0;
    if (removed - name > <u32>MAX_HEADER_BYTES) {
      this.root.decodeError(METADATA_TOO_LONG);
    } else {
      setPropertyBytes(fsPeer, known);
    }
    return 1;
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root;
    root.ensureLocal();
    const seen = this.discover(HeaderMapTypeValues.RequestHeaders, FS_DOWNSTREAM_PEER, FS_DOWNSTREAM_PEER_ID);
    this.metadataReceived = (seen & 1) != 0;
    this.idReceived = (seen & 2) != 0;
    if (this.streamDirection() != DIRECTION_INBOUND) {
      const local = root.local;
      if (local.header.byteLength > 0) replaceHeaderBytes(HeaderMapTypeValues.RequestHeaders, HEADER_METADATA, local.header);
      if (local.id.byteLength > 0) replaceHeaderBytes(HeaderMapTypeValues.RequestHeaders, HEADER_ID, local.id);
    }
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root;
    this.discover(HeaderMapTypeValues.ResponseHeaders, FS_UPSTREAM_PEER, FS_UPSTREAM_PEER_ID);
    if (this.streamDirection() != DIRECTION_OUTBOUND) {
      const local = root.local;
      if (this.metadataReceived && local.header.byteLength > 0) addHeaderBytes(HeaderMapTypeValues.ResponseHeaders, HEADER_METADATA, local.header);
      if (this.idReceived && local.id.byteLength > 0) addHeaderBytes(HeaderMapTypeValues.ResponseHeaders, HEADER_ID, local.id);
    }
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => new MetadataExchangeRoot(context_id) as RootContext, "metadata_exchange");
