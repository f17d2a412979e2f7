// The conformance modules of tests/fixtures that mean something over HTTP, each
// in a proxy of its own with a handful of requests aimed at what it does:
// two-roots.ts (AssemblyScript on our layer: a local reply with a header and a
// gRPC status, request header replacement, filter state, a response body
// replaced after buffering, a counter, the second root), local-401.wat (a
// local reply on every request), floor.wat (a module that does nothing; also
// behind every printable character and %XX escape in a path),
// hostile.wat (garbage pointers, a garbage malloc, a trap), and
// fidelity/modules/metrics.wat (histogram samples around every
// bucket boundary).
import path from "node:path";
import { OUR_FILTER_STATE_KEYS } from "../../engine/filter-state.ts";
import type { HeaderList, PluginSpec, Stream, UpstreamResponse } from "../../engine/types.ts";
import { compileRelease } from "../../scripts/lib/compile-filter.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { watModule } from "../modules.ts";
import { emptyTally, tally, type Scenario } from "../scenario.ts";
import { makeSendable } from "../sendable.ts";

const PROXY = "conformance";

const GET = (p: string, extra: HeaderList = []): HeaderList => [[":method", "GET"], [":path", p], [":authority", "svc"], ...extra];
const POST = (p: string, extra: HeaderList = []): HeaderList => [[":method", "POST"], [":path", p], [":authority", "svc"], ...extra];
const GRPC: HeaderList = [["content-type", "application/grpc"], ["te", "trailers"]];

/** Requests every module gets: plain, HEAD, with a body, gRPC, and an answer with trailers. */
function common(): { request: Stream["request"]; upstream: UpstreamResponse }[] {
  return [
    { request: { headers: GET("/") }, upstream: { status: 200, body: "hello" } },
    { request: { headers: [[":method", "HEAD"], [":path", "/"], [":authority", "svc"]] }, upstream: { status: 200 } },
    { request: { headers: POST("/items", [["content-type", "application/json"]]), body: "{\"a\":1}" }, upstream: { status: 201, headers: [["content-type", "application/json"]], body: "{}" } },
    { request: { headers: POST("/svc.Items/Get", GRPC), body: "\u0000\u0000\u0000\u0000\u0000" }, upstream: { status: 200, headers: [["content-type", "application/grpc"]], body: "\u0000\u0000\u0000\u0000\u0000", trailers: [["grpc-status", "0"]] } },
    { request: { headers: GET("/slow", [["x-b", "2"]]) }, upstream: { status: 503, headers: [["x-u", "1"]], body: "busy" } },
  ];
}

function scenario(name: string, plugin: PluginSpec, requests: { request: Stream["request"]; upstream: UpstreamResponse }[], opts: { metrics?: boolean; filterStateKeys?: string[] } = {}): Scenario {
  const wire = emptyTally();
  const streams: Stream[] = [];
  for (const r of requests) {
    const a = makeSendable(r);
    tally(wire, a);
    if (!a.stream) throw new Error(`${name}: a request cannot be sent (${a.skipped})`);
    streams.push(a.stream);
  }
  return {
    name, group: "conformance",
    topology: { proxies: [{ name: PROXY, direction: "inbound", plugins: [plugin] }], filterStateKeys: [...OUR_FILTER_STATE_KEYS, ...(opts.filterStateKeys ?? [])] },
    streams, metrics: opts.metrics ? [PROXY] : [], wire,
  };
}

const fixture = (rel: string) => path.join("tests/fixtures", rel);

export async function conformanceScenarios(): Promise<Scenario[]> {
  process.chdir(PROJECT_ROOT);
  const twoRoots = await compileRelease(fixture("layer/two-roots.ts"));
  const firstRoot: PluginSpec = { name: "two-roots", module: twoRoots, rootId: "first" };
  const twoRootsRequests = [
    ...common(),
    { request: { headers: GET("/deny") }, upstream: { status: 200, body: "never" } },
    { request: { headers: [[":method", "HEAD"], [":path", "/deny"], [":authority", "svc"]] as HeaderList }, upstream: { status: 200 } },
    { request: { headers: POST("/deny", GRPC), body: "\u0000\u0000\u0000\u0000\u0000" }, upstream: { status: 200 } },
    { request: { headers: POST("/deny"), body: "body the reply leaves unread" }, upstream: { status: 200 } },
    // As long as "replaced body": Envoy forwards the upstream's content-length unchanged, so a body
    // replaced by one of another length leaves an HTTP/1.1 client waiting (host/README.md).
    { request: { headers: GET("/replace") }, upstream: { status: 200, body: ["origin", "al text"] } },
    { request: { headers: GET("/replace") }, upstream: { status: 200 } },
  ];
  const out: Scenario[] = [
    scenario("two-roots.ts, root first", firstRoot, twoRootsRequests, { metrics: true, filterStateKeys: ["wasm.layer_seen"] }),
    scenario("two-roots.ts, root second", { name: "two-roots", module: twoRoots, rootId: "second" }, common()),
    scenario("local-401.wat", { name: "local-401", module: await watModule(fixture("stats/local-401.wat")) }, common()),
    scenario("floor.wat", { name: "floor", module: await watModule(fixture("host/floor.wat")) }, common()),
  ];
  const hostile = await watModule(fixture("host/hostile.wat"));
  // Not "g" (memory grown until it fails): in Envoy that is V8's 4 GiB, half a minute and the
  // memory of a CI machine; the host stops at its cap (host/README.md, "Memory cap").
  for (const [mode, what] of [["p", "garbage pointers"], ["m", "a garbage malloc"], ["t", "a trap"]] as const) {
    out.push(scenario(`hostile.wat, ${what}`, { name: "hostile", module: hostile, configuration: mode }, common().slice(0, 3)));
  }
  // Every printable ASCII character and every %XX escape inside a path, and the dot and slash
  // forms around them, through a module that does nothing: what the connection manager's
  // normalization (host/hcm/path.ts) makes of each, on the upstream's request line.
  const paths: string[] = [];
  for (let c = 0x21; c < 0x7f; c++) paths.push(`/a${String.fromCharCode(c)}b/c`);
  for (let b = 0; b < 256; b++) paths.push(`/a%${b.toString(16).toUpperCase().padStart(2, "0")}b/c`, `/a%${b.toString(16).padStart(2, "0")}/c`);
  paths.push("/", "//", "///", "/\\", "/a/./b", "/a/../b", "/../a", "/a/..", "/a/.", "/a//b//", "/a/%2e%2E/b", "/a/..;x/b", "/a/.;x", "/a?b//c/../d", "/a/%2F/b", "/%5C..%5Cb");
  out.push(scenario("floor.wat, paths normalized", { name: "floor", module: await watModule(fixture("host/floor.wat")) },
    paths.map((p) => ({ request: { headers: GET(p) }, upstream: { status: 200 } }))));
  const samples: number[] = [];
  for (const b of [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000]) {
    const n = Math.floor(b);
    samples.push(...new Set([Math.max(0, n - 1), n, n + 1, Math.ceil(n * 1.01), Math.ceil(n * 1.09), Math.ceil(n * 1.1)]));
  }
  out.push(scenario("metrics.wat, samples around the buckets", { name: "metrics", module: await watModule("fidelity/modules/metrics.wat") },
    samples.map((n) => ({ request: { headers: GET(`/sample/${n}`) }, upstream: { status: 200 } })), { metrics: true }));
  return out;
}
