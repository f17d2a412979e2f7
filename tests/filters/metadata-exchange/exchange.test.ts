// metadata-exchange through the host: directions, the respond-only-if-asked
// rule, header removal, filter state, configuration.
import { beforeAll, describe, expect, it } from "vitest";
import { PluginLoadError } from "../../../host/index.ts";
import {
  MD, MD_ID, CLIENT_ID, SERVER_ID, INBOUND, OUTBOUND, mxModule, client, server, proxy, clientMetadata, serverMetadata,
  expectedFull, decodeHeader, decodeStructBytes, encodeHeader, header, headerCount, decodeErrors,
} from "./helpers.ts";

beforeAll(async () => { await mxModule(); });

const APP_HEADERS: [string, string][] = [[":path", "/ratings/0"], [":method", "GET"], [":authority", "ratings:9080"]];

describe("outbound (client sidecar)", () => {
  it("sets both headers on the request with the local node's metadata and id", async () => {
    const c = await client();
    const r = await c.host.chain([c.plugin]).send({ request: { headers: APP_HEADERS }, properties: OUTBOUND });
    const up = r.upstreamRequest!.headers;
    expect(header(up, MD_ID)).toBe(CLIENT_ID);
    expect(headerCount(up, MD)).toBe(1);
    expect(decodeHeader(header(up, MD)!)).toEqual(expectedFull(clientMetadata()));
    // standard alphabet, padded
    expect(header(up, MD)!).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(header(up, MD)!.length % 4).toBe(0);
    expect(c.plugin.traps).toEqual([]);
  });

  it("replaces MX headers the application sent, and learns nothing from them as the downstream... but records them", async () => {
    const c = await client();
    const fake = encodeHeader({ NAME: "spoof", NAMESPACE: "evil" });
    const r = await c.host.chain([c.plugin]).send({
      request: { headers: [...APP_HEADERS, [MD, fake], [MD_ID, "spoof-id"]] }, properties: OUTBOUND,
    });
    const up = r.upstreamRequest!.headers;
    expect(headerCount(up, MD)).toBe(1);
    expect(headerCount(up, MD_ID)).toBe(1);
    expect(header(up, MD_ID)).toBe(CLIENT_ID);
    expect(decodeHeader(header(up, MD)!)).toEqual(expectedFull(clientMetadata()));
    // Istio records whatever the downstream sent as the downstream peer
    expect(new TextDecoder().decode(r.filterState["wasm.downstream_peer_id"])).toBe("spoof-id");
    expect(decodeStructBytes(r.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "spoof", NAMESPACE: "evil" });
  });

  it("learns the upstream peer from the response, removes its headers, and adds none of its own", async () => {
    const c = await client();
    const srv = encodeHeader(expectedFull(serverMetadata()) as never);
    const r = await c.host.chain([c.plugin]).send({
      request: { headers: APP_HEADERS }, properties: OUTBOUND,
      upstream: { status: 200, headers: [["content-type", "text/plain"], [MD, srv], [MD_ID, SERVER_ID]] },
    });
    const resp = r.response.headers;
    expect(header(resp, MD)).toBeUndefined();
    expect(header(resp, MD_ID)).toBeUndefined();
    expect(header(resp, "content-type")).toBe("text/plain");
    expect(new TextDecoder().decode(r.filterState["wasm.upstream_peer_id"])).toBe(SERVER_ID);
    expect(decodeStructBytes(r.filterState["wasm.upstream_peer"]!)).toEqual(expectedFull(serverMetadata()));
    expect(r.filterState["wasm.downstream_peer"]).toBeUndefined();
    expect(r.filterState["wasm.downstream_peer_id"]).toBeUndefined();
  });
});

describe("inbound (server sidecar)", () => {
  const clientHeaders = (): [string, string][] => [...APP_HEADERS, [MD, encodeHeader(expectedFull(clientMetadata()) as never)], [MD_ID, CLIENT_ID]];

  it("removes the request headers, learns the downstream peer, does not set its own on the request", async () => {
    const s = await server();
    const r = await s.host.chain([s.plugin]).send({ request: { headers: clientHeaders() }, properties: INBOUND });
    const up = r.upstreamRequest!.headers;
    expect(header(up, MD)).toBeUndefined();
    expect(header(up, MD_ID)).toBeUndefined();
    expect(new TextDecoder().decode(r.filterState["wasm.downstream_peer_id"])).toBe(CLIENT_ID);
    expect(decodeStructBytes(r.filterState["wasm.downstream_peer"]!)).toEqual(expectedFull(clientMetadata()));
  });

  it("answers with both headers when the request carried both", async () => {
    const s = await server();
    const r = await s.host.chain([s.plugin]).send({ request: { headers: clientHeaders() }, properties: INBOUND });
    const resp = r.response.headers;
    expect(header(resp, MD_ID)).toBe(SERVER_ID);
    expect(decodeHeader(header(resp, MD)!)).toEqual(expectedFull(serverMetadata()));
  });

  it("answers only what was asked: metadata only, id only, nothing", async () => {
    const s = await server();
    const chain = s.host.chain([s.plugin]);
    const md = encodeHeader({ NAME: "a" });
    const onlyMd = await chain.send({ request: { headers: [...APP_HEADERS, [MD, md]] }, properties: INBOUND });
    expect(header(onlyMd.response.headers, MD)).toBeDefined();
    expect(header(onlyMd.response.headers, MD_ID)).toBeUndefined();
    const onlyId = await chain.send({ request: { headers: [...APP_HEADERS, [MD_ID, CLIENT_ID]] }, properties: INBOUND });
    expect(header(onlyId.response.headers, MD)).toBeUndefined();
    expect(header(onlyId.response.headers, MD_ID)).toBe(SERVER_ID);
    expect(onlyId.filterState["wasm.downstream_peer"]).toBeUndefined();
    expect(new TextDecoder().decode(onlyId.filterState["wasm.downstream_peer_id"])).toBe(CLIENT_ID);
    const none = await chain.send({ request: { headers: APP_HEADERS }, properties: INBOUND });
    expect(header(none.response.headers, MD)).toBeUndefined();
    expect(header(none.response.headers, MD_ID)).toBeUndefined();
    expect(none.filterState).toEqual({});
    // empty values count as not asked (and are still removed)
    const empty = await chain.send({ request: { headers: [...APP_HEADERS, [MD, ""], [MD_ID, ""]] }, properties: INBOUND });
    expect(header(empty.upstreamRequest!.headers, MD)).toBeUndefined();
    expect(header(empty.upstreamRequest!.headers, MD_ID)).toBeUndefined();
    expect(header(empty.response.headers, MD)).toBeUndefined();
    expect(header(empty.response.headers, MD_ID)).toBeUndefined();
    expect(decodeErrors(s)).toBe(0);
  });

  it("strips MX headers the application put on its response (recorded as upstream peer) before answering", async () => {
    const s = await server();
    const r = await s.host.chain([s.plugin]).send({
      request: { headers: clientHeaders() }, properties: INBOUND,
      upstream: { headers: [[MD, encodeHeader({ NAME: "app" })], [MD_ID, "app-id"]] },
    });
    expect(headerCount(r.response.headers, MD)).toBe(1);
    expect(header(r.response.headers, MD_ID)).toBe(SERVER_ID);
    expect(decodeHeader(header(r.response.headers, MD)!)).toEqual(expectedFull(serverMetadata()));
    expect(new TextDecoder().decode(r.filterState["wasm.upstream_peer_id"])).toBe("app-id");
  });
});

describe("direction", () => {
  it("unspecified (0 or no property) exchanges both ways, as Istio does", async () => {
    const s = await server();
    for (const properties of [{ "xds.listener_direction": 0 }, undefined]) {
      const r = await s.host.chain([s.plugin]).send({
        request: { headers: [...APP_HEADERS, [MD, encodeHeader({ NAME: "a" })], [MD_ID, CLIENT_ID]] }, ...(properties ? { properties } : {}),
      });
      expect(header(r.upstreamRequest!.headers, MD_ID)).toBe(SERVER_ID);
      expect(header(r.response.headers, MD_ID)).toBe(SERVER_ID);
      expect(r.filterState["wasm.downstream_peer"]).toBeDefined();
    }
  });

  it("reads listener_direction when only the pre-1.33 name is given", async () => {
    const s = await server();
    const r = await s.host.chain([s.plugin]).send({ request: { headers: [...APP_HEADERS, [MD_ID, CLIENT_ID]] }, properties: { listener_direction: 1 } });
    expect(header(r.upstreamRequest!.headers, MD_ID)).toBeUndefined();
    expect(header(r.response.headers, MD_ID)).toBe(SERVER_ID);
  });

  it("a configured direction overrides the property", async () => {
    const s = await server({ configuration: JSON.stringify({ direction: "inbound" }) });
    const r = await s.host.chain([s.plugin]).send({ request: { headers: [...APP_HEADERS, [MD_ID, CLIENT_ID]] }, properties: OUTBOUND });
    expect(header(r.upstreamRequest!.headers, MD_ID)).toBeUndefined();
    expect(header(r.response.headers, MD_ID)).toBe(SERVER_ID);
    const o = await server({ configuration: JSON.stringify({ direction: "outbound" }) });
    const r2 = await o.host.chain([o.plugin]).send({ request: { headers: [...APP_HEADERS, [MD_ID, CLIENT_ID]] }, properties: INBOUND });
    expect(header(r2.upstreamRequest!.headers, MD_ID)).toBe(SERVER_ID);
    expect(header(r2.response.headers, MD_ID)).toBeUndefined();
  });
});

describe("local metadata", () => {
  it("an empty node sends neither header but still strips and learns", async () => {
    const p = await proxy({});
    const r = await p.host.chain([p.plugin]).send({
      request: { headers: [...APP_HEADERS, [MD, encodeHeader({ NAME: "a" })], [MD_ID, "x"]] }, properties: OUTBOUND,
    });
    expect(header(r.upstreamRequest!.headers, MD_ID)).toBeUndefined();
    // an empty node still has the always-present keys (Istio sends them too)
    expect(decodeHeader(header(r.upstreamRequest!.headers, MD)!)).toEqual({ LABELS: {}, PLATFORM_METADATA: {}, APP_CONTAINERS: "", INSTANCE_IPS: "" });
    expect(decodeStructBytes(r.filterState["wasm.downstream_peer"]!)).toEqual({ NAME: "a" });
  });

  it("drops node metadata keys outside the exchange set", async () => {
    const c = await client();
    const r = await c.host.chain([c.plugin]).send({ request: { headers: APP_HEADERS }, properties: OUTBOUND });
    const got = decodeHeader(header(r.upstreamRequest!.headers, MD)!);
    for (const k of ["POD_NAME", "SERVICE_ACCOUNT", "STS_PORT", "app", "istio", "INTERCEPTION_MODE"]) expect(got).not.toHaveProperty(k);
  });

  it("compact key set (Istio 1.24+)", async () => {
    const c = await client({ configuration: JSON.stringify({ key_set: "compact" }) });
    const r = await c.host.chain([c.plugin]).send({ request: { headers: APP_HEADERS }, properties: OUTBOUND });
    expect(decodeHeader(header(r.upstreamRequest!.headers, MD)!)).toEqual({
      NAME: "productpage-v1-84975bc778-pxz2w",
      NAMESPACE: "default",
      WORKLOAD_NAME: "productpage-v1",
      CLUSTER_ID: "client-cluster",
      OWNER: "kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1",
      LABELS: {
        app: "productpage", version: "v1",
        "service.istio.io/canonical-name": "productpage-v1", "service.istio.io/canonical-revision": "version-1",
      },
    });
  });

  it("compact key set: OWNER only for pod/deployment/job/cronjob owners, empty fields left out", async () => {
    const md = { NAMESPACE: "ns", WORKLOAD_NAME: "w", OWNER: "kubernetes://apis/apps/v1/namespaces/ns/daemonsets/w", CLUSTER_ID: "", LABELS: { app: "", other: "x" } };
    const p = await proxy({ node: { id: "n", metadata: md }, configuration: JSON.stringify({ key_set: "compact" }) });
    const r = await p.host.chain([p.plugin]).send({ request: { headers: APP_HEADERS }, properties: OUTBOUND });
    expect(decodeHeader(header(r.upstreamRequest!.headers, MD)!)).toEqual({ NAMESPACE: "ns", WORKLOAD_NAME: "w", LABELS: {} });
    const md2 = { ...md, OWNER: "kubernetes://apis/batch/v1/namespaces/ns/cronjobs/w" };
    const p2 = await proxy({ node: { id: "n", metadata: md2 }, configuration: JSON.stringify({ key_set: "compact" }) });
    const r2 = await p2.host.chain([p2.plugin]).send({ request: { headers: APP_HEADERS }, properties: OUTBOUND });
    expect(decodeHeader(header(r2.upstreamRequest!.headers, MD)!).OWNER).toBe("kubernetes://apis/apps/v1/namespaces/ns/cronjobs/w");
  });
});

describe("configuration", () => {
  it("an empty configuration takes the defaults; example-config.json loads", async () => {
    const { readFileSync } = await import("node:fs");
    const { PROJECT_ROOT } = await import("../../../scripts/lib/project.ts");
    const example = readFileSync(`${PROJECT_ROOT}/filters/metadata-exchange/example-config.json`, "utf8");
    await expect(client({ configuration: example })).resolves.toBeTruthy();
    await expect(client({ configuration: "" })).resolves.toBeTruthy();
  });

  it("rejects bad values with one log line per error", async () => {
    const err = await client({ configuration: JSON.stringify({ max_peer_cache_size: -1, direction: "up", key_set: 3, extra: 1 }) }).catch((e) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    const lines = (err as PluginLoadError).logs.filter((l) => l.level === "error").map((l) => l.message);
    expect(lines).toHaveLength(4);
    expect(lines.join("\n")).toMatch(/max_peer_cache_size/);
    expect(lines.join("\n")).toMatch(/direction/);
    expect(lines.join("\n")).toMatch(/key_set/);
    expect(lines.join("\n")).toMatch(/extra/);
  });
});
