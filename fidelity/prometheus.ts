// The modules' metrics in two Prometheus texts, series by series. Envoy's
// /stats/prometheus also holds Envoy's own stats (every `envoy_` name: the
// listeners, clusters, the Wasm runtime), which the host does not have; a
// module's metrics are the names without that prefix (Envoy strips
// `wasmcustom.` and adds no `envoy_`, engine/README.md).
import type { FieldDiff } from "./compare.ts";

export interface Series {
  /** Metric name with its labels sorted: `name{a="x",b="y"}`. */
  key: string;
  name: string;
  value: number;
}

/** The module series of a text: name{sorted labels} -> value (TYPE/HELP lines and `envoy_` names left out). */
export function moduleSeries(text: string): Map<string, Series> {
  const out = new Map<string, Series>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#") || line.startsWith("envoy_")) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = m[2] ? splitLabels(m[2]).sort() : [];
    const key = `${m[1]}{${labels.join(",")}}`;
    out.set(key, { key, name: m[1]!, value: Number(m[3]) });
  }
  return out;
}

/** `a="x",b="y,z"` -> [`a="x"`, `b="y,z"`] (commas inside quoted values kept). */
function splitLabels(s: string): string[] {
  const out: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && quoted) { cur += c + (s[i + 1] ?? ""); i++; continue; }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) { out.push(cur); cur = ""; continue; }
    cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * Values compared as doubles to 1e-9 relative: Envoy prints a histogram's sum with 32
 * significant digits of a sum added in another order than the host's.
 */
function sameNumber(h: number | null, e: number | null): boolean {
  if (h === null || e === null) return h === e;
  return Math.abs(h - e) <= 1e-9 * Math.max(Math.abs(h), Math.abs(e));
}

/** Every module series of either side, compared by value; `fields` counts the series. */
export function compareMetrics(host: string, envoy: string, proxy: string): { fields: number; diffs: FieldDiff[] } {
  const h = moduleSeries(host), e = moduleSeries(envoy);
  const diffs: FieldDiff[] = [];
  const keys = [...new Set([...h.keys(), ...e.keys()])].sort();
  for (const key of keys) {
    const hv = h.get(key)?.value ?? null, ev = e.get(key)?.value ?? null;
    if (!sameNumber(hv, ev)) diffs.push({ field: `metrics[${proxy}]`, key, host: hv, envoy: ev });
  }
  return { fields: keys.length, diffs };
}
