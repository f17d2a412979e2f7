// Configuration: parsed and validated once (onConfigure); every error is collected.
import { ConfigReader, joined, elementPath } from "../../assembly/config-reader";
import { decimal } from "../../assembly/decimal";
import { JsonKind, quoteForMessage } from "../../assembly/json";
import { STANDARD_LABELS, standardLabelIndex, STANDARD_LABEL_COUNT } from "./labels";

export const METRIC_REQUESTS_TOTAL: i32 = 0;
export const METRIC_REQUEST_DURATION: i32 = 1;
export const METRIC_REQUEST_BYTES: i32 = 2;
export const METRIC_RESPONSE_BYTES: i32 = 3;
export const METRIC_COUNT: i32 = 4;
export const METRIC_NAMES: string[] = ["requests_total", "request_duration_milliseconds", "request_bytes", "response_bytes"];

export const DIRECTION_AUTO: i32 = 0;
export const DIRECTION_INBOUND: i32 = 1;
export const DIRECTION_OUTBOUND: i32 = 2;

export const DEFAULT_MAX_SERIES: i64 = 10000;
/** Extra dimensions a configuration may define (over all metrics entries). */
export const MAX_DIMENSIONS: i32 = 16;

// Integer-valued attributes (int64 little-endian), rendered in decimal when used as a dimension.
const INT_ATTRIBUTES: string[] = [
  "request.size", "request.total_size", "response.code", "response.grpc_status", "response.flags", "response.size",
  "response.total_size", "source.port", "destination.port", "upstream.port", "xds.listener_direction",
  "connection.id", "upstream.request_attempt_count",
];

/** An extra dimension: a request header or an attribute (property path). */
export class Dimension {
  name: string = "";
  isHeader: bool = false;
  key: ArrayBuffer = new ArrayBuffer(0);   // header name or NUL-joined property path
  isInt: bool = false;
}

export class MetricConfig {
  drop: bool = false;
  /** Which of the 25 standard labels the stat name carries. */
  keep: StaticArray<bool> = new StaticArray<bool>(STANDARD_LABEL_COUNT);
  /** Which extra dimensions it carries (indexes into StatsConfig.dimensions). */
  keepDim: Array<bool> = new Array<bool>();
}

export class StatsConfig {
  direction: i32 = DIRECTION_AUTO;
  disableHostHeaderFallback: bool = false;
  fieldSeparator: string = ";.;";
  valueSeparator: string = "=.=";
  statPrefix: string = "istio";
  maxSeries: i32 = <i32>DEFAULT_MAX_SERIES;
  /** Extra dimensions, sorted by name (Istio appends custom tags after the standard ones, sorted). */
  dimensions: Array<Dimension> = new Array<Dimension>();
  metrics: Array<MetricConfig> = new Array<MetricConfig>();
}

function isIdentifier(s: string): bool {
  if (s.length == 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alpha = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f;
    const digit = c >= 0x30 && c <= 0x39;
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

/** Whether `c` can be part of a label name ([A-Za-z0-9_]). */
function isNameChar(c: i32): bool {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f;
}

/** 1 to 8 printable ASCII characters, none of which a label name could hold. */
function isSeparator(s: string): bool {
  if (s.length == 0 || s.length > 8) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || isNameChar(c)) return false;
  }
  return true;
}

/** Whether `s` ends with `part` (a loop: String#endsWith costs ~0.2 KB of module). */
function endsWith(s: string, part: string): bool {
  return matchesAt(s, part, s.length - part.length);
}

/** Whether one of the two label names is the end of the other. */
function oneEndsOther(a: string, b: string): bool {
  return (a.length > b.length && endsWith(a, b)) || (b.length > a.length && endsWith(b, a));
}

/**
 * A label name (standard, or a dimension so far) that `name` is the end of or ends with,
 * or "". Envoy's tag regexes are not anchored: `(app=\.=(.*?);\.;)` would match inside
 * `source_app=.=...`, and `(source_app=...)` inside `my_source_app=.=...` once
 * source_app is removed from a metric.
 */
function labelItEnds(name: string, dimNames: Array<string>): string {
  for (let i = 0; i < STANDARD_LABEL_COUNT; i++) {
    const l = unchecked(STANDARD_LABELS[i]);
    if (oneEndsOther(l, name)) return l;
  }
  for (let i = 0; i < dimNames.length; i++) {
    const l = unchecked(dimNames[i]);
    if (oneEndsOther(l, name)) return l;
  }
  return "";
}

function isHeaderName(s: string): bool {
  if (s.length == 0 || s.length > 256) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x5f || c == 0x2e || (c == 0x3a && i == 0);
    if (!ok) return false;
  }
  return true;
}

function isPropertyPath(s: string): bool {
  // dot-separated non-empty segments of letters, digits, '_' or '-' (a loop,
  // not split(): String#split costs ~400 bytes of module)
  const n = s.length;
  if (n == 0 || n > 256) return false;
  let prevDot = true;
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c == 0x2e) {
      if (prevDot) return false;
      prevDot = true;
      continue;
    }
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d;
    if (!ok) return false;
    prevDot = false;
  }
  return !prevDot;
}

/** Whether `part` occurs in `s` at `at` (a loop: String#startsWith/endsWith cost ~0.2 KB of module). */
function matchesAt(s: string, part: string, at: i32): bool {
  if (at < 0 || at + part.length > s.length) return false;
  for (let i = 0; i < part.length; i++) {
    if (s.charCodeAt(at + i) != part.charCodeAt(i)) return false;
  }
  return true;
}

/** Parses `request.headers['name']` (Istio's CEL form for a header) or a dotted attribute path. */
function parseDimension(reader: ConfigReader, field: string, name: string, expr: string): Dimension | null {
  const d = new Dimension();
  d.name = name;
  const prefix = "request.headers['";
  if (matchesAt(expr, prefix, 0)) {
    if (!matchesAt(expr, "']", expr.length - 2) || expr.length <= prefix.length + 2) {
      reader.error(field, "expected request.headers['<name>'] or an attribute path like request.host, got " + quoteForMessage(expr));
      return null;
    }
    const header = expr.substring(prefix.length, expr.length - 2);
    if (!isHeaderName(header)) {
      reader.error(field, "header name must be a lower-case HTTP header name, got " + quoteForMessage(header));
      return null;
    }
    d.isHeader = true;
    d.key = String.UTF8.encode(header);
    return d;
  }
  if (!isPropertyPath(expr)) {
    reader.error(field, "expected request.headers['<name>'] or an attribute path like request.host (dot-separated segments of letters, digits, '_' or '-'), got " + quoteForMessage(expr));
    return null;
  }
  d.isHeader = false;
  // the host's path form: segments joined by NUL (expr is ASCII here)
  const key = String.UTF8.encode(expr);
  const base = changetype<usize>(key);
  for (let i = 0; i < key.byteLength; i++) if (load<u8>(base + <usize>i) == 0x2e) store<u8>(base + <usize>i, 0);
  d.key = key;
  d.isInt = INT_ATTRIBUTES.includes(expr);
  return d;
}

function metricIndex(name: string): i32 {
  for (let i = 0; i < METRIC_NAMES.length; i++) if (METRIC_NAMES[i] == name) return i;
  return -1;
}

/**
 * Reads the configuration. `forced` is the direction the root id fixes
 * (stats_inbound / stats_outbound), DIRECTION_AUTO for `stats`.
 */
export function parseConfig(r: ConfigReader, forced: i32): StatsConfig {
  const c = new StatsConfig();
  const dir = r.stringOneOf("direction", "auto", ["auto", "inbound", "outbound"]);
  if (dir == "inbound") c.direction = DIRECTION_INBOUND;
  else if (dir == "outbound") c.direction = DIRECTION_OUTBOUND;
  if (forced != DIRECTION_AUTO) {
    if (c.direction != DIRECTION_AUTO && c.direction != forced) {
      r.error("direction", "'" + dir + "' contradicts the root id, which fixes the direction to '"
        + (forced == DIRECTION_INBOUND ? "inbound" : "outbound") + "'");
    }
    c.direction = forced;
  }
  c.disableHostHeaderFallback = r.bool("disable_host_header_fallback", false);
  c.fieldSeparator = r.string("field_separator", ";.;");
  c.valueSeparator = r.string("value_separator", "=.=");
  const separators = "must be 1 to 8 printable ASCII characters, no spaces, letters, digits or '_'";
  if (!isSeparator(c.fieldSeparator)) r.error("field_separator", separators);
  if (!isSeparator(c.valueSeparator)) r.error("value_separator", separators);
  if (c.fieldSeparator == c.valueSeparator) r.error("value_separator", "must differ from field_separator");
  else if (c.fieldSeparator.includes(c.valueSeparator) || c.valueSeparator.includes(c.fieldSeparator)) {
    r.error("value_separator", "must not contain field_separator or be contained in it (Envoy's tag regexes would confuse them)");
  }
  c.statPrefix = r.string("stat_prefix", "istio");
  if (!isIdentifier(c.statPrefix)) r.error("stat_prefix", "must be a Prometheus-safe name ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)");
  c.maxSeries = <i32>r.integer("max_series", DEFAULT_MAX_SERIES, 1, 1000000);
  // Istio's own deployment passes "debug": "false" (telemetryv2_1.13.yaml); accept it, as bool or string.
  const debug = r.raw("debug");
  if (debug !== null) {
    const okBool = debug.kind == JsonKind.Bool;
    const okString = debug.kind == JsonKind.String && (debug.stringValue == "true" || debug.stringValue == "false");
    if (!okBool && !okString) r.error("debug", "expected true, false, \"true\" or \"false\", got " + debug.kindName());
  }
  // Istio knobs that do not apply to an HTTP-only filter without CEL: rejected by name, never ignored.
  if (r.has("definitions")) { r.raw("definitions"); r.error("definitions", "custom metric definitions are not supported; use metrics[].dimensions for extra labels"); }
  if (r.has("tcp_reporting_duration")) { r.raw("tcp_reporting_duration"); r.error("tcp_reporting_duration", "TCP metrics are not supported by this HTTP filter"); }

  // Extra dimensions are collected over all metrics entries first (a dimension defined for one metric
  // is a label of that metric only).
  const entries = r.objectArray("metrics");
  const dimNames = new Array<string>();
  const dims = new Array<Dimension>();
  const entryMetrics = new Array<Array<i32>>();
  const entryDims = new Array<Array<string>>();
  const entryRemove = new Array<Array<string>>();
  const entryDrop = new Array<bool>();
  let extraDims = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const targets = new Array<i32>();
    const name = e.string("name", "");
    if (name.length == 0) {
      for (let m = 0; m < METRIC_COUNT; m++) targets.push(m);
    } else {
      let m = metricIndex(name);
      if (m < 0 && matchesAt(name, "istio_", 0)) m = metricIndex(name.substring(6));
      if (m < 0) e.error("name", "unknown metric " + quoteForMessage(name) + "; expected one of " + joined(METRIC_NAMES, ", ") + " (or empty for all)");
      else targets.push(m);
    }
    const dimMap = e.stringMap("dimensions");
    const names = dimMap.keys();
    const here = new Array<string>();
    for (let k = 0; k < names.length; k++) {
      const dn = names[k];
      const field = "dimensions." + dn;
      if (standardLabelIndex(dn) >= 0) { e.error(field, "overriding a standard Istio label is not supported"); continue; }
      if (!isIdentifier(dn)) { e.error(field, "dimension name must match [A-Za-z_][A-Za-z0-9_]* (at most 64 characters)"); continue; }
      const d = parseDimension(e, field, dn, dimMap.get(dn));
      if (d === null) continue;
      // At most MAX_DIMENSIONS are kept (the rest is counted for the error below), so this
      // lookup stays short: a configuration with 20,000 dimensions is read in linear time.
      const existing = dimNames.indexOf(dn);
      if (existing >= 0) {
        const prev = dims[existing];
        if (prev.isHeader != d.isHeader || String.UTF8.decode(prev.key) != String.UTF8.decode(d.key)) {
          e.error(field, "dimension " + quoteForMessage(dn) + " is defined differently by another metrics entry");
          continue;
        }
      } else if (dims.length >= MAX_DIMENSIONS) {
        extraDims++;
        continue;
      } else {
        const ends = labelItEnds(dn, dimNames);
        if (ends.length > 0) {
          e.error(field, "dimension name must neither end another label's name nor end with one ('" + ends + "'): Envoy's tag regex for one would match inside the other");
          continue;
        }
        dimNames.push(dn);
        dims.push(d);
      }
      here.push(dn);
    }
    const remove = e.stringArray("tags_to_remove");
    for (let k = 0; k < remove.length; k++) {
      const t = remove[k];
      if (standardLabelIndex(t) < 0 && !dimMap.has(t) && !dimNames.includes(t)) {
        e.error(elementPath("tags_to_remove", k), "unknown label " + quoteForMessage(t));
      }
    }
    entryMetrics.push(targets);
    entryDims.push(here);
    entryRemove.push(remove);
    entryDrop.push(e.bool("drop", false));
    e.rejectUnknown();
  }
  if (extraDims > 0) r.error("metrics", "at most " + decimal(MAX_DIMENSIONS) + " extra dimensions, got " + decimal(dims.length + extraDims));

  // Sort the dimensions by name (Istio's order for custom tags).
  const sorted = dimNames.slice(0);
  sorted.sort((a: string, b: string): i32 => (a < b ? -1 : (a > b ? 1 : 0)));
  for (let i = 0; i < sorted.length; i++) c.dimensions.push(dims[dimNames.indexOf(sorted[i])]);

  for (let m = 0; m < METRIC_COUNT; m++) {
    const mc = new MetricConfig();
    for (let l = 0; l < STANDARD_LABEL_COUNT; l++) mc.keep[l] = true;
    for (let d = 0; d < c.dimensions.length; d++) mc.keepDim.push(false);
    c.metrics.push(mc);
  }
  for (let i = 0; i < entryMetrics.length; i++) {
    const targets = entryMetrics[i];
    for (let t = 0; t < targets.length; t++) {
      const mc = c.metrics[targets[t]];
      if (entryDrop[i]) mc.drop = true;
      const here = entryDims[i];
      for (let k = 0; k < here.length; k++) {
        for (let d = 0; d < c.dimensions.length; d++) if (c.dimensions[d].name == here[k]) mc.keepDim[d] = true;
      }
      const remove = entryRemove[i];
      for (let k = 0; k < remove.length; k++) {
        const li = standardLabelIndex(remove[k]);
        if (li >= 0) mc.keep[li] = false;
        for (let d = 0; d < c.dimensions.length; d++) if (c.dimensions[d].name == remove[k]) mc.keepDim[d] = false;
      }
    }
  }
  r.rejectUnknown();
  return c;
}

export { STANDARD_LABELS };
