// Which stream properties real Envoy can be made to produce, and how. The host
// serves any property as given; Envoy derives attributes from its listeners,
// clusters and connections (facts §6.7), so the Envoy engine maps each property
// a stream names onto the listener, cluster or connection that produces it,
// and refuses the ones it cannot produce instead of silently ignoring them.
import type { ClusterSpec, Direction, PropertyInput } from "./types.ts";

export type ClientProtocol = "HTTP/1.1" | "HTTP/2";

/** The listener, cluster and connection a stream needs on the first proxy. */
export interface StreamPlan {
  /** Absent when the stream names no direction (the proxy's own is used). null = UNSPECIFIED asked explicitly. */
  direction?: Direction | null;
  clusterName?: string;
  filterMetadata?: ClusterSpec["filterMetadata"];
  /** PROXY protocol source (`source.address`, `source.port`). */
  source?: { ip: string; port: number };
  /** PROXY protocol destination (`destination.address`, `destination.port`). */
  destination?: { ip: string; port: number };
  protocol?: ClientProtocol;
}

export class UnproducibleProperty extends Error {
  constructor(readonly property: string, reason: string) {
    super(`property ${property}: ${reason}`);
    this.name = "UnproducibleProperty";
  }
}

/** What the Envoy engine can produce, for error messages and docs. */
export const PRODUCIBLE = [
  "xds.listener_direction (listener traffic_direction)",
  "xds.cluster_name, xds.cluster_metadata ({\"filter_metadata\": {...}}) (the route's cluster)",
  "source.address, source.port, destination.address, destination.port (PROXY protocol on the client's connection)",
  "connection.mtls false (plain-text connection)",
  "request.protocol HTTP/1.1 or HTTP/2 (the client's protocol)",
];

const LEGACY = new Set(["listener_direction", "cluster_name", "cluster_metadata", "route_name", "listener_metadata", "upstream_host_metadata", "node"]);

function parseHostPort(v: PropertyInput, property: string): { ip: string; port?: number } {
  if (typeof v !== "string") throw new UnproducibleProperty(property, "must be a string \"ip:port\" or \"ip\"");
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(v) ?? /^([0-9.]+)(?::(\d+))?$/.exec(v) ?? /^([0-9a-fA-F:]+)$/.exec(v);
  if (!m) throw new UnproducibleProperty(property, `'${v}' is not an IP address or ip:port`);
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 0 || port > 65535)) throw new UnproducibleProperty(property, `port ${port} out of range`);
  return { ip: m[1]!, port };
}

function portValue(v: PropertyInput, property: string): number {
  if (typeof v !== "number" && typeof v !== "bigint") throw new UnproducibleProperty(property, "must be an integer");
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UnproducibleProperty(property, `port ${n} out of range`);
  return n;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * Maps a stream's properties onto what Envoy derives them from; throws
 * UnproducibleProperty naming the first that cannot be produced and why.
 */
export function planStream(properties: Record<string, PropertyInput> | undefined): StreamPlan {
  const plan: StreamPlan = {};
  if (!properties) return plan;
  let source: { ip?: string; port?: number } | undefined;
  let destination: { ip?: string; port?: number } | undefined;
  for (const [key, value] of Object.entries(properties)) {
    switch (key) {
      case "xds.listener_direction": {
        const n = typeof value === "number" || typeof value === "bigint" ? Number(value) : NaN;
        if (n === 1) plan.direction = "inbound";
        else if (n === 2) plan.direction = "outbound";
        else if (n === 0) plan.direction = null;
        else throw new UnproducibleProperty(key, "must be 0 (UNSPECIFIED), 1 (INBOUND) or 2 (OUTBOUND)");
        break;
      }
      case "xds.cluster_name":
        if (typeof value !== "string" || !value) throw new UnproducibleProperty(key, "must be a non-empty string (a cluster name)");
        plan.clusterName = value;
        break;
      case "xds.cluster_metadata": {
        const fm = isPlainObject(value) ? value.filter_metadata : undefined;
        if (!isPlainObject(value) || Object.keys(value).some((k) => k !== "filter_metadata") || !isPlainObject(fm) || !Object.values(fm).every(isPlainObject)) {
          throw new UnproducibleProperty(key, "give it as Envoy's Metadata: {\"filter_metadata\": {\"<namespace>\": {...}}}");
        }
        plan.filterMetadata = fm as ClusterSpec["filterMetadata"];
        break;
      }
      case "source.address":
      case "destination.address": {
        const hp = parseHostPort(value, key);
        const slot = key === "source.address" ? (source ??= {}) : (destination ??= {});
        slot.ip = hp.ip;
        if (hp.port !== undefined) slot.port = hp.port;
        break;
      }
      case "source.port":
        (source ??= {}).port = portValue(value, key);
        break;
      case "destination.port":
        (destination ??= {}).port = portValue(value, key);
        break;
      case "connection.mtls":
        if (value !== false) throw new UnproducibleProperty(key, "only false (a plain-text connection) is produced; the runner does not terminate TLS");
        break;
      case "request.protocol":
        if (value !== "HTTP/1.1" && value !== "HTTP/2") throw new UnproducibleProperty(key, "the client speaks \"HTTP/1.1\" or \"HTTP/2\"");
        plan.protocol = value;
        break;
      default:
        throw new UnproducibleProperty(key, whyNot(key));
    }
  }
  if (source) {
    if (source.ip === undefined) throw new UnproducibleProperty("source.port", "needs source.address too");
    plan.source = { ip: source.ip, port: source.port ?? 0 };
  }
  if (destination) {
    if (destination.ip === undefined) throw new UnproducibleProperty("destination.port", "needs destination.address too");
    plan.destination = { ip: destination.ip, port: destination.port ?? 0 };
  }
  if (plan.destination && !plan.source) throw new UnproducibleProperty("destination.address", "needs source.address too (one PROXY protocol header carries both)");
  if (plan.source && plan.destination && plan.source.ip.includes(":") !== plan.destination.ip.includes(":")) {
    throw new UnproducibleProperty("destination.address", "source and destination must both be IPv4 or both IPv6");
  }
  return plan;
}

function whyNot(key: string): string {
  const top = key.split(".")[0]!;
  if (LEGACY.has(key) || LEGACY.has(top)) {
    return `Envoy ≥1.33 has no bare '${top}' attribute (the host serves it as an alias of xds.${top}); name the xds.* one`;
  }
  if (key.startsWith("xds.node")) return "the node is the proxy's bootstrap node (--node, ProxySpec.node), not a stream's";
  if (["request", "response", "upstream", "connection", "source", "destination"].includes(top) || key === "connection_id") {
    return "Envoy derives it from the traffic itself; the runner cannot set it";
  }
  if (top === "xds") return "the runner does not map it onto Envoy's configuration";
  if (["plugin_name", "plugin_root_id", "plugin_vm_id"].includes(key)) return "it comes from the plugin's configuration (--plugin, --root-id)";
  return `not an Envoy attribute: in Envoy a module reading '${key}' gets the filter state wasm.${key}, which only a filter can set`;
}

/** The cluster a stream's listener must route to: the stream's own when it names one, else the proxy's. */
export function clusterFromPlan(plan: StreamPlan, fallback: ClusterSpec | undefined): ClusterSpec | undefined {
  if (plan.clusterName === undefined && plan.filterMetadata === undefined) return fallback;
  if (plan.filterMetadata === undefined) return plan.clusterName === fallback?.name ? fallback : { name: plan.clusterName! };
  const name = plan.clusterName ?? fallback?.name;
  if (name === undefined) throw new UnproducibleProperty("xds.cluster_metadata", "needs xds.cluster_name (a cluster has a name before it has metadata)");
  return { name, filterMetadata: plan.filterMetadata };
}
