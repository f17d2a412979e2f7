// Shared setup for the stats suites: the built module, Istio's stats_tags, node metadata,
// peer Struct and cluster metadata bytes, Prometheus parsing, golden label sets.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ProxyWasmHost, type Plugin, type StatsTag } from "../../../host/index.ts";
import type { HostOptions } from "../../../host/host.ts";
import { buildFilters } from "../../../scripts/commands/build.ts";
import { PROJECT_ROOT } from "../../../scripts/lib/project.ts";
import { watToWasm } from "../../../scripts/lib/validate-wasm.ts";
import { clientMetadata, serverMetadata, expectedFull, encodeStruct } from "../metadata-exchange/helpers.ts";
import { ISTIO_BOOTSTRAP_STATS_TAGS } from "../../fixtures/istio/bootstrap-stats-tags.ts";
import { requestTotalLabels, type RequestTotalVars } from "../../fixtures/istio/request-total-labels.ts";
import { tempDir } from "../../support/temp-dir.ts";

export { clientMetadata, serverMetadata, expectedFull, encodeStruct };

let statsPath: string | null = null;

/** build/stats.wasm, built into a temp dir when missing (build/filters.json untouched). */
export async function statsModule(): Promise<string> {
  if (statsPath) return statsPath;
  const built = path.join(PROJECT_ROOT, "build", "stats.wasm");
  if (existsSync(built)) return (statsPath = built);
  const out = tempDir("stats-build");
  await buildFilters({ outDir: out, only: ["stats"] });
  return (statsPath = path.join(out, "stats.wasm"));
}

let local401: Uint8Array | null = null;
export async function local401Module(): Promise<Uint8Array> {
  local401 ??= await watToWasm(readFileSync(path.join(PROJECT_ROOT, "tests/fixtures/stats/local-401.wat"), "utf8"), "local-401.wat");
  return local401;
}

/** Istio's sidecar bootstrap stats_tags (tests/fixtures/istio/bootstrap-stats-tags.ts). */
export function istioStatsTags(): StatsTag[] {
  return ISTIO_BOOTSTRAP_STATS_TAGS.map((t) => ({ ...t }));
}

export const CLIENT_ID = "sidecar~10.52.0.34~productpage-v1-84975bc778-pxz2w.default~default.svc.cluster.local";
export const SERVER_ID = "sidecar~10.52.0.35~ratings-v1-84975bc778-pxz2w.default~default.svc.cluster.local";

/** The peer as metadata-exchange stores it in filter state: Struct bytes of the exchanged keys. */
export function peerBytes(md: Record<string, unknown>): Uint8Array {
  return encodeStruct(expectedFull(md) as never);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return out;
}
function field(num: number, bytes: Uint8Array | number[]): number[] {
  return [(num << 3) | 2, ...varint(bytes.length), ...bytes];
}

/** envoy.config.core.v3.Metadata with filter_metadata.istio.services = [service], as Envoy serializes it. */
export function clusterMetadata(service: { host: string; name: string; namespace: string }): Uint8Array {
  const istio = encodeStruct({ services: [service] } as never);
  const entry = [...field(1, [...Buffer.from("istio")]), ...field(2, istio)];
  return new Uint8Array(field(1, entry));
}

export const SERVER_SERVICE = { host: "server.default.svc.cluster.local", name: "server", namespace: "default" };
export const OUTBOUND_CLUSTER = "outbound|9080||server.default.svc.cluster.local";
export const INBOUND_CLUSTER = "inbound|9080||";

export interface Series { name: string; labels: Record<string, string>; value: number }

/** Parses Envoy's /stats/prometheus text (counters and histogram _count lines). */
export function parsePrometheus(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error("bad prometheus line: " + line);
    const labels: Record<string, string> = {};
    if (m[2]) for (const lm of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, "$1");
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export function series(host: ProxyWasmHost, name: string): Series[] {
  return parsePrometheus(host.metrics.prometheus()).filter((s) => s.name === name);
}

/** Istio's golden istio_requests_total label set of the e2e client or server (tests/fixtures/istio/request-total-labels.ts). */
export function goldenLabels(reporter: "client" | "server", vars: RequestTotalVars): { labels: Record<string, string>; value: number } {
  return requestTotalLabels(reporter, vars);
}

export interface Proxy { host: ProxyWasmHost; plugin: Plugin }

export async function statsProxy(opts: HostOptions & { configuration?: string; rootId?: string } = {}): Promise<Proxy> {
  const { configuration, rootId, ...hostOpts } = opts;
  const host = new ProxyWasmHost({ statsTags: istioStatsTags(), ...hostOpts });
  const plugin = await host.loadPlugin({ module: await statsModule(), rootId: rootId ?? "stats", configuration: configuration ?? "" });
  return { host, plugin };
}

export const clientNode = () => ({ id: CLIENT_ID, metadata: clientMetadata() });
export const serverNode = () => ({ id: SERVER_ID, metadata: serverMetadata() });

export const INBOUND = { "xds.listener_direction": 1 };
export const OUTBOUND = { "xds.listener_direction": 2 };
