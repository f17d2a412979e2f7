// Envoy /stats/prometheus rendering. Tags come from stat names via stats_tags the way
// TagExtractorImpl does it: every specifier's regex runs once, in order, against the original
// name; capture group 1 is the span removed from the name and group 2 (else group 1) the value.
import { MetricType } from "./constants.ts";
import { CUSTOM_NAMESPACE, DEFAULT_BUCKETS, type Stat } from "./metrics.ts";

export interface StatsTag { tag_name: string; regex?: string; fixed_value?: string }

interface Extracted { name: string; tags: [string, string][] }

export function extractTags(name: string, specs: StatsTag[]): Extracted {
  const tags: [string, string][] = [];
  const remove: [number, number][] = [];
  for (const spec of specs) {
    if (spec.fixed_value !== undefined) { tags.push([spec.tag_name, spec.fixed_value]); continue; }
    if (!spec.regex) continue; // Envoy would use its built-in regex for a default tag name
    const m = new RegExp(spec.regex, "d").exec(name);
    if (!m) continue;
    const ind = m.indices!;
    const removeSpan = ind[1];
    const valueIdx = m.length > 2 ? 2 : 1;
    tags.push([spec.tag_name, m[valueIdx] ?? ""]);
    if (removeSpan) remove.push([removeSpan[0], removeSpan[1]]);
  }
  if (!remove.length) return { name, tags };
  // Remove the union of all spans from the original name (Envoy's IntervalSet).
  const drop = new Uint8Array(name.length);
  for (const [a, b] of remove) drop.fill(1, a, b);
  let out = "";
  for (let i = 0; i < name.length; i++) if (!drop[i]) out += name[i];
  return { name: out, tags };
}

function sanitize(s: string): string {
  const r = s.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(r) ? "_" + r : r;
}

function metricName(extracted: string): string {
  // Custom namespaces are stripped and get no envoy_ prefix (PrometheusStatsFormatter::metricName).
  if (extracted.startsWith(CUSTOM_NAMESPACE)) return sanitize(extracted.slice(CUSTOM_NAMESPACE.length));
  return "envoy_" + sanitize(extracted);
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(tags: [string, string][], extra?: [string, string]): string {
  const all = extra ? [...tags, extra] : tags;
  if (!all.length) return "";
  return "{" + all.map(([k, v]) => `${sanitize(k)}="${escapeValue(v)}"`).join(",") + "}";
}

function num(n: number): string { return Number.isInteger(n) ? String(n) : String(n); }

export function renderPrometheus(stats: Stat[], specs: StatsTag[]): string {
  const families = new Map<string, { type: MetricType; series: { tags: [string, string][]; stat: Stat }[] }>();
  for (const s of stats) {
    const { name, tags } = extractTags(s.name, specs);
    const metric = metricName(name);
    let fam = families.get(metric);
    if (!fam) { fam = { type: s.type, series: [] }; families.set(metric, fam); }
    fam.series.push({ tags, stat: s });
  }
  const lines: string[] = [];
  for (const metric of [...families.keys()].sort()) {
    const fam = families.get(metric)!;
    const type = fam.type === MetricType.Counter ? "counter" : fam.type === MetricType.Gauge ? "gauge" : "histogram";
    lines.push(`# TYPE ${metric} ${type}`);
    for (const { tags, stat } of fam.series) {
      if (stat.type !== MetricType.Histogram) { lines.push(`${metric}${labels(tags)} ${num(stat.value)}`); continue; }
      let cum = 0;
      DEFAULT_BUCKETS.forEach((b, i) => {
        cum += stat.buckets[i]!;
        lines.push(`${metric}_bucket${labels(tags, ["le", String(b)])} ${cum}`);
      });
      lines.push(`${metric}_bucket${labels(tags, ["le", "+Inf"])} ${stat.value}`);
      lines.push(`${metric}_sum${labels(tags)} ${num(stat.sum)}`);
      lines.push(`${metric}_count${labels(tags)} ${stat.value}`);
    }
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}
