// The upstream behind the last Envoy: a real HTTP server on loopback that
// records what it received (headers, body, trailers) and answers with the
// current stream's `upstream`. One port speaks HTTP/1.1 and HTTP/2 without TLS
// (prior knowledge), since the cluster uses the downstream's protocol: a
// request Envoy got over HTTP/2 (gRPC) reaches it over HTTP/2, trailers and all.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { HeaderList, Upstream, UpstreamRequest, UpstreamResponse } from "../types.ts";
import { bytesOf, fromWire, toWire, toWirePairs } from "./wire.ts";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Hop-by-hop and framing headers a server may not copy onto its response (the HTTP library writes its own). */
const H1_SKIP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);
const H2_SKIP = new Set([...H1_SKIP, "te", "host"]);
const MAX_HEADER_BYTES = 1 << 20;

export class RecordingUpstream {
  /** What arrived since the last take(). */
  private received: UpstreamRequest[] = [];
  private answer: Upstream | undefined;
  private readonly tcp: net.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor() {
    // Envoy, not this server, limits what reaches the application: Node's 16 KiB header limit and
    // strict parser would answer requests Envoy forwards (0x80-0xff bytes, 16-60 KiB of headers).
    this.h1 = http.createServer({ keepAliveTimeout: 600_000, requestTimeout: 0, maxHeaderSize: MAX_HEADER_BYTES, insecureHTTPParser: true }, (req, res) => {
      this.onH1(req, res).catch((e) => this.failed(e, () => res.destroy()));
    });
    this.h2 = http2.createServer({ settings: { maxHeaderListSize: MAX_HEADER_BYTES }, maxSendHeaderBlockLength: MAX_HEADER_BYTES });
    this.h2.on("stream", (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
      stream.on("error", (e) => this.failed(e, () => stream.destroy()));
      this.onH2(stream, raw).catch((e) => this.failed(e, () => stream.destroy()));
    });
    this.tcp = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.once("readable", () => this.dispatch(socket));
    });
  }

  private dispatch(socket: net.Socket): void {
    const head: Buffer | null = socket.read();
    if (!head) {
      socket.once("readable", () => this.dispatch(socket));
      return;
    }
    socket.unshift(head);
    const n = Math.min(head.length, H2_PREFACE.length);
    const server = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n)) ? this.h2 : this.h1;
    server.emit("connection", socket);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.tcp.once("error", reject);
      this.tcp.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.tcp.address() as net.AddressInfo).port;
  }

  /** The answer for the requests of the next stream. */
  expect(answer: Upstream | undefined): void {
    this.answer = answer;
    this.received = [];
  }

  /**
   * An answer Node could not write (a header value or status it refuses): the
   * connection is dropped, as an application that fails mid-response drops it,
   * and the error is kept for the caller.
   */
  errors: Error[] = [];

  private failed(e: unknown, drop: () => void): void {
    this.errors.push(e as Error);
    if (this.errors.length > 16) this.errors.shift();
    drop();
  }

  /** The requests received since expect(). */
  take(): UpstreamRequest[] {
    const r = this.received;
    this.received = [];
    return r;
  }

  private async respondTo(req: UpstreamRequest): Promise<UpstreamResponse> {
    // Load generators (benchmarks) send without take(): keep the latest few only.
    if (this.received.length >= 64) this.received.shift();
    this.received.push(req);
    const a = this.answer;
    try {
      return (typeof a === "function" ? await a(req) : a) ?? {};
    } catch (e) {
      return { status: 500, headers: [["content-type", "text/plain"]], body: `upstream handler failed: ${(e as Error).message}` };
    }
  }

  private async onH1(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = fromWire(req.rawHeaders);
    const authority = raw.find(([k]) => k === "host")?.[1] ?? "";
    // The request line carries what HTTP/2 would carry as pseudo-headers; listed first, as a filter saw them.
    const headers: HeaderList = [[":method", req.method ?? "GET"], [":path", req.url ?? "/"], [":authority", authority], [":scheme", "http"],
      ...raw.filter(([k]) => k !== "host")];
    const answer = await this.respondTo({ headers, body: Buffer.concat(chunks), trailers: fromWire(req.rawTrailers) });
    const body = bytesOf(answer.body);
    const out = (answer.headers ?? []).filter(([k]) => !H1_SKIP.has(k.toLowerCase()));
    const hasLength = out.some(([k]) => k.toLowerCase() === "content-length");
    const trailers = answer.trailers ?? [];
    res.sendDate = false;
    if (!hasLength && !trailers.length) out.push(["content-length", String(body.length)]);
    res.writeHead(answer.status ?? 200, toWire(out));
    // HTTP/1.1 trailers need chunked framing; Envoy drops them unless its codec enables trailers.
    if (trailers.length) res.addTrailers(toWirePairs(trailers));
    res.end(body);
  }

  private async onH2(stream: http2.ServerHttp2Stream, raw: string[]): Promise<void> {
    const chunks: Buffer[] = [];
    let trailers: HeaderList = [];
    stream.on("trailers", (_t, _f, rawTrailers?: string[]) => { trailers = fromWire(rawTrailers ?? []); });
    for await (const c of stream) chunks.push(c as Buffer);
    const answer = await this.respondTo({ headers: fromWire(raw), body: Buffer.concat(chunks), trailers });
    if (stream.destroyed) return;
    const body = bytesOf(answer.body);
    const respTrailers = answer.trailers ?? [];
    const headers: http2.OutgoingHttpHeaders = { ":status": answer.status ?? 200 };
    for (const [k, v] of answer.headers ?? []) addHeader(headers, k.toLowerCase(), v, H2_SKIP);
    // No date of node's own, as over HTTP/1.1 (sendDate false): the answer is the stream's.
    const options = { waitForTrailers: respTrailers.length > 0, endStream: body.length === 0 && respTrailers.length === 0, sendDate: false };
    stream.respond(headers, options);
    if (respTrailers.length) {
      stream.once("wantTrailers", () => {
        const t: http2.OutgoingHttpHeaders = {};
        for (const [k, v] of respTrailers) addHeader(t, k.toLowerCase(), v, H2_SKIP);
        stream.sendTrailers(t);
      });
    }
    // node ends a 204/205/304 answer (or one to HEAD) with its headers: nothing may follow.
    if ((body.length || respTrailers.length) && !stream.writableEnded) stream.end(body);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.h1.closeAllConnections();
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}

export function addHeader(h: http2.OutgoingHttpHeaders, k: string, v: string, skip: Set<string>): void {
  if (skip.has(k)) return;
  const wire = Buffer.from(v, "utf8").toString("latin1");
  const prev = h[k];
  if (prev === undefined) h[k] = wire;
  else h[k] = Array.isArray(prev) ? [...prev, wire] : [String(prev), wire];
}
