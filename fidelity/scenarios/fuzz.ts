// The robustness suite's seeded fuzz streams (tests/robustness/streams.ts:
// methods, paths, header names and values, peer headers and ids, statuses,
// bodies, trailers, directions, clusters) made sendable, through one filter
// with its example configuration — or through the module that prints what a
// filter sees (fidelity/modules/visible.wat) — in one proxy with an Istio
// sidecar's node and stats tags. stats runs behind metadata-exchange, which
// gives it the peers it labels series with.
import { STATS_TAGS } from "../../deploy/stats-tags.ts";
import { OUR_FILTER_STATE_KEYS } from "../../engine/filter-state.ts";
import type { PluginSpec, ProxySpec, Stream } from "../../engine/types.ts";
import { istioSidecarNode } from "../../scripts/demo/istio-node.ts";
import { clusterMetadata } from "../../tests/filters/stats/helpers.ts";
import { Rand } from "../../tests/robustness/rng.ts";
import { peerPools, StreamGen } from "../../tests/robustness/streams.ts";
import { exampleConfig, filterModule, ROOT_ID, watModule, type FilterName } from "../modules.ts";
import { emptyTally, listenerShapes, tally, type Scenario } from "../scenario.ts";
import { makeSendable, type KnownClusters } from "../sendable.ts";

export const VISIBLE_MODULE = "fidelity/modules/visible.wat";
export const ATTRIBUTES_MODULE = "fidelity/modules/attributes.wat";
export const PROXY = "sidecar";

/** The services of the generator's cluster metadata pool (streams.ts peerPools), each its own cluster. */
const SERVICES = [
  { host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" },
  { host: "", name: "", namespace: "" },
  { host: "h;.;x", name: "=.=", namespace: "ns" },
];

/** Clusters a fuzz stream may name: the generator's plain cluster names Envoy accepts, and one per metadata. */
export function fuzzClusters(): KnownClusters {
  return {
    names: ["outbound|9080||reviews.default.svc.cluster.local", "inbound|9080||", "BlackHoleCluster", "PassthroughCluster",
      "InboundPassthroughClusterIpv4", "InboundPassthroughClusterIpv6", "outbound|9080|v1|"],
    metadata: SERVICES.map((s, i) => ({ bytes: clusterMetadata(s), name: `outbound|9080||fuzz-${i}.svc`, filterMetadata: { istio: { services: [s] } } })),
  };
}

/** A per-filter seed, so that one filter's streams do not depend on the others'. */
export function seedFor(seed: number, what: string): number {
  let h = seed >>> 0;
  for (const c of what) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
  return h;
}

/** `count` sendable fuzz streams and how they were adapted. */
export function fuzzStreams(count: number, seed: number, what: string): { streams: Stream[]; wire: Scenario["wire"] } {
  const gen = new StreamGen(new Rand(seedFor(seed, what)), peerPools(new Rand(seed)));
  const known = fuzzClusters();
  const wire = emptyTally();
  const streams: Stream[] = [];
  while (streams.length < count) {
    const a = makeSendable(gen.next(), known);
    tally(wire, a);
    if (a.stream) streams.push(a.stream);
    if (wire.generated > count * 4 + 100) throw new Error(`fuzz ${what}: only ${streams.length} of ${wire.generated} generated streams could be sent`);
  }
  return { streams, wire };
}

/** The sidecar the fuzz streams go through: inbound, reviews-v2's node, Istio's stats tags. */
export function fuzzProxy(plugins: PluginSpec[], streams: Stream[]): ProxySpec {
  const own = { direction: "inbound" as const };
  return {
    name: PROXY,
    node: istioSidecarNode({ name: "reviews-v2", namespace: "default", app: "reviews", version: "v2", ip: "10.44.0.23" }),
    ...own,
    plugins,
    statsTags: STATS_TAGS,
    alternatives: listenerShapes(streams, own),
  };
}

function filterPlugin(name: FilterName, configuration = exampleConfig(name)): PluginSpec {
  return { name, module: filterModule(name), rootId: ROOT_ID[name], vmId: ROOT_ID[name], configuration };
}

/** The plugins a filter's fuzz scenario runs: the filter, stats behind metadata-exchange. */
export function filterChain(name: FilterName, configuration?: string): PluginSpec[] {
  if (name === "stats") return [filterPlugin("metadata-exchange"), filterPlugin("stats", configuration)];
  return [filterPlugin(name, configuration)];
}

export function fuzzScenario(filter: FilterName, count: number, seed: number): Scenario {
  const { streams, wire } = fuzzStreams(count, seed, filter);
  return {
    name: `fuzz ${filter}`,
    group: filter,
    topology: { proxies: [fuzzProxy(filterChain(filter), streams)], filterStateKeys: [...OUR_FILTER_STATE_KEYS] },
    streams,
    metrics: [PROXY],
    wire,
  };
}

/**
 * The conformance modules that print what a filter is handed: every header and trailer
 * (visible.wat), the attributes it reads at the end of a stream (attributes.wat).
 */
export const PRINTING_MODULES = [
  { name: "visible", module: VISIBLE_MODULE, scenario: "fuzz what a filter sees" },
  { name: "attributes", module: ATTRIBUTES_MODULE, scenario: "fuzz what a filter reads" },
] as const;

/** The fuzz streams through one of the printing modules. */
export async function printingScenario(m: (typeof PRINTING_MODULES)[number], count: number, seed: number): Promise<Scenario> {
  const { streams, wire } = fuzzStreams(count, seed, m.name);
  return {
    name: m.scenario,
    group: "conformance",
    topology: { proxies: [fuzzProxy([{ name: m.name, module: await watModule(m.module) }], streams)], filterStateKeys: [...OUR_FILTER_STATE_KEYS] },
    streams,
    metrics: [],
    wire,
  };
}
