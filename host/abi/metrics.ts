// proxy_define_metric / increment / record / get (envoy context.cc). Ids carry the metric type
// in their low two bits, as Envoy's do, so an id names its kind.
import { MetricType, WasmResult } from "../constants.ts";
import { MetricsStore, type Stat } from "../metrics.ts";
import type { Vm } from "../vm.ts";

export function metricImports(vm: Vm) {
  const byId = new Map<number, Stat>();
  const next = [0, 1, 2];
  return {
    proxy_define_metric(type: number, np: number, nl: number, idPtr: number): number {
      if (type >>> 0 > MetricType.Histogram) return WasmResult.BadArgument;
      const stat = vm.services.metrics.define(type, vm.str(np, nl));
      const id = next[type]!;
      next[type] = id + 4;
      byId.set(id, stat);
      vm.setU32(idPtr, id);
      return WasmResult.Ok;
    },
    proxy_increment_metric(id: number, offset: bigint): number {
      const s = byId.get(id >>> 0);
      if (!s) return WasmResult.NotFound;
      return MetricsStore.increment(s, Number(offset));
    },
    proxy_record_metric(id: number, value: bigint): number {
      const s = byId.get(id >>> 0);
      if (!s) return WasmResult.NotFound;
      return MetricsStore.record(s, Number(BigInt.asUintN(64, value)));
    },
    proxy_get_metric(id: number, ptr: number): number {
      const s = byId.get(id >>> 0);
      if (!s) return WasmResult.NotFound;
      if (s.type === MetricType.Histogram) return WasmResult.BadArgument;
      vm.setU64(ptr, BigInt(Math.trunc(s.value)));
      return WasmResult.Ok;
    },
  };
}
