// Memory floods as data (issue 18, "Done when"): for each filter, the worst legal inputs we can
// construct for its memory (many distinct large peer ids, peers, hosts, header values), as
// streams in the `mesh-filters run` JSON shape ({"request": {"headers", "body"}, "upstream":
// {"status", "headers", "body"}, "properties"}), each scenario with the chain it runs through
// and the wasm memory bound every plugin of that chain must stay under (README "Robustness").
//
// A stream is a pure function of its index, so a scenario replays identically in the host
// (tests/robustness/flood.test.ts) and through real Envoy: the headers of one request stay under
// Envoy's default max_request_headers_kb (60 KiB); `properties` are what the host needs to play
// Envoy's part (the listener direction Envoy takes from the listener, and stream attributes).
// writeJsonl() writes a scenario as the JSON Lines `mesh-filters run --requests` reads.
import { writeFileSync } from "node:fs";
import type { FilterName } from "./modules.ts";
import { mulberry32 } from "../support/mulberry32.ts";
import { encodeHeader } from "../filters/metadata-exchange/helpers.ts";

export interface RunStream {
  request: { headers: [string, string][]; body?: string };
  upstream: { status: number; headers?: [string, string][]; body?: string };
  properties?: Record<string, string | number | boolean>;
}

export interface FloodPlugin {
  filter: FilterName;
  rootId: string;
  /** The plugin configuration (JSON), as `--config` takes it. */
  configuration: Record<string, unknown>;
}

export interface FloodScenario {
  name: string;
  /** What the flood does and which bound it aims at. */
  what: string;
  /** Node metadata of the proxy (`--node`). */
  node: { id: string; metadata: Record<string, unknown> };
  /** The chain, in request order. */
  plugins: FloodPlugin[];
  streams: number;
  /** Stream `i` (0 <= i < streams): the same for the same i, every time. */
  stream(i: number): RunStream;
  /** Wasm memory (bytes) each filter's VM must stay under during and after the flood. */
  boundBytes: Partial<Record<FilterName, number>>;
}

const MiB = 1024 * 1024;

/**
 * The bounds README "Robustness" states, per VM, for the example configurations (stats and
 * metadata-exchange at their default cache sizes; metadata-exchange also at its largest
 * max_peer_cache_size, which its byte budget bounds). They hold whatever the traffic.
 */
export const MEMORY_BOUNDS: Record<FilterName, number> = {
  "add-header": 1 * MiB,
  "header-auth": 1 * MiB,
  "metadata-exchange": 16 * MiB,
  stats: 32 * MiB,
};

/** A server sidecar's node, shaped as Istio's injector sets it. */
export const FLOOD_NODE = {
  id: "sidecar~10.52.0.35~reviews-v2-7f6c8d9b-x2x7q.shop~shop.svc.cluster.local",
  metadata: {
    NAME: "reviews-v2-7f6c8d9b-x2x7q",
    NAMESPACE: "shop",
    OWNER: "kubernetes://apis/apps/v1/namespaces/shop/deployments/reviews-v2",
    WORKLOAD_NAME: "reviews-v2",
    ISTIO_VERSION: "1.18.2",
    MESH_ID: "cluster.local",
    CLUSTER_ID: "Kubernetes",
    LABELS: { app: "reviews", version: "v2", "service.istio.io/canonical-name": "reviews", "service.istio.io/canonical-revision": "v2" },
    PLATFORM_METADATA: {},
    APP_CONTAINERS: "reviews",
    INSTANCE_IPS: "10.52.0.35",
  },
};

/** A client peer's exchange metadata; `extra` overrides keys (long values for the worst cases). */
export function peerMetadata(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    NAME: "productpage-v1-84975bc778-pxz2w",
    NAMESPACE: "shop",
    OWNER: "kubernetes://apis/apps/v1/namespaces/shop/deployments/productpage-v1",
    WORKLOAD_NAME: "productpage-v1",
    ISTIO_VERSION: "1.18.2",
    MESH_ID: "cluster.local",
    CLUSTER_ID: "Kubernetes",
    LABELS: { app: "productpage", version: "v1", "service.istio.io/canonical-name": "productpage", "service.istio.io/canonical-revision": "v1" },
    PLATFORM_METADATA: {},
    APP_CONTAINERS: "productpage",
    INSTANCE_IPS: "10.52.0.34",
    ...extra,
  };
}

const FIXED_PEER_HEADER = encodeHeader(peerMetadata() as never);
const LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `n` characters, distinct for distinct `seed`s (the seed in decimal first, then seeded noise). */
export function filler(seed: number, n: number, alphabet = LETTERS): string {
  const r = mulberry32(seed * 2654435761 >>> 0);
  let s = `${seed}-`;
  while (s.length < n) s += alphabet[Math.floor(r() * alphabet.length)];
  return s.slice(0, n);
}

const INBOUND = { "xds.listener_direction": 1 } as const;
const OUTBOUND = { "xds.listener_direction": 2 } as const;

function get(path: string, authority: string, extra: [string, string][] = []): [string, string][] {
  return [[":method", "GET"], [":path", path], [":scheme", "http"], [":authority", authority], ...extra];
}

const MX: FloodPlugin = { filter: "metadata-exchange", rootId: "metadata_exchange", configuration: {} };
const STATS_IN: FloodPlugin = { filter: "stats", rootId: "stats_inbound", configuration: {} };
const STATS_OUT: FloodPlugin = { filter: "stats", rootId: "stats_outbound", configuration: {} };

const HEADER_AUTH_CONFIG = {
  credentials: [
    { principal: "reporting", key_sha256: "a931f839ac8199cbc4e143b8e132ed81524b2abfa181920baba35016a40f61c1", methods: ["GET"], path_prefixes: ["/api/"] },
    { principal: "billing", key_sha256: "6722d7086c160010c96652d4b675031a8d07eb3664c2bdb74b74bd003aee2433" },
  ],
  exempt_paths: ["/healthz"],
  exempt_prefixes: ["/.well-known/"],
  allow_cors_preflight: true,
};

/** The 16 dimensions stats allows, each from its own request header. */
const SIXTEEN_DIMENSIONS = Object.fromEntries(Array.from({ length: 16 }, (_, d) => [`dim_${d}`, `request.headers['x-dim-${d}']`]));

export const FLOOD_SCENARIOS: FloodScenario[] = [
  {
    name: "stats-peer-id-flood",
    what: "one valid x-envoy-peer-metadata, a new 8,000-byte x-envoy-peer-metadata-id on every request (issue 18 finding 1): stats' by-id peer cache",
    node: FLOOD_NODE,
    plugins: [MX, STATS_IN],
    streams: 12_000,
    stream: (i) => ({
      request: { headers: get("/reviews/1", "reviews.shop.svc.cluster.local", [["x-envoy-peer-metadata", FIXED_PEER_HEADER], ["x-envoy-peer-metadata-id", filler(i, 8000)]]) },
      upstream: { status: 200, body: "ok" },
      properties: { ...INBOUND },
    }),
    boundBytes: { "metadata-exchange": MEMORY_BOUNDS["metadata-exchange"], stats: MEMORY_BOUNDS.stats },
  },
  {
    name: "stats-peer-flood",
    what: "everything at once: a new valid peer on every request (every label value as long as the 8 KiB metadata header allows) with a new 8,000-byte id, a distinct 300-byte host and principal: both peer caches, label bytes, the series table past max_series, the series-key cache",
    node: FLOOD_NODE,
    plugins: [MX, STATS_IN],
    streams: 12_000,
    stream: (i) => {
      const md = peerMetadata({
        NAME: filler(i, 700), NAMESPACE: filler(i + 1, 700), WORKLOAD_NAME: filler(i + 2, 900), CLUSTER_ID: filler(i + 3, 600),
        LABELS: { app: filler(i + 4, 700), version: filler(i + 5, 600), "service.istio.io/canonical-name": filler(i + 6, 700), "service.istio.io/canonical-revision": filler(i + 7, 600) },
      });
      return {
        request: { headers: get("/reviews/1", filler(i + 8, 300), [["x-envoy-peer-metadata", encodeHeader(md as never)], ["x-envoy-peer-metadata-id", filler(i, 8000)]]) },
        // 204 carries no body (real Envoy answers a 204 with one 502 upstream protocol_error).
        upstream: { status: 200 + (i % 5), ...(i % 5 === 4 ? {} : { body: "ok" }) },
        properties: { ...INBOUND, "connection.uri_san_peer_certificate": `spiffe://cluster.local/ns/shop/sa/${filler(i, 2000)}` },
      };
    },
    boundBytes: { "metadata-exchange": MEMORY_BOUNDS["metadata-exchange"], stats: MEMORY_BOUNDS.stats },
  },
  {
    name: "stats-authority-flood",
    what: "distinct :authority values of 4 to 48 KiB through the host-header fallback (issue 18 finding 2): label bytes per series, the series-key cache",
    node: FLOOD_NODE,
    plugins: [STATS_OUT],
    streams: 3_000,
    stream: (i) => ({
      request: { headers: get("/", filler(i, 4096 + ((i * 7919) % (44 * 1024)))) },
      upstream: { status: 200 },
      properties: { ...OUTBOUND },
    }),
    boundBytes: { stats: MEMORY_BOUNDS.stats },
  },
  {
    name: "stats-series-flood",
    what: "15,000 distinct label combinations of 256-byte values (host, both principals, response codes): the series table at max_series (10,000 a metric), the overflow series, the series-key cache",
    node: FLOOD_NODE,
    plugins: [STATS_OUT],
    streams: 15_000,
    stream: (i) => ({
      request: { headers: get("/", filler(i, 300)) },
      upstream: { status: 200 + (i % 300) },
      properties: { ...OUTBOUND, "upstream.uri_san_peer_certificate": `spiffe://cluster.local/ns/shop/sa/${filler(i + 1, 300)}`, "upstream.uri_san_local_certificate": filler(i + 2, 300) },
    }),
    boundBytes: { stats: MEMORY_BOUNDS.stats },
  },
  {
    name: "stats-dimension-flood",
    what: "16 request-header dimensions, each a distinct 3 KiB value on every request: the series-key cache at its largest keys",
    node: FLOOD_NODE,
    plugins: [{ filter: "stats", rootId: "stats_inbound", configuration: { metrics: [{ dimensions: SIXTEEN_DIMENSIONS }] } }],
    streams: 3_000,
    stream: (i) => ({
      request: { headers: get("/", "reviews:9080", Array.from({ length: 16 }, (_, d) => [`x-dim-${d}`, filler(i * 16 + d, 3000)] as [string, string])) },
      upstream: { status: 200 },
      properties: { ...INBOUND },
    }),
    boundBytes: { stats: MEMORY_BOUNDS.stats },
  },
  {
    name: "metadata-exchange-cache-flood",
    what: "max_peer_cache_size 100,000 (the largest allowed), a new valid peer header of ~8,000 bytes (under the 8 KiB limit) and 8,000-byte id on every request: the peer cache's byte budget",
    node: FLOOD_NODE,
    plugins: [{ filter: "metadata-exchange", rootId: "metadata_exchange", configuration: { max_peer_cache_size: 100_000 } }],
    streams: 8_000,
    stream: (i) => {
      const md = peerMetadata({ WORKLOAD_NAME: filler(i, 2000), NAME: filler(i + 1, 2000), OWNER: filler(i + 2, 1600) });
      return {
        request: { headers: get("/", "reviews:9080", [["x-envoy-peer-metadata", encodeHeader(md as never)], ["x-envoy-peer-metadata-id", filler(i, 8000)]]) },
        upstream: { status: 200, headers: [["x-envoy-peer-metadata", FIXED_PEER_HEADER], ["x-envoy-peer-metadata-id", filler(i + 7, 8000)]] },
        properties: { ...INBOUND },
      };
    },
    boundBytes: { "metadata-exchange": MEMORY_BOUNDS["metadata-exchange"] },
  },
  {
    name: "header-auth-flood",
    what: "distinct 40 KiB paths (exempt, restricted, denied), 8 KiB unknown keys, spoofed principal headers in every spelling an upstream folds",
    node: FLOOD_NODE,
    plugins: [{ filter: "header-auth", rootId: "header_auth", configuration: HEADER_AUTH_CONFIG }],
    streams: 6_000,
    stream: (i) => {
      const path = ["/.well-known/", "/api/", "/reviews/", "/healthz/../"][i % 4] + filler(i, 40 * 1024 - 20, "abcdefghij/._-%;");
      const key = i % 3 === 0 ? "demo-reporting-key" : i % 3 === 1 ? "demo-billing-key" : filler(i, 8 * 1024);
      return {
        request: {
          headers: get(path, "reviews:9080", [
            ["x-api-key", key], ["x_auth_principal", filler(i, 2000)], ["x-auth_principal", "admin"], ["x_auth-principal", "admin"], ["x-auth-principal", "admin"],
          ]),
        },
        upstream: { status: 200 },
      };
    },
    boundBytes: { "header-auth": MEMORY_BOUNDS["header-auth"] },
  },
  {
    name: "add-header-flood",
    what: "requests and responses with 48 KiB of distinct header values",
    node: FLOOD_NODE,
    plugins: [{ filter: "add-header", rootId: "add_header", configuration: {} }],
    streams: 3_000,
    stream: (i) => ({
      request: { headers: get("/" + filler(i, 1000), "reviews:9080", [["x-big", filler(i, 48 * 1024)]]) },
      upstream: { status: 200, headers: [["x-big", filler(i + 1, 48 * 1024)]] },
    }),
    boundBytes: { "add-header": MEMORY_BOUNDS["add-header"] },
  },
];

/** The scenario's streams as `mesh-filters run --requests` JSON Lines (first `count` of them). */
export function writeJsonl(s: FloodScenario, file: string, count = s.streams): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify(s.stream(i)));
  writeFileSync(file, lines.join("\n") + "\n");
}
