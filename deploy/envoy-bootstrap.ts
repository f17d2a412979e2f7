// A standalone Envoy bootstrap (`envoy -c envoy.yaml`): one inbound listener
// whose HTTP connection manager runs the filters from local files, in chain
// order, before the router; the stats_tags extract the Istio labels from the
// stats filter's metric names; node metadata gives metadata-exchange and stats
// the workload identity Istio's injector would have set. Assembled from the
// pieces in deploy/envoy-config.ts, which the Envoy runner (engine/envoy/)
// uses too.
import { type FilterInput, type RenderOptions } from "./model.ts";
import { localCode, wasmTypedConfig } from "./envoyfilter.ts";
import { STATS_TAGS } from "./stats-tags.ts";
import {
  adminConfig, httpConnectionManager, inlineHttpFilter, listener, routeAllTo, singleEndpointCluster, staticBootstrap, statsConfig,
} from "./envoy-config.ts";

export { HCM_TYPE, ROUTER_TYPE } from "./envoy-config.ts";

export function envoyBootstrap(filters: FilterInput[], o: RenderOptions): Record<string, unknown> {
  const workload = o.selector.app ?? Object.values(o.selector)[0] ?? "workload";
  const wasmFilters = filters.flatMap((f) =>
    f.profile.attachments
      .filter((a) => a.context === "SIDECAR_INBOUND")
      .map((a) => inlineHttpFilter(`${o.namespace}.${f.entry.name}`, wasmTypedConfig(f, a, o, localCode(f, o.envoyWasmDir)))),
  );
  return staticBootstrap({
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
    admin: adminConfig("127.0.0.1", o.envoyAdminPort),
    statsConfig: statsConfig(STATS_TAGS),
    listeners: [
      listener({
        name: "inbound",
        address: "0.0.0.0",
        port: o.envoyListenPort,
        // listener_direction 1 = INBOUND: metadata-exchange and stats read it.
        direction: "INBOUND",
        hcm: httpConnectionManager({ statPrefix: "inbound", routeConfig: routeAllTo("inbound", "backend"), httpFilters: wasmFilters }),
      }),
    ],
    clusters: [singleEndpointCluster({ name: "backend", host: o.envoyBackend.host, port: o.envoyBackend.port })],
  });
}
