// A standalone Envoy bootstrap (`envoy -c envoy.yaml`): one inbound listener
// whose HTTP connection manager runs the filters from local files, in chain
// order, before the router; the stats_tags extract the Istio labels from the
// stats filter's metric names; node metadata gives metadata-exchange and stats
// the workload identity Istio's injector would have set.
import { isIP } from "node:net";
import { type FilterInput, type RenderOptions } from "./model.ts";
import { HCM, localCode, ROUTER, wasmTypedConfig } from "./envoyfilter.ts";
import { STATS_TAGS } from "./stats-tags.ts";

export const HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
export const ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";

export function envoyBootstrap(filters: FilterInput[], o: RenderOptions): Record<string, unknown> {
  const workload = o.selector.app ?? Object.values(o.selector)[0] ?? "workload";
  const wasmFilters = filters.flatMap((f) =>
    f.profile.attachments
      .filter((a) => a.context === "SIDECAR_INBOUND")
      .map((a) => ({ name: `${o.namespace}.${f.entry.name}`, typed_config: wasmTypedConfig(f, a, o, localCode(f, o.envoyWasmDir)) })),
  );
  return {
    node: {
      id: `sidecar~127.0.0.1~${workload}.${o.namespace}~${o.namespace}.svc.cluster.local`,
      cluster: `${workload}.${o.namespace}`,
      metadata: {
        NAME: `${workload}-0`,
        NAMESPACE: o.namespace,
        WORKLOAD_NAME: workload,
        CLUSTER_ID: "Kubernetes",
        MESH_ID: "cluster.local",
        LABELS: { ...o.selector },
        APP_CONTAINERS: workload,
        INSTANCE_IPS: "127.0.0.1",
        ISTIO_VERSION: "envoy",
      },
    },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: o.envoyAdminPort } } },
    stats_config: { stats_tags: STATS_TAGS.map((t) => ({ tag_name: t.tag_name, regex: t.regex })) },
    static_resources: {
      listeners: [
        {
          name: "inbound",
          address: { socket_address: { address: "0.0.0.0", port_value: o.envoyListenPort } },
          // listener_direction 1 = INBOUND: metadata-exchange and stats read it.
          traffic_direction: "INBOUND",
          filter_chains: [
            {
              filters: [
                {
                  name: HCM,
                  typed_config: {
                    "@type": HCM_TYPE,
                    stat_prefix: "inbound",
                    codec_type: "AUTO",
                    route_config: {
                      name: "inbound",
                      virtual_hosts: [{ name: "backend", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "backend" } }] }],
                    },
                    http_filters: [...wasmFilters, { name: ROUTER, typed_config: { "@type": ROUTER_TYPE } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: "backend",
          type: isIP(o.envoyBackend.host) ? "STATIC" : "STRICT_DNS",
          connect_timeout: "1s",
          load_assignment: {
            cluster_name: "backend",
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: o.envoyBackend.host, port_value: o.envoyBackend.port } } } }] }],
          },
        },
      ],
    },
  };
}
