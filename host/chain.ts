// host.chain([...]).send(...): one stream through plugins in http_filters order, with the
// upstream answered by the caller and asynchronous host work (http calls, queues) awaited.
import { HeaderMap } from "./headers.ts";
import { REQUEST_INLINE_HEADERS, RESPONSE_INLINE_HEADERS, RESPONSE_TRAILER_INLINE_HEADERS } from "./inline-headers.ts";
import { admitRequest, type Rejection } from "./hcm/request.ts";
import { HttpStream } from "./stream.ts";
import { normalizeProperties } from "./attributes.ts";
import { toBytes } from "./bytes.ts";
import type { PluginRuntime } from "./plugin.ts";
import type { ProxyWasmHost } from "./host.ts";
import type { Bytes, HeaderList, SendInput, SendResult, UpstreamResponse } from "./types.ts";

export function chunks(body: Bytes | Bytes[] | undefined): Uint8Array[] {
  if (body === undefined) return [];
  return Array.isArray(body) ? body.map((b) => toBytes(b)) : [toBytes(body)];
}

/**
 * Request headers completed as Envoy's HTTP/1 codec would complete them, when the host models
 * no connection manager (with one, host/hcm/request.ts builds the map).
 */
export function requestHeaderMap(list: HeaderList): HeaderMap {
  const m = HeaderMap.from(list, REQUEST_INLINE_HEADERS);
  const host = m.get("host");
  if (m.get(":authority") === undefined && host !== undefined) { m.remove("host"); m.add(":authority", host); }
  if (m.get(":method") === undefined) m.add(":method", "GET");
  if (m.get(":path") === undefined) m.add(":path", "/");
  if (m.get(":scheme") === undefined) m.add(":scheme", "http");
  if (m.get(":authority") === undefined) m.add(":authority", "localhost");
  // Keep :method, :scheme, :authority, :path in a stable order ahead of regular headers.
  return m;
}

/** request.protocol as the stream gives it (a string property), else HTTP/1.1. */
function protocolOf(input: SendInput): string {
  const p = input.properties?.["request.protocol"];
  return typeof p === "string" ? p : "HTTP/1.1";
}

export class Chain {
  constructor(private host: ProxyWasmHost, readonly plugins: PluginRuntime[]) {}

  /** Prepares a stream without running it (used by send and by the benchmark drivers). */
  open(input: SendInput): HttpStream {
    const h = this.host;
    const req = input.request;
    const protocol = protocolOf(input);
    const admission = h.hcm ? admitRequest(req.headers, protocol, h.hcm, () => h.nextRequestId()) : null;
    const stream = new HttpStream(
      this.plugins, h.nextWorker(), admission?.headers ?? requestHeaderMap(req.headers), chunks(req.body),
      req.trailers?.length ? HeaderMap.from(req.trailers) : null,
      normalizeProperties(input.properties), h.hostProperties, h.nowNs(), h.nextConnectionId(),
    );
    stream.nowNs = () => h.nowNs();
    if (h.hcm) stream.front = { hcm: h.hcm, http2: protocol === "HTTP/2", rejection: admission && "reject" in admission ? admission.reject as Rejection : null };
    return stream;
  }

  async send(input: SendInput): Promise<SendResult> {
    const stream = this.open(input);
    let upstreamRequest: SendResult["upstreamRequest"] = null;
    stream.start();
    for (;;) {
      if (stream.state === "done") break;
      if (stream.state === "upstream") {
        const u = stream.upstreamRequest!;
        upstreamRequest = { headers: u.headers.toList(), body: u.body, trailers: u.trailers.toList() };
        const resp: UpstreamResponse = typeof input.upstream === "function"
          ? await input.upstream(upstreamRequest) : input.upstream ?? { status: 200 };
        stream.deliverUpstream(resp.status ?? 200, HeaderMap.from(resp.headers ?? [], RESPONSE_INLINE_HEADERS), chunks(resp.body), resp.trailers?.length ? HeaderMap.from(resp.trailers, RESPONSE_TRAILER_INLINE_HEADERS) : null);
        continue;
      }
      if (!(await this.host.settleOnce())) stream.stall();
    }
    const r = stream.response!;
    return {
      upstreamRequest,
      response: {
        status: Number(r.headers.get(":status") ?? 0), headers: r.headers.toList(), body: r.body,
        ...(r.trailers ? { trailers: r.trailers.toList() } : {}), local: r.local, details: r.details,
      },
      filterState: Object.fromEntries(stream.filterState),
      logs: stream.logs,
      routeCacheCleared: stream.routeCacheCleared,
      reset: stream.reset_,
      ...(stream.resetReason !== null ? { resetReason: stream.resetReason } : {}),
    };
  }
}
