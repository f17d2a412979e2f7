// The Envoy engine: a topology run in real Envoy processes on loopback. The
// proxies start server side first (each one's cluster needs the next one's
// port), the client sends real HTTP to the first, the last one's cluster is a
// recording upstream that answers with the stream's `upstream`, and each
// proxy's access log and plugin log lines give what it decided.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { requireTool } from "../../tools/locate.ts";
import { parseVersion } from "../../tools/versions.ts";
import { OUR_FILTER_STATE_KEYS } from "../filter-state.ts";
import { checkTopology } from "../host/host-engine.ts";
import { clusterFromPlan, planStream, UnproducibleProperty, type ClientProtocol, type StreamPlan } from "../properties.ts";
import { streamResult } from "../result.ts";
import {
  StartError, type Deployment, type Engine, type EngineInfo, type HopResult, type LogLevel, type RequestInput, type Stream, type StreamResult,
  type StreamTrap, type Topology,
} from "../types.ts";
import { checkFilterStateKey, readAccessRecord } from "./access-log.ts";
import type { WasmDelivery } from "./bootstrap.ts";
import { EnvoyProxy, type StreamWindow } from "./envoy-proxy.ts";
import { removeIfAbandoned } from "./process.ts";
import { EnvoyClient, isReset, proxyProtocolHeader, type ClientResponse } from "./http-client.ts";
import { RecordingUpstream } from "./upstream-server.ts";

export interface EnvoyEngineOptions {
  /** The Envoy binary; default: ENVOY_BIN, PATH, then .tools/bin (tools/locate.ts). */
  bin?: string;
  /** Worker threads per Envoy (default 1: one VM per plugin, and plugin logs exact per stream). */
  concurrency?: number;
  /** How the filters reach Envoy: inline typed_config, or ECDS read from a file (default inline). */
  wasmDelivery?: WasmDelivery;
  /** How long an Envoy may take to become LIVE (default 60 s: V8 compiles every module first). */
  readyTimeoutMs?: number;
  /** Keep the work folder (bootstrap, modules, logs) after stop; also MESH_FILTERS_KEEP_ENVOY=1. */
  keepWorkDir?: boolean;
  /**
   * Envoy's own log level (`-l`) for every component but `wasm` (whose level is
   * each proxy's `logLevel`); default info. At debug Envoy's `http` component
   * prints every request header, credentials included (engine/README.md).
   */
  logLevel?: LogLevel;
}

const versions = new Map<string, string>();

/** `envoy --version` → "1.40.0" (tools/versions.ts reads it), once per binary. */
export function envoyVersion(bin: string): string {
  let v = versions.get(bin);
  if (!v) {
    const out = execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000 });
    v = parseVersion("envoy", out) ?? out.trim();
    versions.set(bin, v);
  }
  return v;
}

export class EnvoyEngine implements Engine {
  readonly name = "envoy" as const;
  readonly bin: string;

  constructor(private readonly options: EnvoyEngineOptions = {}) {
    this.bin = options.bin ?? requireTool("envoy").path;
  }

  async info(): Promise<EngineInfo> {
    return { name: "envoy", version: envoyVersion(this.bin) };
  }

  async start(topology: Topology): Promise<EnvoyDeployment> {
    checkTopology(topology);
    const keys = topology.filterStateKeys ?? OUR_FILTER_STATE_KEYS;
    keys.forEach(checkFilterStateKey);
    const info = await this.info();
    const work = mkdtempSync(path.join(os.tmpdir(), "mesh-envoy-"));
    const keep = this.options.keepWorkDir ?? process.env.MESH_FILTERS_KEEP_ENVOY === "1";
    // Removed by stop(), or by the exit and signal hooks and the watchdog when the caller never stops.
    const forget = keep ? () => undefined : removeIfAbandoned(work);
    const upstream = new RecordingUpstream();
    const proxies: EnvoyProxy[] = [];
    const cleanup = async () => {
      await Promise.allSettled(proxies.map((p) => p.stop()));
      await upstream.stop().catch(() => undefined);
      if (!keep) rmSync(work, { recursive: true, force: true });
      forget();
    };
    try {
      await upstream.start();
      let next = upstream.port;
      for (let i = topology.proxies.length - 1; i >= 0; i--) {
        const spec = topology.proxies[i]!;
        const proxy = await EnvoyProxy.start({
          spec, dir: path.join(work, `${i}-${spec.name.replace(/[^A-Za-z0-9_.-]/g, "_")}`), bin: this.bin, upstreamPort: next,
          acceptProxyProtocol: i === 0, filterStateKeys: keys, delivery: this.options.wasmDelivery ?? "inline",
          concurrency: this.options.concurrency ?? 1, readyTimeoutMs: this.options.readyTimeoutMs ?? 60_000,
          logLevel: this.options.logLevel ?? "info", abandonDir: keep ? undefined : work,
        });
        proxies.unshift(proxy);
        next = proxy.mainPort;
      }
    } catch (e) {
      await cleanup();
      if (e instanceof StartError) throw e;
      throw new StartError((e as Error).message, "", undefined, []);
    }
    return new EnvoyDeployment(info, topology, proxies, upstream, cleanup, keep ? work : undefined);
  }
}

function isGrpc(r: RequestInput): boolean {
  return r.headers.some(([k, v]) => k.toLowerCase() === "content-type" && v.toLowerCase().startsWith("application/grpc"));
}

/** HTTP/2 when the stream needs it (gRPC, request trailers) or asks for it; HTTP/1.1 otherwise. */
export function clientProtocol(stream: Stream, plan: StreamPlan): ClientProtocol {
  if (plan.protocol) return plan.protocol;
  return isGrpc(stream.request) || (stream.request.trailers?.length ?? 0) > 0 ? "HTTP/2" : "HTTP/1.1";
}

export class EnvoyDeployment implements Deployment {
  private readonly client = new EnvoyClient();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped: Promise<void> | undefined;

  constructor(
    readonly engine: EngineInfo,
    readonly topology: Topology,
    private readonly proxies: EnvoyProxy[],
    private readonly upstream: RecordingUpstream,
    private readonly cleanup: () => Promise<void>,
    /** Set when the work folder is kept. */
    readonly workDir: string | undefined,
  ) {}

  /** Process ids of the Envoys (tests check they are gone after stop). */
  get pids(): number[] {
    return this.proxies.map((p) => p.process.pid);
  }

  /** The ports of a proxy's listeners and admin (for tests that send their own traffic). */
  endpoints(proxy: string): { listeners: { name: string; port: number }[]; admin: string } {
    const p = this.proxy(proxy);
    return { listeners: p.listeners.map((l) => ({ name: l.name, port: l.port })), admin: p.process.admin };
  }

  send(stream: Stream): Promise<StreamResult> {
    // One at a time: the recording upstream answers the current stream, and the fences split the logs per stream.
    const run = this.queue.then(() => this.sendNow(stream));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(stream: Stream): Promise<StreamResult> {
    if (this.stopped) throw new Error("the deployment is stopped");
    const first = this.proxies[0]!;
    const plan = planStream(stream.properties);
    const direction = plan.direction === undefined ? first.spec.direction : plan.direction ?? undefined;
    const cluster = clusterFromPlan(plan, first.spec.cluster);
    const listener = first.listenerFor(direction, cluster);
    if (!listener) {
      throw new UnproducibleProperty("xds.listener_direction/xds.cluster_*",
        `proxy ${first.spec.name} has no listener with direction ${direction ?? "unspecified"} and cluster ${cluster?.name ?? "(default)"}; declare it in the proxy's alternatives`);
    }
    const proxyHeader = plan.source ? proxyProtocolHeader(plan.source, plan.destination ?? { ip: "127.0.0.1", port: listener.port }) : undefined;
    this.upstream.expect(stream.upstream);
    let res: ClientResponse & { reset?: boolean };
    const to = { port: listener.port, protocol: clientProtocol(stream, plan), proxyHeader };
    // A stream Envoy's HTTP/2 codec refuses is only closed with its connection a second later:
    // its access-log line tells at once, and the runner drops the connection itself.
    const watch = to.protocol === "HTTP/2" ? first.watchUnanswered() : undefined;
    void watch?.ended.then((ended) => { if (ended) this.client.dropHttp2(to); });
    try {
      res = await this.client.send(to, stream.request);
    } catch (e) {
      // Envoy reset the stream (an HTTP/2 request its codec refuses, a module's proxy_close_stream):
      // a result like the host's reset one; the access log still says why.
      if (!isReset(e)) {
        // Whatever the proxies wrote for this stream must not end up in the next one's window.
        await Promise.allSettled(this.proxies.map((p) => p.fence()));
        throw e;
      }
      res = { status: 0, headers: [], body: Buffer.alloc(0), trailers: [], reset: true };
    } finally {
      watch?.cancel();
    }
    const windows = await Promise.all(this.proxies.map((p) => p.fence()));
    const received = this.upstream.take();
    const hops: HopResult[] = [];
    const traps: StreamTrap[] = [];
    let resetBy: { proxy: string; details: string; flags: string } | undefined;
    windows.forEach((w, i) => {
      const proxy = this.proxies[i]!;
      for (const t of w.traps) traps.push({ proxy: proxy.spec.name, plugin: proxy.trapPlugin(), function: t.function, message: t.message });
      const h = hop(proxy.spec.name, w);
      if (!h) return;
      hops.push(h.hop);
      // The proxy nearest the client that did not pass the upstream's answer on is the one that reset.
      if (res.reset && !resetBy && h.hop.local) resetBy = { proxy: h.hop.proxy, details: h.hop.details, flags: h.flags };
    });
    if (!hops.length) throw new Error(`${first.spec.name}: no access-log line for the stream (status ${res.status}); see its log:\n${first.process.logTail(20).join("\n")}`);
    const headers = res.headers.filter(([k]) => k !== ":status");
    return streamResult(
      { status: res.status, headers: res.reset ? [] : [[":status", String(res.status)], ...headers], body: res.body, ...(res.trailers.length ? { trailers: res.trailers } : {}) },
      hops,
      received[received.length - 1] ?? null,
      res.reset,
      { resetReason: res.reset ? resetReason(resetBy) : undefined, traps },
    );
  }

  private proxy(name: string): EnvoyProxy {
    const p = this.proxies.find((x) => x.spec.name === name);
    if (!p) throw new Error(`no proxy '${name}' in this deployment (${this.proxies.map((x) => x.spec.name).join(", ")})`);
    return p;
  }

  prometheus(proxy: string): Promise<string> {
    return this.proxy(proxy).prometheus();
  }

  logs(proxy: string): string {
    return this.proxy(proxy).log();
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.queue.catch(() => undefined);
      this.client.close();
      await this.cleanup();
    })();
    return this.stopped;
  }
}

/** A proxy's result for the stream from its window, or undefined when the stream never reached it. */
function hop(proxy: string, w: StreamWindow): { hop: HopResult; flags: string } | undefined {
  // More than one line would be a retry or an internal redirect; the last one is what went downstream.
  const fields = w.access[w.access.length - 1];
  if (!fields) return undefined;
  const a = readAccessRecord(fields);
  return { hop: { proxy, status: a.status, details: a.details, local: a.details !== "via_upstream", filterState: a.filterState, logs: w.logs }, flags: a.flags };
}

/**
 * Why Envoy reset the client's stream, in its access log's words:
 * `%RESPONSE_CODE_DETAILS%` (`http2.unexpected_underscore`,
 * `wasm_close_stream`, ...) and `%RESPONSE_FLAGS%` when set.
 */
function resetReason(by: { proxy: string; details: string; flags: string } | undefined): string {
  if (!by) return "Envoy reset the stream (no proxy logged why)";
  const flags = by.flags && by.flags !== "-" ? `, response flags ${by.flags}` : "";
  return `${by.proxy} reset the stream: ${by.details || "(no details)"}${flags}`;
}
