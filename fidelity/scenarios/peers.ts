// Bad peer metadata: x-envoy-peer-metadata and x-envoy-peer-metadata-id values
// a peer should never send — malformed base64, protobuf that is not a Struct,
// truncated or lying lengths, deep nesting, strings that are not UTF-8, huge
// ids, repeated headers, a known id with other metadata — arriving on requests
// (an inbound sidecar learns its downstream peer) and on upstream answers (an
// outbound one learns its upstream peer), through metadata-exchange and stats
// as the demo's sidecars run them; both sidecars' series compared at the end.
import { STATS_TAGS } from "../../deploy/stats-tags.ts";
import { OUR_FILTER_STATE_KEYS } from "../../engine/filter-state.ts";
import type { HeaderList, ProxySpec, Stream } from "../../engine/types.ts";
import { istioSidecarNode } from "../../scripts/demo/istio-node.ts";
import { clientMetadata, encodeStruct } from "../../tests/filters/metadata-exchange/helpers.ts";
import { Rand } from "../../tests/robustness/rng.ts";
import { MD, MD_ID, peerPools, StreamGen } from "../../tests/robustness/streams.ts";
import { exampleConfig, filterModule, ROOT_ID } from "../modules.ts";
import { emptyTally, listenerShapes, tally, type Scenario } from "../scenario.ts";
import { seedFor } from "./fuzz.ts";
import { makeSendable } from "../sendable.ts";

const b64 = (b: Uint8Array | number[]) => Buffer.from(b instanceof Uint8Array ? b : Uint8Array.from(b)).toString("base64");
const ld = (field: number, body: number[]) => [(field << 3) | 2, ...varint(body.length), ...body];
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}
const utf8 = (s: string) => [...Buffer.from(s, "utf8")];
/** Struct { key: string_value(bytes) } with arbitrary value bytes. */
const structWith = (key: string, value: number[]) => ld(1, [...ld(1, utf8(key)), ...ld(2, ld(3, value))]);

/** Hand-made bad values: each says what it is. */
export function badPeerValues(): { what: string; metadata?: string; id?: string }[] {
  const valid = b64(encodeStruct(clientMetadata() as never));
  let deep = structWith("k", utf8("v"));
  for (let i = 0; i < 120; i++) deep = ld(1, [...ld(1, utf8("k")), ...ld(2, ld(5, deep))]);
  const many = Array.from({ length: 1500 }, (_, i) => structWith(`k${i}`, utf8("v"))).flat();
  return [
    { what: "valid", metadata: valid, id: "sidecar~10.52.0.34~productpage-v1.default~default.svc.cluster.local" },
    { what: "valid, no padding", metadata: valid.replace(/=+$/, ""), id: "sidecar~1" },
    { what: "base64url alphabet", metadata: valid.replace(/\+/g, "-").replace(/\//g, "_"), id: "sidecar~2" },
    { what: "space inside", metadata: `${valid.slice(0, 10)} ${valid.slice(10)}`, id: "sidecar~3" },
    { what: "truncated to half", metadata: valid.slice(0, Math.floor(valid.length / 2)), id: "sidecar~4" },
    { what: "one byte", metadata: "Q", id: "sidecar~5" },
    { what: "padding only", metadata: "====", id: "sidecar~6" },
    { what: "empty", metadata: "", id: "" },
    { what: "not base64 at all", metadata: "!!not-base64!!", id: "sidecar~7" },
    { what: "base64 of text", metadata: b64(utf8("hello, peer")), id: "sidecar~8" },
    { what: "wrong wire type", metadata: b64([0x0b, 0x01, 0x02]), id: "sidecar~9" },
    { what: "length past the end", metadata: b64([0x0a, 0xff, 0xff, 0x03, 0x01]), id: "sidecar~10" },
    { what: "varint of 11 bytes", metadata: b64([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), id: "sidecar~11" },
    { what: "string that is not UTF-8", metadata: b64(structWith("NAME", [0xff, 0xfe, 0xc3])), id: "sidecar~12" },
    { what: "NAME of 40 KiB", metadata: b64(structWith("NAME", utf8("n".repeat(40_000)))), id: "sidecar~13" },
    { what: "nested 120 levels", metadata: b64(deep), id: "sidecar~14" },
    { what: "1500 fields", metadata: b64(many), id: "sidecar~15" },
    { what: "id of 50 KiB", metadata: valid, id: "i".repeat(50_000) },
    { what: "id not ASCII", metadata: valid, id: "ключ🔑" },
    { what: "known id, other metadata", metadata: b64(structWith("NAME", utf8("impostor"))), id: "sidecar~10.52.0.34~productpage-v1.default~default.svc.cluster.local" },
    { what: "id without metadata", id: "sidecar~16" },
    { what: "metadata without id", metadata: valid },
  ];
}

const INBOUND = { direction: "inbound" as const, cluster: { name: "inbound|9080||", filterMetadata: { istio: { services: [{ host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" }] } } } };
const OUTBOUND = { direction: "outbound" as const, cluster: { name: "outbound|9080||reviews.default.svc.cluster.local", filterMetadata: { istio: { services: [{ host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" }] } } } };

/** Each value on a request to the inbound listener and on an answer through the outbound one, then `random` drawn by the fuzz generator. */
export function peersScenario(random: number, seed: number): Scenario {
  const gen = new StreamGen(new Rand(seedFor(seed, "peers")), peerPools(new Rand(seed)));
  const values: { metadata?: string; id?: string }[] = [...badPeerValues()];
  for (let i = 0; i < random; i++) values.push({ metadata: gen.peerMetadata(), id: gen.peerId() });
  const wire = emptyTally();
  const streams: Stream[] = [];
  const headers = (v: { metadata?: string; id?: string }): HeaderList => [
    ...(v.metadata !== undefined ? [[MD, v.metadata] as [string, string]] : []),
    ...(v.id !== undefined ? [[MD_ID, v.id] as [string, string]] : []),
  ];
  const push = (s: Parameters<typeof makeSendable>[0]) => {
    const a = makeSendable(s);
    tally(wire, a);
    if (a.stream) streams.push(a.stream);
  };
  for (const v of values) {
    const request = [[":method", "GET"], [":path", "/reviews/1"], [":authority", "reviews:9080"]] as HeaderList;
    push({ request: { headers: [...request, ...headers(v)] }, upstream: { status: 200, body: "{}" }, properties: { "xds.listener_direction": 1 } });
    push({
      request: { headers: request }, upstream: { status: 200, headers: headers(v), body: "{}" },
      properties: { "xds.listener_direction": 2, "xds.cluster_name": OUTBOUND.cluster.name, "xds.cluster_metadata": { filter_metadata: OUTBOUND.cluster.filterMetadata } as never },
    });
  }
  const plugins = [
    { name: "metadata-exchange", module: filterModule("metadata-exchange"), rootId: ROOT_ID["metadata-exchange"], vmId: "mx", configuration: exampleConfig("metadata-exchange") },
    { name: "stats", module: filterModule("stats"), rootId: ROOT_ID.stats, vmId: "stats", configuration: exampleConfig("stats") },
  ];
  const proxy: ProxySpec = {
    name: "sidecar",
    node: istioSidecarNode({ name: "reviews-v2", namespace: "default", app: "reviews", version: "v2", ip: "10.44.0.23" }),
    ...INBOUND,
    plugins,
    statsTags: STATS_TAGS,
    alternatives: listenerShapes(streams, INBOUND),
  };
  return {
    name: "bad peer metadata",
    group: "metadata-exchange",
    topology: { proxies: [proxy], filterStateKeys: [...OUR_FILTER_STATE_KEYS] },
    streams,
    metrics: ["sidecar"],
    wire,
  };
}
