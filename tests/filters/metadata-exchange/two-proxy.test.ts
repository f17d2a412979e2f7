// Two sidecars, each its own host and node: client (outbound) → server (inbound) → app.
import { beforeAll, describe, expect, it } from "vitest";
import type { UpstreamRequest } from "../../../host/index.ts";
import {
  MD, MD_ID, CLIENT_ID, SERVER_ID, INBOUND, OUTBOUND, mxModule, client, server, clientMetadata, serverMetadata,
  expectedFull, decodeStructBytes, decodes, decodeErrors,
} from "./helpers.ts";

beforeAll(async () => { await mxModule(); });

describe("client sidecar → server sidecar", () => {
  it("each side learns the other's workload; no MX header reaches either application", async () => {
    const c = await client();
    const s = await server();
    const seenByServerApp: UpstreamRequest[] = [];
    const serverFilterState: Record<string, Uint8Array>[] = [];
    const send = () => c.host.chain([c.plugin]).send({
      request: { headers: [[":path", "/ratings/0"], [":authority", "ratings:9080"], ["user-agent", "test"]] },
      properties: OUTBOUND,
      upstream: async (req) => {
        // the network: the client's upstream request is the server's downstream request
        const r = await s.host.chain([s.plugin]).send({
          request: { headers: req.headers.filter(([k]) => k !== "host") }, properties: INBOUND,
          upstream: (appReq) => { seenByServerApp.push(appReq); return { status: 200, headers: [["content-type", "application/json"]], body: "{}" }; },
        });
        serverFilterState.push(r.filterState);
        return { status: r.response.status, headers: r.response.headers.filter(([k]) => k !== ":status"), body: r.response.body };
      },
    });
    for (let i = 0; i < 3; i++) {
      const r = await send();
      // the client application sees the server's answer without MX headers
      expect(r.response.status).toBe(200);
      expect(r.response.headers.some(([k]) => k === MD || k === MD_ID)).toBe(false);
      // the client learned the server
      const up = decodeStructBytes(r.filterState["wasm.upstream_peer"]!);
      expect(up).toEqual(expectedFull(serverMetadata()));
      expect(up.WORKLOAD_NAME).toBe("ratings-v1");
      expect(new TextDecoder().decode(r.filterState["wasm.upstream_peer_id"])).toBe(SERVER_ID);
      // the server application saw no MX header
      const app = seenByServerApp[i]!;
      expect(app.headers.some(([k]) => k === MD || k === MD_ID)).toBe(false);
      expect(app.headers.find(([k]) => k === "user-agent")?.[1]).toBe("test");
      // the server learned the client
      const fs = serverFilterState[i]!;
      const down = decodeStructBytes(fs["wasm.downstream_peer"]!);
      expect(down).toEqual(expectedFull(clientMetadata()));
      expect(down.WORKLOAD_NAME).toBe("productpage-v1");
      expect(new TextDecoder().decode(fs["wasm.downstream_peer_id"])).toBe(CLIENT_ID);
    }
    // each side decoded its peer once
    expect(decodes(c)).toBe(1);
    expect(decodes(s)).toBe(1);
    expect(decodeErrors(c) + decodeErrors(s)).toBe(0);
    expect([...c.plugin.traps, ...s.plugin.traps]).toEqual([]);
  });

  it("a client of the compact (1.24) set and a full-set server understand each other", async () => {
    const c = await client({ configuration: JSON.stringify({ key_set: "compact" }) });
    const s = await server();
    let serverState: Record<string, Uint8Array> = {};
    const r = await c.host.chain([c.plugin]).send({
      request: { headers: [[":path", "/"]] }, properties: OUTBOUND,
      upstream: async (req) => {
        const sr = await s.host.chain([s.plugin]).send({ request: { headers: req.headers }, properties: INBOUND });
        serverState = sr.filterState;
        return { status: 200, headers: sr.response.headers.filter(([k]) => k !== ":status") };
      },
    });
    expect(decodeStructBytes(serverState["wasm.downstream_peer"]!).WORKLOAD_NAME).toBe("productpage-v1");
    expect(decodeStructBytes(r.filterState["wasm.upstream_peer"]!).WORKLOAD_NAME).toBe("ratings-v1");
  });
});
