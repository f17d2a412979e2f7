// A registry HTTP API v2 server in a few lines, for what a real registry will
// not do: serve another filter under a name, stream a blob forever, stall,
// or send a token realm elsewhere. Content comes from artifacts built by
// oci/; any path can be overridden by a route.
import http from "node:http";
import type net from "node:net";
import type { BuiltArtifact } from "../../../oci/artifact.ts";

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | void;

export interface FakeRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  requests: { method: string; url: string; authorization?: string }[];
  /** Serves `artifact` as `<repository>:<tag>` (and by digest). */
  put(repository: string, tag: string, artifact: BuiltArtifact): void;
  route(r: Route): void;
  close(): Promise<void>;
}

export async function startFakeRegistry(bind = "127.0.0.1"): Promise<FakeRegistry> {
  const manifests = new Map<string, { bytes: Uint8Array; mediaType: string; digest: string }>();
  const blobs = new Map<string, Uint8Array>();
  const routes: Route[] = [];
  const requests: FakeRegistry["requests"] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization });
    for (const r of routes) if (r(req, res)) return;
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(req.url ?? "");
    if (req.url === "/v2/") return void res.writeHead(200).end("{}");
    if (m?.[2] === "manifests") {
      const found = manifests.get(`${m[1]}:${m[3]}`) ?? [...manifests.values()].find((x) => x.digest === m[3]);
      if (found) {
        res.writeHead(200, { "content-type": found.mediaType, "docker-content-digest": found.digest, "content-length": found.bytes.length });
        return void res.end(found.bytes);
      }
    }
    if (m?.[2] === "blobs" && blobs.has(m[3]!)) {
      const b = blobs.get(m[3]!)!;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": b.length });
      return void res.end(b);
    }
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "NOT_FOUND", message: "not here" }] }));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, bind, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `${bind}:${port}`,
    requests,
    put(repository, tag, a) {
      const entry = { bytes: a.manifestBytes, mediaType: a.manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json", digest: a.manifestDigest };
      manifests.set(`${repository}:${tag}`, entry);
      for (const [d, b] of a.blobs) blobs.set(d, b);
    },
    route(r) {
      routes.push(r);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
