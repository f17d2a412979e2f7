// The memory floods of flood-scenarios.ts through the host (issue 18, "Done when"): every stream
// of every scenario through its chain, the wasm memory of every plugin sampled every 500 streams
// and at the end, each under the bound README "Robustness" states for its filter. No trap, no
// failed VM, no reset; every answer is the upstream's or one the filter documents.
// FLOOD_SCALE=<x> multiplies the stream counts (e.g. 0.1 for a quick look, 5 for a longer soak).
import { describe, expect, it } from "vitest";
import { ProxyWasmHost, type Plugin } from "../../host/index.ts";
import { FLOOD_SCENARIOS, type FloodScenario } from "./flood-scenarios.ts";
import { moduleBytes } from "./modules.ts";

const SCALE = Number(process.env.FLOOD_SCALE ?? 1);
const SAMPLE_EVERY = 500;
const MiB = 1024 * 1024;

async function start(s: FloodScenario): Promise<{ host: ProxyWasmHost; plugins: Plugin[] }> {
  const host = new ProxyWasmHost({ node: s.node, retainLogs: false, logLevel: "info" });
  const plugins: Plugin[] = [];
  for (const p of s.plugins) {
    plugins.push(await host.loadPlugin({
      module: await moduleBytes(p.filter), name: p.filter, rootId: p.rootId, vmId: `${p.filter}-${p.rootId}`, configuration: JSON.stringify(p.configuration),
    }));
  }
  return { host, plugins };
}

describe("memory floods (tests/robustness/flood-scenarios.ts)", () => {
  for (const s of FLOOD_SCENARIOS) {
    it(`${s.name}: ${s.what}`, async () => {
      const { host, plugins } = await start(s);
      const chain = host.chain(plugins);
      const n = Math.max(1, Math.round(s.streams * SCALE));
      const peak = new Map<Plugin, number>(plugins.map((p) => [p, p.memoryPages()]));
      const check = (i: number) => {
        for (const [k, p] of plugins.entries()) {
          if (p.traps.length || p.failed) throw new Error(`${s.name} stream ${i}: ${p.name} ${p.traps[0]?.message ?? "failed"}`);
          const bytes = p.memoryPages() * 65536;
          peak.set(p, Math.max(peak.get(p)!, p.memoryPages()));
          const bound = s.boundBytes[s.plugins[k]!.filter];
          if (bound !== undefined && bytes > bound) {
            throw new Error(`${s.name} stream ${i}: ${p.name} at ${(bytes / MiB).toFixed(1)} MiB of wasm memory, over its ${bound / MiB} MiB bound`);
          }
        }
      };
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const st = s.stream(i);
        const r = await chain.send({ request: st.request, upstream: st.upstream, properties: st.properties });
        if (r.reset) throw new Error(`${s.name} stream ${i}: reset`);
        if (r.response.local && !/^header_auth_/.test(r.response.details)) throw new Error(`${s.name} stream ${i}: local reply ${r.response.status} ${r.response.details}`);
        if (!r.response.local && r.response.status !== st.upstream.status) throw new Error(`${s.name} stream ${i}: status ${r.response.status}, upstream ${st.upstream.status}`);
        if (i % SAMPLE_EVERY === 0) check(i);
      }
      check(n);
      const seconds = (performance.now() - t0) / 1000;
      console.log(`flood ${s.name}: ${n} streams in ${seconds.toFixed(1)} s; peak wasm memory ${plugins.map((p, k) => `${p.name} ${(peak.get(p)! * 65536 / MiB).toFixed(1)} MiB (bound ${(s.boundBytes[s.plugins[k]!.filter] ?? 0) / MiB})`).join(", ")}`);
      for (const p of plugins) {
        expect(p.traps, p.name).toEqual([]);
        expect(p.failed, p.name).toBe(false);
      }
      // The floods send valid peers only: each one was learned, none dismissed as malformed.
      expect(host.metrics.value("metadata_exchange.decode_error") ?? 0, "metadata-exchange decode errors").toBe(0);
    }, 600_000);
  }
});
