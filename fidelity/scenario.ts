// A differential scenario is data: a topology and the streams sent through it,
// in both engines. Built by the sources in fidelity/scenarios/.
import { canonical } from "../engine/envoy/bootstrap.ts";
import { clusterFromPlan, planStream } from "../engine/properties.ts";
import type { ListenerShape, Stream, Topology } from "../engine/types.ts";
import type { Adapted, WireRuleId } from "./sendable.ts";

export interface Scenario {
  /** Unique: "fuzz add-header", "demo traffic", ... */
  name: string;
  /** The table row it is counted in: a filter, or "conformance". */
  group: string;
  topology: Topology;
  streams: Stream[];
  /** Proxies whose module metrics are compared once every stream ran. */
  metrics: string[];
  /** How the streams were made sendable (fidelity/sendable.ts). */
  wire: WireTally;
}

/** Streams generated, streams skipped by rule, adaptations by rule. */
export interface WireTally {
  generated: number;
  skipped: Partial<Record<WireRuleId, number>>;
  adapted: Partial<Record<WireRuleId, number>>;
}

export function emptyTally(): WireTally {
  return { generated: 0, skipped: {}, adapted: {} };
}

/** Counts one adaptation into a tally. */
export function tally(t: WireTally, a: Adapted): void {
  t.generated++;
  if (a.skipped) t.skipped[a.skipped] = (t.skipped[a.skipped] ?? 0) + 1;
  else for (const r of a.applied) t.adapted[r] = (t.adapted[r] ?? 0) + 1;
}

export function mergeTally(into: WireTally, t: WireTally): void {
  into.generated += t.generated;
  for (const [k, v] of Object.entries(t.skipped)) into.skipped[k as WireRuleId] = (into.skipped[k as WireRuleId] ?? 0) + v;
  for (const [k, v] of Object.entries(t.adapted)) into.adapted[k as WireRuleId] = (into.adapted[k as WireRuleId] ?? 0) + v;
}

/**
 * The listeners a proxy needs for these streams (as `mesh-filters run` declares them): one per
 * direction and cluster a stream's properties name, besides the proxy's own.
 */
export function listenerShapes(streams: Stream[], own: ListenerShape): ListenerShape[] {
  const seen = new Set<string>([canonical([own.direction ?? null, own.cluster ?? null])]);
  const shapes: ListenerShape[] = [];
  for (const s of streams) {
    const plan = planStream(s.properties);
    const shape: ListenerShape = {
      direction: plan.direction === undefined ? own.direction : plan.direction ?? undefined,
      cluster: clusterFromPlan(plan, own.cluster),
    };
    const key = canonical([shape.direction ?? null, shape.cluster ?? null]);
    if (!seen.has(key)) {
      seen.add(key);
      shapes.push(shape);
    }
  }
  return shapes;
}
