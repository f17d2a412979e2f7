// The demo's mesh: productpage's outbound sidecar (metadata-exchange,
// stats_outbound) -> reviews' inbound sidecar (header-auth, metadata-exchange,
// stats_inbound) -> the reviews application. Each sidecar is its own host with
// the node metadata Istio injects and Istio's stats_tags. Telemetry fails open
// and authentication closed, as the manifests deploy them.
import { STATS_TAGS } from "../../deploy/stats-tags.ts";
import { Sidecar, TwoSidecarMesh, type App, type PluginSpec } from "./mesh.ts";
import { istioSidecarNode } from "./istio-node.ts";
import { istioServiceClusterMetadata } from "./envoy-metadata.ts";
import { reviewsApp } from "./traffic.ts";

/** A filter's module and configuration, by filter name. */
export type FilterSource = (filter: string) => Promise<{ module: Uint8Array; configuration: string }> | { module: Uint8Array; configuration: string };

export async function startBookinfoMesh(source: FilterSource, app: App = reviewsApp): Promise<TwoSidecarMesh> {
  const plugin = async (filter: string, rootId: string, failOpen = false): Promise<PluginSpec> =>
    ({ filter, rootId, failOpen, ...(await source(filter)) });
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
