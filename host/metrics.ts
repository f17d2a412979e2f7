// Host-wide stats store, shared by every VM as Envoy's stats scope is. Wasm-defined stats live
// under the `wasmcustom.` namespace (envoy context.cc defineMetric, stats_handler CustomStatNamespace).
import { MetricType, WasmResult } from "./constants.ts";
import { renderPrometheus, type StatsTag } from "./prometheus.ts";

export const CUSTOM_NAMESPACE = "wasmcustom.";

/** Envoy's default histogram buckets (source/common/stats/histogram_impl.cc). */
export const DEFAULT_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

/**
 * The bin of libcircllhist (Envoy's histograms) a sample falls in, as [lower bound,
 * representative]: two significant digits (7 is [7.0, 7.1), 1005 is [1000, 1100)), the
 * representative the harmonic mean of the bin's bounds, 2ab/(a+b) — what Envoy sums (a sample
 * of 7 reads back as 7.0496...; seen in 1.40.0, tests/host/metrics.test.ts).
 */
export function circllhistBin(value: number): [lower: number, representative: number] {
  if (!(value > 0)) return [0, 0];
  let lower: number, width: number;
  if (value < 10) {
    width = 0.1;
    lower = Math.floor(value * 10) / 10;
  } else {
    width = 10 ** (Math.floor(Math.log10(value)) - 1);
    // log10 can land a hair below an exact power of ten.
    if (value / width >= 100) width *= 10;
    lower = Math.floor(value / width) * width;
  }
  const upper = lower + width;
  return [lower, (2 * lower * upper) / (lower + upper)];
}

export interface Stat {
  name: string; // full name, incl. the wasmcustom. prefix
  type: MetricType;
  value: number; // counter/gauge value; histogram sample count
  sum: number; // histogram
  buckets: number[]; // histogram cumulative-ready counts per DEFAULT_BUCKETS bound
}

export class MetricsStore {
  private stats = new Map<string, Stat>();
  constructor(private tags: StatsTag[] = []) {}

  /** Returns the stat for a Wasm-visible name, creating it on first definition. */
  define(type: MetricType, name: string): Stat {
    const full = CUSTOM_NAMESPACE + name;
    let s = this.stats.get(full);
    if (!s) {
      s = { name: full, type, value: 0, sum: 0, buckets: type === MetricType.Histogram ? DEFAULT_BUCKETS.map(() => 0) : [] };
      this.stats.set(full, s);
    }
    return s;
  }

  static increment(s: Stat, offset: number): WasmResult {
    switch (s.type) {
      case MetricType.Counter:
        if (offset <= 0) return WasmResult.BadArgument;
        s.value += offset; return WasmResult.Ok;
      case MetricType.Gauge:
        s.value += offset; return WasmResult.Ok;
      default: return WasmResult.BadArgument;
    }
  }

  static record(s: Stat, value: number): WasmResult {
    switch (s.type) {
      case MetricType.Counter: s.value += value; break;
      case MetricType.Gauge: s.value = value; break;
      case MetricType.Histogram: {
        // As Envoy's circllhist keeps it: the sample's bin counts in every bucket at or above
        // the bin's lower bound, and adds the bin's representative to the sum.
        const [lower, representative] = circllhistBin(value);
        s.value++; s.sum += representative;
        for (let i = 0; i < DEFAULT_BUCKETS.length; i++) if (lower <= DEFAULT_BUCKETS[i]!) { s.buckets[i]!++; break; }
        break;
      }
    }
    return WasmResult.Ok;
  }

  /** A stat's value by full name or by the name the module defined (without `wasmcustom.`). */
  value(name: string): number | undefined {
    const s = this.stats.get(name) ?? this.stats.get(CUSTOM_NAMESPACE + name);
    return s?.value;
  }

  get(name: string): Stat | undefined { return this.stats.get(name) ?? this.stats.get(CUSTOM_NAMESPACE + name); }

  all(): { name: string; type: "counter" | "gauge" | "histogram"; value: number; sum?: number }[] {
    return [...this.stats.values()].map((s) => ({
      name: s.name,
      type: s.type === MetricType.Counter ? "counter" : s.type === MetricType.Gauge ? "gauge" : "histogram",
      value: s.value,
      ...(s.type === MetricType.Histogram ? { sum: s.sum } : {}),
    }));
  }

  prometheus(): string { return renderPrometheus([...this.stats.values()], this.tags); }
}
