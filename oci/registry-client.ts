// A small client for the registry HTTP API v2 (OCI distribution spec), pulls
// only. It is independent of skopeo and ORAS on purpose: `push` uses it to
// confirm what actually landed in the registry, `verify` and `pullArtifact`
// use it to fetch. Handles Basic and Bearer-token auth (distribution's
// htpasswd, Docker Hub, GHCR, ACR, ...).
//
// Every read is bounded (oci/limits.ts): a blob is read to exactly its
// descriptor's size and no further, manifests and JSON bodies to 4 MiB, and
// a registry that stops sending fails after the idle timeout.
import { MT } from "./media-types.ts";
import { checkBlob, digestOf, type Descriptor } from "./digest.ts";
import { resolveCredentials, type Credentials } from "./auth.ts";
import { formatBytes, OciLimitError, resolveLimits, type OciLimits } from "./limits.ts";
import { RegistryError } from "./registry-error.ts";
import { checkTokenRealm } from "./token-realm.ts";

export { RegistryError } from "./registry-error.ts";

export interface RegistryClientOptions {
  /** http:// instead of https:// (local registries). */
  plainHttp?: boolean;
  credentials?: Credentials;
  /** docker config.json-format file to take credentials from (default: the usual files). */
  authFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides of the read limits and the idle timeout (oci/limits.ts). */
  limits?: Partial<OciLimits>;
}

const MANIFEST_ACCEPT = [MT.ociManifest, MT.dockerManifest, MT.ociIndex, MT.dockerManifestList].join(", ");
/** Error bodies are for humans: the first 64 KiB say enough. */
const ERROR_BODY_BYTES = 64 * 1024;

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(" ");
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /(\w+)="([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

interface BodyLimit {
  /** The body must be exactly this long (a blob's descriptor size). */
  exact?: number;
  /** Otherwise at most this long. */
  max: number;
  /** Past `max`, keep what came and stop reading instead of failing (error bodies). */
  truncate?: boolean;
}

export class RegistryClient {
  readonly baseUrl: string;
  readonly limits: OciLimits;
  private authHeader = new Map<string, string>(); // per scope
  private creds: Credentials | undefined;
  private aborts = new WeakMap<Response, AbortController>();

  constructor(readonly host: string, private opts: RegistryClientOptions = {}) {
    const apiHost = host === "docker.io" ? "registry-1.docker.io" : host;
    this.baseUrl = `${opts.plainHttp ? "http" : "https"}://${apiHost}`;
    this.creds = resolveCredentials(host, opts);
    this.limits = resolveLimits(opts.limits, opts.env);
  }

  /** fetch, failing when no response headers arrive within the idle timeout. */
  private async send(url: string, init: RequestInit): Promise<Response> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.limits.idleTimeoutMs);
    try {
      const res = await fetch(url, { ...init, signal: abort.signal });
      this.aborts.set(res, abort);
      return res;
    } catch (err) {
      if (abort.signal.aborted) throw new RegistryError(`registry ${this.host}: no response to ${init.method ?? "GET"} ${url} within ${this.limits.idleTimeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      const hint = !this.opts.plainHttp && /EPROTO|wrong version|ECONNRESET/i.test(String(cause?.message ?? detail)) ? " (plain-HTTP registry? use --plain-http)" : "";
      throw new RegistryError(`cannot reach registry ${this.host} at ${this.baseUrl}: ${detail}${hint}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A response body, bounded in size and in time between chunks. */
  private async readBody(res: Response, what: string, limit: BodyLimit): Promise<Uint8Array> {
    const abort = this.aborts.get(res);
    const stop = (reader?: ReadableStreamDefaultReader<Uint8Array>) => {
      abort?.abort();
      reader?.cancel().catch(() => {});
    };
    const announced = res.headers.get("content-length");
    if (announced !== null && /^\d+$/.test(announced)) {
      const n = Number(announced);
      if (limit.exact !== undefined && n !== limit.exact) {
        stop();
        throw new OciLimitError(`${what}: the registry announces ${n} bytes, the descriptor says ${limit.exact}`);
      }
      if (n > limit.max && !limit.truncate) {
        stop();
        throw new OciLimitError(`${what}: the registry announces ${n} bytes, over the ${formatBytes(limit.max)} limit`);
      }
    }
    if (!res.body) {
      if (limit.exact) throw new OciLimitError(`${what}: the registry sent no body, the descriptor says ${limit.exact} bytes`);
      return new Uint8Array(0);
    }
    const reader = res.body.getReader();
    const cap = limit.exact ?? limit.max;
    const chunks: Uint8Array[] = [];
    let got = 0;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<"stalled">((resolve) => (timer = setTimeout(() => resolve("stalled"), this.limits.idleTimeoutMs)));
      let r: ReadableStreamReadResult<Uint8Array> | "stalled";
      try {
        r = await Promise.race([reader.read(), stalled]);
      } catch (err) {
        throw new RegistryError(`${what}: the connection failed after ${got} bytes: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      if (r === "stalled") {
        stop(reader);
        throw new RegistryError(`${what}: the registry sent nothing for ${this.limits.idleTimeoutMs} ms after ${got} bytes; giving up`);
      }
      if (r.done) break;
      if (got + r.value.length > cap) {
        if (limit.truncate) {
          chunks.push(r.value.subarray(0, cap - got));
          got = cap;
          stop(reader);
          break;
        }
        stop(reader);
        throw new OciLimitError(limit.exact !== undefined
          ? `${what}: the registry sent more than the ${limit.exact} bytes the descriptor says`
          : `${what}: the registry sent more than the ${formatBytes(limit.max)} limit`);
      }
      chunks.push(r.value);
      got += r.value.length;
    }
    if (limit.exact !== undefined && got !== limit.exact) throw new OciLimitError(`${what}: the registry sent ${got} of the ${limit.exact} bytes the descriptor says`);
    return concat(chunks, got);
  }

  private async errorText(res: Response): Promise<string> {
    const text = new TextDecoder().decode(await this.readBody(res, "error body", { max: ERROR_BODY_BYTES, truncate: true }).catch(() => new Uint8Array(0)));
    try {
      const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      if (j.errors?.length) return j.errors.map((e) => `${e.code ?? "ERROR"}: ${e.message ?? ""}`).join("; ");
    } catch {
      /* not JSON */
    }
    return text.trim().slice(0, 200) || res.statusText;
  }

  private basic(): string {
    return `Basic ${Buffer.from(`${this.creds!.username}:${this.creds!.password}`).toString("base64")}`;
  }

  private async authorize(challenge: string, scope: string): Promise<string> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === "basic") {
      if (!this.creds) throw new RegistryError(`registry ${this.host} requires authentication: pass --username/--password-stdin or log in (docker/oras/skopeo login)`, 401);
      return this.basic();
    }
    if (scheme === "bearer" && params.realm) {
      const { url, sendCredentials } = checkTokenRealm(params.realm, this.baseUrl, !!this.creds);
      if (params.service) url.searchParams.set("service", params.service);
      url.searchParams.set("scope", scope);
      // Credentials are never replayed to wherever a redirect points.
      const res = await this.send(url.toString(), sendCredentials ? { headers: { Authorization: this.basic() }, redirect: "manual" } : {});
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        throw new RegistryError(`registry ${this.host}: token realm ${url.origin}${url.pathname} answered a redirect (HTTP ${res.status}); credentials are not sent on`, res.status);
      }
      if (!res.ok) throw new RegistryError(`registry ${this.host}: token request failed (HTTP ${res.status}): ${await this.errorText(res)}`, res.status);
      let body: { token?: string; access_token?: string };
      try {
        body = JSON.parse(new TextDecoder().decode(await this.readBody(res, `registry ${this.host}: token response`, { max: this.limits.maxMetadataBytes })));
      } catch (err) {
        if (err instanceof RegistryError || err instanceof OciLimitError) throw err;
        throw new RegistryError(`registry ${this.host}: token response is not JSON`);
      }
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
    const where = `${this.host}/${repository}${reference.startsWith("sha256:") ? "@" : ":"}${reference}`;
    const res = await this.request("GET", `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull`, { Accept: MANIFEST_ACCEPT });
    if (!res.ok) throw new RegistryError(`${where}: manifest fetch failed (HTTP ${res.status}): ${await this.errorText(res)}`, res.status);
    const bytes = await this.readBody(res, `${where} manifest`, { max: this.limits.maxMetadataBytes });
    const digest = digestOf(bytes);
    const claimed = res.headers.get("docker-content-digest");
    if (claimed && claimed !== digest) throw new RegistryError(`${where}: registry says digest ${claimed} but the manifest bytes hash to ${digest}`);
    if (reference.startsWith("sha256:") && reference !== digest) throw new RegistryError(`${where}: manifest bytes hash to ${digest}`);
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

  /** A blob, exactly `desc.size` bytes (refused above `maxBytes`), checked against its digest. */
  async getBlob(repository: string, desc: Descriptor, what = desc.digest, maxBytes = this.limits.maxBlobBytes): Promise<Uint8Array> {
    const label = `${what} blob ${desc.digest}`;
    if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new OciLimitError(`${label}: invalid descriptor size ${desc.size}`);
    if (desc.size > maxBytes) throw new OciLimitError(`${label}: descriptor size ${desc.size} bytes is over the ${formatBytes(maxBytes)} limit`);
    const res = await this.request("GET", `/v2/${repository}/blobs/${desc.digest}`, `repository:${repository}:pull`);
    if (!res.ok) throw new RegistryError(`${what}: blob ${desc.digest} fetch failed (HTTP ${res.status}): ${await this.errorText(res)}`, res.status);
    const bytes = await this.readBody(res, label, { exact: desc.size, max: maxBytes });
    checkBlob(desc, bytes, what);
    return bytes;
  }
}
