// The demo's traffic (scripts/demo/traffic.ts) through the demo's mesh
// (scripts/demo/bookinfo-mesh.ts): productpage's outbound sidecar in front of
// reviews' inbound sidecar in front of the reviews application, both with
// their Istio node, cluster and stats tags; both sidecars' metrics compared.
import { readFileSync } from "node:fs";
import { CLIENT, SERVER, bookinfoTopology } from "../../scripts/demo/bookinfo-mesh.ts";
import { reviewsApp, TRAFFIC } from "../../scripts/demo/traffic.ts";
import { exampleConfig, filterModule, type FilterName } from "../modules.ts";
import { emptyTally, tally, type Scenario } from "../scenario.ts";
import { makeSendable } from "../sendable.ts";

/** The demo's traffic `rounds` times over (each round the same nine requests, so peers are cached after the first). */
export async function demoScenario(rounds = 3): Promise<Scenario> {
  const topology = await bookinfoTopology((filter) => ({
    module: new Uint8Array(readFileSync(filterModule(filter as FilterName))),
    configuration: exampleConfig(filter as FilterName),
  }));
  const wire = emptyTally();
  const streams = [];
  for (let r = 0; r < rounds; r++) {
    for (const t of TRAFFIC) {
      const a = makeSendable({ request: t.request, upstream: reviewsApp });
      tally(wire, a);
      if (!a.stream) throw new Error(`demo traffic "${t.label}" cannot be sent: ${a.skipped}`);
      streams.push(a.stream);
    }
  }
  return { name: "demo traffic", group: "demo mesh", topology, streams, metrics: [CLIENT, SERVER], wire };
}
