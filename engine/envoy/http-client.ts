// The client in front of the first Envoy: real HTTP/1.1 (node:http) or
// HTTP/2 without TLS (node:http2, prior knowledge, for gRPC and trailers) over
// loopback, on kept-alive connections. A stream that names its source address
// gets a connection of its own that starts with a PROXY protocol v1 header,
// which Envoy's proxy_protocol listener filter turns into the connection's
// source (and destination) address.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { HeaderList, RequestInput } from "../types.ts";
import type { ClientProtocol } from "../properties.ts";
import { addHeader } from "./upstream-server.ts";
import { chunksOf, fromWire, toWire, toWirePairs, utf8ToLatin1 } from "./wire.ts";

export interface ClientResponse {
  status: number;
  headers: HeaderList;
  body: Buffer;
  trailers: HeaderList;
}

export interface Destination {
  port: number;
  protocol: ClientProtocol;
  /** "PROXY TCP4 ...\r\n", sent first on the connection. */
  proxyHeader?: string;
}

/** The error of a stream Envoy reset (HTTP/2 RST_STREAM, HTTP/1.1 connection closed before an answer). */
export function isReset(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException;
  return ["ERR_HTTP2_STREAM_ERROR", "ECONNRESET", "ERR_HTTP2_STREAM_CANCEL"].includes(err?.code ?? "") || /socket hang up|without a response/.test(err?.message ?? "");
}

export function proxyProtocolHeader(src: { ip: string; port: number }, dst: { ip: string; port: number }): string {
  const family = src.ip.includes(":") ? "TCP6" : "TCP4";
  return `PROXY ${family} ${src.ip} ${dst.ip} ${src.port} ${dst.port}\r\n`;
}

const TIMEOUT_MS = 30_000;
/**
 * Envoy, not the client, must be what limits a response: Node's own limit on a
 * header block (16 KiB) is below Envoy's (60 KiB), and its strict parser refuses
 * bytes Envoy passes on (0x80-0xff in values).
 */
export const CLIENT_MAX_HEADER_BYTES = 1 << 20;
const MAX_CONNECTIONS = 32;
/** Connection-specific headers HTTP/2 forbids (node:http2 refuses them). */
const H2_FORBIDDEN = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "host"]);

function connect(port: number, proxyHeader: string | undefined): net.Socket {
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  if (proxyHeader) socket.write(proxyHeader);
  return socket;
}

function pseudo(headers: HeaderList) {
  let method = "GET", path = "/", scheme = "http", authority: string | undefined, host: string | undefined;
  const rest: HeaderList = [];
  for (const [k, v] of headers) {
    const name = k.toLowerCase();
    if (name === ":method") method = v;
    else if (name === ":path") path = v;
    else if (name === ":scheme") scheme = v;
    else if (name === ":authority") authority = v;
    else if (name === "host") host ??= v;
    else if (!name.startsWith(":")) rest.push([k, v]);
  }
  // As the host completes a request: :authority from host, else "localhost".
  return { method, path, scheme, authority: authority ?? host ?? "localhost", rest };
}

export class EnvoyClient {
  private readonly agents = new Map<string, http.Agent>();
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();

  send(to: Destination, request: RequestInput): Promise<ClientResponse> {
    return to.protocol === "HTTP/2" ? this.sendH2(to, request) : this.sendH1(to, request);
  }

  private agent(to: Destination): http.Agent {
    const key = `${to.port}|${to.proxyHeader ?? ""}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      (agent as unknown as { createConnection: () => net.Socket }).createConnection = () => connect(to.port, to.proxyHeader);
      this.evict(this.agents, (a) => a.destroy());
      this.agents.set(key, agent);
    }
    return agent;
  }

  private evict<T>(map: Map<string, T>, close: (v: T) => void): void {
    if (map.size < MAX_CONNECTIONS) return;
    const [oldest, v] = map.entries().next().value as [string, T];
    map.delete(oldest);
    close(v);
  }

  private sendH1(to: Destination, request: RequestInput): Promise<ClientResponse> {
    const { method, path, authority, rest } = pseudo(request.headers);
    const body = chunksOf(request.body);
    const trailers = request.trailers ?? [];
    const headers: HeaderList = [["host", authority], ...rest];
    const framed = rest.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k));
    const length = body.reduce((n, b) => n + b.length, 0);
    if (!framed && length > 0 && !trailers.length) headers.push(["content-length", String(length)]);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: "127.0.0.1", port: to.port, method, path: utf8ToLatin1(path), agent: this.agent(to), setHost: false, headers: toWire(headers) as never, timeout: TIMEOUT_MS,
        maxHeaderSize: CLIENT_MAX_HEADER_BYTES, insecureHTTPParser: true,
      }, (res) => {
        if (method === "HEAD") {
          // An answer to HEAD ends with its headers. Envoy's codec-error replies (400 before the
          // request line was understood) carry their body even then, which node would go on to
          // read as a broken next response: the answer is complete here.
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: fromWire(res.rawHeaders), body: Buffer.alloc(0), trailers: [] });
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({
          status: res.statusCode ?? 0, headers: fromWire(res.rawHeaders), body: Buffer.concat(chunks), trailers: fromWire(res.rawTrailers),
        }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`no answer from Envoy on port ${to.port} within ${TIMEOUT_MS} ms`)));
      req.on("error", reject);
      // Node hands the answer to a CONNECT to 'connect', never to the response callback, and
      // what follows its head as tunnel bytes: Envoy's refusal closes the connection after its body.
      req.on("connect", (res, socket, head: Buffer) => {
        const chunks = [head];
        const length = Number(res.headers["content-length"] ?? NaN);
        let got = head.length;
        const done = () => {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, headers: fromWire(res.rawHeaders), body: Buffer.concat(chunks), trailers: [] });
        };
        if (got >= length) return done();
        socket.on("data", (c: Buffer) => { chunks.push(c); got += c.length; if (got >= length) done(); });
        socket.once("end", done);
        socket.once("error", done);
        socket.setTimeout(TIMEOUT_MS, done);
      });
      for (const c of body) req.write(c);
      if (trailers.length) req.addTrailers(toWirePairs(trailers));
      req.end();
    });
  }

  private session(to: Destination): http2.ClientHttp2Session {
    const key = `${to.port}|${to.proxyHeader ?? ""}`;
    const existing = this.sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(`http://127.0.0.1:${to.port}`, {
      createConnection: () => connect(to.port, to.proxyHeader),
      settings: { maxHeaderListSize: CLIENT_MAX_HEADER_BYTES },
      maxSendHeaderBlockLength: CLIENT_MAX_HEADER_BYTES,
    });
    session.on("error", () => this.sessions.delete(key));
    session.on("close", () => { if (this.sessions.get(key) === session) this.sessions.delete(key); });
    this.evict(this.sessions, (s) => s.close());
    this.sessions.set(key, session);
    return session;
  }

  private sendH2(to: Destination, request: RequestInput): Promise<ClientResponse> {
    const { method, path, scheme, authority, rest } = pseudo(request.headers);
    const body = chunksOf(request.body);
    const trailers = request.trailers ?? [];
    // node writes header strings as Latin-1 (one byte per char): UTF-8 text goes as its bytes.
    const headers: http2.OutgoingHttpHeaders = { ":method": method, ":path": utf8ToLatin1(path), ":scheme": utf8ToLatin1(scheme), ":authority": utf8ToLatin1(authority) };
    for (const [k, v] of rest) {
      const name = k.toLowerCase();
      if (name === "te" && v !== "trailers") continue;
      addHeader(headers, name, v, H2_FORBIDDEN);
    }
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.session(to).request(headers, { endStream: !body.length && !trailers.length, waitForTrailers: trailers.length > 0 });
      } catch (e) {
        reject(e);
        return;
      }
      let status = 0;
      let respHeaders: HeaderList = [];
      let respTrailers: HeaderList = [];
      const chunks: Buffer[] = [];
      stream.setTimeout(TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      stream.on("response", (h, _flags, raw?: string[]) => {
        status = Number(h[":status"]);
        respHeaders = fromWire(raw ?? Object.entries(h).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, String(x)]) : [k, String(v)])));
      });
      stream.on("trailers", (t, _flags, raw?: string[]) => {
        respTrailers = fromWire(raw ?? Object.entries(t).flatMap(([k, v]) => [k, String(v)]));
      });
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (!status) reject(new Error(`Envoy on port ${to.port} closed the HTTP/2 stream without a response (code ${stream.rstCode})`));
        // Pseudo-headers other than :status are not response headers; :status leads as in the host's result.
        else resolve({ status, headers: respHeaders, body: Buffer.concat(chunks), trailers: respTrailers });
      });
      stream.on("error", reject);
      if (trailers.length) {
        stream.once("wantTrailers", () => {
          const t: http2.OutgoingHttpHeaders = {};
          for (const [k, v] of trailers) addHeader(t, k.toLowerCase(), v, H2_FORBIDDEN);
          stream.sendTrailers(t);
        });
      }
      for (const c of body) stream.write(c);
      if (body.length || trailers.length) stream.end();
    });
  }

  /** Closes the HTTP/2 connection to a destination: its pending streams fail at once (as reset). */
  dropHttp2(to: Destination): void {
    const key = `${to.port}|${to.proxyHeader ?? ""}`;
    this.sessions.get(key)?.destroy();
    this.sessions.delete(key);
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    for (const s of this.sessions.values()) s.destroy();
    this.agents.clear();
    this.sessions.clear();
  }
}
