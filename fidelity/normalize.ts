// The written-down normalization applied to both engines' results before they
// are compared: what Envoy adds or rewrites outside any filter's sight, and
// values that are random or timing by nature. Anything not listed here is
// compared as is. Each rule says where it applies and why (fidelity/README.md
// "Normalization" is this table).
import type { HeaderList, StreamResult } from "../engine/types.ts";

export type HeaderPlace = "upstream-request" | "response";

export interface HeaderRule {
  /** Lower-case header name. */
  name: string;
  where: HeaderPlace[];
  /** drop: removed from both sides; mask: the value replaced by `mask(value)` on both sides. */
  action: "drop" | "mask";
  mask?: (value: string) => string;
  why: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const HEADER_RULES: HeaderRule[] = [
  {
    name: "x-request-id", where: ["upstream-request"], action: "mask",
    mask: (v) => (UUID.test(v) ? "<generated uuid>" : v),
    why: "the HCM gives a request without one a random UUID before the filters run (the host does too, host/hcm); a client's own is kept and compared",
  },
  {
    name: "x-envoy-upstream-service-time", where: ["response"], action: "mask", mask: () => "<ms>",
    why: "the router adds how long the upstream took, in ms: timing, different on every run (the host adds it too, host/hcm)",
  },
  {
    name: "date", where: ["response"], action: "drop",
    why: "the HCM stamps every response after the filters; the time of day",
  },
  {
    name: "server", where: ["response"], action: "drop",
    why: "the HCM sets `server: envoy` on every response after the filters (server_name); no filter sees it",
  },
  {
    name: "content-length", where: ["upstream-request", "response"], action: "drop",
    why: "framing: set by whoever writes the message (client, Envoy re-framing a body a filter changed, the upstream); the bodies are compared byte for byte instead",
  },
  {
    name: "transfer-encoding", where: ["upstream-request", "response"], action: "drop",
    why: "framing: Envoy re-frames HTTP/1.1 messages whose length it does not know (chunked)",
  },
  {
    name: "connection", where: ["response"], action: "drop",
    why: "connection management: Envoy answers `connection: close` when its codec gives up on a connection (a 400 or 431 from the codec); hop-by-hop, no filter sees it",
  },
];

/** Log message rules: values a module may print that Envoy generates or that measure time. */
export const LOG_RULES: { pattern: RegExp; replace: string; why: string }[] = [
  {
    pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b/g, replace: "<uuid>",
    why: "a request id the connection manager generated (x-request-id): random in Envoy, counted in the host",
  },
  {
    pattern: /(x-envoy-upstream-service-time: )\d+/g, replace: "$1<ms>",
    why: "x-envoy-upstream-service-time as a module prints it: timing",
  },
  {
    pattern: /(date: )[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/g, replace: "$1<date>",
    why: "the date header of an answer from another proxy, as a module prints it",
  },
];

function maskLog(message: string): string {
  let m = message;
  for (const r of LOG_RULES) m = m.replace(r.pattern, r.replace);
  return m;
}

function applyRules(list: HeaderList, where: HeaderPlace): HeaderList {
  const out: HeaderList = [];
  for (const [k, v] of list) {
    const name = k.toLowerCase();
    const rule = HEADER_RULES.find((r) => r.name === name && r.where.includes(where));
    if (!rule) out.push([name, v]);
    else if (rule.action === "mask") out.push([name, rule.mask!(v)]);
  }
  return out;
}

/**
 * The upstream request's pseudo-headers in one order: over HTTP/1.1 the upstream gets a
 * request line, which the recording upstream lists as :method, :path, :authority, :scheme
 * whatever order Envoy's map had (filters see that order, and their view is compared in the
 * logs of a module that prints it, fidelity/modules/visible.wat).
 */
const PSEUDO_ORDER = [":method", ":path", ":authority", ":scheme"];
function pseudoFirst(list: HeaderList): HeaderList {
  const rank = (k: string) => (k.startsWith(":") ? (PSEUDO_ORDER.indexOf(k) + 1 || 5) : 6);
  return list.map((h, i) => [h, i] as const).sort((a, b) => rank(a[0][0]) - rank(b[0][0]) || a[1] - b[1]).map(([h]) => h);
}

/** A copy of the result with the rules applied to its header lists. */
export function normalize(r: StreamResult): StreamResult {
  return {
    ...r,
    upstreamRequest: r.upstreamRequest && { ...r.upstreamRequest, headers: pseudoFirst(applyRules(r.upstreamRequest.headers, "upstream-request")) },
    response: { ...r.response, headers: applyRules(r.response.headers, "response") },
    logs: r.logs.map((l) => ({ ...l, message: maskLog(l.message) })),
    hops: r.hops.map((h) => ({ ...h, logs: h.logs.map((l) => ({ ...l, message: maskLog(l.message) })) })),
  };
}
