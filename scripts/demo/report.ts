// What the demo prints per request: the outcome each side saw.
import { fromBinary } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import type { HopResult, StreamResult } from "../../engine/types.ts";
import { CLIENT, SERVER } from "./bookinfo-mesh.ts";
import type { TrafficCase } from "./traffic.ts";

export interface Row {
  request: string;
  status: string;
  decision: string;
  principal: string;
  serverSaw: string;
  clientSaw: string;
}

/** The peer's WORKLOAD_NAME from metadata-exchange's filter state (a serialized Struct). */
function peerWorkload(hop: HopResult | undefined, key: string): string {
  const bytes = hop?.filterState[`wasm.${key}`];
  if (!bytes || bytes.length === 0) return "-";
  try {
    const value = fromBinary(StructSchema, bytes).fields.WORKLOAD_NAME?.kind;
    return value?.case === "stringValue" ? value.value : "?";
  } catch {
    return "(undecodable)";
  }
}

export function describeExchange(t: TrafficCase, r: StreamResult): Row {
  const method = t.request.headers.find(([k]) => k === ":method")?.[1] ?? "";
  const path = t.request.headers.find(([k]) => k === ":path")?.[1] ?? "";
  const client = r.hops.find((h) => h.proxy === CLIENT);
  const server = r.hops.find((h) => h.proxy === SERVER);
  const grpc = r.response.trailers?.find(([k]) => k === "grpc-status")?.[1] ?? r.response.headers.find(([k]) => k === "grpc-status")?.[1];
  const decision = !server ? `client: ${client?.details ?? r.response.details}`
    : server.local && r.upstreamRequest === null ? `denied: ${server.details}`
    : `allowed (${server.details})`;
  return {
    request: `${t.label}: ${method} ${path}`,
    status: `${r.response.status}${grpc !== undefined ? ` grpc-status ${grpc}` : ""}`,
    decision,
    principal: r.upstreamRequest?.headers.find(([k]) => k === "x-auth-principal")?.[1] ?? "-",
    serverSaw: peerWorkload(server, "downstream_peer"),
    clientSaw: peerWorkload(client, "upstream_peer"),
  };
}

export function formatTable(rows: Row[]): string {
  const header: Row = { request: "request", status: "status", decision: "decision (%RESPONSE_CODE_DETAILS%)", principal: "principal upstream", serverSaw: "server saw peer", clientSaw: "client saw peer" };
  const cols = Object.keys(header) as (keyof Row)[];
  const all = [header, ...rows];
  const widths = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: Row) => cols.map((c, i) => r[c].padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
