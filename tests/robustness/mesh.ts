// The demo's two-sidecar mesh (scripts/commands/demo.ts startMesh) on build/*.wasm:
// productpage's outbound sidecar (metadata-exchange, stats_outbound) -> reviews' inbound
// sidecar (header-auth, metadata-exchange, stats_inbound) -> the reviews application, each
// sidecar its own host with Istio-style node metadata and Istio's stats_tags.
import { startBookinfoMesh } from "../../scripts/demo/bookinfo-mesh.ts";
import { reviewsApp } from "../../scripts/demo/traffic.ts";
import type { App, TwoSidecarMesh } from "../../scripts/demo/mesh.ts";
import { exampleConfig, moduleBytes, type FilterName } from "./modules.ts";

export function startMesh(app: App = reviewsApp): Promise<TwoSidecarMesh> {
  return startBookinfoMesh(async (filter) => ({
    module: await moduleBytes(filter as FilterName),
    configuration: JSON.stringify(exampleConfig(filter as FilterName)),
  }), app);
}
