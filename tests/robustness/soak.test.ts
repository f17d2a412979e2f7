// Soak of the full chain in the two-sidecar mesh (issue 9, "Robustness"): productpage's
// outbound sidecar (metadata-exchange, stats_outbound) -> reviews' inbound sidecar (header-auth,
// metadata-exchange, stats_inbound) -> the reviews application, as `mesh-filters demo` runs it
// (tests/robustness/mesh.ts: the demo's node metadata, cluster metadata, stats_tags and example
// configurations, modules from build/).
//
// What is driven how:
// 1. SOAK_MESH (default 50,000) exchanges through the real mesh with chain.send on both sidecars
//    (TwoSidecarMesh.request: the client sidecar's upstream is the server sidecar, whose upstream
//    is the application): the demo's traffic sample (authorized, bearer, no credential, unknown
//    key, forbidden, exempt path, gRPC with body and trailers, upstream 503, spoofed principal)
//    plus requests whose application answer is a random status (200..599) and random unknown keys,
//    in a seeded order (SOAK_SEED). Every client-visible status must match what that shape gave
//    the first time (random-status shapes: the status asked for).
// 2. SOAK_STREAMS (default 1,000,000) streams per sidecar with the FastDriver (one probe per
//    shape through the full engine, then replay against the exports): for each shape of the
//    traffic sample, the client sidecar is driven with the application's request headers and,
//    as its upstream response, exactly the status and headers the server sidecar returned in a
//    real exchange (x-envoy-peer-metadata and -id included); the server sidecar with exactly the
//    headers the client sidecar sent upstream (its peer metadata headers included) and the
//    application's answer. Shapes alternate every 1,000 streams; each replay is headers-only
//    (the FastDriver has no bodies; bodies ran in part 1).
//    A full million exchanges through chain.send costs ~130 µs each on a loaded 2-core machine
//    (over two minutes); the replay costs ~20-40 µs per sidecar stream there.
// Checked: no trap and no failed VM in any plugin; wasm memory of every plugin in both sidecars
// sampled every 100,000 streams per sidecar: no growth beyond one page after the warm-up (part 1
// and the first 100,000); the number of Prometheus series of each sidecar bounded (by the label
// combinations the traffic can produce) and unchanged by the million replays.
import { expect, it } from "vitest";
import { FastDriver, type HeaderList, type Plugin, type UpstreamRequest, type UpstreamResponse } from "../../host/index.ts";
import type { Sidecar, TwoSidecarMesh } from "../../scripts/demo/mesh.ts";
import { TRAFFIC, reviewsApp } from "../../scripts/demo/traffic.ts";
import { startMesh } from "./mesh.ts";
import { Rand, seedFrom } from "./rng.ts";

const SEED = seedFrom(process.env.SOAK_SEED, 0x50a6);
const MESH = Number(process.env.SOAK_MESH ?? 50_000);
const STREAMS = Number(process.env.SOAK_STREAMS ?? 1_000_000);
const CHECK_EVERY = 100_000;
const CHUNK = 1_000;

/** The application: /status/<code> answers that code; everything else is the demo's reviews app. */
function app(req: UpstreamRequest): UpstreamResponse {
  const p = req.headers.find(([k]) => k === ":path")?.[1] ?? "/";
  const m = /^\/status\/(\d{3})$/.exec(p);
  if (m) return { status: Number(m[1]), headers: [["content-type", "text/plain"]], body: "s" };
  return reviewsApp(req);
}

const plugins = (s: Sidecar): Plugin[] => s.chain.plugins as Plugin[];

function series(s: Sidecar): { all: number; requests: number } {
  const lines = s.prometheus().split("\n").filter((l) => l && !l.startsWith("#") && !/_bucket\{/.test(l));
  return { all: lines.length, requests: lines.filter((l) => l.startsWith("istio_requests_total{")).length };
}

function noTraps(mesh: TwoSidecarMesh, where: string): void {
  for (const p of [...plugins(mesh.client), ...plugins(mesh.server)]) {
    if (p.traps.length || p.failed) throw new Error(`${where} (SOAK_SEED=${SEED}): ${p.name} ${p.traps[0]?.message ?? "failed"}`);
  }
}

const direction = (s: Sidecar) => ({ "xds.listener_direction": s.spec.direction === "inbound" ? 1 : 2, listener_direction: s.spec.direction === "inbound" ? 1 : 2, ...s.spec.properties });

it(`soak: ${MESH} mesh exchanges, then ${STREAMS} streams per sidecar; no trap, memory flat, series bounded`, async () => {
  const mesh = await startMesh(app);
  const r = new Rand(SEED);
  const t0 = performance.now();

  // 1. The real mesh.
  const firstStatus = new Map<string, number>();
  const codes = new Set<number>();
  for (let i = 0; i < MESH; i++) {
    const k = r.int(TRAFFIC.length + 2);
    let label: string, request;
    if (k < TRAFFIC.length) ({ label, request } = TRAFFIC[k]!);
    else if (k === TRAFFIC.length) {
      const code = 200 + r.int(400);
      label = `status ${code}`;
      request = { headers: [[":method", "GET"], [":path", `/status/${code}`], [":authority", "reviews:9080"], ["x-api-key", "demo-billing-key"]] as HeaderList };
      firstStatus.set(label, code);
    } else {
      label = "random unknown key";
      request = { headers: [[":method", "GET"], [":path", "/reviews/1"], [":authority", "reviews:9080"], ["x-api-key", `key-${r.int(1e9)}`]] as HeaderList };
    }
    const e = await mesh.request(request);
    const status = e.client.response.status;
    codes.add(status);
    const want = firstStatus.get(label);
    if (want === undefined) firstStatus.set(label, status);
    else if (want !== status) throw new Error(`exchange ${i} (SOAK_SEED=${SEED}) ${label}: status ${status}, earlier ${want}`);
    if (i % 1000 === 0) noTraps(mesh, `exchange ${i}`);
  }
  noTraps(mesh, "after the mesh exchanges");
  const meshSeconds = (performance.now() - t0) / 1000;
  const afterMesh = { client: series(mesh.client), server: series(mesh.server) };

  // 2. The replay: per shape one real exchange, then one FastDriver per sidecar.
  const drivers: { label: string; side: "client" | "server"; d: FastDriver }[] = [];
  for (const t of TRAFFIC) {
    const e = await mesh.request(t.request);
    const server = e.server!;
    drivers.push({
      label: t.label, side: "client",
      d: new FastDriver(mesh.client.chain, {
        requestHeaders: t.request.headers,
        response: { status: server.response.status, headers: server.response.headers.filter(([k]) => k !== ":status") },
        properties: direction(mesh.client),
      }),
    });
    const appAnswer = e.appRequest ? app(e.appRequest) : null;
    drivers.push({
      label: t.label, side: "server",
      d: new FastDriver(mesh.server.chain, {
        requestHeaders: e.client.upstreamRequest!.headers,
        response: appAnswer ? { status: appAnswer.status ?? 200, headers: appAnswer.headers ?? [] } : { status: 200 },
        properties: direction(mesh.server),
      }),
    });
    // The replayed outcome is the real one.
    expect(drivers.at(-2)!.d.probe.status, t.label).toBe(e.client.response.status);
    expect(drivers.at(-1)!.d.probe.status, t.label).toBe(server.response.status);
  }
  const all = [...plugins(mesh.client), ...plugins(mesh.server)];
  let baseline: Map<Plugin, number> | null = null;
  let seriesBaseline: typeof afterMesh | null = null;
  const samples: string[] = [];
  const t1 = performance.now();
  const clientDrivers = drivers.filter((d) => d.side === "client");
  const serverDrivers = drivers.filter((d) => d.side === "server");
  let shape = 0;
  for (let done = 0; done < STREAMS;) {
    const n = Math.min(CHUNK, STREAMS - done);
    const c = clientDrivers[shape % clientDrivers.length]!, s = serverDrivers[shape % serverDrivers.length]!;
    try {
      c.d.run(n);
      s.d.run(n);
    } catch (err) {
      throw new Error(`replay of "${c.label}" after ${done} streams per sidecar (SOAK_SEED=${SEED}): ${(err as Error).message}`);
    }
    shape++;
    done += n;
    if (done % CHECK_EVERY === 0 || done === STREAMS) {
      noTraps(mesh, `after ${done} replayed streams per sidecar`);
      const pages = new Map(all.map((p) => [p, p.memoryPages()] as const));
      samples.push(`${done / 1000}k: ${all.map((p) => pages.get(p)).join("/")}`);
      if (!baseline) {
        baseline = pages;
        seriesBaseline = { client: series(mesh.client), server: series(mesh.server) };
      } else {
        for (const p of all) {
          expect(pages.get(p)! - baseline.get(p)!, `${p.name} grew after ${done} streams per sidecar (SOAK_SEED=${SEED})`).toBeLessThanOrEqual(1);
        }
      }
    }
  }
  const replaySeconds = (performance.now() - t1) / 1000;
  const end = { client: series(mesh.client), server: series(mesh.server) };
  console.log(`soak (SOAK_SEED=${SEED}): ${MESH} mesh exchanges in ${meshSeconds.toFixed(1)} s (${(meshSeconds * 1e6 / Math.max(1, MESH)).toFixed(0)} µs each); `
    + `${STREAMS} streams per sidecar replayed in ${replaySeconds.toFixed(1)} s (${(replaySeconds * 1e6 / Math.max(1, 2 * STREAMS)).toFixed(1)} µs per sidecar stream); `
    + `memory pages (${all.map((p) => p.name).join("/")}) ${samples.join(", ")}; series client ${JSON.stringify(end.client)} server ${JSON.stringify(end.server)}; ${codes.size} client-visible statuses`);

  noTraps(mesh, "at the end");
  // Series: bounded by what the traffic can produce, and a million replays of known shapes add none.
  if (seriesBaseline) expect(end).toEqual(seriesBaseline);
  for (const side of ["client", "server"] as const) {
    // One istio_requests_total series per response code and protocol (plus the replay's
    // headers-only gRPC: grpc_response_status from no trailers), per reporter.
    expect(end[side].requests, `${side} istio_requests_total series`).toBeLessThanOrEqual(2 * (codes.size + 2));
    // Per series: the counter, and _sum and _count of three histograms; plus the filters' own counters.
    expect(end[side].all, `${side} series`).toBeLessThanOrEqual(7 * end[side].requests + 16);
    expect(end[side].all).toBeGreaterThanOrEqual(afterMesh[side].all);
  }
}, 360_000);
