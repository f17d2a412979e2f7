// host.chain([...]).send(...): one stream through plugins in http_filters order, with the
// upstream answered by the caller and asynchronous host work (http calls, queues) awaited.
import { HeaderMap } from "./headers.ts";
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

/** Request headers as Envoy's HTTP/1 codec would hand them to the filters. */
export function requestHeaderMap(list: HeaderList): HeaderMap {
  const m = HeaderMap.from(list);
  const host = m.get("host");
  if (m.get(":authority") === undefined && host !== undefined) { m.remove("host"); m.add(":authority", host); }
  if (m.get(":method") === undefined) m.add(":method", "GET");
  if (m.get(":path") === undefined) m.add(":path", "/");
  if (m.get(":scheme") === undefined) m.add(":scheme", "http");
  if (m.get(":authority") === undefined) m.add(":authority", "localhost");
  // Keep :method, :scheme, :authority, :path in a stable order ahead of regular headers.
  return m;
}

export class Chain {
  constructor(private host: ProxyWasmHost, readonly plugins: PluginRuntime[]) {}

  /** Prepares a stream without running it (used by send and by the benchmark drivers). */
  open(input: SendInput): HttpStream {
    const h = this.host;
    const req = input.request;
    const stream = new HttpStream(
      this.plugins, h.nextWorker(), requestHeaderMap(req.headers), chunks(req.body),
      req.trailers ? HeaderMap.from(req.trailers) : null,
      normalizeProperties(input.properties), h.hostProperties, h.nowNs(), h.nextConnectionId(),
    );
    stream.nowNs = () => h.nowNs();
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
        stream.deliverUpstream(resp.status ?? 200, HeaderMap.from(resp.headers ?? []), chunks(resp.body), resp.trailers ? HeaderMap.from(resp.trailers) : null);
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
