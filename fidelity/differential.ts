// One scenario through two engines: each stream is sent to Envoy and to the
// host together (one deployment each, started once; the streams in order),
// both results normalized (fidelity/normalize.ts) and compared field by field
// (fidelity/compare.ts);
// once every stream ran, each listed proxy's module metrics are compared too.
// The differences are classified afterwards (fidelity/classify.ts).
import type { Deployment, Engine, EngineInfo, Stream, StreamResult } from "../engine/types.ts";
import { compareResults, type FieldDiff } from "./compare.ts";
import { serviceTimeDigits } from "./kinds.ts";
import { normalize } from "./normalize.ts";
import { compareMetrics } from "./prometheus.ts";
import type { Scenario } from "./scenario.ts";

/** A difference with where it was seen. */
export interface Difference extends FieldDiff {
  scenario: string;
  /** Index of the stream in the scenario, or null for a metric. */
  stream: number | null;
}

/** What a kind's classifier may look at besides the difference itself. */
export interface DiffContext {
  stream?: Stream;
  host?: StreamResult;
  envoy?: StreamResult;
  /** For a metric: how many streams of the scenario got an x-envoy-upstream-service-time of another length from each engine. */
  serviceTimeMismatches?: number;
}

export interface Observed {
  scenario: Scenario;
  engines: { host: EngineInfo; envoy: EngineInfo };
  streams: number;
  fields: number;
  differences: { diff: Difference; context: DiffContext }[];
  ms: number;
}

export interface Engines {
  host: Engine;
  envoy: Engine;
}

/** Runs every stream of the scenario in both engines; both deployments are stopped whatever happens. */
export async function observe(s: Scenario, engines: Engines, progress?: (done: number) => void): Promise<Observed> {
  const t0 = performance.now();
  let host: Deployment | undefined, envoy: Deployment | undefined;
  try {
    host = await engines.host.start(s.topology);
    envoy = await engines.envoy.start(s.topology);
    let serviceTimeMismatches = 0;
    const out: Observed = { scenario: s, engines: { host: host.engine, envoy: envoy.engine }, streams: 0, fields: 0, differences: [], ms: 0 };
    for (const [i, stream] of s.streams.entries()) {
      // Both engines at once: Envoy works in its own process while the host runs in this one.
      const [e, h] = await Promise.all([
        envoy.send(stream).catch((err: Error) => {
          throw new Error(`${s.name}: stream ${i} failed in Envoy: ${err.message}\nstream: ${describeStream(stream)}`);
        }),
        host.send(stream),
      ]);
      if (serviceTimeDigits(h.response.headers) !== serviceTimeDigits(e.response.headers)) serviceTimeMismatches++;
      const c = compareResults(normalize(h), normalize(e));
      out.streams++;
      out.fields += c.fields;
      for (const d of c.diffs) out.differences.push({ diff: { ...d, scenario: s.name, stream: i }, context: { stream, host: h, envoy: e } });
      if (progress && i % 250 === 249) progress(i + 1);
    }
    for (const proxy of s.metrics) {
      const m = compareMetrics(await host.prometheus(proxy), await envoy.prometheus(proxy), proxy);
      out.fields += m.fields;
      for (const d of m.diffs) out.differences.push({ diff: { ...d, scenario: s.name, stream: null }, context: { serviceTimeMismatches } });
    }
    out.ms = performance.now() - t0;
    return out;
  } finally {
    await Promise.allSettled([envoy?.stop(), host?.stop()]);
  }
}

/** A stream as JSON for a report (bytes as hex, long values cut). */
export function describeStream(s: Stream, max = 2000): string {
  const text = JSON.stringify(s, (_k, v) => (v instanceof Uint8Array ? `hex:${Buffer.from(v).toString("hex")}` : typeof v === "function" ? "(handler)" : v));
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}
