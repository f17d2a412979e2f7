// The bootstrap of one bench Envoy, assembled from deploy/envoy-config.ts (the
// pieces every Envoy configuration of the project is built from): one inbound
// listener whose HCM runs the case's filters, with the same path hardening as
// our deployments, and a route Envoy answers itself (direct_response 200), so
// no upstream process adds work or noise. Unlike the engine's runner there is
// no access log and no fence listener: nothing per request but the filters.
import {
  adminConfig, directResponseRoute, httpConnectionManager, inlineHttpFilter, listener, localFileCode, staticBootstrap, statsConfig,
  wasmFilterTypedConfig,
} from "../../../deploy/envoy-config.ts";
import { STATS_TAGS } from "../../../deploy/stats-tags.ts";
import { NODE } from "../cases.ts";
import type { EnvoyBenchCase } from "./cases.ts";

export const BENCH_LISTENER = "bench";

/** `moduleFile(i)`: where filter `i` (a wasm one) was written, named by its sha256 as istio-agent leaves it. */
export function benchBootstrap(c: EnvoyBenchCase, moduleFile: (index: number) => string): Record<string, unknown> {
  const httpFilters = c.filters.map((f, i) => f.kind === "envoy" ? f.httpFilter : inlineHttpFilter(`${f.name}-${i}`, wasmFilterTypedConfig({
    name: f.name,
    rootId: f.rootId,
    vmId: f.vmId ?? "",
    code: localFileCode(moduleFile(i)),
    configuration: f.configuration,
    failure: { failure_policy: "FAIL_CLOSED" },
  })));
  return staticBootstrap({
    node: NODE,
    admin: adminConfig("127.0.0.1", 0),
    // Istio's tag extractors, as a sidecar has them (they cost only when a stat is created).
    statsConfig: statsConfig(STATS_TAGS),
    listeners: [listener({
      name: BENCH_LISTENER,
      address: "127.0.0.1",
      port: 0,
      direction: "INBOUND",
      hcm: httpConnectionManager({ statPrefix: BENCH_LISTENER, routeConfig: directResponseRoute(BENCH_LISTENER, 200), httpFilters }),
    })],
    clusters: [],
  });
}
