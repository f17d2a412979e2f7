// Stat names and the series table: one metric id per (metric, label combination), at most
// max_series combinations per metric; beyond that, new combinations share one overflow series.
import { defineMetric, MetricTypeValues } from "../../assembly";
import { StatsConfig, METRIC_COUNT, METRIC_NAMES, METRIC_REQUESTS_TOTAL } from "./config";
import { STANDARD_LABELS, STANDARD_LABEL_COUNT, REPORTER } from "./labels";
import { ByteKeyTable } from "../../assembly/byte-key-table";
import { sha256Into, SHA256_DIGEST_LENGTH } from "../../assembly/sha256";

export const NO_METRIC: u32 = u32.MAX_VALUE;

/** What a cached label combination resolves to: the four metric ids, and whether any overflowed. */
export class SeriesEntry {
  ids: StaticArray<u32> = new StaticArray<u32>(METRIC_COUNT);
  overflow: bool = false;
}

/** Istio's StatGen::resolve (plugin.h:198-223): `<tag><vs><value><fs>` per label, then the metric name. */
export function statName(cfg: StatsConfig, metric: i32, labels: Array<string>, dims: Array<string>): string {
  const mc = cfg.metrics[metric];
  const fs0 = <u32>cfg.fieldSeparator.charCodeAt(0);
  const vs0 = <u32>cfg.valueSeparator.charCodeAt(0);
  // Concatenation, not Array#join (which would be the module's only join, ~0.3 KB): this runs once
  // per new series.
  let out = "";
  for (let l = 0; l < STANDARD_LABEL_COUNT; l++) {
    if (!mc.keep[l]) continue;
    out += STANDARD_LABELS[l] + cfg.valueSeparator + labelValue(labels[l], fs0, vs0) + cfg.fieldSeparator;
  }
  for (let d = 0; d < cfg.dimensions.length; d++) {
    if (!mc.keepDim[d]) continue;
    out += cfg.dimensions[d].name + cfg.valueSeparator + labelValue(dims[d], fs0, vs0) + cfg.fieldSeparator;
  }
  return out + cfg.statPrefix + "_" + METRIC_NAMES[metric];
}

/**
 * Whether the code unit at `i` must not stand in a label value: the first character of
 * either separator, controls and line terminators ('.' in Envoy's tag regexes matches none
 * of them, so the tag would not be cut out), lone surrogates.
 */
function unsafeInLabel(v: string, i: i32, c: u32, fs0: u32, vs0: u32): bool {
  if (c == fs0 || c == vs0 || c < 0x20 || c - 0x7F <= 0x20 || c - 0x2028 <= 1) return true;
  if (c - 0xD800 < 0x400) return i + 1 >= v.length || <u32>v.charCodeAt(i + 1) - 0xDC00 >= 0x400;
  if (c - 0xDC00 < 0x400) return i == 0 || <u32>v.charCodeAt(i - 1) - 0xD800 >= 0x400;
  return false;
}

/**
 * A value that can neither end its field nor supply another label, whatever it holds:
 * every character unsafeInLabel() names becomes '_'. Without the first character of the
 * field separator no separator can start inside a value, so Envoy's lazy `(.*?);\.;` ends at
 * the value's own separator; without the first character of the value separator no
 * `<tag>=.=` can appear in a value, so each tag regex first matches at its own label
 * (README "Labels no request can forge"; config.ts keeps separators and label names apart).
 */
export function labelValue(v: string, fs0: u32, vs0: u32): string {
  const n = v.length;
  let i = 0;
  while (i < n && !unsafeInLabel(v, i, <u32>v.charCodeAt(i), fs0, vs0)) i++;
  if (i == n) return v;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  const o = changetype<usize>(out);
  memory.copy(o, changetype<usize>(v), <usize>n << 1);
  for (; i < n; i++) {
    if (unsafeInLabel(v, i, <u32>v.charCodeAt(i), fs0, vs0)) store<u16>(o + (<usize>i << 1), 0x5F);
  }
  return out;
}

function metricType(metric: i32): MetricTypeValues {
  if (metric == METRIC_REQUESTS_TOTAL) return MetricTypeValues.Counter;
  return MetricTypeValues.Histogram;
}

/**
 * The metric ids of one metric's series, by the SHA-256 of the stat name's UTF-16 bytes. A stat
 * name carries every label (~1 K characters, 2 KB in UTF-16): keyed by the name itself the table
 * held ~9 KB per series over four metrics (64 MiB of wasm memory at 4,500 series); the digest
 * keeps it at 32 bytes a name, and two names only share an id if their digests collide.
 */
class NamedIds {
  names: ByteKeyTable = new ByteKeyTable();
  ids: Array<u32> = new Array<u32>();
}

export class SeriesTable {
  private byMetric: Array<NamedIds> = new Array<NamedIds>();
  private digest: ArrayBuffer = new ArrayBuffer(SHA256_DIGEST_LENGTH);
  private overflowIds: StaticArray<u32> = new StaticArray<u32>(METRIC_COUNT * 2);
  overflowCounter: u32 = NO_METRIC;

  constructor(readonly cfg: StatsConfig) {
    for (let m = 0; m < METRIC_COUNT; m++) {
      this.byMetric.push(new NamedIds());
      this.overflowIds[m * 2] = NO_METRIC;
      this.overflowIds[m * 2 + 1] = NO_METRIC;
    }
  }

  /** Number of distinct series of `metric` (the overflow series not counted). */
  count(metric: i32): i32 {
    return this.byMetric[metric].ids.length;
  }

  /** Resolves the four ids for one label combination (the slow path: string building, host calls). */
  resolve(labels: Array<string>, dims: Array<string>, inbound: bool): SeriesEntry {
    const cfg = this.cfg;
    const e = new SeriesEntry();
    const digest = changetype<usize>(this.digest);
    for (let m = 0; m < METRIC_COUNT; m++) {
      if (cfg.metrics[m].drop) { e.ids[m] = NO_METRIC; continue; }
      const name = statName(cfg, m, labels, dims);
      const table = this.byMetric[m];
      sha256Into(changetype<usize>(name), name.length << 1, digest);
      const at = table.names.find(digest, SHA256_DIGEST_LENGTH);
      if (at >= 0) { e.ids[m] = table.ids[at]; continue; }
      if (table.ids.length >= cfg.maxSeries) {
        e.ids[m] = this.overflowId(m, labels, dims, inbound);
        e.overflow = true;
        continue;
      }
      const id = defineMetric(metricType(m), name);
      table.names.insert(digest, SHA256_DIGEST_LENGTH, table.ids.length);
      table.ids.push(id);
      e.ids[m] = id;
    }
    if (e.overflow && this.overflowCounter == NO_METRIC) {
      this.overflowCounter = defineMetric(MetricTypeValues.Counter, "mesh_stats_series_overflow_total");
    }
    return e;
  }

  /** The overflow series: the same label names, every value `overflow` except the reporter. */
  private overflowId(metric: i32, labels: Array<string>, dims: Array<string>, inbound: bool): u32 {
    const slot = metric * 2 + (inbound ? 1 : 0);
    let id = this.overflowIds[slot];
    if (id != NO_METRIC) return id;
    const ol = new Array<string>(STANDARD_LABEL_COUNT);
    for (let l = 0; l < STANDARD_LABEL_COUNT; l++) ol[l] = "overflow";
    ol[REPORTER] = labels[REPORTER];
    const od = new Array<string>(dims.length);
    for (let d = 0; d < dims.length; d++) od[d] = "overflow";
    id = defineMetric(metricType(metric), statName(this.cfg, metric, ol, od));
    this.overflowIds[slot] = id;
    return id;
  }
}
