// The host engine: a topology run in-process on host/, one ProxyWasmHost per
// proxy (its own node, stats, VMs), as separate Envoys would be. A proxy's
// listener and cluster become the host-wide properties Envoy would derive from
// them; each proxy's upstream is the next proxy's chain.send.
import { PluginLoadError, ProxyWasmHost, type Chain, type Plugin, type PropertyInput, type SendResult } from "../../host/index.ts";
import { HCM_PATH_HARDENING } from "../../deploy/path-hardening.ts";
import { encodeFilterMetadata } from "../cluster-metadata.ts";
import { DEFAULT_CLUSTER } from "../envoy/bootstrap.ts";
import { pickFilterState, streamResult } from "../result.ts";
import {
  StartError, type Deployment, type Engine, type EngineInfo, type HopResult, type ListenerShape, type ProxySpec, type Stream,
  type StreamResult, type StreamTrap, type Topology, type Upstream, type UpstreamRequest, type UpstreamResponse,
} from "../types.ts";

const DIRECTION = { inbound: 1, outbound: 2 } as const;

export const HOST_ENGINE_INFO: EngineInfo = {
  name: "host",
  version: `Node ${process.version}, V8 ${process.versions.v8}`,
};

/**
 * The attributes Envoy derives from a listener and its cluster, as host properties. A listener
 * without a cluster routes to the runner's default one (engine/envoy/bootstrap.ts), as in Envoy.
 */
export function listenerProperties(l: ListenerShape): Record<string, PropertyInput> {
  const p: Record<string, PropertyInput> = {};
  if (l.direction) p["xds.listener_direction"] = DIRECTION[l.direction];
  p["xds.cluster_name"] = l.cluster?.name ?? DEFAULT_CLUSTER;
  // A cluster without metadata serializes to an empty Metadata message (no bytes, not absent).
  p["xds.cluster_metadata"] = l.cluster?.filterMetadata ? encodeFilterMetadata(l.cluster.filterMetadata) : new Uint8Array(0);
  // The runner's clients speak plain text.
  p["connection.mtls"] = false;
  return p;
}

interface HostProxy {
  spec: ProxySpec;
  host: ProxyWasmHost;
  chain: Chain;
}

export class HostEngine implements Engine {
  readonly name = "host" as const;

  async info(): Promise<EngineInfo> {
    return HOST_ENGINE_INFO;
  }

  async start(topology: Topology): Promise<HostDeployment> {
    checkTopology(topology);
    const proxies: HostProxy[] = [];
    for (const spec of topology.proxies) {
      // Alternatives need nothing here: the host takes a stream's listener attributes as given.
      // The connection manager the runner's Envoy has (deploy/path-hardening.ts), modelled.
      const host = new ProxyWasmHost({
        node: spec.node, statsTags: spec.statsTags, logLevel: spec.logLevel, properties: listenerProperties(spec), hcm: HCM_PATH_HARDENING,
      });
      const plugins: Plugin[] = [];
      for (const p of spec.plugins) {
        if (p.failurePolicy === "FAIL_RELOAD") {
          throw new StartError(`${spec.name}: plugin ${p.name}: FAIL_RELOAD is not modelled by the host (FAIL_CLOSED and FAIL_OPEN are)`, spec.name, p.name, []);
        }
        try {
          plugins.push(await host.loadPlugin({
            module: p.module, name: p.name, rootId: p.rootId ?? "", vmId: p.vmId ?? "",
            configuration: p.configuration, failOpen: p.failurePolicy === "FAIL_OPEN",
          }));
        } catch (e) {
          if (e instanceof PluginLoadError) {
            throw new StartError(e.message, spec.name, p.name, e.logs.map((l) => `[${l.level}] ${l.plugin}: ${l.message}`));
          }
          throw e;
        }
      }
      proxies.push({ spec, host, chain: host.chain(plugins) });
    }
    return new HostDeployment(topology, proxies);
  }
}

export function checkTopology(t: Topology): void {
  if (!t.proxies.length) throw new Error("a topology needs at least one proxy");
  const names = new Set<string>();
  for (const p of t.proxies) {
    if (names.has(p.name)) throw new Error(`proxy name '${p.name}' is used twice`);
    names.add(p.name);
  }
}

/**
 * `xds.cluster_metadata` given as Envoy's Metadata JSON (`{"filter_metadata": {...}}`, what the
 * Envoy engine puts on a cluster) is served as Envoy serializes it: the Metadata message.
 */
function envoyShaped(p: Stream["properties"]): Stream["properties"] {
  // A stream that names another cluster gets that cluster's metadata: none unless it gives some.
  if (p?.["xds.cluster_name"] !== undefined && p["xds.cluster_metadata"] === undefined) p = { ...p, "xds.cluster_metadata": new Uint8Array(0) };
  const m = p?.["xds.cluster_metadata"] as Record<string, unknown> | undefined;
  if (!m || typeof m !== "object" || m instanceof Uint8Array || Object.keys(m).join() !== "filter_metadata") return p;
  const fm = m.filter_metadata;
  if (!fm || typeof fm !== "object" || Array.isArray(fm)) return p;
  return { ...p, "xds.cluster_metadata": encodeFilterMetadata(fm as Record<string, Record<string, unknown>>) };
}

function hop(proxy: string, r: SendResult, keys: readonly string[] | undefined): HopResult {
  return {
    proxy, status: r.response.status, details: r.response.details, local: r.response.local,
    filterState: pickFilterState(r.filterState, keys), logs: r.logs,
  };
}

export class HostDeployment implements Deployment {
  readonly engine = HOST_ENGINE_INFO;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly topology: Topology, private readonly proxies: HostProxy[]) {}

  send(stream: Stream): Promise<StreamResult> {
    // One at a time, as the Envoy engine: a stream's logs and metrics are its own.
    const run = this.queue.then(() => this.sendNow(stream));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(stream: Stream): Promise<StreamResult> {
    const keys = this.topology.filterStateKeys;
    const results: (SendResult | undefined)[] = new Array(this.proxies.length);
    const last = this.proxies.length - 1;
    const through = async (i: number, request: Stream["request"], properties: Stream["properties"]): Promise<SendResult> => {
      const upstream: Upstream | undefined = i === last
        ? stream.upstream
        : async (wire: UpstreamRequest): Promise<UpstreamResponse> => {
            const r = await through(i + 1, { headers: wire.headers, body: wire.body, trailers: wire.trailers }, undefined);
            const res = r.response;
            return { status: res.status, headers: res.headers.filter(([k]) => k !== ":status"), body: res.body, trailers: res.trailers };
          };
      const r = await this.proxies[i]!.chain.send({ request, upstream, properties });
      results[i] = r;
      return r;
    };
    const pluginsOf = (p: HostProxy) => p.chain.plugins as Plugin[];
    const trapsBefore = this.proxies.map((p) => pluginsOf(p).map((pl) => pl.traps.length));
    const client = await through(0, stream.request, envoyShaped(stream.properties));
    const hops: HopResult[] = [];
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r) hops.push(hop(this.proxies[i]!.spec.name, r, keys));
    }
    const { local: _local, details: _details, ...response } = client.response;
    // Plugins sharing a VM share its trap records: each trap once.
    const seen = new Set<object>();
    const traps: StreamTrap[] = [];
    this.proxies.forEach((p, i) => pluginsOf(p).forEach((pl, j) => {
      for (const t of pl.traps.slice(trapsBefore[i]![j])) {
        if (seen.has(t)) continue;
        seen.add(t);
        traps.push({ proxy: p.spec.name, plugin: t.plugin, function: t.callback, message: t.message });
      }
    }));
    return streamResult(response, hops, results[last]?.upstreamRequest ?? null, client.reset, { resetReason: client.resetReason, traps });
  }

  private proxy(name: string): HostProxy {
    const p = this.proxies.find((x) => x.spec.name === name);
    if (!p) throw new Error(`no proxy '${name}' in this deployment (${this.proxies.map((x) => x.spec.name).join(", ")})`);
    return p;
  }

  async prometheus(proxy: string): Promise<string> {
    return this.proxy(proxy).host.metrics.prometheus();
  }

  logs(proxy: string): string {
    return this.proxy(proxy).host.logs.map((l) => `[${l.level}] ${l.plugin}: ${l.message}\n`).join("");
  }

  /** Host only: the proxy's ProxyWasmHost (metrics store, shared data, clock). */
  host(proxy: string): ProxyWasmHost {
    return this.proxy(proxy).host;
  }

  /** Host only: the proxy's loaded plugins (traps, memory pages). */
  plugins(proxy: string): Plugin[] {
    return this.proxy(proxy).chain.plugins as Plugin[];
  }

  async stop(): Promise<void> {
    // Nothing runs outside this process; the hosts go with their references.
  }
}
