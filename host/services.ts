// What a VM needs from the host that owns it: shared stores, the clock, upstreams, async work.
import type { LogLevel } from "./constants.ts";
import type { MetricsStore } from "./metrics.ts";
import type { SharedData, SharedQueues } from "./shared-data.ts";
import type { GrpcCallHandler, HttpCallHandler, LogEntry, PropertyInput } from "./types.ts";
import type { NodeInfo } from "./proto.ts";

export interface HostServices {
  readonly logLevel: number; // index into LOG_LEVELS
  readonly metrics: MetricsStore;
  readonly sharedData: SharedData;
  readonly queues: SharedQueues;
  readonly node: NodeInfo | undefined;
  readonly properties: Record<string, PropertyInput>;
  nowNs(): bigint;
  monotonicNs(): bigint;
  httpUpstream(cluster: string): HttpCallHandler | undefined;
  grpcUpstream(service: string): GrpcCallHandler | undefined;
  /** Runs `work` later, outside any VM call, and tracks it so chain.send can wait for it. */
  defer(work: () => unknown | Promise<unknown>, deliver: (value: unknown, error?: unknown) => void): void;
  log(entry: LogEntry, level: LogLevel): void;
}
