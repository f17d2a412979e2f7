// Envoy attribute resolution for proxy_get_property (envoy context.cc FindValue/serializeValue,
// docs attributes.rst). Values are serialized as Envoy serializes them.
import { enc, int64leInto, uint64le, float64le } from "./bytes.ts";
import { encodePairs } from "./pairs.ts";
import { encodeNode, type NodeInfo } from "./proto.ts";
import { encodePropertyInput } from "./property-input.ts";
import { HeaderMap, lowerAscii } from "./headers.ts";
import { httpToGrpc } from "./local-reply.ts";
import type { PluginInfo } from "./plugin-info.ts";
import type { Vm } from "./vm.ts";
import type { PropertyInput } from "./types.ts";

/** Top-level names Envoy <= 1.32 also answered outside `xds.` (removed in 1.33). */
const LEGACY_XDS = new Set(["node", "cluster_name", "cluster_metadata", "listener_direction", "listener_metadata", "route_name", "route_metadata", "upstream_host_metadata"]);

/** What a stream knows about itself, for request.*, response.*, connection.* attributes. */
export interface StreamInfo {
  requestHeaders: HeaderMap;
  requestBodyBytes: number;
  responseHeaders: HeaderMap | null;
  responseTrailers: HeaderMap | null;
  responseBodyBytes: number;
  responseCode: number | null;
  details: string | null;
  /** Envoy's response flags (host/response-flags.ts) raised so far. */
  responseFlags: number;
  /** Envoy answered before routing (host/hcm): no cluster was chosen, so xds.cluster_* are absent. */
  unrouted: boolean;
  startNs: bigint;
  endNs: bigint | null;
  connectionId: number;
  filterState: Map<string, Uint8Array>;
  properties: Map<string, Uint8Array>;
}

export function normalizeProperties(props: Record<string, PropertyInput> | undefined, into = new Map<string, Uint8Array>()): Map<string, Uint8Array> {
  for (const [k, v] of Object.entries(props ?? {})) into.set(k.split(".").join("\0"), encodePropertyInput(v));
  return into;
}

/** Struct/Value as CEL sees them: strings raw, numbers double, bools 1 byte, maps/lists pairs. */
function jsonValue(v: unknown): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return enc.encode(v);
  if (typeof v === "number") return float64le(v);
  if (typeof v === "boolean") return new Uint8Array([v ? 1 : 0]);
  if (Array.isArray(v)) return encodePairs(v.map((x) => [jsonValue(x) ?? new Uint8Array(0), new Uint8Array(0)] as const));
  return encodePairs(Object.entries(v as object).map(([k, x]) => [k, jsonValue(x) ?? new Uint8Array(0)] as const));
}

function walk(v: unknown, rest: string[]): unknown {
  for (const seg of rest) {
    if (v === null || typeof v !== "object") return undefined;
    v = Array.isArray(v) ? v[Number(seg)] : (v as Record<string, unknown>)[seg];
  }
  return v;
}

function nodeAttr(node: NodeInfo | undefined, rest: string[]): Uint8Array | null | undefined {
  if (!node) return undefined;
  if (rest.length === 0) return encodeNode(node); // the whole Node message, SerializeToString
  const [field, ...more] = rest;
  if (field === "id" && !more.length) return enc.encode(node.id ?? "");
  if (field === "cluster" && !more.length) return enc.encode(node.cluster ?? "");
  if (field === "metadata") {
    const v = walk(node.metadata ?? {}, more);
    return v === undefined ? undefined : jsonValue(v);
  }
  return undefined;
}

/** The NUL-joined key of a path (how property maps are keyed), which splitPath's arrays carry. */
export const JOINED_KEY: unique symbol = Symbol("joined key");
export type KeyedPath = string[] & { [JOINED_KEY]?: string };

function propertyKey(path: KeyedPath): string {
  return path[JOINED_KEY] ?? path.join("\0");
}

function common(path: string[], plugin: PluginInfo, vm: Vm, first: Map<string, Uint8Array>, second: Map<string, Uint8Array> | null): Uint8Array | null | undefined {
  const key = propertyKey(path);
  const hit = first.get(key) ?? second?.get(key);
  if (hit) return hit;
  // Indexes, not destructuring: this runs on every property read and a rest array is an allocation.
  const head = path[0];
  const more = path.length > 1;
  switch (head) {
    case "plugin_name": return more ? undefined : enc.encode(plugin.name);
    case "plugin_root_id": return more ? undefined : enc.encode(plugin.rootId);
    case "plugin_vm_id": return more ? undefined : enc.encode(vm.vmId);
    case "node": return nodeAttr(vm.services.node, path.slice(1));
    case "xds":
      if (path[1] === "node") return nodeAttr(vm.services.node, path.slice(2));
      break;
  }
  return undefined;
}

type Resolver<I> = (p: string[], plugin: PluginInfo, vm: Vm, info: I, hostProps: Map<string, Uint8Array>) => Uint8Array | null | undefined;

/**
 * Resolves `path`, then its pre-1.33 / post-1.33 alias. Top-level resolvers
 * and plain arguments, no closure: this runs on every property read.
 */
function withAliases<I>(path: string[], plugin: PluginInfo, vm: Vm, info: I, hostProps: Map<string, Uint8Array>, resolve: Resolver<I>): Uint8Array | null | undefined {
  const v = resolve(path, plugin, vm, info, hostProps);
  if (v !== undefined) return v;
  if (LEGACY_XDS.has(path[0]!)) return resolve(["xds", ...path], plugin, vm, info, hostProps);
  if (path[0] === "xds" && LEGACY_XDS.has(path[1]!)) return resolve(path.slice(1), plugin, vm, info, hostProps);
  return undefined;
}

function rootAttribute(p: string[], plugin: PluginInfo, vm: Vm, _info: null, hostProps: Map<string, Uint8Array>): Uint8Array | null | undefined {
  return common(p, plugin, vm, hostProps, null);
}

export function resolveRootAttribute(path: string[], plugin: PluginInfo, vm: Vm): Uint8Array | null | undefined {
  const hostProps = normalizeProperties(vm.services.properties);
  return withAliases(path, plugin, vm, null, hostProps, rootAttribute);
}

const NO_TRAILERS = new HeaderMap();

function headerAttr(map: HeaderMap | null, rest: string[]): Uint8Array | undefined {
  if (!map) return undefined;
  if (rest.length === 0) {
    const keys = [...new Set(map.list.map((e) => e[0]))];
    // As an attribute an empty map is a count of 0 (Envoy's serializeValue), not the
    // zero-length buffer proxy_get_header_map_pairs answers.
    return keys.length ? encodePairs(keys.map((k) => [k, map.joined(k)!] as const)) : new Uint8Array(4);
  }
  const v = map.joined(lowerAscii(rest[0]!));
  return v === undefined ? undefined : enc.encode(v);
}

/**
 * Envoy's Grpc::Common::getGrpcStatus (allow_user_defined false): an empty or absent value is no
 * status; one that is not an unsigned integer (absl::SimpleAtoi) or above 16 (MaximumKnown) is
 * InvalidCode, -1.
 */
function grpcStatus(v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (!/^\s*\+?\d+\s*$/.test(v)) return -1;
  const n = Number(v);
  return n <= 16 ? n : -1;
}

function str(v: string | undefined): Uint8Array | undefined { return v === undefined ? undefined : enc.encode(v); }

export function resolveStreamAttribute(path: string[], plugin: PluginInfo, vm: Vm, info: StreamInfo, hostProps: Map<string, Uint8Array>): Uint8Array | null | undefined {
  return withAliases(path, plugin, vm, info, hostProps, streamAttribute);
}

// Computed int64 answers go straight into the module (proxy_get_property copies them before the
// next read), so one scratch array serves them all instead of a fresh 8-byte array per read.
const int64Scratch = new Uint8Array(8);
function int64Result(v: number | bigint): Uint8Array { return int64leInto(v, int64Scratch); }

function streamAttribute(p: string[], plugin: PluginInfo, vm: Vm, info: StreamInfo, hostProps: Map<string, Uint8Array>): Uint8Array | null | undefined {
    if (info.unrouted && p[0] === "xds" && (p[1] === "cluster_name" || p[1] === "cluster_metadata")) return undefined;
    const base = common(p, plugin, vm, info.properties, hostProps);
    if (base !== undefined) return base;
    const head = p[0];
    const name = p[1];
    // More segments after `name` (only header maps take one more).
    const deeper = p.length > 2;
    const rh = info.requestHeaders;
    if (head === "request" && name) {
      if (deeper && name !== "headers") return undefined;
      const path_ = rh.get(":path");
      switch (name) {
        case "path": return str(path_);
        case "url_path": return str(path_?.split("?")[0]);
        case "host": return str(rh.get(":authority"));
        case "scheme": return str(rh.get(":scheme"));
        case "method": return str(rh.get(":method"));
        case "referer": return str(rh.get("referer"));
        case "useragent": return str(rh.get("user-agent"));
        case "id": return str(rh.get("x-request-id"));
        case "protocol": return enc.encode("HTTP/1.1");
        case "query": {
          // What follows "?", up to a fragment.
          if (path_ === undefined) return undefined;
          const q = path_.indexOf("?");
          if (q < 0) return enc.encode("");
          const f = path_.indexOf("#", q);
          return enc.encode(path_.slice(q + 1, f < 0 ? undefined : f));
        }
        case "headers": return headerAttr(rh, p.slice(2));
        case "time": return int64Result(info.startNs);
        case "duration": return info.endNs === null ? undefined : int64Result(info.endNs - info.startNs);
        case "size": {
          const cl = rh.get("content-length");
          return int64Result(cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : info.requestBodyBytes);
        }
        // Bytes received (the body) plus the headers' byteSize; content-length plays no part.
        case "total_size": return int64Result(info.requestBodyBytes + rh.byteSize());
      }
      return undefined;
    }
    if (head === "response" && name) {
      if (deeper && name !== "headers" && name !== "trailers") return undefined;
      switch (name) {
        case "code": return info.responseCode === null ? undefined : int64Result(info.responseCode);
        case "code_details": return info.details === null ? undefined : enc.encode(info.details);
        case "flags": return info.responseCode === null ? undefined : int64Result(info.responseFlags);
        case "grpc_status": {
          // Grpc::Common::getGrpcStatus: trailers, then headers, then the HTTP status mapped.
          const g = grpcStatus(info.responseTrailers?.get("grpc-status")) ?? grpcStatus(info.responseHeaders?.get("grpc-status"))
            ?? (info.responseCode === null ? undefined : httpToGrpc(info.responseCode));
          return g === undefined ? undefined : int64Result(g);
        }
        case "headers": return headerAttr(info.responseHeaders, p.slice(2));
        // Once there is a response, its trailers are a map, empty when none came.
        case "trailers": return headerAttr(info.responseTrailers ?? (info.responseHeaders ? NO_TRAILERS : null), p.slice(2));
        case "size": return info.responseHeaders ? int64Result(info.responseBodyBytes) : undefined;
        case "total_size":
          return info.responseHeaders ? int64Result(info.responseBodyBytes + info.responseHeaders.byteSize() + (info.responseTrailers?.byteSize() ?? 0)) : undefined;
      }
      return undefined;
    }
    if ((head === "connection" && name === "id" && !deeper) || (head === "connection_id" && name === undefined)) return uint64le(info.connectionId);
    if (head === "filter_state" && name !== undefined && !deeper) return info.filterState.get(name);
    if (head !== undefined && name === undefined) {
      // An unknown top-level name is filter state "wasm.<name>" (envoy FindValue).
      const fs = info.filterState.get("wasm." + head);
      if (fs) return fs;
    }
    return undefined;
}
