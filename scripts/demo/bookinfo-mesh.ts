// The demo's mesh as data: productpage's outbound sidecar (metadata-exchange,
// stats_outbound) -> reviews' inbound sidecar (header-auth, metadata-exchange,
// stats_inbound) -> the reviews application. Each sidecar has the node
// metadata Istio injects, Istio's stats_tags and the cluster istiod would give
// it; telemetry fails open and authentication closed, as the manifests deploy
// them. Any engine runs it (engine/): the host in-process, or two real Envoys.
import { STATS_TAGS } from "../../deploy/stats-tags.ts";
import { HostEngine } from "../../engine/host/host-engine.ts";
import type { Deployment, Engine, PluginSpec, ProxySpec, Topology } from "../../engine/types.ts";
import { istioSidecarNode } from "./istio-node.ts";

/** A filter's module and configuration, by filter name. */
export type FilterSource = (filter: string) => Promise<{ module: Uint8Array; configuration: string }> | { module: Uint8Array; configuration: string };

export const CLIENT = "productpage-v1";
export const SERVER = "reviews-v2";

const REVIEWS = { host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" };

export async function bookinfoTopology(source: FilterSource): Promise<Topology> {
  const plugin = async (filter: string, rootId: string, failOpen = false): Promise<PluginSpec> => ({
    // Istio names a WasmPlugin's filter <namespace>.<name>; the vm id is the root id, as deploy/ renders it.
    name: `default.${filter}`, rootId, vmId: rootId, failurePolicy: failOpen ? "FAIL_OPEN" : "FAIL_CLOSED", ...(await source(filter)),
  });
  const client: ProxySpec = {
    name: CLIENT,
    node: istioSidecarNode({ name: "productpage-v1", namespace: "default", app: "productpage", version: "v1", ip: "10.44.0.11" }),
    direction: "outbound",
    cluster: { name: `outbound|9080||${REVIEWS.host}`, filterMetadata: { istio: { services: [REVIEWS] } } },
    plugins: [await plugin("metadata-exchange", "metadata_exchange", true), await plugin("stats", "stats_outbound", true)],
    statsTags: STATS_TAGS,
  };
  const server: ProxySpec = {
    name: SERVER,
    node: istioSidecarNode({ name: "reviews-v2", namespace: "default", app: "reviews", version: "v2", ip: "10.44.0.23" }),
    direction: "inbound",
    cluster: { name: "inbound|9080||", filterMetadata: { istio: { services: [REVIEWS] } } },
    plugins: [
      await plugin("header-auth", "header_auth"),
      await plugin("metadata-exchange", "metadata_exchange", true),
      await plugin("stats", "stats_inbound", true),
    ],
    statsTags: STATS_TAGS,
  };
  return { proxies: [client, server] };
}

/** The demo's mesh started on `engine` (default: the host). Send streams with `upstream: reviewsApp`. */
export async function startBookinfoMesh(source: FilterSource, engine: Engine = new HostEngine()): Promise<Deployment> {
  return engine.start(await bookinfoTopology(source));
}
