// Shared setup for the metadata-exchange suites: the built module, Istio node
// metadata fixtures, header encode/decode with @bufbuild/protobuf.
import { existsSync } from "node:fs";
import path from "node:path";
import { fromBinary, toBinary, fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { ProxyWasmHost, type Plugin } from "../../../host/index.ts";
import type { HostOptions } from "../../../host/host.ts";
import { buildFilters } from "../../../scripts/commands/build.ts";
import { PROJECT_ROOT } from "../../../scripts/lib/project.ts";
import { nodeMetadata } from "../../fixtures/istio/node-metadata.ts";
import { tempDir } from "../../support/temp-dir.ts";

export const MD = "x-envoy-peer-metadata";
export const MD_ID = "x-envoy-peer-metadata-id";

let modulePath: string | null = null;

/** build/metadata-exchange.wasm, built into a temp dir when missing (build/filters.json untouched). */
export async function mxModule(): Promise<string> {
  if (modulePath) return modulePath;
  const built = path.join(PROJECT_ROOT, "build", "metadata-exchange.wasm");
  if (existsSync(built)) return (modulePath = built);
  const out = tempDir("mx-build");
  await buildFilters({ outDir: out, only: ["metadata-exchange"] });
  return (modulePath = path.join(out, "metadata-exchange.wasm"));
}

export const CLIENT_ID = "sidecar~10.52.0.34~productpage-v1-84975bc778-pxz2w.default~default.svc.cluster.local";
export const SERVER_ID = "sidecar~10.52.0.35~ratings-v1-84975bc778-pxz2w.default~default.svc.cluster.local";

/** Node metadata of Istio's e2e client (productpage-v1) and server (ratings-v1): tests/fixtures/istio/node-metadata.ts. */
export const clientMetadata = () => nodeMetadata("client");
export const serverMetadata = () => nodeMetadata("server");

const FULL_STRINGS = ["NAME", "NAMESPACE", "OWNER", "WORKLOAD_NAME", "ISTIO_VERSION", "MESH_ID", "CLUSTER_ID"];

/** What Istio 1.6–1.18 sends for this node metadata (the `full` key set). */
export function expectedFull(md: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of FULL_STRINGS) if (k in md) out[k] = md[k];
  out.LABELS = md.LABELS ?? {};
  out.PLATFORM_METADATA = md.PLATFORM_METADATA ?? {};
  out.APP_CONTAINERS = md.APP_CONTAINERS ?? "";
  out.INSTANCE_IPS = md.INSTANCE_IPS ?? "";
  return out;
}

/** base64 header → JSON via @bufbuild/protobuf's google.protobuf.Struct. */
export function decodeHeader(b64: string): JsonObject {
  return toJson(StructSchema, fromBinary(StructSchema, Buffer.from(b64, "base64"))) as JsonObject;
}

export function decodeStructBytes(bytes: Uint8Array): JsonObject {
  return toJson(StructSchema, fromBinary(StructSchema, bytes)) as JsonObject;
}

/** A Struct's bytes as @bufbuild/protobuf writes them (map entries in the object's key order). */
export function encodeStruct(json: JsonObject): Uint8Array {
  return toBinary(StructSchema, fromJson(StructSchema, json));
}

export function encodeHeader(json: JsonObject, pad = true): string {
  const b = Buffer.from(encodeStruct(json)).toString("base64");
  return pad ? b : b.replace(/=+$/, "");
}

/** Deep-sorts object keys (bytewise on UTF-8, as the deterministic encoder does). */
export function sortedDeep(v: unknown): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const keys = Object.keys(v as object).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((k) => [k, sortedDeep((v as Record<string, unknown>)[k])]));
}

export function header(list: [string, string][], name: string): string | undefined {
  return list.find(([k]) => k === name)?.[1];
}
export function headerCount(list: [string, string][], name: string): number {
  return list.filter(([k]) => k === name).length;
}

export interface Proxy { host: ProxyWasmHost; plugin: Plugin }

export async function proxy(opts: HostOptions & { configuration?: string } = {}): Promise<Proxy> {
  const { configuration, ...hostOpts } = opts;
  const host = new ProxyWasmHost(hostOpts);
  const plugin = await host.loadPlugin({ module: await mxModule(), rootId: "metadata_exchange", configuration: configuration ?? "" });
  return { host, plugin };
}

export function client(extra: HostOptions & { configuration?: string } = {}): Promise<Proxy> {
  return proxy({ node: { id: CLIENT_ID, metadata: clientMetadata() }, ...extra });
}
export function server(extra: HostOptions & { configuration?: string } = {}): Promise<Proxy> {
  return proxy({ node: { id: SERVER_ID, metadata: serverMetadata() }, ...extra });
}

export const INBOUND = { "xds.listener_direction": 1 };
export const OUTBOUND = { "xds.listener_direction": 2 };

export function decodeErrors(p: Proxy): number { return p.host.metrics.value("metadata_exchange.decode_error") ?? 0; }
export function decodes(p: Proxy): number { return p.host.metrics.value("metadata_exchange.peer_decoded") ?? 0; }
