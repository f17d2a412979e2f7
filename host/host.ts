// ProxyWasmHost: owns the stores every VM shares (stats, shared data, queues), the clock, the
// test upstreams, and the VMs (one per worker per vm key, shared by plugins as in Envoy).
import { createHash } from "node:crypto";
import path from "node:path";
import { LOG_LEVELS, type LogLevel } from "./constants.ts";
import { PluginLoadError } from "./errors.ts";
import { MetricsStore } from "./metrics.ts";
import { SharedData, SharedQueues } from "./shared-data.ts";
import { inspectModule } from "./module.ts";
import { checkModule } from "./module-check.ts";
import { readModuleFile } from "./module-file.ts";
import { Vm } from "./vm.ts";
import { RootContext } from "./contexts.ts";
import { PluginRuntime } from "./plugin.ts";
import { Chain } from "./chain.ts";
import { normalizeProperties } from "./attributes.ts";
import { toBytes } from "./bytes.ts";
import type { HostServices } from "./services.ts";
import type { NodeInfo } from "./proto.ts";
import type { StatsTag } from "./prometheus.ts";
import { resolveHcm, type Hcm, type HcmOptions } from "./hcm/options.ts";
import type { GrpcCallHandler, HttpCallHandler, LogEntry, PropertyInput } from "./types.ts";

export interface HostOptions {
  workers?: number;
  logLevel?: LogLevel;
  node?: NodeInfo;
  properties?: Record<string, PropertyInput>;
  statsTags?: StatsTag[];
  /** Wall clock in ns. When given it also drives the monotonic clock: time then moves only with it and advanceTime. */
  now?: () => bigint;
  /** Memory cap per VM in 64 KiB pages (default 16384 = 1 GiB): initial size and growth. */
  maxMemoryPages?: number;
  /** Largest module file or buffer accepted (default 256 MiB, Istio's ISTIO_WASM_MAX_BINARY_SIZE_BYTES default). */
  maxModuleBytes?: number;
  /** Keep every module log line in host.logs (default true; load loops turn it off). */
  retainLogs?: boolean;
  /**
   * Envoy's HTTP connection manager around the filters (host/hcm/): codec and path checks,
   * path normalization, the headers Envoy adds or removes, its own replies. Fields as in
   * Envoy's HttpConnectionManager; absent (the default), a request reaches the filters
   * exactly as given.
   */
  hcm?: HcmOptions;
}

export interface LoadOptions {
  module: Uint8Array | string;
  name?: string;
  rootId?: string;
  vmId?: string;
  configuration?: string | Uint8Array;
  vmConfiguration?: string | Uint8Array;
  /** vm_config.environment_variables, served through WASI environ_*. */
  env?: Record<string, string>;
  failOpen?: boolean;
}

export class ProxyWasmHost implements HostServices {
  readonly workers: number;
  readonly logLevel: number;
  readonly node: NodeInfo | undefined;
  readonly properties: Record<string, PropertyInput>;
  readonly hostProperties: Map<string, Uint8Array>;
  readonly metrics: MetricsStore;
  readonly sharedData = new SharedData();
  readonly queues = new SharedQueues();
  readonly logs: LogEntry[] = [];
  readonly plugins: PluginRuntime[] = [];
  private readonly maxMemoryPages: number;
  private readonly maxModuleBytes: number;
  private readonly retainLogs: boolean;
  private readonly clock: () => bigint;
  /** The monotonic clock before advanceTime's offset: the caller's clock when given, else the process's. */
  private readonly monotonicBase: () => bigint;
  private offsetNs = 0n;
  private vmGroups = new Map<string, Vm[]>();
  private modules = new Map<string, WebAssembly.Module>();
  private httpUpstreams = new Map<string, HttpCallHandler>();
  private grpcUpstreams = new Map<string, GrpcCallHandler>();
  private pending = new Set<Promise<void>>();
  private streamCount = 0;
  private connectionCount = 0;
  private requestCount = 0;
  /** The modelled connection manager, or null (requests reach the filters as given). */
  readonly hcm: Hcm | null;

  constructor(opts: HostOptions = {}) {
    this.workers = Math.max(1, opts.workers ?? 1);
    this.logLevel = LOG_LEVELS.indexOf(opts.logLevel ?? "info");
    if (this.logLevel < 0) throw new Error(`unknown log level ${opts.logLevel}`);
    this.node = opts.node;
    this.properties = opts.properties ?? {};
    this.hostProperties = normalizeProperties(this.properties);
    this.metrics = new MetricsStore(opts.statsTags ?? []);
    this.clock = opts.now ?? (() => BigInt(Date.now()) * 1_000_000n);
    // A caller's clock drives the monotonic one too, so that time moves only when the caller moves
    // it: tick due times are then exact whatever the machine's load between configure and advanceTime.
    const start = opts.now ? opts.now() : process.hrtime.bigint();
    this.monotonicBase = opts.now ? () => opts.now!() - start : () => process.hrtime.bigint() - start;
    this.maxMemoryPages = opts.maxMemoryPages ?? 16384;
    this.maxModuleBytes = opts.maxModuleBytes ?? 256 * 1024 * 1024;
    this.retainLogs = opts.retainLogs ?? true;
    this.hcm = opts.hcm ? resolveHcm(opts.hcm) : null;
  }

  // --- HostServices ----------------------------------------------------------------------------

  nowNs(): bigint { return this.clock() + this.offsetNs; }
  monotonicNs(): bigint { return this.monotonicBase() + this.offsetNs; }
  httpUpstream(cluster: string): HttpCallHandler | undefined { return this.httpUpstreams.get(cluster); }
  grpcUpstream(service: string): GrpcCallHandler | undefined { return this.grpcUpstreams.get(service); }
  log(entry: LogEntry): void { if (this.retainLogs) this.logs.push(entry); }

  defer(work: () => unknown, deliver: (value: unknown, error?: unknown) => void): void {
    const p: Promise<void> = Promise.resolve()
      .then(work)
      .then((v) => deliver(v), (e) => deliver(undefined, e ?? new Error("upstream failed")))
      .finally(() => { this.pending.delete(p); });
    this.pending.add(p);
  }

  // --- public API -----------------------------------------------------------------------------

  /** Answers proxy_http_call to `cluster` (Envoy: a cluster that does not exist is BadArgument). */
  registerHttpUpstream(cluster: string, handler: HttpCallHandler): void { this.httpUpstreams.set(cluster, handler); }
  /** Answers proxy_grpc_call whose service string equals `service` (a cluster name). */
  registerGrpcUpstream(service: string, handler: GrpcCallHandler): void { this.grpcUpstreams.set(service, handler); }

  nextWorker(): number { return this.streamCount++ % this.workers; }
  nextConnectionId(): number { return ++this.connectionCount; }
  /**
   * The x-request-id the connection manager gives a request without one. Envoy's is a random
   * UUID v4; the host's counts up in the same shape, so that runs repeat.
   */
  nextRequestId(): string {
    const n = (++this.requestCount).toString(16).padStart(12, "0");
    return `00000000-0000-4000-8000-${n}`;
  }

  /** Waits for one round of pending asynchronous work; false when there was none. */
  async settleOnce(): Promise<boolean> {
    if (this.pending.size === 0) return false;
    await Promise.race(this.pending);
    return true;
  }

  /** Waits until no asynchronous host work (calls, queue deliveries) is pending. */
  async settle(): Promise<void> { while (await this.settleOnce()); }

  /** Advances the host clock and fires proxy_on_tick for every root context that comes due. */
  advanceTime(ms: number): void {
    const target = this.monotonicNs() + BigInt(Math.round(ms * 1e6));
    for (;;) {
      let next: RootContext | null = null;
      for (const vms of this.vmGroups.values()) for (const vm of vms) for (const root of vm.roots.values()) {
        if (root.tickPeriodMs > 0 && !vm.failed && root.nextTickNs <= target && (!next || root.nextTickNs < next.nextTickNs)) next = root;
      }
      if (!next) break;
      // Move the clock to the tick's due time (never backwards), so the module sees it.
      const now = this.monotonicNs();
      if (next.nextTickNs > now) this.offsetNs += next.nextTickNs - now;
      next.nextTickNs += BigInt(next.tickPeriodMs) * 1_000_000n;
      next.vm.call(next, "proxy_on_tick", next.id);
    }
    const now = this.monotonicNs();
    if (target > now) this.offsetNs += target - now;
  }

  chain(plugins: PluginRuntime[]): Chain { return new Chain(this, plugins); }

  /**
   * Loads a plugin. Every failure is a PluginLoadError whose message starts
   * with the module's file (or "Wasm module '<name>' (<n> bytes)" for bytes).
   */
  async loadPlugin(opts: LoadOptions): Promise<PluginRuntime> {
    const label = typeof opts.module === "string" ? opts.module : `Wasm module${opts.name ? ` '${opts.name}'` : ""} (${opts.module.length} bytes)`;
    try {
      return await this.load(opts);
    } catch (e) {
      if (e instanceof PluginLoadError) throw new PluginLoadError(`${label}: ${e.reason}`, e.logs);
      throw new PluginLoadError(`${label}: ${(e as Error).message}`); // e.g. V8 cannot allocate the instance
    }
  }

  private async load(opts: LoadOptions): Promise<PluginRuntime> {
    let raw: Uint8Array;
    if (typeof opts.module === "string") raw = await readModuleFile(opts.module, this.maxModuleBytes);
    else if (opts.module.length > this.maxModuleBytes) throw new PluginLoadError(`${opts.module.length} bytes, above the host's cap of ${this.maxModuleBytes} bytes (maxModuleBytes)`);
    else raw = opts.module;
    const code = checkModule(raw, this.maxMemoryPages);
    const hash = createHash("sha256").update(code).digest("hex");
    let module = this.modules.get(hash);
    if (!module) {
      try { module = new WebAssembly.Module(code as Uint8Array<ArrayBuffer>); } catch (e) {
        throw new PluginLoadError(`Failed to load Wasm bytecode: ${(e as Error).message}`);
      }
      this.modules.set(hash, module);
    }
    const info = inspectModule(module, raw.length);
    const rootId = opts.rootId ?? "";
    const vmId = opts.vmId ?? "";
    const vmConfiguration = toBytes(opts.vmConfiguration);
    const name = opts.name ?? (typeof opts.module === "string" ? path.basename(opts.module).replace(/\.wasm$/, "") : rootId || `plugin${this.plugins.length + 1}`);
    const plugin = new PluginRuntime(name, rootId, vmId, toBytes(opts.configuration), opts.failOpen ?? false, raw.length, info.abi);

    // Plugins with the same vm_id, vm configuration and code share VMs (cpp-host makeVmKey).
    const key = createHash("sha256").update(vmId).update("\0").update(vmConfiguration).update("\0").update(hash)
      .update("\0").update(JSON.stringify(opts.env ?? {})).digest("hex");
    let vms = this.vmGroups.get(key);
    const fresh = !vms;
    if (!vms) {
      vms = [];
      for (let w = 0; w < this.workers; w++) {
        const vm = new Vm({ module, abi: info.abi, vmId, vmConfiguration, env: opts.env ?? {}, worker: w, services: this, maxMemoryPages: this.maxMemoryPages });
        vm.start();
        if (vm.failed) throw new PluginLoadError(`Wasm VM failed to start: ${vm.failure!.message}`, this.takeLoadLogs(vm, plugin));
        vms.push(vm);
      }
    }
    for (const vm of vms) {
      vm.loadLogs ??= [];
      const root = new RootContext(vm.allocContextId(), vm, plugin);
      vm.contexts.set(root.id, root);
      vm.roots.set(plugin, root);
      root.configuring = true;
      vm.call(root, "proxy_on_context_create", root.id, 0);
      const started = vm.failed ? -1 : vm.has("proxy_on_vm_start") ? vm.call(root, "proxy_on_vm_start", root.id, vmConfiguration.length) : 1;
      if (started === 0 || vm.failed) {
        this.detach(vm, plugin, root);
        throw new PluginLoadError(`Plugin ${name}: ${vm.failed ? vm.failure!.message : "proxy_on_vm_start returned false"}`, this.takeLoadLogs(vm, plugin));
      }
      const configured = vm.has("proxy_on_configure") ? vm.call(root, "proxy_on_configure", root.id, plugin.configuration.length) : 1;
      root.configuring = false;
      if (configured === 0 || vm.failed) {
        this.detach(vm, plugin, root);
        throw new PluginLoadError(`Plugin ${name}: ${vm.failed ? vm.failure!.message : "proxy_on_configure returned false (configuration rejected)"}`, this.takeLoadLogs(vm, plugin));
      }
      vm.loadLogs = null;
    }
    if (fresh) this.vmGroups.set(key, vms);
    plugin.vms = vms;
    this.plugins.push(plugin);
    return plugin;
  }

  private detach(vm: Vm, plugin: PluginRuntime, root: RootContext): void {
    vm.roots.delete(plugin);
    vm.contexts.delete(root.id);
  }

  private takeLoadLogs(vm: Vm, plugin: PluginRuntime): LogEntry[] {
    const logs = (vm.loadLogs ?? []).map((l) => ({ level: l.level as LogLevel, plugin: plugin.name, message: l.message }));
    vm.loadLogs = null;
    return logs;
  }
}
