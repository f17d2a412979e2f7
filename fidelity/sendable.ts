// What a real client and a real upstream can carry. The differential suite sends
// every stream through both engines; the host takes any header map, but the
// Envoy engine's client (node:http, node:http2) and recording upstream put the
// stream on the wire, where some inputs cannot exist. Each stream is therefore
// first made sendable — the same adapted stream then goes to both engines, so
// nothing here hides a difference between them — and every adaptation is
// counted by rule (README "Sendable streams" lists them with their reasons).
import type { HeaderList, PropertyInput, RequestInput, Stream, Upstream, UpstreamRequest, UpstreamResponse } from "../engine/types.ts";

/** One rule of the adaptation: id (counted in the report), what it does, and why. */
export interface WireRule {
  id: string;
  what: string;
  why: string;
  /** true: the stream is not sent at all (counted as skipped). */
  skips?: boolean;
}

export const WIRE_RULES = {
  pseudoHeaders: {
    id: "pseudo-headers",
    what: "one :method, :path, :authority (else the first host, else \"localhost\") and :scheme, first, in that order; other pseudo-header names and host headers dropped",
    why: "a request line carries one of each (HTTP/2: one pseudo-header each); node's client sends :authority as its host header",
  },
  methodCase: {
    id: "method-uppercased",
    what: "the method upper-cased, an empty one becomes GET",
    why: "node's client upper-cases every method and sends GET for an empty one",
  },
  methodToken: {
    id: "method-not-token",
    what: "stream skipped when its method is not an RFC 9110 token",
    why: "node's client refuses it (ERR_INVALID_HTTP_TOKEN); it cannot be put on a request line",
    skips: true,
  },
  emptyPath: {
    id: "empty-path",
    what: "an empty :path becomes /",
    why: "node's client sends / for an empty path",
  },
  pathChars: {
    id: "path-unsendable",
    what: "stream skipped when its :path holds a control character or a space",
    why: "node's client refuses unescaped characters in a request target (ERR_UNESCAPED_CHARACTERS); on HTTP/1.1 a space ends the target",
    skips: true,
  },
  nameToken: {
    id: "header-name-not-token",
    what: "a header whose name is not an RFC 9110 token is dropped",
    why: "node's client and server refuse it (ERR_INVALID_HTTP_TOKEN); Envoy's codecs would reject the message",
  },
  valueChars: {
    id: "header-value-control-char",
    what: "a header whose value holds a control character other than tab (NUL, CR, LF, DEL, ...) is dropped",
    why: "node's client and server refuse it (ERR_INVALID_CHAR): CR/LF would end the field",
  },
  valueWhitespace: {
    id: "header-value-whitespace",
    what: "spaces and tabs around a header value are removed",
    why: "no HTTP message carries them: HTTP/1.1 parsers strip them (RFC 9112 §5), HTTP/2 forbids them (RFC 9113 §8.2.1)",
  },
  framing: {
    id: "framing-headers",
    what: "content-length, transfer-encoding, trailer and the connection headers (connection, keep-alive, proxy-connection, upgrade) dropped from requests and answers; then what node itself writes is added: over HTTP/1.1, content-length on a request with a body (or `content-length: 0` where node would send an empty chunked body) and on an answer, and `connection: keep-alive` after it on both",
    why: "framing belongs to whoever writes the message: a random content-length makes a message unparseable instead of testing a filter, node refuses a trailer header on a message framed by length, and node's own framing headers are what Envoy's filters then see",
  },
  interimStatus: {
    id: "upstream-1xx",
    what: "stream skipped when the upstream's status is below 200",
    why: "a 1xx is an interim response, never the final one: node's server would send it as informational and the exchange never ends",
    skips: true,
  },
  noBody: {
    id: "no-body-status",
    what: "the upstream's body and trailers are dropped for 204, 205, 304 and answers to HEAD",
    why: "those responses end with their headers (RFC 9110 §6.4.1, §15.3.6); node's servers send nothing after them",
  },
  http2: {
    id: "http2-for-trailers",
    what: "a stream with trailers or a gRPC content type goes over HTTP/2, and says so in request.protocol",
    why: "Envoy's HTTP/1 codec drops trailers (the runner's choice, engine/README.md); the host serves request.protocol as given, so both engines see HTTP/2",
  },
  connectHttp2: {
    id: "connect-http2",
    what: "stream skipped when a CONNECT would go over HTTP/2",
    why: "node's HTTP/2 client refuses :path and :scheme on CONNECT (RFC 9113 §8.5); over HTTP/1.1 a CONNECT is sent and Envoy's answer compared",
    skips: true,
  },
  http2Order: {
    id: "http2-repeated-together",
    what: "on HTTP/2, the values of a repeated header name move together, to the name's first place, and integer-like names come first",
    why: "node's HTTP/2 client and server take headers as an object: a repeated name is one key with an array of values, and JavaScript lists integer-like keys first",
  },
  http2SingleValue: {
    id: "http2-single-value",
    what: "on HTTP/2, only the first value of a header node allows once (authorization, user-agent, content-type, ... node's list) is kept",
    why: "node's HTTP/2 client and server refuse a second value of those names (ERR_HTTP2_HEADER_SINGLE_VALUE)",
  },
  http2Headers: {
    id: "http2-connection-headers",
    what: "on HTTP/2, te other than \"trailers\" is dropped from requests, te and host from answers and from trailers",
    why: "HTTP/2 forbids connection-specific fields (RFC 9113 §8.2.2); node's client refuses them",
  },
  property: {
    id: "unproducible-property",
    what: "properties Envoy derives from traffic or configuration the runner cannot set are dropped (response.flags, connection.mtls true, request.*, bare listener_direction, ...); xds.listener_direction is kept when 0, 1 or 2, connection.mtls when false, xds.cluster_name when it names a cluster of the topology, xds.cluster_metadata when it is one of the known services (with the name of the cluster that holds it) or given as {\"filter_metadata\": ...}",
    why: "in Envoy these are attributes of what happened, not inputs (engine/properties.ts says which can be produced and how)",
  },
} as const satisfies Record<string, WireRule>;

export type WireRuleId = (typeof WIRE_RULES)[keyof typeof WIRE_RULES]["id"];

/** What the adaptation did to one stream. */
export interface Adapted {
  /** The sendable stream, or undefined when it cannot be sent. */
  stream?: Stream;
  /** Rules applied (each once per stream). */
  applied: WireRuleId[];
  /** The rule that skipped it. */
  skipped?: WireRuleId;
}

/**
 * Clusters a stream may name. In Envoy a cluster has one name and one
 * metadata, so a metadata the generator uses belongs to a cluster of its own
 * (its `name`), distinct from the plain `names`.
 */
export interface KnownClusters {
  /** Names of clusters without metadata. */
  names: readonly string[];
  /** Metadata bytes the fuzz generator uses -> the cluster that holds that filter metadata. */
  metadata?: { bytes: Uint8Array; name: string; filterMetadata: Record<string, Record<string, unknown>> }[];
}

/** Methods node's client sends without a body by default; any other it frames as chunked unless given a length. */
const NODE_UNCHUNKED = new Set(["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const PATH_UNSENDABLE = /[\x00-\x20\x7f]/;
const FRAMING = new Set(["content-length", "transfer-encoding", "trailer", "connection", "keep-alive", "proxy-connection", "upgrade"]);

class Adaptation {
  readonly applied = new Set<WireRuleId>();
  use(rule: WireRule): void {
    this.applied.add(rule.id as WireRuleId);
  }
}

/** Header names node's HTTP/2 API takes one value of (lib/internal/http2/util.js kSingleValueHeaders). */
const H2_SINGLE_VALUE = new Set([
  "access-control-allow-credentials", "access-control-max-age", "access-control-request-method", "age", "authorization",
  "content-encoding", "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type",
  "date", "dnt", "etag", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range",
  "if-unmodified-since", "last-modified", "location", "max-forwards", "proxy-authorization", "range", "referer", "retry-after",
  "tk", "upgrade-insecure-requests", "user-agent", "x-content-type-options",
]);

/** node's HTTP/2 server writes no te or host in an answer, and neither side in trailers. */
function http2Fields(list: HeaderList, a: Adaptation): HeaderList {
  const out = list.filter(([k]) => !/^(te|host)$/i.test(k));
  if (out.length !== list.length) a.use(WIRE_RULES.http2Headers);
  return out;
}

/** What node's HTTP/2 API writes for a header list: each name once, at its first place, with all its values. */
function grouped(list: HeaderList, a: Adaptation): HeaderList {
  const out: HeaderList = [];
  const names: string[] = [];
  for (const [k] of list) if (!names.includes(k.toLowerCase())) names.push(k.toLowerCase());
  // A JavaScript object lists integer-like keys first, in numeric order.
  const index = (k: string) => (/^(0|[1-9]\d{0,8})$/.test(k) ? Number(k) : -1);
  const numeric = names.filter((k) => index(k) >= 0).sort((x, y) => index(x) - index(y));
  names.splice(0, names.length, ...numeric, ...names.filter((k) => index(k) < 0));
  for (const n of names) {
    const values = list.filter((h) => h[0].toLowerCase() === n);
    if (values.length > 1 && H2_SINGLE_VALUE.has(n)) { a.use(WIRE_RULES.http2SingleValue); values.length = 1; }
    out.push(...values);
  }
  if (out.length === list.length && out.some((h, i) => h !== list[i])) a.use(WIRE_RULES.http2Order);
  return out;
}

/** Regular headers as they can be written: token names, no control characters, no surrounding whitespace, no framing. */
function cleanHeaders(list: HeaderList, a: Adaptation, http2: boolean): HeaderList {
  const out: HeaderList = [];
  for (const [name, value] of list) {
    const lower = name.toLowerCase();
    if (FRAMING.has(lower)) { a.use(WIRE_RULES.framing); continue; }
    if (!TOKEN.test(name)) { a.use(WIRE_RULES.nameToken); continue; }
    if (CONTROL.test(value)) { a.use(WIRE_RULES.valueChars); continue; }
    const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, "");
    if (trimmed !== value) a.use(WIRE_RULES.valueWhitespace);
    if (http2 && lower === "te" && trimmed !== "trailers") { a.use(WIRE_RULES.http2Headers); continue; }
    out.push([name, trimmed]);
  }
  return out;
}

function bodyLength(body: RequestInput["body"]): number {
  if (body === undefined) return 0;
  const parts = Array.isArray(body) ? body : [body];
  return parts.reduce((n, b) => n + (typeof b === "string" ? Buffer.byteLength(b, "utf8") : b.length), 0);
}

function isGrpc(headers: HeaderList): boolean {
  return headers.some(([k, v]) => k.toLowerCase() === "content-type" && v.toLowerCase().startsWith("application/grpc"));
}

/** `{"filter_metadata": {...}}`, the form engine/properties.ts produces as a cluster's metadata. */
function isFilterMetadata(v: PropertyInput): boolean {
  return typeof v === "object" && !(v instanceof Uint8Array) && Object.keys(v).join() === "filter_metadata";
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function adaptProperties(p: Record<string, PropertyInput> | undefined, known: KnownClusters, a: Adaptation): Record<string, PropertyInput> {
  const out: Record<string, PropertyInput> = {};
  let withMetadata: NonNullable<KnownClusters["metadata"]>[number] | undefined;
  for (const [key, value] of Object.entries(p ?? {})) {
    if (key === "xds.listener_direction" && (value === 0 || value === 1 || value === 2)) out[key] = value;
    else if (key === "xds.cluster_name" && typeof value === "string" && known.names.includes(value)) out[key] = value;
    else if (key === "connection.mtls" && value === false) out[key] = value;
    else if (key === "xds.cluster_metadata" && value instanceof Uint8Array && (withMetadata = known.metadata?.find((x) => sameBytes(x.bytes, value)))) continue;
    else if (key === "xds.cluster_metadata" && isFilterMetadata(value)) out[key] = value;
    else a.use(WIRE_RULES.property);
  }
  if (withMetadata) {
    // The metadata's own cluster: one name, one metadata, as Envoy holds them.
    if (out["xds.cluster_name"] !== undefined) a.use(WIRE_RULES.property);
    out["xds.cluster_name"] = withMetadata.name;
    out["xds.cluster_metadata"] = { filter_metadata: withMetadata.filterMetadata } as never;
  }
  return out;
}

/**
 * The stream as a real client and upstream can carry it, or the rule that
 * makes it unsendable. Deterministic: the same input gives the same output.
 */
export function makeSendable(input: { request: RequestInput; upstream?: Upstream; properties?: Record<string, PropertyInput> }, known: KnownClusters = { names: [] }): Adapted {
  const a = new Adaptation();
  const done = (skipped?: WireRule): Adapted => ({ applied: [...a.applied], ...(skipped ? { skipped: skipped.id as WireRuleId } : {}) });
  const req = input.request;
  const up = typeof input.upstream === "function" ? {} : input.upstream ?? {};
  if ((up.status ?? 200) < 200) return done(WIRE_RULES.interimStatus);

  // The pseudo-headers as the client derives them (engine/envoy/http-client.ts pseudo()).
  let method: string | undefined, path: string | undefined, scheme: string | undefined, authority: string | undefined, host: string | undefined;
  const regular: HeaderList = [];
  let reshaped = false;
  for (const [k, v] of req.headers) {
    const name = k.toLowerCase();
    if (name === ":method") { if (method !== undefined) reshaped = true; method = v; }
    else if (name === ":path") { if (path !== undefined) reshaped = true; path = v; }
    else if (name === ":scheme") { if (scheme !== undefined) reshaped = true; scheme = v; }
    else if (name === ":authority") { if (authority !== undefined) reshaped = true; authority = v; }
    else if (name === "host") { reshaped = true; host ??= v; }
    else if (name.startsWith(":")) reshaped = true;
    else regular.push([k, v]);
  }
  if (reshaped) a.use(WIRE_RULES.pseudoHeaders);
  method ??= "GET";
  path ??= "/";
  if (method === "" || method !== method.toUpperCase()) { a.use(WIRE_RULES.methodCase); method = method.toUpperCase() || "GET"; }
  if (!TOKEN.test(method)) return done(WIRE_RULES.methodToken);
  if (path === "") { a.use(WIRE_RULES.emptyPath); path = "/"; }
  if (PATH_UNSENDABLE.test(path)) return done(WIRE_RULES.pathChars);
  authority = authority ?? host ?? "localhost";
  if (CONTROL.test(authority)) return done(WIRE_RULES.valueChars);
  if (authority !== authority.trim()) { a.use(WIRE_RULES.valueWhitespace); authority = authority.replace(/^[ \t]+|[ \t]+$/g, ""); }

  const trailers = req.trailers ?? [];
  // An answer computed from the request cannot choose the protocol: the request does.
  const upTrailers = up.trailers ?? [];
  const http2 = trailers.length > 0 || upTrailers.length > 0 || isGrpc(regular);
  if (http2) a.use(WIRE_RULES.http2);
  if (http2 && method === "CONNECT") return done(WIRE_RULES.connectHttp2);
  // The client sends :scheme on HTTP/2 only; over HTTP/1.1 Envoy takes it from the connection (http).
  if (!http2 && scheme !== undefined && scheme !== "http") a.use(WIRE_RULES.pseudoHeaders);
  scheme = http2 ? (scheme ?? "http") : "http";
  if (http2 && CONTROL.test(scheme)) return done(WIRE_RULES.valueChars);

  // In the order node's clients write them (HTTP/2 keeps it on the wire; on HTTP/1.1 Envoy's codec makes its own).
  const pseudo: HeaderList = http2
    ? [[":method", method], [":path", path], [":scheme", scheme], [":authority", authority]]
    : [[":method", method], [":path", path], [":authority", authority], [":scheme", scheme]];
  const cleaned = cleanHeaders(regular, a, http2);
  const headers: HeaderList = [...pseudo, ...(http2 ? grouped(cleaned, a) : cleaned)];
  const length = bodyLength(req.body);
  // node's HTTP/1.1 client writes them: the length of a body (0 where node would otherwise send
  // an empty chunked body), and its kept-alive connection.
  if (!http2 && (length > 0 || !NODE_UNCHUNKED.has(method))) headers.push(["content-length", String(length)]);
  if (!http2) headers.push(["connection", "keep-alive"]);
  const cleanTrailers = grouped(http2Fields(cleanHeaders(trailers, a, true), a), a);

  const upstream: Upstream = typeof input.upstream === "function"
    ? answeredBy(input.upstream, http2, method)
    : answerOnWire(up as UpstreamResponse, a, http2, method);

  const properties = adaptProperties(input.properties, known, a);
  if (http2) properties["request.protocol"] = "HTTP/2";
  const stream: Stream = {
    request: { headers, ...(req.body !== undefined && length > 0 ? { body: req.body } : {}), ...(cleanTrailers.length ? { trailers: cleanTrailers } : {}) },
    upstream,
    properties,
  };
  return { stream, applied: [...a.applied] };
}

/** An upstream's answer as node's server writes it (the answer rules above). */
function answerOnWire(up: UpstreamResponse, a: Adaptation, http2: boolean, method: string): UpstreamResponse {
  const status = up.status ?? 200;
  let upHeaders = cleanHeaders(up.headers ?? [], a, http2);
  if (http2) upHeaders = grouped(http2Fields(upHeaders, a), a);
  let upBody = up.body;
  let upTrailers = grouped(http2Fields(cleanHeaders(up.trailers ?? [], a, true), a), a);
  if ((status === 204 || status === 205 || status === 304 || method === "HEAD") && (bodyLength(upBody) > 0 || upTrailers.length)) {
    a.use(WIRE_RULES.noBody);
    upBody = undefined;
    upTrailers = [];
  }
  // node's HTTP/1.1 server frames an answer by its length and keeps the connection.
  if (!http2) upHeaders = [...upHeaders, ["content-length", String(bodyLength(upBody))], ["connection", "keep-alive"]];
  return { status, headers: upHeaders, ...(upBody !== undefined ? { body: upBody } : {}), ...(upTrailers.length ? { trailers: upTrailers } : {}) };
}

/** An application (an answer computed from the request) whose answers are put on the wire the same way. */
function answeredBy(app: (r: UpstreamRequest) => UpstreamResponse | Promise<UpstreamResponse>, http2: boolean, method: string): Upstream {
  return async (r) => {
    const answer = await app(r);
    if ((answer.status ?? 200) < 200) throw new Error(`the application answered ${answer.status}: an interim status cannot end an exchange`);
    return answerOnWire(answer, new Adaptation(), http2, method);
  };
}
