// The demo's two-sidecar mesh (scripts/commands/demo.ts startMesh) on build/*.wasm:
// productpage's outbound sidecar (metadata-exchange, stats_outbound) -> reviews' inbound
// sidecar (header-auth, metadata-exchange, stats_inbound) -> the reviews application, each
// sidecar its own host with Istio-style node metadata and Istio's stats_tags.
import { STATS_TAGS } from "../../deploy/stats-tags.ts";
import { Sidecar, TwoSidecarMesh, type PluginSpec } from "../../scripts/demo/mesh.ts";
import { istioSidecarNode } from "../../scripts/demo/istio-node.ts";
import { istioServiceClusterMetadata } from "../../scripts/demo/envoy-metadata.ts";
import { reviewsApp } from "../../scripts/demo/traffic.ts";
import type { App } from "../../scripts/demo/mesh.ts";
import { exampleConfig, moduleBytes, type FilterName } from "./modules.ts";

export async function startMesh(app: App = reviewsApp): Promise<TwoSidecarMesh> {
  const plugin = async (filter: FilterName, rootId: string, failOpen = false): Promise<PluginSpec> =>
    ({ filter, module: await moduleBytes(filter), rootId, configuration: JSON.stringify(exampleConfig(filter)), failOpen });
  const reviews = { host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" };
  const client = await Sidecar.start({
    name: "productpage",
    node: istioSidecarNode({ name: "productpage-v1", namespace: "default", app: "productpage", version: "v1", ip: "10.44.0.11" }),
    direction: "outbound",
    plugins: [await plugin("metadata-exchange", "metadata_exchange", true), await plugin("stats", "stats_outbound", true)],
    statsTags: STATS_TAGS,
    properties: {
      "xds.cluster_name": "outbound|9080||reviews.default.svc.cluster.local",
      "xds.cluster_metadata": istioServiceClusterMetadata(reviews),
    },
  });
  const server = await Sidecar.start({
    name: "reviews",
    node: istioSidecarNode({ name: "reviews-v2", namespace: "default", app: "reviews", version: "v2", ip: "10.44.0.23" }),
    direction: "inbound",
    plugins: [
      await plugin("header-auth", "header_auth"),
      await plugin("metadata-exchange", "metadata_exchange", true),
      await plugin("stats", "stats_inbound", true),
    ],
    statsTags: STATS_TAGS,
    properties: {
      "xds.cluster_name": "inbound|9080||",
      "xds.cluster_metadata": istioServiceClusterMetadata(reviews),
      "connection.mtls": false,
    },
  });
  return new TwoSidecarMesh(client, server, app);
}
