// The soak of one filter alone (soak.test.ts runs it on every filter of the project that the
// demo's mesh does not run; new-filter.test.ts on a filter `mesh-filters new` wrote):
// `streams` exchanges of its folder's requests.jsonl, when it has one, mixed with requests whose
// upstream answers a random status and carries random header values. Checked: no trap, every
// request shape answered as the first time, wasm memory sampled four times and flat after the
// first sample.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { ProxyWasmHost, type HeaderList, type RequestInput, type UpstreamResponse } from "../../host/index.ts";
import { defaultRootId, exampleConfig, moduleBytes, type FilterName } from "./modules.ts";
import { Rand } from "./rng.ts";

interface Shape { label: string; request: RequestInput; upstream: UpstreamResponse; properties?: Record<string, string | number | boolean> }

/** The filter's own sample requests (filters/<name>/requests.jsonl), when it has them. */
function sampleShapes(root: string, name: FilterName): Shape[] {
  const file = path.join(root, "filters", name, "requests.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l, i) => {
    const line = JSON.parse(l) as { request: RequestInput; upstream?: UpstreamResponse; properties?: Shape["properties"] };
    return { label: `requests.jsonl:${i + 1}`, request: line.request, upstream: line.upstream ?? { status: 200 }, properties: line.properties };
  });
}

export async function soakFilter(name: FilterName, o: { root: string; seed: number; streams: number }): Promise<void> {
  const host = new ProxyWasmHost({ retainLogs: false });
  const plugin = await host.loadPlugin({ module: await moduleBytes(name, o.root), name, rootId: defaultRootId(name, o.root), configuration: JSON.stringify(exampleConfig(name, o.root)) });
  const chain = host.chain([plugin]);
  const samples = sampleShapes(o.root, name);
  const r = new Rand(o.seed ^ 0x5eed);
  const every = Math.max(1, Math.floor(o.streams / 4));
  const first = new Map<string, number>();
  let baseline: number | null = null;
  const pages: number[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= o.streams; i++) {
    let shape: Shape;
    if (samples.length && r.chance(0.5)) shape = samples[r.int(samples.length)]!;
    else {
      const code = 200 + r.int(400);
      shape = {
        label: `status ${code}`,
        request: { headers: [[":method", r.pick(["GET", "POST", "DELETE"])], [":path", `/status/${code}?n=${r.int(1e6)}`], [":authority", "svc"], ["x-random", `v-${r.int(1e9)}`]] as HeaderList },
        upstream: { status: code, headers: [["x-upstream", `u-${r.int(1e9)}`]], body: "x".repeat(r.int(64)) },
      };
    }
    const res = await chain.send({ request: shape.request, upstream: shape.upstream, properties: shape.properties });
    const status = res.response.status;
    const want = first.get(shape.label);
    if (want === undefined) first.set(shape.label, status);
    else if (want !== status) throw new Error(`${name} exchange ${i} (SOAK_SEED=${o.seed}) ${shape.label}: status ${status}, earlier ${want}`);
    if (plugin.traps.length || plugin.failed) throw new Error(`${name} exchange ${i} (SOAK_SEED=${o.seed}): ${plugin.traps[0]?.message ?? "failed"}`);
    if (i % every === 0) {
      pages.push(plugin.memoryPages());
      if (baseline === null) baseline = plugin.memoryPages();
      else expect(plugin.memoryPages() - baseline, `${name} grew between exchange ${every} and ${i} (SOAK_SEED=${o.seed})`).toBeLessThanOrEqual(1);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`soak ${name} (SOAK_SEED=${o.seed}): ${o.streams} exchanges in ${seconds.toFixed(1)} s, memory pages ${pages.join("/")}, ${first.size} request shapes`);
  expect(plugin.traps).toEqual([]);
}
