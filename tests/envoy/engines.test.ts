// One scenario, two engines: the demo's two-sidecar mesh (scripts/demo/bookinfo-mesh.ts) with
// the demo's traffic, in the host and in two real Envoys. Results have the same shape, each
// side decides and learns the same, and both sidecars' istio_requests_total series carry the same
// label sets with the same counts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HostEngine } from "../../engine/host/host-engine.ts";
import type { Deployment, StreamResult } from "../../engine/types.ts";
import { CLIENT, SERVER, startBookinfoMesh } from "../../scripts/demo/bookinfo-mesh.ts";
import { describeExchange } from "../../scripts/demo/report.ts";
import { reviewsApp, TRAFFIC } from "../../scripts/demo/traffic.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { builtModule, envoyEngine, envoySuite } from "./helpers.ts";

function source(filter: string) {
  return {
    module: new Uint8Array(readFileSync(builtModule(filter))),
    configuration: JSON.stringify(JSON.parse(readFileSync(path.join(PROJECT_ROOT, "filters", filter, "example-config.json"), "utf8"))),
  };
}

function shape(v: unknown): unknown {
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return [...new Set(v.map((x) => JSON.stringify(shape(x))))].sort().map((x) => JSON.parse(x));
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return v === null ? "null" : typeof v;
}

/** istio_requests_total series as sorted label sets with their counts. */
function requestSeries(prom: string): string[] {
  return prom.split("\n").filter((l) => l.startsWith("istio_requests_total{")).map((l) => {
    const m = /^istio_requests_total\{(.*)\} (\S+)$/.exec(l)!;
    return `${m[1]!.split(/,(?=[a-z_]+=")/).sort().join(",")} ${m[2]}`;
  }).sort();
}

envoySuite("the host and Envoy engines on the demo's mesh", () => {
  let host: Deployment, envoy: Deployment;
  const results: { host: StreamResult; envoy: StreamResult }[] = [];
  beforeAll(async () => {
    host = await startBookinfoMesh(source, new HostEngine());
    envoy = await startBookinfoMesh(source, envoyEngine());
    for (const t of TRAFFIC) {
      results.push({
        host: await host.send({ request: t.request, upstream: reviewsApp }),
        envoy: await envoy.send({ request: t.request, upstream: reviewsApp }),
      });
    }
  });
  afterAll(async () => {
    await envoy?.stop();
    await host?.stop();
  });

  it("name themselves", () => {
    expect(host.engine.name).toBe("host");
    expect(envoy.engine).toMatchObject({ name: "envoy", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it("give results of the same shape, hop by hop", () => {
    results.forEach(({ host: h, envoy: e }, i) => {
      const label = TRAFFIC[i]!.label;
      expect(shape({ ...e, logs: [], hops: e.hops.map((x) => ({ ...x, logs: [] })) }), label)
        .toEqual(shape({ ...h, logs: [], hops: h.hops.map((x) => ({ ...x, logs: [] })) }));
      expect(e.hops.map((x) => x.proxy), label).toEqual(h.hops.map((x) => x.proxy));
    });
  });

  it("decide the same on each side and learn the same peers", () => {
    results.forEach(({ host: h, envoy: e }, i) => {
      const t = TRAFFIC[i]!;
      expect(describeExchange(t, e), t.label).toEqual(describeExchange(t, h));
      expect(e.hops.map((x) => [x.status, x.local, x.details]), t.label).toEqual(h.hops.map((x) => [x.status, x.local, x.details]));
      expect(Buffer.from(e.response.body).toString(), t.label).toBe(Buffer.from(h.response.body).toString());
      for (const [j, hop] of e.hops.entries()) {
        expect(Object.keys(hop.filterState).sort(), `${t.label} ${hop.proxy}`).toEqual(Object.keys(h.hops[j]!.filterState).sort());
      }
    });
  });

  it("count the same istio_requests_total series on both sidecars", async () => {
    for (const proxy of [CLIENT, SERVER]) {
      const e = requestSeries(await envoy.prometheus(proxy));
      expect(e.length, proxy).toBeGreaterThan(0);
      expect(e, proxy).toEqual(requestSeries(await host.prometheus(proxy)));
    }
  });
});
