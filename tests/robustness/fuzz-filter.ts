// The fuzz of one filter (issue 9, "Robustness"), for every filter of a project: the
// suite (fuzz.test.ts) runs it on each filter of this repository's project, and on a filter
// `mesh-filters new` scaffolds (new-filter.test.ts). What a filter documents (its local
// replies, the filters it runs behind, when its caches are full) comes from its folder's
// robustness.json (modules.ts).
//
// fuzzStreams: random streams through the full engine (chain.send: request and response
// headers, bodies, trailers, local replies, on_log), from streams.ts: random methods, paths,
// header names and values (binary, non-ASCII, up to 64 KiB), peer headers (x-envoy-peer-metadata
// valid / truncated / garbage base64 / random protobuf, x-envoy-peer-metadata-id), response
// codes, response flags and other stream properties, directions. A filter that runs behind
// others (stats behind metadata-exchange) runs alone with random peer filter state (what they
// would have written, including bytes they never would) and behind them with the raw headers.
// fuzzConfigs: mutated configurations (configs.ts), each either loaded, and then driven by a
// few random streams, or rejected by PluginLoadError with a module log line that says what is
// wrong.
//
// Asserted: no trap, no failed VM, no reset; every response is the upstream's status or a local
// reply the filter documents; wasm memory grows by at most one page after warm-up.
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { ProxyWasmHost, PluginLoadError, type Chain, type Plugin, type SendResult } from "../../host/index.ts";
import { Rand } from "./rng.ts";
import { StreamGen, peerPools, MAX_VALUE, MD, MD_ID, type FuzzStream } from "./streams.ts";
import { ConfigMutator } from "./configs.ts";
import { defaultRootId, exampleConfig, moduleBytes, robustnessSpec, rootIds, schemaFieldNames, type FilterName, type RobustnessSpec } from "./modules.ts";

const STREAMS_PER_CONFIG = 8;

export interface FuzzOptions {
  /** The project holding filters/<name>/ and build/. */
  root: string;
  /** FUZZ_SEED, printed in every failure. */
  baseSeed: number;
  /** This filter's own seed, so one filter's test reproduces alone (vitest -t). */
  seed: number;
  streams: number;
  configs: number;
}

/**
 * The local replies a filter documents (robustness.json), with the statuses a configuration
 * sets (statusFrom); -200 stands for the trailers-only gRPC form of a documented reply.
 */
function localAllowed(spec: RobustnessSpec, config: unknown): (status: number, details: string) => boolean {
  return (status, details) => {
    const reply = spec.localReplies.find((l) => l.details === details);
    if (!reply) return false;
    if (status === -200) return true;
    const configured = reply.statusFrom !== undefined && config && typeof config === "object" ? (config as Record<string, unknown>)[reply.statusFrom] : undefined;
    return status === (typeof configured === "number" ? configured : reply.status);
  };
}

function describeInput(s: FuzzStream): string {
  return JSON.stringify(s, (_k, v) => (v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString("hex")}` : typeof v === "bigint" ? `${v}n` : v)).slice(0, 3000);
}

function check(what: string, plugins: Plugin[], s: FuzzStream, r: SendResult, allowed: (status: number, details: string) => boolean): void {
  const problem = (() => {
    for (const p of plugins) {
      if (p.traps.length) return `trap in ${p.name}: ${p.traps[0]!.message}`;
      if (p.failed) return `${p.name} failed`;
    }
    if (r.reset) return "stream reset";
    if (r.response.local) {
      // A gRPC request gets Envoy's trailers-only gRPC reply: HTTP 200 with grpc-status.
      const grpc = r.response.status === 200 && r.response.headers.some(([k]) => k === "grpc-status");
      if (!allowed(grpc ? -200 : r.response.status, r.response.details)) return `unexpected local reply ${r.response.status} ${r.response.details}`;
    } else if (r.response.status !== s.upstream.status) {
      return `status ${r.response.status} (${r.response.details}), upstream answered ${s.upstream.status}`;
    }
    return null;
  })();
  if (problem) throw new Error(`${what}: ${problem}\ninput: ${describeInput(s)}`);
}

/** The largest inputs at once, so that the warm-up reaches the heap's high-water mark. */
function largest(gen: StreamGen, big: string[]): FuzzStream {
  const s = gen.next({ peers: true });
  s.request.headers = [[":method", "GET"], [":path", "/api/" + "p".repeat(MAX_VALUE - 5)], [":authority", "a".repeat(MAX_VALUE)],
    ["x-api-key", "k".repeat(MAX_VALUE)], ["authorization", "Bearer " + "t".repeat(MAX_VALUE)], ["x-auth-principal", "s".repeat(MAX_VALUE)],
    [MD, big[0]!], [MD_ID, "i".repeat(MAX_VALUE)], ["user-agent", "u".repeat(MAX_VALUE)]];
  s.upstream.headers = [[MD, big[2]!], [MD_ID, "j".repeat(MAX_VALUE)], ["content-type", "c".repeat(MAX_VALUE)]];
  return s;
}

interface Setup { host: ProxyWasmHost; plugins: Plugin[]; chains: { chain: Chain; peers: boolean; weight: number }[] }

async function setup(name: FilterName, root: string, spec: RobustnessSpec): Promise<Setup> {
  const host = new ProxyWasmHost({ retainLogs: false, logLevel: "info" });
  const load = async (f: FilterName) => host.loadPlugin({
    module: await moduleBytes(f, root), name: f, rootId: defaultRootId(f, root), vmId: f, configuration: JSON.stringify(exampleConfig(f, root)),
  });
  if (spec.after.length) {
    const before: Plugin[] = [];
    for (const f of spec.after) before.push(await load(f));
    const self = await load(name);
    return { host, plugins: [...before, self], chains: [{ chain: host.chain([self]), peers: true, weight: 0.7 }, { chain: host.chain([...before, self]), peers: false, weight: 0.3 }] };
  }
  const self = await load(name);
  return { host, plugins: [self], chains: [{ chain: host.chain([self]), peers: false, weight: 1 }] };
}

/** Random streams: no trap, documented statuses only, memory flat after warm-up. */
export async function fuzzStreams(name: FilterName, o: FuzzOptions): Promise<void> {
  const root = o.root;
  const spec = robustnessSpec(name, root);
  const r = new Rand(o.seed ^ 1);
  const pools = peerPools(new Rand(o.baseSeed));
  const gen = new StreamGen(r, pools);
  const { host, plugins, chains } = await setup(name, root, spec);
  // A filter whose caches fill up (stats keeps up to max_series label combinations per metric,
  // and its key cache refills every ~20,000 new combinations) warms up until 25,000 streams after
  // its robustness.json counter first counts (random labels make most combinations new).
  let saturated = spec.warmupUntilMetric === undefined;
  const warmup = Math.min(30_000, Math.floor(o.streams * 0.3));
  let warmupEnd = saturated ? warmup : Infinity;
  const allowed = localAllowed(spec, exampleConfig(name, root));
  const pagesAtWarmup = new Map<Plugin, number>();
  const statuses = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < o.streams; i++) {
    const big = i === warmupEnd - 1 || i === warmupEnd - 2;
    // The two largest streams go through every chain (stats: alone and behind metadata-exchange).
    const c = big ? chains[i % chains.length]! : chains.length === 1 || r.next() < chains[0]!.weight ? chains[0]! : chains[1]!;
    const s = big ? largest(gen, pools.big) : gen.next({ peers: c.peers });
    const res = await c.chain.send({ request: s.request, upstream: s.upstream, properties: s.properties });
    check(`${name} stream ${i} (FUZZ_SEED=${o.baseSeed})`, plugins, s, res, allowed);
    const k = res.response.local ? res.response.details : "upstream";
    statuses.set(k, (statuses.get(k) ?? 0) + 1);
    if (!saturated && (host.metrics.value(spec.warmupUntilMetric!) ?? 0) > 0) {
      saturated = true;
      warmupEnd = Math.max(warmup, i + 25_000);
    }
    if (i === warmupEnd - 1) for (const p of plugins) pagesAtWarmup.set(p, p.memoryPages());
    if (process.env.FUZZ_TRACE && i % 5000 === 0) console.log(`${name} ${i}: ${plugins.map((p) => `${p.name} ${p.memoryPages()}`).join(", ")}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const mem = plugins.map((p) => `${p.name} ${pagesAtWarmup.get(p)} -> ${p.memoryPages()} pages`).join(", ") + ` (warm-up ${warmupEnd} streams)`;
  console.log(`${name}: ${o.streams} streams in ${seconds.toFixed(1)} s (${(seconds * 1e6 / o.streams).toFixed(1)} µs/stream), ${mem}, outcomes ${JSON.stringify(Object.fromEntries(statuses))}`);
  for (const p of plugins) {
    expect(p.traps, p.name).toEqual([]);
    expect(p.failed, p.name).toBe(false);
    if (!pagesAtWarmup.has(p)) { console.warn(`${name}: ${o.streams} streams end before the warm-up (${warmupEnd}); memory not compared`); continue; }
    expect(p.memoryPages() - pagesAtWarmup.get(p)!, `${p.name} memory growth after warm-up at stream ${warmupEnd} (FUZZ_SEED=${o.baseSeed})`).toBeLessThanOrEqual(1);
  }
  if (spec.expectEveryReply && o.streams >= 10_000) {
    for (const d of ["upstream", ...spec.localReplies.map((l) => l.details)]) expect(statuses.get(d) ?? 0, d).toBeGreaterThan(o.streams / 1000);
  }
}

/** Mutated configurations: each loads or is rejected with an explanation, no trap. */
export async function fuzzConfigs(name: FilterName, o: FuzzOptions): Promise<void> {
  const root = o.root;
  const spec = robustnessSpec(name, root);
  const r = new Rand(o.seed ^ 2);
  const gen = new StreamGen(r, peerPools(new Rand(o.baseSeed)));
  const fields = schemaFieldNames(name, root);
  const mutator = new ConfigMutator(r, exampleConfig(name, root) as never, fields);
  const module = await moduleBytes(name, root);
  // Every root id it registers, and "" (the first), when there is a choice (stats).
  const ids = [...rootIds(name, root), ""];
  const peers = spec.after.length > 0;
  let host: ProxyWasmHost | null = null;
  let accepted = 0, rejected = 0;
  const samples: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < o.configs; i++) {
    // A fresh host every 50 configurations (accepted ones keep their root contexts in the VM).
    if (i % 50 === 0) host = new ProxyWasmHost({ retainLogs: false, logLevel: "info" });
    const configuration = mutator.next();
    const rootId = ids.length > 2 ? r.pick(ids) : defaultRootId(name, root);
    const where = `${name} configuration ${i} (FUZZ_SEED=${o.baseSeed}): ${JSON.stringify(configuration).slice(0, 1500)}`;
    if (process.env.FUZZ_TRACE) writeFileSync(path.join(os.tmpdir(), `fuzz-config-${name}.json`), configuration);
    let plugin: Plugin;
    try {
      plugin = await host!.loadPlugin({ module, name, rootId, vmId: "fuzz", configuration });
    } catch (e) {
      if (!(e instanceof PluginLoadError)) throw new Error(`${where}: not a PluginLoadError: ${(e as Error).stack}`);
      if (/RuntimeError|failed: Uncaught|VM failed|Maximum call stack/.test(e.message) || e.logs.some((l) => l.level === "critical")) {
        throw new Error(`${where}: trapped while loading: ${e.message}`);
      }
      const known = knownNames(fields, configuration);
      const explained = e.logs.find((l) => (l.level === "error" || l.level === "warn") && explains(l.message, known));
      if (!explained) throw new Error(`${where}: rejected without an explanation; logs: ${JSON.stringify(e.logs)}`);
      if (samples.length < 6 && r.chance(0.05)) samples.push(explained.message.slice(0, 160));
      rejected++;
      continue;
    }
    accepted++;
    let parsed: unknown = null;
    try { parsed = JSON.parse(configuration); } catch { /* accepted although not JSON: no configured statuses */ }
    const allowed = localAllowed(spec, parsed);
    const chain = host!.chain([plugin]);
    for (let k = 0; k < STREAMS_PER_CONFIG; k++) {
      const s = gen.next({ peers });
      const res = await chain.send({ request: s.request, upstream: s.upstream, properties: s.properties });
      check(`${where}, stream ${k}`, [plugin], s, res, allowed);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${name}: ${o.configs} mutated configurations in ${seconds.toFixed(1)} s: ${accepted} loaded (each then ${STREAMS_PER_CONFIG} streams), ${rejected} rejected; e.g. ${JSON.stringify(samples)}`);
  expect(accepted + rejected).toBe(o.configs);
  if (o.configs >= 100) {
    expect(accepted, "some mutations must still load").toBeGreaterThan(0);
    expect(rejected, "some mutations must be rejected").toBeGreaterThan(0);
  }
}

/**
 * A rejection is explained when a log line says what is wrong with the JSON text, names an
 * unknown field, or names the field (a path like `credentials[2].key_sha256` whose names are
 * schema fields or keys of the given configuration, or `configuration` for the whole) followed
 * by what is wrong with it.
 */
function explains(message: string, known: { schema: string[]; all: Set<string> }): boolean {
  const rest = /invalid configuration: ([\s\S]*)$/.exec(message)?.[1] ?? message;
  if (/^invalid JSON: \S/.test(rest) || /unknown field '/.test(rest)) return true;
  const head = /^([^:\s]+): \S/.exec(rest);
  if (head) {
    const names = head[1]!.split(".").map((n) => n.replace(/\[\d+\]/g, ""));
    if (names.every((n) => n === "configuration" || known.all.has(n))) return true;
  }
  // Otherwise the line must at least name a schema field and say something about it.
  return rest.length > 20 && known.schema.some((f) => new RegExp(`\\b${f}\\b`).test(rest));
}

/** Schema fields plus every key of the given configuration (when it is JSON). */
function knownNames(fields: string[], configuration: string): { schema: string[]; all: Set<string> } {
  const all = new Set(fields);
  try {
    const walk = (v: unknown, depth: number): void => {
      if (depth > 8 || !v || typeof v !== "object") return;
      for (const [k, x] of Object.entries(v)) { if (!Array.isArray(v)) all.add(k); walk(x, depth + 1); }
    };
    walk(JSON.parse(configuration), 0);
  } catch { /* not JSON */ }
  return { schema: fields, all };
}
