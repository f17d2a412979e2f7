// Hostile input against metadata-exchange (issue 18): client-supplied ids and names never reach a
// log line unescaped (finding 9), and the peer cache is bounded in bytes as well as entries.
import { beforeAll, describe, expect, it } from "vitest";
import { ProxyWasmHost, type Plugin } from "../../../host/index.ts";
import { FLOOD_NODE, FLOOD_SCENARIOS, MEMORY_BOUNDS, peerMetadata } from "../../robustness/flood-scenarios.ts";
import { MD, MD_ID, encodeHeader, encodeStruct, mxModule } from "./helpers.ts";

beforeAll(async () => { await mxModule(); });

// C0 and C1 controls, DEL, line and paragraph separators, bidi overrides, BOM, lone surrogates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

async function mx(configuration = ""): Promise<{ host: ProxyWasmHost; plugin: Plugin }> {
  const host = new ProxyWasmHost({ node: FLOOD_NODE, logLevel: "debug" });
  const plugin = await host.loadPlugin({ module: await mxModule(), rootId: "metadata_exchange", configuration });
  return { host, plugin };
}

describe("finding 9: debug logs escape what clients send", () => {
  const nasty = "a\nFAKE LOG LINE\r\u001b[31mred\u0000\u007f\u0085\u2028\u202e\ud800z";

  it("a peer id and workload name with control characters, line breaks and bidi overrides", async () => {
    const { host, plugin } = await mx();
    const r = await host.chain([plugin]).send({
      request: { headers: [[":path", "/"], [MD, encodeHeader(peerMetadata({ WORKLOAD_NAME: nasty, NAMESPACE: nasty }) as never)], [MD_ID, nasty]] },
      upstream: { status: 200 },
      properties: { "xds.listener_direction": 1 },
    });
    const lines = r.logs.filter((l) => l.message.includes("decoded peer"));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).not.toMatch(UNSAFE);
    expect(lines[0]!.message).toContain("FAKE LOG LINE"); // escaped, not dropped
  });

  it("a decode error naming a client's label key", async () => {
    const { host, plugin } = await mx();
    const bad = Buffer.from(encodeStruct({ NAME: "x", LABELS: { [nasty]: 7 } } as never)).toString("base64");
    const r = await host.chain([plugin]).send({ request: { headers: [[":path", "/"], [MD, bad], [MD_ID, nasty]] }, upstream: { status: 200 }, properties: { "xds.listener_direction": 1 } });
    const lines = r.logs.filter((l) => l.message.includes("unknown peer"));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).not.toMatch(UNSAFE);
  });
});

describe("the peer cache is bounded in bytes", () => {
  it(`max_peer_cache_size 100,000 and a new ~8,000-byte peer header and 8,000-byte id per request: wasm memory stays under ${MEMORY_BOUNDS["metadata-exchange"] / 1048576} MiB, recent peers stay cached`, async () => {
    const s = FLOOD_SCENARIOS.find((x) => x.name === "metadata-exchange-cache-flood")!;
    const host = new ProxyWasmHost({ node: FLOOD_NODE, retainLogs: false });
    const plugin = await host.loadPlugin({ module: await mxModule(), rootId: "metadata_exchange", configuration: JSON.stringify(s.plugins[0]!.configuration) });
    const chain = host.chain([plugin]);
    for (let i = 0; i < s.streams; i++) {
      const st = s.stream(i);
      await chain.send({ request: st.request, upstream: st.upstream, properties: st.properties });
      if (i % 500 === 0) expect(plugin.memoryPages() * 65536, `after ${i} streams`).toBeLessThanOrEqual(MEMORY_BOUNDS["metadata-exchange"]);
    }
    expect(plugin.traps).toEqual([]);
    expect(host.metrics.value("metadata_exchange.peer_decoded")).toBeGreaterThanOrEqual(s.streams); // every request's peer valid and learned
    expect(host.metrics.value("metadata_exchange.decode_error") ?? 0).toBe(0);
    // The most recent peer is still cached: sending it again decodes nothing.
    const decoded = host.metrics.value("metadata_exchange.peer_decoded");
    const last = s.stream(s.streams - 1);
    await chain.send({ request: last.request, upstream: { status: 200 }, properties: last.properties });
    expect(host.metrics.value("metadata_exchange.peer_decoded")).toBe(decoded);
  }, 300_000);
});
