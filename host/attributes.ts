// Envoy attribute resolution for proxy_get_property (envoy context.cc FindValue/serializeValue,
// docs attributes.rst). Values are serialized as Envoy serializes them.
import { enc, int64le, uint64le, float64le } from "./bytes.ts";
import { encodePairs } from "./pairs.ts";
import { encodeNode, type NodeInfo } from "./proto.ts";
import { encodePropertyInput } from "./property-input.ts";
import type { HeaderMap } from "./headers.ts";
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

// Joined keys of the (cached, frozen) path arrays splitPath hands out.
const joinedKeys = new WeakMap<readonly string[], string>();
function propertyKey(path: string[]): string {
  let key = joinedKeys.get(path);
  if (key === undefined) {
    key = path.join("\0");
    joinedKeys.set(path, key);
  }
  return key;
}

function common(path: string[], plugin: PluginInfo, vm: Vm, first: Map<string, Uint8Array>, second: Map<string, Uint8Array> | null): Uint8Array | null | undefined {
  const key = propertyKey(path);
  const hit = first.get(key) ?? second?.get(key);
  if (hit) return hit;
  const [head, ...rest] = path;
  switch (head) {
    case "plugin_name": return rest.length ? undefined : enc.encode(plugin.name);
    case "plugin_root_id": return rest.length ? undefined : enc.encode(plugin.rootId);
    case "plugin_vm_id": return rest.length ? undefined : enc.encode(vm.vmId);
    case "node": return nodeAttr(vm.services.node, rest);
    case "xds":
      if (rest[0] === "node") return nodeAttr(vm.services.node, rest.slice(1));
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

function headerAttr(map: HeaderMap | null, rest: string[]): Uint8Array | undefined {
  if (!map) return undefined;
  if (rest.length === 0) {
    const keys = [...new Set(map.list.map((e) => e[0]))];
    return encodePairs(keys.map((k) => [k, map.joined(k)!] as const));
  }
  const v = map.joined(rest[0]!.toLowerCase());
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

function streamAttribute(p: string[], plugin: PluginInfo, vm: Vm, info: StreamInfo, hostProps: Map<string, Uint8Array>): Uint8Array | null | undefined {
    const base = common(p, plugin, vm, info.properties, hostProps);
    if (base !== undefined) return base;
    const [head, name, ...rest] = p;
    const rh = info.requestHeaders;
    if (head === "request" && name) {
      if (rest.length && name !== "headers") return undefined;
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
        case "query": return path_ === undefined ? undefined : enc.encode(path_.includes("?") ? path_.slice(path_.indexOf("?") + 1) : "");
        case "headers": return headerAttr(rh, rest);
        case "time": return int64le(info.startNs);
        case "duration": return info.endNs === null ? undefined : int64le(info.endNs - info.startNs);
        case "size": {
          const cl = rh.get("content-length");
          return int64le(cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : info.requestBodyBytes);
        }
        case "total_size": {
          const cl = rh.get("content-length");
          const size = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : info.requestBodyBytes;
          return int64le(size + rh.byteSize());
        }
      }
      return undefined;
    }
    if (head === "response" && name) {
      if (rest.length && name !== "headers" && name !== "trailers") return undefined;
      switch (name) {
        case "code": return info.responseCode === null ? undefined : int64le(info.responseCode);
        case "code_details": return info.details === null ? undefined : enc.encode(info.details);
        case "flags": return info.responseCode === null ? undefined : int64le(0);
        case "grpc_status": {
          const g = grpcStatus(info.responseTrailers?.get("grpc-status")) ?? grpcStatus(info.responseHeaders?.get("grpc-status"));
          return g === undefined ? undefined : int64le(g);
        }
        case "headers": return headerAttr(info.responseHeaders, rest);
        case "trailers": return headerAttr(info.responseTrailers, rest);
        case "size": return info.responseHeaders ? int64le(info.responseBodyBytes) : undefined;
        case "total_size":
          return info.responseHeaders ? int64le(info.responseBodyBytes + info.responseHeaders.byteSize() + (info.responseTrailers?.byteSize() ?? 0)) : undefined;
      }
      return undefined;
    }
    if ((head === "connection" && name === "id" && !rest.length) || (head === "connection_id" && name === undefined)) return uint64le(info.connectionId);
    if (head === "filter_state" && name !== undefined && !rest.length) return info.filterState.get(name);
    if (head !== undefined && name === undefined) {
      // An unknown top-level name is filter state "wasm.<name>" (envoy FindValue).
      const fs = info.filterState.get("wasm." + head);
      if (fs) return fs;
    }
    return undefined;
}
