// Which stream properties the Envoy engine can produce and how (engine/properties.ts);
// no Envoy needed. The keys our filters set are the Envoy engine's default filter-state keys.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OUR_FILTER_STATE_KEYS } from "../../engine/filter-state.ts";
import { clusterFromPlan, planStream, UnproducibleProperty } from "../../engine/properties.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";

describe("planStream", () => {
  it("maps listener, cluster, connection and protocol attributes onto what produces them", () => {
    expect(planStream({
      // PropertyInput has no arrays; the metadata is passed through as Envoy's JSON.
      "xds.listener_direction": 1, "xds.cluster_name": "inbound|9080||", "xds.cluster_metadata": { filter_metadata: { istio: { services: [] } } },
      "source.address": "10.0.0.1:5555", "destination.address": "10.0.0.9", "destination.port": 8080, "connection.mtls": false, "request.protocol": "HTTP/2",
    } as never)).toEqual({
      direction: "inbound", clusterName: "inbound|9080||", filterMetadata: { istio: { services: [] } },
      source: { ip: "10.0.0.1", port: 5555 }, destination: { ip: "10.0.0.9", port: 8080 }, protocol: "HTTP/2",
    });
    expect(planStream({ "xds.listener_direction": 2 }).direction).toBe("outbound");
    expect(planStream({ "xds.listener_direction": 0 }).direction).toBeNull();
    expect(planStream({ "source.address": "[2001:db8::1]:80" }).source).toEqual({ ip: "2001:db8::1", port: 80 });
    expect(planStream(undefined)).toEqual({});
  });

  it("refuses what Envoy derives from traffic, what it has no more, and what is no attribute, saying why", () => {
    const why = (props: Record<string, unknown>) => {
      try { planStream(props as never); } catch (e) { expect(e).toBeInstanceOf(UnproducibleProperty); return (e as Error).message; }
      throw new Error("accepted");
    };
    expect(why({ "request.time": 1 })).toMatch(/request\.time: Envoy derives it from the traffic/);
    expect(why({ "response.code": 200 })).toMatch(/derives it from the traffic/);
    expect(why({ listener_direction: 1 })).toMatch(/Envoy ≥1\.33 has no bare 'listener_direction'/);
    expect(why({ "xds.node.id": "x" })).toMatch(/bootstrap node/);
    expect(why({ "xds.route_name": "r" })).toMatch(/does not map it/);
    expect(why({ "plugin_name": "p" })).toMatch(/plugin's configuration/);
    expect(why({ foo: "bar" })).toMatch(/not an Envoy attribute: .* filter state wasm\.foo/);
    expect(why({ "connection.mtls": true })).toMatch(/only false/);
    expect(why({ "xds.listener_direction": 3 })).toMatch(/0 \(UNSPECIFIED\), 1 \(INBOUND\) or 2 \(OUTBOUND\)/);
    expect(why({ "xds.cluster_metadata": new Uint8Array([1]) })).toMatch(/filter_metadata/);
    expect(why({ "source.address": "not-an-ip" })).toMatch(/not an IP address/);
    expect(why({ "destination.address": "10.0.0.1" })).toMatch(/needs source\.address/);
    expect(why({ "source.address": "10.0.0.1", "destination.address": "::1" })).toMatch(/both be IPv4 or both IPv6/);
    expect(why({ "request.protocol": "HTTP/3" })).toMatch(/HTTP\/1\.1.*HTTP\/2/);
  });

  it("a stream's cluster: its own name and metadata, else the proxy's", () => {
    const proxy = { name: "outbound|80||a", filterMetadata: { istio: { x: 1 } } };
    expect(clusterFromPlan({}, proxy)).toBe(proxy);
    expect(clusterFromPlan({ clusterName: "outbound|80||a" }, proxy)).toBe(proxy);
    expect(clusterFromPlan({ clusterName: "b" }, proxy)).toEqual({ name: "b" });
    expect(clusterFromPlan({ filterMetadata: { istio: { y: 2 } } }, proxy)).toEqual({ name: "outbound|80||a", filterMetadata: { istio: { y: 2 } } });
    expect(() => clusterFromPlan({ filterMetadata: {} }, undefined)).toThrow(/needs xds\.cluster_name/);
  });
});

describe("the filter-state keys the Envoy engine reports by default", () => {
  it("are exactly the keys our filters set (assembly/peer-metadata.ts)", () => {
    const src = readFileSync(path.join(PROJECT_ROOT, "assembly/peer-metadata.ts"), "utf8");
    const keys = [...src.matchAll(/export const (?:DOWNSTREAM|UPSTREAM)_PEER(?:_ID)? = "([a-z_]+)"/g)].map((m) => `wasm.${m[1]}`);
    expect(keys).toHaveLength(4);
    expect([...OUR_FILTER_STATE_KEYS].sort()).toEqual(keys.sort());
    // And no filter stores anything else.
    for (const f of ["add-header", "header-auth", "metadata-exchange", "stats"]) {
      const code = readFileSync(path.join(PROJECT_ROOT, "filters", f, "index.ts"), "utf8");
      const sets = [...code.matchAll(/setProperty(?:Bytes|From)\((\w+)/g)].map((m) => m[1]);
      expect(sets.every((s) => /^FS_(DOWNSTREAM|UPSTREAM)_PEER(_ID)?$|^fsPeer(Id)?$/.test(s!)), `${f}: ${sets.join(", ")}`).toBe(true);
    }
  });
});
