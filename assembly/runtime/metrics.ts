// Metrics. Define once (configure time), then increment or record by id.
import * as imports from "../imports";
import { MetricTypeValues, WasmResultValues } from "./enums";
import { sizeSlot, u64Slot } from "./host-memory";

export class MetricResult {
  result: WasmResultValues = WasmResultValues.Ok;
  metric_id: u32 = 0;
}

export function define_metric(typ: MetricTypeValues, name: string): MetricResult {
  const out = new MetricResult();
  const bytes = String.UTF8.encode(name);
  out.result = imports.proxy_define_metric(typ, changetype<usize>(bytes), bytes.byteLength, sizeSlot());
  if (out.result == WasmResultValues.Ok) out.metric_id = load<u32>(sizeSlot());
  return out;
}

/** Defines a metric and returns its id, or u32.MAX_VALUE when the host refused it. */
export function defineMetric(typ: MetricTypeValues, name: string): u32 {
  const bytes = String.UTF8.encode(name);
  if (imports.proxy_define_metric(typ, changetype<usize>(bytes), bytes.byteLength, sizeSlot()) != WasmResultValues.Ok) {
    return u32.MAX_VALUE;
  }
  return load<u32>(sizeSlot());
}

export function increment_metric(metric_id: u32, offset: i64): WasmResultValues {
  return imports.proxy_increment_metric(metric_id, offset);
}

export function record_metric(metric_id: u32, value: u64): WasmResultValues {
  return imports.proxy_record_metric(metric_id, value);
}

export class MetricData {
  result: WasmResultValues = WasmResultValues.Ok;
  data: u64 = 0;
}

/** proxy-runtime called proxy_record_metric here; this reads the value. */
export function get_metric(metric_id: u32): MetricData {
  const out = new MetricData();
  out.result = imports.proxy_get_metric(metric_id, u64Slot());
  if (out.result == WasmResultValues.Ok) out.data = load<u64>(u64Slot());
  return out;
}

// proxy-runtime's metric classes. A definition the host refuses leaves the id
// invalid (the host then answers NotFound) instead of aborting the VM.
class Metric {
  metric_id: u32;

  constructor(typ: MetricTypeValues, name: string) {
    this.metric_id = defineMetric(typ, name);
  }

  get(): u64 {
    return get_metric(this.metric_id).data;
  }
}

export class Counter extends Metric {
  constructor(name: string) {
    super(MetricTypeValues.Counter, name);
  }
  increment(offset: u32): WasmResultValues {
    return imports.proxy_increment_metric(this.metric_id, offset);
  }
}

export class Gauge extends Metric {
  constructor(name: string) {
    super(MetricTypeValues.Gauge, name);
  }
  increment(offset: i64): WasmResultValues {
    return imports.proxy_increment_metric(this.metric_id, offset);
  }
  record(value: u64): WasmResultValues {
    return imports.proxy_record_metric(this.metric_id, value);
  }
}

export class Histogram extends Metric {
  constructor(name: string) {
    super(MetricTypeValues.Histogram, name);
  }
  record(value: u64): WasmResultValues {
    return imports.proxy_record_metric(this.metric_id, value);
  }
}
