// One seeded, bounded, reproducible fuzz suite over all four filters (issue 9, "Robustness").
//
// Per filter, FUZZ_STREAMS (default 100,000) random streams through the full engine
// (chain.send: request and response headers, bodies, trailers, local replies, on_log), from
// streams.ts: random methods, paths, header names and values (binary, non-ASCII, up to 64 KiB),
// peer headers (x-envoy-peer-metadata valid / truncated / garbage base64 / random protobuf,
// x-envoy-peer-metadata-id), response codes, response flags and other stream properties,
// directions. stats runs alone with random peer filter state (what metadata-exchange would
// have written, including bytes it never would) and behind metadata-exchange with the raw headers.
// Then FUZZ_CONFIGS (default 400) mutated configurations per filter (configs.ts), each either
// loaded — and then driven by a few random streams — or rejected by PluginLoadError with a
// module log line that says what is wrong.
//
// Asserted: no trap, no failed VM, no reset; every response is the upstream's status or a local
// reply the filter documents; wasm memory grows by at most one page after warm-up.
// Reproduce: FUZZ_SEED=<seed> FUZZ_STREAMS=<n> npx vitest run tests/robustness/fuzz.test.ts
// (the seed is in every failure message). Measured cost: see the console line of each test.
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ProxyWasmHost, PluginLoadError, type Chain, type Plugin, type SendResult } from "../../host/index.ts";
import { Rand, seedFrom } from "./rng.ts";
import { StreamGen, peerPools, MAX_VALUE, MD, MD_ID, type FuzzStream } from "./streams.ts";
import { ConfigMutator } from "./configs.ts";
import { FILTERS, DEFAULT_ROOT_ID, exampleConfig, moduleBytes, schemaFieldNames, type FilterName } from "./modules.ts";

const SEED = seedFrom(process.env.FUZZ_SEED, 0x6d657368);
const STREAMS = Number(process.env.FUZZ_STREAMS ?? 100_000);
const CONFIGS = Number(process.env.FUZZ_CONFIGS ?? 500);
/** Memory is compared from here on; the warm-up ends with the largest inputs. */
const WARMUP = Math.min(30_000, Math.floor(STREAMS * 0.3));
const STREAMS_PER_CONFIG = 8;

console.log(`robustness fuzz: FUZZ_SEED=${SEED} FUZZ_STREAMS=${STREAMS} FUZZ_CONFIGS=${CONFIGS}`);

/** Per-filter seed, so one filter's test reproduces alone (vitest -t). */
const seedOf = (name: FilterName, salt: number) => (SEED ^ Math.imul(FILTERS.indexOf(name) + 1, 0x9e3779b1) ^ salt) >>> 0;

const HEADER_AUTH_DETAILS = new Set(["header_auth_missing_credential", "header_auth_invalid_credential", "header_auth_forbidden"]);

/** The local replies a filter documents: header-auth 401 and its forbidden_status (-200: as a gRPC reply); the others none. */
function localAllowed(name: FilterName, forbidden: number | null): (status: number, details: string) => boolean {
  if (name !== "header-auth") return () => false;
  return (status, details) => {
    if (!HEADER_AUTH_DETAILS.has(details)) return false;
    if (status === -200) return true;
    if (details !== "header_auth_forbidden") return status === 401;
    return forbidden === null ? status >= 400 && status <= 599 : status === forbidden;
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
  if (problem) throw new Error(`${what} (FUZZ_SEED=${SEED}): ${problem}\ninput: ${describeInput(s)}`);
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

async function setup(name: FilterName): Promise<Setup> {
  const host = new ProxyWasmHost({ retainLogs: false, logLevel: "info" });
  const load = async (f: FilterName, rootId = DEFAULT_ROOT_ID[f]) => host.loadPlugin({
    module: await moduleBytes(f), name: f, rootId, vmId: f, configuration: JSON.stringify(exampleConfig(f)),
  });
  if (name === "stats") {
    const mx = await load("metadata-exchange");
    const stats = await load("stats");
    return { host, plugins: [mx, stats], chains: [{ chain: host.chain([stats]), peers: true, weight: 0.7 }, { chain: host.chain([mx, stats]), peers: false, weight: 0.3 }] };
  }
  const p = await load(name);
  return { host, plugins: [p], chains: [{ chain: host.chain([p]), peers: false, weight: 1 }] };
}

for (const name of FILTERS) {
  describe(name, () => {
    it(`${STREAMS} random streams: no trap, documented statuses only, memory flat after warm-up`, async () => {
      const r = new Rand(seedOf(name, 1));
      const pools = peerPools(new Rand(SEED));
      const gen = new StreamGen(r, pools);
      const { host, plugins, chains } = await setup(name);
      // stats keeps up to max_series (10,000) label combinations per metric, and its key cache
      // refills every ~20,000 new combinations: its warm-up lasts until 25,000 streams after the
      // first overflow (random labels make most combinations new).
      let saturated = name !== "stats";
      let warmupEnd = saturated ? WARMUP : Infinity;
      const allowed = localAllowed(name, 403);
      const pagesAtWarmup = new Map<Plugin, number>();
      const statuses = new Map<string, number>();
      const t0 = performance.now();
      for (let i = 0; i < STREAMS; i++) {
        const big = i === warmupEnd - 1 || i === warmupEnd - 2;
        // The two largest streams go through every chain (stats: alone and behind metadata-exchange).
        const c = big ? chains[i % chains.length]! : chains.length === 1 || r.next() < chains[0]!.weight ? chains[0]! : chains[1]!;
        const s = big ? largest(gen, pools.big) : gen.next({ peers: c.peers });
        const res = await c.chain.send({ request: s.request, upstream: s.upstream, properties: s.properties });
        check(`${name} stream ${i}`, plugins, s, res, allowed);
        const k = res.response.local ? res.response.details : "upstream";
        statuses.set(k, (statuses.get(k) ?? 0) + 1);
        if (!saturated && (host.metrics.value("mesh_stats_series_overflow_total") ?? 0) > 0) {
          saturated = true;
          warmupEnd = Math.max(WARMUP, i + 25_000);
        }
        if (i === warmupEnd - 1) for (const p of plugins) pagesAtWarmup.set(p, p.memoryPages());
        if (process.env.FUZZ_TRACE && i % 5000 === 0) console.log(`${name} ${i}: ${plugins.map((p) => `${p.name} ${p.memoryPages()}`).join(", ")}`);
      }
      const seconds = (performance.now() - t0) / 1000;
      const mem = plugins.map((p) => `${p.name} ${pagesAtWarmup.get(p)} -> ${p.memoryPages()} pages`).join(", ") + ` (warm-up ${warmupEnd} streams)`;
      console.log(`${name}: ${STREAMS} streams in ${seconds.toFixed(1)} s (${(seconds * 1e6 / STREAMS).toFixed(1)} µs/stream), ${mem}, outcomes ${JSON.stringify(Object.fromEntries(statuses))}`);
      for (const p of plugins) {
        expect(p.traps, p.name).toEqual([]);
        expect(p.failed, p.name).toBe(false);
        if (!pagesAtWarmup.has(p)) { console.warn(`${name}: ${STREAMS} streams end before the warm-up (${warmupEnd}); memory not compared`); continue; }
        expect(p.memoryPages() - pagesAtWarmup.get(p)!, `${p.name} memory growth after warm-up at stream ${warmupEnd} (FUZZ_SEED=${SEED})`).toBeLessThanOrEqual(1);
      }
      if (name === "header-auth" && STREAMS >= 10_000) {
        for (const d of ["upstream", ...HEADER_AUTH_DETAILS]) expect(statuses.get(d) ?? 0, d).toBeGreaterThan(STREAMS / 1000);
      }
    }, 240_000);

    it(`${CONFIGS} mutated configurations: each loads or is rejected with an explanation, no trap`, async () => {
      const r = new Rand(seedOf(name, 2));
      const gen = new StreamGen(r, peerPools(new Rand(SEED)));
      const fields = schemaFieldNames(name);
      const mutator = new ConfigMutator(r, exampleConfig(name) as never, fields);
      const module = await moduleBytes(name);
      let host: ProxyWasmHost | null = null;
      let accepted = 0, rejected = 0;
      const samples: string[] = [];
      const t0 = performance.now();
      for (let i = 0; i < CONFIGS; i++) {
        // A fresh host every 50 configurations (accepted ones keep their root contexts in the VM).
        if (i % 50 === 0) host = new ProxyWasmHost({ retainLogs: false, logLevel: "info" });
        const configuration = mutator.next();
        const rootId = name === "stats" ? r.pick(["stats", "stats_inbound", "stats_outbound", ""]) : DEFAULT_ROOT_ID[name];
        const where = `${name} configuration ${i} (FUZZ_SEED=${SEED}): ${JSON.stringify(configuration).slice(0, 1500)}`;
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
        let forbidden: number | null = null;
        try { const fs = JSON.parse(configuration)?.forbidden_status; forbidden = typeof fs === "number" ? fs : 403; } catch { forbidden = null; }
        const allowed = localAllowed(name, forbidden);
        const chain = host!.chain([plugin]);
        for (let k = 0; k < STREAMS_PER_CONFIG; k++) {
          const s = gen.next({ peers: name === "stats" });
          const res = await chain.send({ request: s.request, upstream: s.upstream, properties: s.properties });
          check(`${where}, stream ${k}`, [plugin], s, res, allowed);
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      console.log(`${name}: ${CONFIGS} mutated configurations in ${seconds.toFixed(1)} s: ${accepted} loaded (each then ${STREAMS_PER_CONFIG} streams), ${rejected} rejected; e.g. ${JSON.stringify(samples)}`);
      expect(accepted + rejected).toBe(CONFIGS);
      if (CONFIGS >= 100) {
        expect(accepted, "some mutations must still load").toBeGreaterThan(0);
        expect(rejected, "some mutations must be rejected").toBeGreaterThan(0);
      }
    }, 240_000);
  });
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
