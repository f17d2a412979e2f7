// A small client for the registry HTTP API v2 (OCI distribution spec), pulls
// only. It is independent of skopeo and ORAS on purpose: `push` uses it to
// confirm what actually landed in the registry, `verify` and `pullArtifact`
// use it to fetch. Handles Basic and Bearer-token auth (distribution's
// htpasswd, Docker Hub, GHCR, ACR, ...).
import { MT } from "./media-types.ts";
import { checkBlob, digestOf, type Descriptor } from "./digest.ts";
import { resolveCredentials, type Credentials } from "./auth.ts";

export class RegistryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

export interface RegistryClientOptions {
  /** http:// instead of https:// (local registries). */
  plainHttp?: boolean;
  credentials?: Credentials;
  /** docker config.json-format file to take credentials from (default: the usual files). */
  authFile?: string;
  env?: NodeJS.ProcessEnv;
}

const MANIFEST_ACCEPT = [MT.ociManifest, MT.dockerManifest, MT.ociIndex, MT.dockerManifestList].join(", ");

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(" ");
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /(\w+)="([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (j.errors?.length) return j.errors.map((e) => `${e.code ?? "ERROR"}: ${e.message ?? ""}`).join("; ");
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 200) || res.statusText;
}

export class RegistryClient {
  readonly baseUrl: string;
  private authHeader = new Map<string, string>(); // per scope
  private creds: Credentials | undefined;

  constructor(readonly host: string, private opts: RegistryClientOptions = {}) {
    const apiHost = host === "docker.io" ? "registry-1.docker.io" : host;
    this.baseUrl = `${opts.plainHttp ? "http" : "https"}://${apiHost}`;
    this.creds = resolveCredentials(host, opts);
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      const hint = !this.opts.plainHttp && /EPROTO|wrong version|ECONNRESET/i.test(String(cause?.message ?? detail)) ? " (plain-HTTP registry? use --plain-http)" : "";
      throw new RegistryError(`cannot reach registry ${this.host} at ${this.baseUrl}: ${detail}${hint}`);
    }
  }

  private async authorize(challenge: string, scope: string): Promise<string> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === "basic") {
      if (!this.creds) throw new RegistryError(`registry ${this.host} requires authentication: pass --username/--password-stdin or log in (docker/oras/skopeo login)`, 401);
      return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString("base64")}`;
    }
    if (scheme === "bearer" && params.realm) {
      const url = new URL(params.realm);
      if (params.service) url.searchParams.set("service", params.service);
      url.searchParams.set("scope", scope);
      const headers: Record<string, string> = {};
      if (this.creds) headers.Authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString("base64")}`;
      const res = await this.send(url.toString(), { headers });
      if (!res.ok) throw new RegistryError(`registry ${this.host}: token request failed (HTTP ${res.status}): ${await errorText(res)}`, res.status);
      const body = (await res.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new RegistryError(`registry ${this.host}: token response has no token`);
      return `Bearer ${token}`;
    }
    throw new RegistryError(`registry ${this.host}: unsupported auth challenge '${challenge}'`, 401);
  }

  /** Fails with a clear message when nothing answers at the registry address (auth is not checked here). */
  async ping(): Promise<void> {
    const res = await this.send(`${this.baseUrl}/v2/`, { method: "GET" });
    await res.body?.cancel();
    if (res.status !== 200 && res.status !== 401) throw new RegistryError(`${this.baseUrl}/v2/ answered HTTP ${res.status}: not an OCI registry?`, res.status);
  }

  /** GET/HEAD with auth negotiation; `scope` is the token scope, e.g. repository:wasm/x:pull. */
  async request(method: "GET" | "HEAD", path: string, scope: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const cached = this.authHeader.get(scope);
    let res = await this.send(url, { method, headers: cached ? { ...headers, Authorization: cached } : headers });
    if (res.status === 401) {
      const challenge = res.headers.get("www-authenticate");
      await res.body?.cancel();
      if (!challenge) throw new RegistryError(`registry ${this.host}: 401 without a WWW-Authenticate challenge`, 401);
      const auth = await this.authorize(challenge, scope);
      this.authHeader.set(scope, auth);
      res = await this.send(url, { method, headers: { ...headers, Authorization: auth } });
      if (res.status === 401) {
        await res.body?.cancel();
        throw new RegistryError(`registry ${this.host}: authentication failed (HTTP 401): wrong username or password?`, 401);
      }
    }
    return res;
  }

  /** The manifest at `reference` (tag or digest), its digest (sha256 of the bytes) and media type. */
  async getManifest(repository: string, reference: string): Promise<{ bytes: Uint8Array; digest: string; mediaType?: string }> {
    const res = await this.request("GET", `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull`, { Accept: MANIFEST_ACCEPT });
    if (!res.ok) throw new RegistryError(`${this.host}/${repository}:${reference}: manifest fetch failed (HTTP ${res.status}): ${await errorText(res)}`, res.status);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const digest = digestOf(bytes);
    const claimed = res.headers.get("docker-content-digest");
    if (claimed && claimed !== digest) throw new RegistryError(`${this.host}/${repository}:${reference}: registry says digest ${claimed} but the manifest bytes hash to ${digest}`);
    if (reference.startsWith("sha256:") && reference !== digest) throw new RegistryError(`${this.host}/${repository}@${reference}: manifest bytes hash to ${digest}`);
    const ct = res.headers.get("content-type")?.split(";")[0]?.trim();
    return ct ? { bytes, digest, mediaType: ct } : { bytes, digest };
  }

  /** Digest the tag currently points at, or undefined when it does not exist. */
  async resolve(repository: string, reference: string): Promise<string | undefined> {
    try {
      return (await this.getManifest(repository, reference)).digest;
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return undefined;
      throw err;
    }
  }

  async getBlob(repository: string, desc: Descriptor, what = desc.digest): Promise<Uint8Array> {
    const res = await this.request("GET", `/v2/${repository}/blobs/${desc.digest}`, `repository:${repository}:pull`);
    if (!res.ok) throw new RegistryError(`${what}: blob ${desc.digest} fetch failed (HTTP ${res.status}): ${await errorText(res)}`, res.status);
    const bytes = new Uint8Array(await res.arrayBuffer());
    checkBlob(desc, bytes, what);
    return bytes;
  }
}
