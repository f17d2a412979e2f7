// The demo's two-sidecar mesh (scripts/commands/demo.ts startMesh) on build/*.wasm, in the host
// engine: productpage's outbound sidecar (metadata-exchange, stats_outbound) -> reviews' inbound
// sidecar (header-auth, metadata-exchange, stats_inbound) -> the application, each sidecar its own
// host with Istio-style node metadata and Istio's stats_tags.
import { bookinfoTopology } from "../../scripts/demo/bookinfo-mesh.ts";
import { HostEngine, type HostDeployment } from "../../engine/host/host-engine.ts";
import { exampleConfig, moduleBytes, type FilterName } from "./modules.ts";

export async function startMesh(): Promise<HostDeployment> {
  return new HostEngine().start(await bookinfoTopology(async (filter) => ({
    module: await moduleBytes(filter),
    configuration: JSON.stringify(exampleConfig(filter)),
  })));
}

/** The filters the demo's mesh runs (read from its topology without loading anything). */
export async function meshFilters(): Promise<Set<FilterName>> {
  const names = new Set<FilterName>();
  await bookinfoTopology((filter) => {
    names.add(filter);
    return { module: new Uint8Array(0), configuration: "" };
  });
  return names;
}
