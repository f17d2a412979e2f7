// One proxy of a topology as a running Envoy: its work folder (bootstrap,
// modules named by sha256 as istio-agent caches them, ECDS files, log), the
// process, the ports of its listeners, and the fence that tells which log
// lines a stream wrote.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { stringify } from "yaml";
import { canonical, DEFAULT_CLUSTER, FENCE_LISTENER, runnerBootstrap, type RunnerListener, type RunnerPlugin, type WasmDelivery } from "./bootstrap.ts";
import { LogTail, parseLines, PluginLogMapper, type LogEvent } from "./envoy-log.ts";
import { FENCE_HEADER } from "./access-log.ts";
import { EnvoyProcess, EnvoyStartFailure } from "./process.ts";
import { readModuleFile } from "../../host/module-file.ts";
import { StartError, type ClusterSpec, type Direction, type LogEntry, type ProxySpec } from "../types.ts";

export interface ProxyLaunch {
  spec: ProxySpec;
  dir: string;
  bin: string;
  upstreamPort: number;
  acceptProxyProtocol: boolean;
  filterStateKeys: readonly string[];
  delivery: WasmDelivery;
  concurrency: number;
  readyTimeoutMs: number;
  /** Envoy's `-l` level (Envoy's level names). */
  logLevel: string;
  /** The deployment's work folder, removed by the watchdog if Node dies without stopping Envoy. */
  abandonDir?: string;
}

export interface ListenerPort extends RunnerListener {
  port: number;
}

/** What a proxy wrote for one stream, between two fences. */
export interface StreamWindow {
  access: Record<string, unknown>[];
  logs: LogEntry[];
  /** VM failures Envoy logged (`Function: <export> failed: <message>`). */
  traps: { function: string; message: string }[];
}

/**
 * The line Envoy (wasm_vm.cc) writes at error when a call into a VM traps,
 * e.g. `Function: proxy_on_request_headers failed: Uncaught RuntimeError:
 * unreachable`; an in-VM backtrace may follow on the next lines.
 */
const TRAP_LINE = /^Function: (\S+) failed: ([\s\S]*)$/;

const ENVOY_LEVEL: Record<string, string> = { trace: "trace", debug: "debug", info: "info", warn: "warning", error: "error", critical: "critical" };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => (ms ? setTimeout(r, ms) : setImmediate(r)));
}

export function listenerKey(direction: Direction | undefined, cluster: ClusterSpec): string {
  return canonical([direction ?? "", cluster.name, cluster.filterMetadata ?? null]);
}

/** Istio's default cap on a Wasm binary (ISTIO_WASM_MAX_BINARY_SIZE_BYTES), as the host's maxModuleBytes. */
const MAX_MODULE_BYTES = 256 * 1024 * 1024;

async function moduleBytes(m: Uint8Array | string): Promise<Uint8Array> {
  // A path is read as the host reads it: a regular file, within the cap (never a FIFO that blocks).
  return typeof m === "string" ? readModuleFile(m, MAX_MODULE_BYTES) : m;
}

export class EnvoyProxy {
  private readonly events: LogEvent[] = [];
  private fenceCount = 0;
  private readonly fenceAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private finalLog: string | undefined;

  private constructor(
    readonly spec: ProxySpec,
    readonly process: EnvoyProcess,
    readonly listeners: ListenerPort[],
    private readonly fencePort: number,
    private readonly tail: LogTail,
    private readonly mapper: PluginLogMapper,
  ) {}

  static async start(l: ProxyLaunch): Promise<EnvoyProxy> {
    const { spec, dir } = l;
    mkdirSync(path.join(dir, "wasm"), { recursive: true });
    mkdirSync(path.join(dir, "ecds"), { recursive: true });
    const logPath = path.join(dir, "envoy.log");
    const used = new Map<string, number>();
    const plugins: RunnerPlugin[] = [];
    for (const p of spec.plugins) {
      let bytes: Uint8Array;
      try {
        bytes = await moduleBytes(p.module);
      } catch (e) {
        throw new StartError(`${spec.name}: plugin ${p.name}: cannot read module ${String(p.module)}: ${(e as Error).message}`, spec.name, p.name, []);
      }
      const file = path.join(dir, "wasm", `${createHash("sha256").update(bytes).digest("hex")}.wasm`);
      writeFileSync(file, bytes);
      const n = (used.get(p.name) ?? 0) + 1;
      used.set(p.name, n);
      plugins.push({ filterName: n === 1 ? p.name : `${p.name}#${n}`, spec: p, file });
    }
    const shapes = [{ direction: spec.direction, cluster: spec.cluster }, ...(spec.alternatives ?? [])];
    const listeners: RunnerListener[] = [];
    const keys = new Set<string>();
    for (const s of shapes) {
      const cluster = s.cluster ?? { name: DEFAULT_CLUSTER };
      const key = listenerKey(s.direction, cluster);
      if (keys.has(key)) continue;
      keys.add(key);
      listeners.push({ name: listeners.length ? `listener_${listeners.length}` : "main", direction: s.direction, cluster });
    }
    const { bootstrap, ecdsFiles } = runnerBootstrap({
      proxy: spec, listeners, plugins, upstreamPort: l.upstreamPort, proxyProtocol: l.acceptProxyProtocol, logPath,
      filterStateKeys: l.filterStateKeys, delivery: l.delivery, ecdsPath: (name) => path.join(dir, "ecds", `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.yaml`),
    });
    for (const f of ecdsFiles) writeFileSync(f.path, stringify(f.content, { lineWidth: 0 }));
    const configPath = path.join(dir, "envoy.yaml");
    writeFileSync(configPath, stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false }));
    let envoy: EnvoyProcess;
    try {
      envoy = await EnvoyProcess.start({
        name: spec.name, bin: l.bin, configPath, adminAddressPath: path.join(dir, "admin-address.txt"), logPath,
        consolePath: path.join(dir, "console.log"), concurrency: l.concurrency, wasmLogLevel: ENVOY_LEVEL[spec.logLevel ?? "info"] ?? "info",
        readyTimeoutMs: l.readyTimeoutMs, logLevel: l.logLevel, abandonDir: l.abandonDir,
      });
    } catch (e) {
      if (e instanceof EnvoyStartFailure) {
        const plugin = failedPlugin(e.logTail, spec);
        throw new StartError(e.message, spec.name, plugin, e.logTail);
      }
      throw e;
    }
    try {
      if (l.delivery === "ecds") await checkEcdsAccepted(envoy, spec, plugins);
      const status = JSON.parse(await envoy.admin200("/listeners?format=json")) as {
        listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[];
      };
      const port = (name: string) => {
        const s = status.listener_statuses.find((x) => x.name === name);
        if (!s) throw new Error(`${spec.name}: listener ${name} missing from /listeners`);
        return s.local_address.socket_address.port_value;
      };
      const proxy = new EnvoyProxy(
        spec, envoy, listeners.map((x) => ({ ...x, port: port(x.name) })), port(FENCE_LISTENER), new LogTail(logPath),
        new PluginLogMapper(spec.plugins.map((p) => ({ name: p.name, rootId: p.rootId ?? "", vmId: p.vmId ?? "" }))),
      );
      // Startup lines (configure logs of every worker) are nobody's stream.
      await proxy.fence();
      return proxy;
    } catch (e) {
      await envoy.stop();
      throw e;
    }
  }

  get mainPort(): number {
    return this.listeners[0]!.port;
  }

  listenerFor(direction: Direction | undefined, cluster: ClusterSpec | undefined): ListenerPort | undefined {
    const key = listenerKey(direction, cluster ?? { name: DEFAULT_CLUSTER });
    return this.listeners.find((l) => listenerKey(l.direction, l.cluster) === key);
  }

  /**
   * Everything the proxy wrote since the last fence. A request to the fence
   * listener is handled after every stream the worker finished, so once its
   * access-log line is in the file, so is everything before it (exact with
   * --concurrency 1; with more workers the fence may run on another one).
   */
  async fence(timeoutMs = 15_000): Promise<StreamWindow> {
    const id = String(++this.fenceCount);
    await this.fenceRequest(id);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const start = this.events.length;
      parseLines(this.tail.readLines(), this.events);
      for (let i = start; i < this.events.length; i++) {
        const e = this.events[i]!;
        if (e.kind === "fence" && e.id === id) return this.window(this.events.splice(0, i + 1));
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.spec.name}: the fence's access-log line did not reach ${this.tail.path} within ${timeoutMs} ms\n${this.process.logTail(20).join("\n")}`);
      }
      await this.tail.changed(20);
    }
  }

  /**
   * Resolves true once the proxy logged a stream that ended without a response (code 0: Envoy
   * reset it), false when cancelled. Lines read on the way stay for the next fence. Envoy closes
   * an HTTP/2 connection whose HEADERS it refuses only after delayed_close_timeout (1 s) and says
   * nothing to the client before: this tells the runner at once.
   */
  watchUnanswered(): { ended: Promise<boolean>; cancel(): void } {
    let cancelled = false;
    let wake: (() => void) | undefined;
    const ended = (async () => {
      let checked = this.events.length;
      while (!cancelled) {
        parseLines(this.tail.readLines(), this.events);
        for (; checked < this.events.length; checked++) {
          const e = this.events[checked]!;
          if (e.kind === "stream" && Number(e.fields.code ?? 0) === 0) return true;
        }
        await Promise.race([this.tail.changed(20), new Promise<void>((r) => (wake = r))]);
      }
      return false;
    })();
    return { ended, cancel: () => { cancelled = true; wake?.(); } };
  }

  /** A request through the fence listener: once answered, the worker has handled everything before it. */
  private fenceRequest(id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: this.fencePort, path: "/", agent: this.fenceAgent, headers: { [FENCE_HEADER]: id } }, (res) => {
        res.resume();
        res.on("end", () => resolve());
      });
      req.on("error", reject);
      req.end();
    });
  }

  private window(events: LogEvent[]): StreamWindow {
    const w: StreamWindow = { access: [], logs: [], traps: [] };
    for (const e of events) {
      if (e.kind === "stream") w.access.push(e.fields);
      else if (e.kind === "app") {
        const trap = e.logger === "wasm" && e.level === "error" ? TRAP_LINE.exec(e.message) : null;
        if (trap) {
          w.traps.push({ function: trap[1]!, message: e.message });
          continue;
        }
        const entry = this.mapper.entry(e);
        if (entry) w.logs.push(entry);
      }
    }
    return w;
  }

  /**
   * The plugin a trap belongs to. Envoy's trap line names the function, not
   * the plugin (seen in 1.40.0), so with several plugins in the proxy this is
   * every candidate, separated by `|`.
   */
  trapPlugin(): string {
    return [...new Set(this.spec.plugins.map((p) => p.name))].join("|");
  }

  /**
   * `/stats/prometheus` with the histograms up to date. Envoy shows a histogram
   * sample only after a stats flush merged the workers' histograms (every 5 s
   * by default); with stats_flush_on_admin an admin stats request starts that
   * merge but answers before it ends (seen in 1.40.0). So: start the merge,
   * let the worker run it (a fence request), then read.
   */
  async prometheus(): Promise<string> {
    await this.process.admin200("/stats?filter=^$");
    await this.fenceRequest("metrics");
    await sleep(5);
    return this.process.admin200("/stats/prometheus");
  }

  log(): string {
    return this.finalLog ?? this.tail.all();
  }

  async stop(): Promise<void> {
    this.fenceAgent.destroy();
    try {
      await this.process.stop();
    } finally {
      this.finalLog ??= this.tail.all();
      this.tail.close();
    }
  }
}

/**
 * With ECDS a rejected filter configuration does not stop Envoy (seen in
 * 1.40.0): the update is rejected (`Filesystem config update rejected: Unable
 * to create Wasm plugin <name>`), Envoy starts, and every request on the
 * listener is answered 500 with response flag NFCF. As with inline delivery,
 * where Envoy exits, the engine refuses to start: a plugin that did not come
 * up is a StartError, not a deployment that answers 500.
 */
async function checkEcdsAccepted(envoy: EnvoyProcess, spec: ProxySpec, plugins: RunnerPlugin[]): Promise<void> {
  const stats = await envoy.admin200(`/stats?filter=${encodeURIComponent("^extension_config_discovery\\.http_filter\\.")}`);
  for (const p of plugins) {
    const m = new RegExp(`^extension_config_discovery\\.http_filter\\.${p.filterName.replace(/[^A-Za-z0-9_]/g, "\\$&")}\\.update_success: (\\d+)$`, "m").exec(stats);
    if (m && Number(m[1]) > 0) continue;
    const tail = await logTailWith(envoy, /config update rejected/);
    const telling = tail.filter((x) => /\]\[(warning|error|critical)\]\[/.test(x));
    throw new StartError(
      `${spec.name}: plugin ${p.spec.name}: Envoy rejected its ECDS configuration (extension_config_discovery.http_filter.${p.filterName}.update_success is ${m?.[1] ?? "missing"}); ` +
      `Envoy itself keeps running and answers 500 (NFCF) on that listener\n--- Envoy's warnings and errors:\n${telling.join("\n")}`,
      spec.name, p.spec.name, tail,
    );
  }
}

/**
 * Envoy's log once it holds a line matching `line`, or after 3 s without it: the
 * counter can read 0 before the rejection's own line reaches the file (flushed
 * every 100 ms, later on a loaded machine), and that line is what explains it.
 */
async function logTailWith(envoy: EnvoyProcess, line: RegExp): Promise<string[]> {
  for (let waited = 0; ; waited += 50) {
    const tail = envoy.logTail(400);
    if (waited >= 3000 || tail.some((x) => line.test(x))) return tail;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The plugin Envoy's startup failure names ("Unable to create Wasm plugin <name>", "Plugin <name> failed to load"). */
function failedPlugin(lines: string[], spec: ProxySpec): string | undefined {
  for (const line of lines) {
    const m = /Unable to create Wasm (?:plugin|HTTP filter) (\S+)/.exec(line) ?? /Plugin (\S+) failed to load/.exec(line);
    if (m) {
      const named = spec.plugins.find((p) => p.name === m[1]!.replace(/[:'"]+$/, ""));
      if (named) return named.name;
    }
  }
  return undefined;
}
