// What the benchmark measures: the floor (a hand-written do-nothing WAT module), the two
// do-nothing references compiled in the same run (our lean layer, proxy-runtime's stock entry
// points), every built filter on a simple request, filter-specific cases, and the whole chain.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../lib/project.ts";
import { compileRelease, compileStock } from "../lib/compile-filter.ts";
import type { HeaderList, PropertyInput } from "../../host/index.ts";
import { encodeStruct } from "../../host/proto.ts";
import { istioServiceClusterMetadata } from "../../engine/cluster-metadata.ts";

export interface BenchPlugin { name: string; module: Uint8Array; rootId: string; configuration?: string }

export interface BenchCase {
  name: string;
  plugins: BenchPlugin[];
  requestHeaders: HeaderList;
  response: { status: number; headers?: HeaderList };
  properties?: Record<string, PropertyInput>;
}

/** A request shaped like one an Istio sidecar sees. */
export const SIMPLE_REQUEST: HeaderList = [
  [":method", "GET"], [":path", "/api/v1/items?limit=10"], [":scheme", "http"], [":authority", "svc.ns.svc.cluster.local"],
  ["user-agent", "curl/8.5.0"], ["accept", "*/*"], ["x-request-id", "4c3f6c2e-8f1a-4a53-9c1b-6b9f0e3f2a11"],
];
export const SIMPLE_RESPONSE = { status: 200, headers: [["content-type", "application/json"], ["content-length", "42"]] as HeaderList };
export const PROPERTIES: Record<string, PropertyInput> = {
  "xds.listener_direction": 1, "source.address": "10.0.0.7:41234", "destination.address": "10.0.0.9:8080", "connection.mtls": true,
};
export const NODE = {
  id: "sidecar~10.0.0.9~reviews-v1-abc.default~default.svc.cluster.local",
  cluster: "reviews.default",
  metadata: { NAME: "reviews-v1-abc", NAMESPACE: "default", WORKLOAD_NAME: "reviews-v1", CLUSTER_ID: "Kubernetes", LABELS: { app: "reviews", version: "v1" }, MESH_ID: "cluster.local" },
};

/** The peer on the other side: what metadata-exchange learns and stats labels with. */
const PEER_METADATA = {
  NAME: "productpage-v1-6b746f74dc-9stvs", NAMESPACE: "default", WORKLOAD_NAME: "productpage-v1", CLUSTER_ID: "Kubernetes",
  OWNER: "kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1", ISTIO_VERSION: "1.18.2", MESH_ID: "cluster.local",
  LABELS: { app: "productpage", version: "v1", "service.istio.io/canonical-name": "productpage", "service.istio.io/canonical-revision": "v1" },
  PLATFORM_METADATA: {}, APP_CONTAINERS: "productpage", INSTANCE_IPS: "10.0.0.7",
};
const PEER_ID = "sidecar~10.0.0.7~productpage-v1-6b746f74dc-9stvs.default~default.svc.cluster.local";
export const PEER_HEADERS: HeaderList = [
  ["x-envoy-peer-metadata", Buffer.from(encodeStruct(PEER_METADATA)).toString("base64")],
  ["x-envoy-peer-metadata-id", PEER_ID],
];
/** Attributes Envoy knows at log time on an inbound stream of a Kubernetes service. */
const LOG_TIME_PROPERTIES: Record<string, PropertyInput> = {
  "xds.cluster_name": "inbound|9080||",
  "xds.cluster_metadata": istioServiceClusterMetadata({ host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" }),
  "request.duration": 2_500_000, "request.total_size": 310, "response.total_size": 420,
};

// The references ship with the package (package.json "files").
const FLOOR_WAT = path.join(PACKAGE_ROOT, "tests/fixtures/host/floor.wat");

async function compileWat(file: string): Promise<Uint8Array> {
  const wabt = await (await import("wabt")).default();
  const m = wabt.parseWat(path.basename(file), readFileSync(file, "utf8"));
  try { return new Uint8Array(m.toBinary({}).buffer); } finally { m.destroy(); }
}

/** AssemblyScript compiles paths relative to the cwd; compile the references from the package root. */
async function inRoot<T>(f: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(PACKAGE_ROOT);
  try { return await f(); } finally { process.chdir(cwd); }
}

interface FilterEntry { name: string; rootIds: string[]; file: string }

/** Optional `filters/<name>/bench.json`: {"cases":[{"name","request":{"headers"},"properties"}]} for filter-specific cases. */
interface BenchSpec { cases?: { name: string; request?: { headers?: HeaderList }; properties?: Record<string, PropertyInput>; response?: { status: number; headers?: HeaderList } }[] }

/** `root`: the project whose build/filters.json and filters/<name>/ are measured (default: this package's own). */
export async function loadCases(opts: { only?: string[]; root?: string } = {}): Promise<BenchCase[]> {
  const root = opts.root ?? PACKAGE_ROOT;
  const cases: BenchCase[] = [];
  const simple = (name: string, plugins: BenchPlugin[]): BenchCase => ({ name, plugins, requestHeaders: SIMPLE_REQUEST, response: SIMPLE_RESPONSE, properties: PROPERTIES });
  const want = (n: string) => !opts.only?.length || opts.only.includes(n);

  if (want("floor")) cases.push(simple("floor", [{ name: "floor", module: await compileWat(FLOOR_WAT), rootId: "" }]));
  if (want("noop-lean")) {
    const m = await inRoot(() => compileRelease("tests/fixtures/bench/noop-lean.ts"));
    cases.push(simple("noop-lean", [{ name: "noop-lean", module: m, rootId: "noop" }]));
  }
  if (want("noop-stock")) {
    const m = await inRoot(() => compileStock("tests/fixtures/bench/noop-stock.ts"));
    cases.push(simple("noop-stock", [{ name: "noop-stock", module: m, rootId: "noop" }]));
  }

  const manifest = path.join(root, "build/filters.json");
  if (!existsSync(manifest)) return cases;
  const filters = JSON.parse(readFileSync(manifest, "utf8")) as FilterEntry[];
  const byName = new Map<string, BenchPlugin>();
  for (const f of filters) {
    const dir = path.join(root, "filters", f.name);
    const cfgFile = path.join(dir, "example-config.json");
    const plugin: BenchPlugin = {
      name: f.name, module: new Uint8Array(readFileSync(path.join(root, f.file))), rootId: f.rootIds[0] ?? "",
      configuration: existsSync(cfgFile) ? readFileSync(cfgFile, "utf8") : undefined,
    };
    byName.set(f.name, plugin);
    const specFile = path.join(dir, "bench.json");
    const spec: BenchSpec = existsSync(specFile) ? JSON.parse(readFileSync(specFile, "utf8")) : {};
    if (spec.cases?.length) {
      for (const c of spec.cases) {
        if (!want(c.name)) continue;
        cases.push({
          name: c.name, plugins: [plugin], requestHeaders: c.request?.headers ?? SIMPLE_REQUEST,
          response: c.response ?? SIMPLE_RESPONSE, properties: { ...PROPERTIES, ...c.properties },
        });
      }
    } else if (f.name === "metadata-exchange") {
      // Inbound, the client's exchange headers on every request: the peer is decoded once, then cached.
      if (want(f.name)) cases.push({ ...simple(f.name, [plugin]), requestHeaders: [...SIMPLE_REQUEST, ...PEER_HEADERS] });
    } else if (f.name === "stats") {
      // Inbound, the peer as metadata-exchange leaves it in filter state: one cached series.
      if (want(f.name)) {
        cases.push({
          ...simple(f.name, [{ ...plugin, rootId: "stats_inbound" }]),
          properties: { ...PROPERTIES, ...LOG_TIME_PROPERTIES, downstream_peer: encodeStruct(PEER_METADATA), downstream_peer_id: PEER_ID },
        });
      }
    } else if (want(f.name)) {
      cases.push(simple(f.name, [plugin]));
    }
  }
  // The server sidecar's chain of the three mission filters on an authorized request from a known peer.
  const chain = ["header-auth", "metadata-exchange", "stats"].map((n) => byName.get(n));
  if (chain.every((p) => p) && want("chain")) {
    const [auth, mx, stats] = chain as BenchPlugin[];
    cases.push({
      name: "chain",
      plugins: [auth!, mx!, { ...stats!, rootId: "stats_inbound" }],
      requestHeaders: [...SIMPLE_REQUEST, ["x-api-key", "demo-reporting-key"], ...PEER_HEADERS],
      response: SIMPLE_RESPONSE,
      properties: { ...PROPERTIES, ...LOG_TIME_PROPERTIES },
    });
  }
  return cases;
}
