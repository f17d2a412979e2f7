// Random streams for the cross-filter fuzz: methods, paths, header names and values
// (binary, non-ASCII, oversized up to 64 KiB), peer headers (valid, truncated, garbage
// base64, random protobuf, ids), response codes, response flags and other stream
// properties, directions, and occasionally bodies and trailers.
import type { HeaderList, PropertyInput, RequestInput, UpstreamResponse } from "../../host/index.ts";
import { encodeStruct } from "../filters/metadata-exchange/helpers.ts";
import { clusterMetadata } from "../filters/stats/helpers.ts";
import { Rand } from "./rng.ts";

export const MD = "x-envoy-peer-metadata";
export const MD_ID = "x-envoy-peer-metadata-id";
export const MAX_VALUE = 64 * 1024;
/** The demo keys behind header-auth's example-config.json digests. */
export const KEYS = ["demo-reporting-key", "demo-billing-key"];

export interface FuzzStream {
  request: RequestInput;
  upstream: UpstreamResponse & { status: number };
  properties: Record<string, PropertyInput>;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ASCII = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).join("");
const TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789-_.~!#$%&'*+^`|";

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}
const ld = (field: number, body: number[]) => [(field << 3) | 2, ...varint(body.length), ...body];
const utf8 = (s: string) => [...Buffer.from(s, "utf8")];

/** Random protobuf-shaped bytes: any wire type, lying lengths, Struct-like nesting. */
export function randomProto(r: Rand, depth = 0): number[] {
  const out: number[] = [];
  const fields = r.int(6);
  for (let i = 0; i < fields; i++) {
    const field = r.chance(0.7) ? 1 + r.int(6) : r.int(1 << 20);
    const wire = r.chance(0.9) ? r.pick([0, 1, 2, 2, 2, 5]) : r.pick([3, 4, 6, 7]);
    out.push(...varint(field * 8 + wire));
    switch (wire) {
      case 0: out.push(...varint(r.chance(0.2) ? 2 ** 32 + r.int(1e6) : r.int(300))); if (r.chance(0.05)) out.push(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01); break;
      case 1: for (let k = 0; k < 8; k++) out.push(r.int(256)); break;
      case 5: for (let k = 0; k < 4; k++) out.push(r.int(256)); break;
      case 2: {
        let body: number[];
        if (depth < 40 && r.chance(0.45)) body = randomProto(r, depth + 1);
        else if (r.chance(0.5)) body = utf8(r.str(r.int(20), ASCII));
        else body = [...r.bytes(r.int(20))];
        const len = r.chance(0.9) ? body.length : r.pick([body.length + 1, body.length + 1000, 2 ** 31 - 1, 2 ** 32 + 5]);
        out.push(...varint(len), ...body);
        break;
      }
      default: break;
    }
  }
  return out;
}

/** A Struct nested `n` levels deep through struct_value, under key NAME's sibling DEEP. */
function deepStruct(n: number): number[] {
  let inner = ld(1, [...ld(1, utf8("k")), ...ld(2, ld(3, utf8("v")))]); // Struct {k: "v"}
  for (let i = 0; i < n; i++) inner = ld(1, [...ld(1, utf8("k")), ...ld(2, ld(5, inner))]);
  return [...ld(1, [...ld(1, utf8("NAME")), ...ld(2, ld(3, utf8("deep")))]), ...ld(1, [...ld(1, utf8("DEEP")), ...ld(2, ld(5, inner))])];
}

export interface PeerPools {
  validStructs: Uint8Array[];
  valid: string[];
  ids: string[];
  big: string[];
  clusterMetadata: Uint8Array[];
}

const NAMES = ["productpage-v1", "reviews-v2", "ratings-v1", "details-v1", "", "x", "ключ", "a;.;b", "=.=", "\u0000"];

/** Pools built once per seed: valid peer Structs (Istio's key set, random values) and their headers. */
export function peerPools(r: Rand): PeerPools {
  const validStructs: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) {
    const s: Record<string, unknown> = {};
    if (r.chance(0.9)) s.NAME = `${r.pick(NAMES)}-${r.int(1000)}`;
    if (r.chance(0.9)) s.NAMESPACE = r.pick(["default", "prod", "", "ns-" + r.int(50), "a/b"]);
    if (r.chance(0.8)) s.WORKLOAD_NAME = r.pick(NAMES);
    if (r.chance(0.5)) s.OWNER = `kubernetes://apis/apps/v1/namespaces/default/deployments/${r.pick(NAMES)}`;
    if (r.chance(0.5)) s.CLUSTER_ID = r.pick(["Kubernetes", "c1", ""]);
    if (r.chance(0.3)) s.ISTIO_VERSION = "1.18.2";
    if (r.chance(0.3)) s.MESH_ID = "cluster.local";
    if (r.chance(0.8)) {
      const labels: Record<string, string> = {};
      for (const k of ["app", "version", "service.istio.io/canonical-name", "service.istio.io/canonical-revision", "other"]) {
        if (r.chance(0.6)) labels[k] = r.pick(["v1", "v2", "reviews", "", r.str(r.int(30), ASCII)]);
      }
      s.LABELS = labels;
    }
    if (r.chance(0.4)) s.PLATFORM_METADATA = r.chance(0.5) ? {} : { gcp_project: "p" };
    if (r.chance(0.4)) s.APP_CONTAINERS = "app";
    if (r.chance(0.4)) s.INSTANCE_IPS = "10.0.0." + r.int(255);
    if (r.chance(0.2)) s.UNKNOWN = r.pick([1, true, null, ["x"], { y: "z" }, "s"]);
    if (r.chance(0.1)) s.NAME = 5; // a known key of the wrong type
    if (r.chance(0.05)) s.LABELS = { app: 7 };
    validStructs.push(encodeStruct(s as never));
  }
  validStructs.push(Uint8Array.from(deepStruct(15)), Uint8Array.from(deepStruct(17)), Uint8Array.from(deepStruct(200)));
  const valid = validStructs.map((b) => Buffer.from(b).toString("base64"));
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push(`sidecar~10.0.${r.int(4)}.${r.int(255)}~pod-${i}.ns~ns.svc.cluster.local`);
  const big = [
    "A".repeat(MAX_VALUE),
    "v".repeat(MAX_VALUE - 17),
    Buffer.from(new Uint8Array(49_000).fill(7)).toString("base64"), // ~64 KiB of valid base64
    "x".repeat(8192), "x".repeat(8193),
    r.str(MAX_VALUE, B64),
    r.binary(MAX_VALUE / 2), // 0x80+ become two UTF-8 bytes: ~64 KiB on the wire
  ];
  const cm = [
    clusterMetadata({ host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" }),
    clusterMetadata({ host: "", name: "", namespace: "" }),
    clusterMetadata({ host: "h;.;x", name: "=.=", namespace: "ns" }),
  ];
  return { validStructs, valid, ids, big, clusterMetadata: cm };
}

export class StreamGen {
  constructor(private r: Rand, private pools: PeerPools) {}

  /** An x-envoy-peer-metadata value: valid, truncated, garbage base64, random protobuf, empty or huge. */
  peerMetadata(): string {
    const r = this.r, p = this.pools;
    switch (r.int(10)) {
      case 0: case 1: case 2: return r.pick(p.valid);
      case 3: { const v = r.pick(p.valid); return v.slice(0, r.int(v.length)); }
      case 4: return r.str(r.int(200), B64 + (r.chance(0.5) ? "=-_ .\u00e9" : ""));
      case 5: return Buffer.from(randomProto(r)).toString(r.chance(0.8) ? "base64" : "base64url");
      case 6: return r.pick(["", "=", "==", "A", "AA", "AAA=", "AAAA", "////", "Cg==", "CgA=", "CgIKAA=="]);
      case 7: return r.chance(0.2) ? r.pick(p.big) : r.pick(p.valid).replace(/=+$/, "");
      case 8: { const b = Buffer.from(r.pick(p.valid), "base64"); b[r.int(b.length)] ^= 1 << r.int(8); return b.toString("base64"); }
      default: return r.binary(r.int(64));
    }
  }

  peerId(): string {
    const r = this.r;
    switch (r.int(6)) {
      case 0: case 1: case 2: return r.pick(this.pools.ids);
      case 3: return r.pick(["", " ", "\u0000", "ключ"]);
      case 4: return r.chance(0.1) ? r.pick(this.pools.big) : r.str(r.int(100), ASCII);
      default: return `sidecar~${r.int(1e6)}`; // a fresh id: cache churn
    }
  }

  peerBytes(): Uint8Array {
    const r = this.r, p = this.pools;
    switch (r.int(6)) {
      case 0: case 1: return r.pick(p.validStructs);
      case 2: { const v = r.pick(p.validStructs); return v.subarray(0, r.int(v.length)); }
      case 3: return Uint8Array.from(randomProto(r));
      case 4: return r.bytes(r.int(64));
      default: return new Uint8Array(0);
    }
  }

  private headerName(): string {
    const r = this.r;
    if (r.chance(0.7)) {
      return r.pick([
        MD, MD_ID, "X-Envoy-Peer-Metadata", "x-api-key", "authorization", "Authorization", "x-auth-principal",
        "access-control-request-method", "content-type", "content-length", "te", "grpc-status", "x-request-id",
        "user-agent", "x-forwarded-for", "cookie", "x-added-by", "host", ":authority", ":scheme",
      ]);
    }
    if (r.chance(0.1)) return r.binary(1 + r.int(20));
    if (r.chance(0.02)) return "h".repeat(1 + r.int(MAX_VALUE / 4));
    return r.str(1 + r.int(24), TOKEN);
  }

  private headerValue(name: string): string {
    const r = this.r;
    const n = name.toLowerCase();
    if (n === MD) return this.peerMetadata();
    if (n === MD_ID) return this.peerId();
    switch (r.int(12)) {
      case 0: return r.pick(KEYS);
      case 1: return `${r.pick(["Bearer", "bearer", "BEARER", "Basic", "Bearer\t", ""])} ${r.pick([...KEYS, "", "x y"])}`;
      case 2: return r.pick(["", " ", "application/grpc", "application/grpc+proto", "application/json", "trailers", "0", "-1", "99999999999999999999", "GET"]);
      case 3: return r.binary(r.int(300));
      case 4: return r.chance(0.3) ? r.pick(this.pools.big) : r.str(r.int(2000), ASCII);
      case 5: return r.pick(["é", "ключ", "🔑", "\u0000", "\ufffd", "\u200b", "\t"]).repeat(1 + r.int(20));
      default: return r.str(r.int(40), ASCII);
    }
  }

  private path(): string {
    const r = this.r;
    switch (r.int(9)) {
      case 0: return r.pick(["/healthz", "/healthz?x=1", "/.well-known/x", "/", "*", "", "?", "#", "/api/?#"]);
      case 1: return "/api/" + r.str(r.int(40), ASCII);
      case 2: return "/" + r.binary(r.int(60));
      case 3: return r.chance(0.1) ? "/" + "p".repeat(MAX_VALUE - 1) : "/" + r.str(r.int(400), ASCII);
      default: return "/" + r.pick(["api/", "reviews/", "admin/", "orders/", "reviews.Reviews/Get", ""]) + r.str(r.int(16), ASCII);
    }
  }

  private headers(count: number, request: boolean): HeaderList {
    const r = this.r;
    const h: HeaderList = [];
    if (request) {
      if (r.chance(0.95)) h.push([":method", r.pick(["GET", "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "CONNECT", "get", "", r.binary(r.int(12))])]);
      if (r.chance(0.95)) h.push([":path", this.path()]);
      if (r.chance(0.9)) h.push([":authority", r.pick(["reviews:9080", "svc", "", r.str(r.int(30), ASCII)])]);
    }
    for (let i = 0; i < count; i++) {
      const name = this.headerName();
      // Names the host would not accept as pseudo-headers after regular ones stay regular.
      if (name.startsWith(":") && !request) continue;
      h.push([name, this.headerValue(name)]);
    }
    return h;
  }

  private body(): string | string[] | undefined {
    const r = this.r;
    if (!r.chance(0.1)) return undefined;
    if (r.chance(0.3)) return Array.from({ length: 1 + r.int(4) }, () => r.binary(r.int(500)));
    return r.chance(0.05) ? r.pick(this.pools.big) : r.binary(r.int(200));
  }

  status(): number {
    const r = this.r;
    return r.chance(0.7) ? r.pick([200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 429, 500, 502, 503, 504]) : 100 + r.int(500);
  }

  /** response.flags: Envoy's bits, combinations, every bit, negative, wrong sizes. */
  private flags(): PropertyInput {
    const r = this.r;
    switch (r.int(8)) {
      case 0: return 0;
      case 1: case 2: return 2 ** r.int(31);
      case 3: return r.int(2 ** 30);
      case 4: return r.pick([2 ** 53 - 1, -1, 2 ** 32, 0x7fffffff, 0xffffffff, -(2 ** 53)]);
      case 5: return r.pick([0xffffffffffffffffn, 0x8000000000000000n, -0x8000000000000000n]);
      case 6: return r.bytes(r.int(12));
      default: return 2 ** r.int(27) | 2 ** r.int(27);
    }
  }

  private direction(): PropertyInput {
    const r = this.r;
    return r.chance(0.85) ? r.pick([1, 2, 1, 2, 0, 3]) : r.pick<PropertyInput>([-1, 2 ** 40, "inbound", r.bytes(r.int(10)), true]);
  }

  /** Stream properties; `peers` adds the filter state metadata-exchange would write (stats alone). */
  properties(peers: boolean): Record<string, PropertyInput> {
    const r = this.r;
    const p: Record<string, PropertyInput> = {};
    if (r.chance(0.9)) p["xds.listener_direction"] = this.direction();
    if (r.chance(0.2)) p.listener_direction = this.direction();
    if (r.chance(0.7)) p["response.flags"] = this.flags();
    if (r.chance(0.3)) p["response.grpc_status"] = r.chance(0.8) ? r.int(20) : r.pick<PropertyInput>([-1, 2 ** 40, r.bytes(3)]);
    if (r.chance(0.3)) p["response.code"] = r.chance(0.8) ? this.status() : r.pick<PropertyInput>([0, -1, 2 ** 40, r.bytes(5)]);
    if (r.chance(0.5)) {
      p["xds.cluster_name"] = r.pick([
        "outbound|9080||reviews.default.svc.cluster.local", "inbound|9080||", "BlackHoleCluster", "PassthroughCluster",
        "InboundPassthroughClusterIpv4", "InboundPassthroughClusterIpv6", "outbound|9080|v1|", "", r.str(r.int(80), ASCII), r.binary(r.int(40)),
      ]);
    }
    if (r.chance(0.3)) p["xds.route_name"] = r.pick(["block_all", "allow_any", "", r.str(r.int(30), ASCII)]);
    if (r.chance(0.4)) {
      p["xds.cluster_metadata"] = r.chance(0.6) ? r.pick(this.pools.clusterMetadata) : r.chance(0.5) ? Uint8Array.from(randomProto(r)) : r.bytes(r.int(40));
    }
    if (r.chance(0.3)) p["connection.mtls"] = r.chance(0.8) ? r.chance(0.5) : r.bytes(r.int(4));
    if (r.chance(0.2)) p["connection.uri_san_peer_certificate"] = r.pick(["spiffe://cluster.local/ns/default/sa/x", "", r.binary(r.int(50))]);
    if (r.chance(0.2)) p["upstream.uri_san_peer_certificate"] = r.pick(["spiffe://cluster.local/ns/default/sa/y", "", r.binary(r.int(50))]);
    if (r.chance(0.1)) p["request.duration"] = r.pick<PropertyInput>([0, -1, 2 ** 50, r.int(1e9), r.bytes(3)]);
    if (r.chance(0.1)) p["request.total_size"] = r.pick<PropertyInput>([0, -1, 2 ** 50, r.int(1e6)]);
    if (peers) {
      for (const side of ["downstream", "upstream"]) {
        if (r.chance(0.6)) p[`${side}_peer`] = this.peerBytes();
        if (r.chance(0.5)) p[`${side}_peer_id`] = this.peerId();
      }
    }
    return p;
  }

  next(opts: { peers?: boolean } = {}): FuzzStream {
    const r = this.r;
    const headers = this.headers(r.int(10), true);
    if (r.chance(0.3)) headers.push([MD, this.peerMetadata()]);
    if (r.chance(0.3)) headers.push([MD_ID, this.peerId()]);
    const upstreamHeaders = this.headers(r.int(5), false);
    if (r.chance(0.3)) upstreamHeaders.push([MD, this.peerMetadata()]);
    if (r.chance(0.3)) upstreamHeaders.push([MD_ID, this.peerId()]);
    const trailers: HeaderList | undefined = r.chance(0.05) ? [["grpc-status", String(r.int(20))], [this.headerName(), r.str(r.int(20), ASCII)]] : undefined;
    return {
      request: { headers, body: this.body(), trailers: r.chance(0.03) ? [["x-t", r.str(5, ASCII)]] : undefined },
      upstream: { status: this.status(), headers: upstreamHeaders, body: this.body(), trailers },
      properties: this.properties(opts.peers ?? false),
    };
  }
}
