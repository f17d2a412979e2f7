// A two-sidecar mesh in the host: a client's outbound sidecar in front of a
// server's inbound sidecar in front of an application, each sidecar its own
// host (its own node metadata, stats and VMs), as two Envoys would be.
import {
  ProxyWasmHost, type Chain, type NodeInfo, type PropertyInput, type RequestInput, type SendResult,
  type StatsTag, type UpstreamRequest, type UpstreamResponse,
} from "../../host/index.ts";

export interface PluginSpec {
  filter: string;
  module: Uint8Array;
  rootId: string;
  configuration: string;
  failOpen?: boolean;
}

export interface SidecarSpec {
  name: string;
  node: NodeInfo;
  direction: "inbound" | "outbound";
  plugins: PluginSpec[];
  statsTags?: StatsTag[];
  /** Per-stream attributes Envoy would know (cluster, TLS...). */
  properties?: Record<string, PropertyInput>;
}

export type App = (req: UpstreamRequest) => UpstreamResponse | Promise<UpstreamResponse>;

const DIRECTION = { inbound: 1, outbound: 2 } as const;

export class Sidecar {
  private constructor(readonly spec: SidecarSpec, readonly host: ProxyWasmHost, readonly chain: Chain) {}

  static async start(spec: SidecarSpec): Promise<Sidecar> {
    const host = new ProxyWasmHost({ node: spec.node, statsTags: spec.statsTags });
    const plugins = [];
    for (const p of spec.plugins) {
      plugins.push(await host.loadPlugin({
        module: p.module, name: `${spec.name}.${p.filter}`, rootId: p.rootId, vmId: p.filter,
        configuration: p.configuration, failOpen: p.failOpen,
      }));
    }
    return new Sidecar(spec, host, host.chain(plugins));
  }

  send(request: RequestInput, upstream: App): Promise<SendResult> {
    const direction = DIRECTION[this.spec.direction];
    return this.chain.send({
      request,
      upstream,
      properties: { "xds.listener_direction": direction, listener_direction: direction, ...this.spec.properties },
    });
  }

  prometheus(): string {
    return this.host.metrics.prometheus();
  }
}

export interface Exchange {
  /** What the client application got back. */
  client: SendResult;
  /** The server sidecar's view; null when the request never left the client sidecar. */
  server: SendResult | null;
  /** What the application received; null when it was never reached. */
  appRequest: UpstreamRequest | null;
}

export class TwoSidecarMesh {
  constructor(readonly client: Sidecar, readonly server: Sidecar, readonly app: App) {}

  async request(request: RequestInput): Promise<Exchange> {
    let server: SendResult | null = null;
    let appRequest: UpstreamRequest | null = null;
    const client = await this.client.send(request, async (wire) => {
      server = await this.server.send(
        { headers: wire.headers, body: wire.body, trailers: wire.trailers },
        (req) => {
          appRequest = req;
          return this.app(req);
        },
      );
      const r = server.response;
      return { status: r.status, headers: r.headers.filter(([k]) => k !== ":status"), body: r.body, trailers: r.trailers };
    });
    return { client, server, appRequest };
  }
}
