// header-auth through the Envoy-faithful host with the built module: every
// decision, its status, challenge and response-code details; exempt paths,
// preflight, the spoofed principal header, header quirks; and a sweep that no
// secret ever shows up in a log, a reply, a header sent back or a metric.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HeaderList, SendResult } from "../../../host/index.ts";
import { ProxyWasmHost, type Plugin } from "../../../host/index.ts";
import {
  BILLING_KEY, EXAMPLE, REPORTING_KEY, all, ensureBuilt, load, request, send, sha256hex,
} from "./helpers.ts";

const WRONG_KEY = "wrong-key-5f2c1e0b9a";
const SECRETS = [REPORTING_KEY, BILLING_KEY, WRONG_KEY, "plain-secret-7d1f", "ключ-секрет"];
const seenText: string[] = [];
const hosts: ProxyWasmHost[] = [];

beforeAll(() => ensureBuilt());

let host: ProxyWasmHost;
let plugin: Plugin;
beforeAll(async () => {
  ({ host, plugin } = await load(EXAMPLE, "trace"));
  hosts.push(host);
});

function record(r: SendResult): SendResult {
  seenText.push(Buffer.from(r.response.body).toString("latin1"), JSON.stringify(r.response.headers), r.response.details);
  for (const l of r.logs) seenText.push(l.message);
  return r;
}

async function go(extra: HeaderList, method = "GET", p = "/api/items", h = host, pl = plugin): Promise<SendResult> {
  const r = record(await send(h, pl, request(extra, method, p)));
  expect(pl.traps).toEqual([]);
  return r;
}

async function loadWith(patch: Record<string, unknown>) {
  const r = await load({ ...EXAMPLE, ...patch }, "trace");
  hosts.push(r.host);
  return r;
}

const API_KEY_CHALLENGE = 'ApiKey realm="mesh", header="x-api-key"';
const BEARER_CHALLENGE = 'Bearer realm="mesh"';
const BEARER_INVALID = 'Bearer realm="mesh", error="invalid_token"';

function expectDenied(r: SendResult, status: number, details: string, reason: string): void {
  expect(r.upstreamRequest).toBeNull();
  expect(r.response.local).toBe(true);
  expect(r.response.status).toBe(status);
  expect(r.response.details).toBe(details);
  expect(all(r.response.headers, "content-type")).toEqual(["application/json"]);
  const body = JSON.parse(Buffer.from(r.response.body).toString());
  expect(body.reason).toBe(reason);
}

function expectAllowed(r: SendResult, principal: string): void {
  expect(r.response.status).toBe(200);
  expect(r.response.local).toBe(false);
  expect(r.upstreamRequest).not.toBeNull();
  expect(all(r.upstreamRequest!.headers, "x-auth-principal")).toEqual([principal]);
  // The credential is stripped before the request goes upstream (default).
  expect(all(r.upstreamRequest!.headers, "x-api-key")).toEqual([]);
  expect(all(r.upstreamRequest!.headers, "authorization")).toEqual([]);
}

describe("decisions", () => {
  it("allows a known API key and passes the principal upstream", async () => {
    expectAllowed(await go([["x-api-key", BILLING_KEY]], "POST", "/orders"), "billing");
    expectAllowed(await go([["x-api-key", REPORTING_KEY]], "GET", "/api/v1/items?limit=10"), "reporting");
  });

  it("allows a known bearer token", async () => {
    expectAllowed(await go([["authorization", `Bearer ${BILLING_KEY}`]], "DELETE", "/x"), "billing");
  });

  it("answers 401 missing_credential with one challenge per source", async () => {
    const r = await go([]);
    expectDenied(r, 401, "header_auth_missing_credential", "missing_credential");
    expect(all(r.response.headers, "www-authenticate")).toEqual([API_KEY_CHALLENGE, BEARER_CHALLENGE]);
    expect(JSON.parse(Buffer.from(r.response.body).toString())).toEqual({ error: "unauthorized", reason: "missing_credential" });
  });

  it("answers 401 invalid_credential for an unknown API key", async () => {
    const r = await go([["x-api-key", WRONG_KEY]]);
    expectDenied(r, 401, "header_auth_invalid_credential", "invalid_credential");
    expect(all(r.response.headers, "www-authenticate")).toEqual([API_KEY_CHALLENGE, BEARER_CHALLENGE]);
  });

  it("answers 401 with error=\"invalid_token\" for an unknown bearer token", async () => {
    const r = await go([["authorization", `Bearer ${WRONG_KEY}`]]);
    expectDenied(r, 401, "header_auth_invalid_credential", "invalid_credential");
    expect(all(r.response.headers, "www-authenticate")).toEqual([API_KEY_CHALLENGE, BEARER_INVALID]);
  });

  it("answers 403 forbidden for a known principal outside its methods or path prefixes", async () => {
    for (const [method, p] of [["POST", "/api/items"], ["GET", "/admin"], ["GET", "/api"], ["GET", "/apix/1"], ["GET", "/admin?next=/api/"], ["get", "/api/items"]]) {
      const r = await go([["x-api-key", REPORTING_KEY]], method, p);
      expectDenied(r, 403, "header_auth_forbidden", "principal_not_allowed");
      expect(all(r.response.headers, "www-authenticate")).toEqual([]);
      expect(JSON.parse(Buffer.from(r.response.body).toString())).toEqual({ error: "forbidden", reason: "principal_not_allowed" });
    }
    expectAllowed(await go([["x-api-key", REPORTING_KEY]], "GET", "/api/"), "reporting");
    expectAllowed(await go([["x-api-key", REPORTING_KEY]], "GET", "/api/x?y=/admin#z"), "reporting");
  });

  it("uses the configured forbidden status and realm", async () => {
    const { host: h, plugin: p } = await loadWith({ forbidden_status: 404, realm: "orders api" });
    const f = await go([["x-api-key", REPORTING_KEY]], "GET", "/admin", h, p);
    expectDenied(f, 404, "header_auth_forbidden", "principal_not_allowed");
    const m = await go([], "GET", "/", h, p);
    expect(all(m.response.headers, "www-authenticate")).toEqual(['ApiKey realm="orders api", header="x-api-key"', 'Bearer realm="orders api"']);
  });

  it("maps denials to gRPC statuses for gRPC requests (Envoy's local reply)", async () => {
    const r = await go([["content-type", "application/grpc"]], "POST", "/pkg.Svc/Method");
    expect(r.upstreamRequest).toBeNull();
    expect(all(r.response.headers, "grpc-status")).toEqual(["16"]);
    expect(r.response.details).toBe("header_auth_missing_credential");
  });
});

describe("exempt routes and CORS preflight", () => {
  it("exempts exact paths, matched without the query string", async () => {
    for (const p of ["/healthz", "/healthz?probe=1", "/healthz#x"]) {
      const r = await go([], "GET", p);
      expect(r.response.status).toBe(200);
      expect(r.upstreamRequest).not.toBeNull();
      expect(all(r.upstreamRequest!.headers, "x-auth-principal")).toEqual([]);
    }
    for (const p of ["/healthz/", "/healthzx", "/Healthz", "/api/healthz", "/healthz%3F"]) {
      expectDenied(await go([], "GET", p), 401, "header_auth_missing_credential", "missing_credential");
    }
  });

  it("exempts path prefixes", async () => {
    expect((await go([], "GET", "/.well-known/openid-configuration")).response.status).toBe(200);
    expect((await go([], "GET", "/.well-known/")).response.status).toBe(200);
    expectDenied(await go([], "GET", "/.well-known"), 401, "header_auth_missing_credential", "missing_credential");
  });

  it("leaves a credential on an exempt path untouched (it is not checked)", async () => {
    const r = await go([["x-api-key", WRONG_KEY]], "GET", "/healthz");
    expect(r.response.status).toBe(200);
    expect(all(r.upstreamRequest!.headers, "x-api-key")).toEqual([WRONG_KEY]);
  });

  it("passes a CORS preflight without credentials when enabled", async () => {
    const pre: HeaderList = [["origin", "https://app.example"], ["access-control-request-method", "POST"]];
    const r = await go(pre, "OPTIONS", "/api/items");
    expect(r.response.status).toBe(200);
    expect(r.upstreamRequest).not.toBeNull();
    // OPTIONS without Access-Control-Request-Method is an ordinary request.
    expectDenied(await go([["origin", "https://app.example"]], "OPTIONS", "/api/items"), 401, "header_auth_missing_credential", "missing_credential");
    // A preflight-looking GET is not a preflight.
    expectDenied(await go(pre, "GET", "/api/items"), 401, "header_auth_missing_credential", "missing_credential");
    const { host: h, plugin: p } = await loadWith({ allow_cors_preflight: false });
    expectDenied(await go(pre, "OPTIONS", "/api/items", h, p), 401, "header_auth_missing_credential", "missing_credential");
  });
});

describe("the principal header cannot be spoofed", () => {
  const spoof: HeaderList = [["x-auth-principal", "admin"], ["X-Auth-Principal", "root"]];

  it("replaces a client-supplied principal on allowed requests", async () => {
    const r = await go([...spoof, ["x-api-key", BILLING_KEY]]);
    expectAllowed(r, "billing");
  });

  it("removes it on exempt paths and preflights", async () => {
    const r = await go(spoof, "GET", "/healthz");
    expect(all(r.upstreamRequest!.headers, "x-auth-principal")).toEqual([]);
    const pf = await go([...spoof, ["access-control-request-method", "GET"]], "OPTIONS", "/x");
    expect(all(pf.upstreamRequest!.headers, "x-auth-principal")).toEqual([]);
  });

  it("removes it on denied requests (what the access log would show)", async () => {
    for (const extra of [[], [["x-api-key", WRONG_KEY]], [["x-api-key", REPORTING_KEY]]] as HeaderList[]) {
      // Drive the stream by hand to look at the request headers Envoy keeps for %REQ()%.
      const stream = host.chain([plugin]).open({ request: { headers: request([...spoof, ...extra], "POST", "/admin") } });
      stream.start();
      expect(stream.state).toBe("done");
      expect(stream.response!.local).toBe(true);
      expect(stream.info.requestHeaders.get("x-auth-principal")).toBeUndefined();
    }
  });

  it("honours a custom principal header name", async () => {
    const { host: h, plugin: p } = await loadWith({ principal_header: "x-caller" });
    const r = await go([["x-caller", "admin"], ["x-auth-principal", "kept"], ["x-api-key", BILLING_KEY]], "GET", "/", h, p);
    expect(all(r.upstreamRequest!.headers, "x-caller")).toEqual(["billing"]);
    expect(all(r.upstreamRequest!.headers, "x-auth-principal")).toEqual(["kept"]);
  });
});

describe("header quirks", () => {
  it("matches header names case-insensitively", async () => {
    expectAllowed(await go([["X-API-KEY", BILLING_KEY]]), "billing");
    expectAllowed(await go([["X-Api-Key", BILLING_KEY]]), "billing");
    expectAllowed(await go([["AUTHORIZATION", `Bearer ${BILLING_KEY}`]]), "billing");
  });

  it("matches the Bearer scheme case-insensitively, with any amount of spaces", async () => {
    for (const v of [`bearer ${BILLING_KEY}`, `BEARER ${BILLING_KEY}`, `BeArEr ${BILLING_KEY}`, `Bearer   ${BILLING_KEY}`, `Bearer\t${BILLING_KEY}`]) {
      expectAllowed(await go([["authorization", v]]), "billing");
    }
  });

  it("treats the API key value as case-sensitive", async () => {
    expectDenied(await go([["x-api-key", BILLING_KEY.toUpperCase()]]), 401, "header_auth_invalid_credential", "invalid_credential");
  });

  it("rejects a repeated credential header as ambiguous (401), whatever the values", async () => {
    for (const pair of [[BILLING_KEY, WRONG_KEY], [BILLING_KEY, BILLING_KEY], [WRONG_KEY, BILLING_KEY], [BILLING_KEY, ""], [BILLING_KEY, REPORTING_KEY]]) {
      const r = await go([["x-api-key", pair[0]!], ["x-api-key", pair[1]!]]);
      expectDenied(r, 401, "header_auth_invalid_credential", "invalid_credential");
    }
    const b = await go([["authorization", `Bearer ${BILLING_KEY}`], ["authorization", "Basic Zm9vOmJhcg=="]]);
    expectDenied(b, 401, "header_auth_invalid_credential", "invalid_credential");
    expect(all(b.response.headers, "www-authenticate")).toEqual([API_KEY_CHALLENGE, BEARER_INVALID]);
  });

  it("keeps a single credential upstream with strip_credential false, still rejecting repeats", async () => {
    const { host: h, plugin: p } = await loadWith({ strip_credential: false });
    const r = await go([["x-api-key", BILLING_KEY], ["accept", "*/*"]], "GET", "/", h, p);
    expect(r.response.status).toBe(200);
    expect(all(r.upstreamRequest!.headers, "x-api-key")).toEqual([BILLING_KEY]);
    expect(all(r.upstreamRequest!.headers, "x-auth-principal")).toEqual(["billing"]);
    const rb = await go([["authorization", `Bearer ${BILLING_KEY}`]], "GET", "/", h, p);
    expect(all(rb.upstreamRequest!.headers, "authorization")).toEqual([`Bearer ${BILLING_KEY}`]);
    expectDenied(await go([["x-api-key", BILLING_KEY], ["x-api-key", WRONG_KEY]], "GET", "/", h, p), 401, "header_auth_invalid_credential", "invalid_credential");
  });

  it("rejects very long and non-ASCII values without trapping", async () => {
    for (const v of ["k".repeat(8192), "k".repeat(8193), "x".repeat(100_000), "ключ-секрет", "🔑".repeat(1000), "\u00ff\u00fe\u0001", BILLING_KEY + "\u00e9"]) {
      expectDenied(await go([["x-api-key", v]]), 401, "header_auth_invalid_credential", "invalid_credential");
      expectDenied(await go([["authorization", `Bearer ${v}`]]), 401, "header_auth_invalid_credential", "invalid_credential");
    }
    expectDenied(await go([["authorization", "x".repeat(100_000)]]), 401, "header_auth_missing_credential", "missing_credential");
    // Long and non-ASCII paths and principal-header values are fine too (a path rule matches
    // only a path in normal form, where non-ASCII is percent-encoded, as normalize_path leaves it).
    expectAllowed(await go([["x-api-key", BILLING_KEY]], "GET", "/" + "é".repeat(50_000)), "billing");
    expectAllowed(await go([["x-api-key", REPORTING_KEY], ["x-auth-principal", "ключ".repeat(10_000)]], "GET", "/api/%C3%A9?q=ü"), "reporting");
    expectDenied(await go([["x-api-key", REPORTING_KEY]], "GET", "/api/é"), 403, "header_auth_forbidden", "principal_not_allowed");
  });

  it("accepts a configured key that is long or non-ASCII (hashed as UTF-8)", async () => {
    const long = "L".repeat(8192);
    const { host: h, plugin: p } = await loadWith({ credentials: [{ principal: "long", key_sha256: sha256hex(long) }, { principal: "utf8", key_sha256: sha256hex("ключ-секрет") }] });
    expectAllowed(await go([["x-api-key", long]], "GET", "/", h, p), "long");
    expectAllowed(await go([["x-api-key", "ключ-секрет"]], "GET", "/", h, p), "utf8");
  });

  it("treats an empty Authorization as no bearer credential", async () => {
    expectDenied(await go([["authorization", ""]]), 401, "header_auth_missing_credential", "missing_credential");
    const r = await go([["authorization", ""], ["x-api-key", BILLING_KEY]]);
    expect(all(r.upstreamRequest!.headers, "x-auth-principal")).toEqual(["billing"]);
    expect(all(r.upstreamRequest!.headers, "authorization")).toEqual([""]); // not ours: left alone
  });

  it("treats an empty API-key header as an invalid credential", async () => {
    expectDenied(await go([["x-api-key", ""]]), 401, "header_auth_invalid_credential", "invalid_credential");
  });

  it("rejects Bearer with no token, or a token with spaces, as invalid_token", async () => {
    for (const v of ["Bearer", "bearer", "Bearer ", "Bearer    ", "Bearer a b", `Bearer ${BILLING_KEY} x`]) {
      const r = await go([["authorization", v]]);
      expectDenied(r, 401, "header_auth_invalid_credential", "invalid_credential");
      expect(all(r.response.headers, "www-authenticate")).toEqual([API_KEY_CHALLENGE, BEARER_INVALID]);
    }
  });

  it("ignores Authorization schemes other than Bearer", async () => {
    for (const v of ["Basic Zm9vOmJhcg==", `Bearerx${BILLING_KEY}`, `Token ${BILLING_KEY}`, BILLING_KEY]) {
      expectDenied(await go([["authorization", v]]), 401, "header_auth_missing_credential", "missing_credential");
    }
    // ...so Basic auth meant for the upstream can travel next to an API key.
    const r = await go([["authorization", "Basic Zm9vOmJhcg=="], ["x-api-key", BILLING_KEY]]);
    expect(r.response.status).toBe(200);
    expect(all(r.upstreamRequest!.headers, "authorization")).toEqual(["Basic Zm9vOmJhcg=="]);
    expect(all(r.upstreamRequest!.headers, "x-api-key")).toEqual([]);
  });
});

describe("sources", () => {
  it("uses the first configured source present (default: the named header, then bearer)", async () => {
    const both: HeaderList = [["x-api-key", REPORTING_KEY], ["authorization", `Bearer ${BILLING_KEY}`]];
    const r = await go(both);
    expect(all(r.upstreamRequest!.headers, "x-auth-principal")).toEqual(["reporting"]);
    // The unused source's header is left alone.
    expect(all(r.upstreamRequest!.headers, "authorization")).toEqual([`Bearer ${BILLING_KEY}`]);
    // An invalid first source is not rescued by a valid second one.
    expectDenied(await go([["x-api-key", WRONG_KEY], ["authorization", `Bearer ${BILLING_KEY}`]]), 401, "header_auth_invalid_credential", "invalid_credential");

    const { host: h, plugin: p } = await loadWith({ sources: ["bearer", "header"] });
    const rb = await go(both, "GET", "/api/x", h, p);
    expect(all(rb.upstreamRequest!.headers, "x-auth-principal")).toEqual(["billing"]);
    expect(all(rb.upstreamRequest!.headers, "x-api-key")).toEqual([REPORTING_KEY]);
    expect(all((await go([], "GET", "/", h, p)).response.headers, "www-authenticate")).toEqual([BEARER_CHALLENGE, API_KEY_CHALLENGE]);
  });

  it("reads only the configured sources, from the configured header", async () => {
    const { host: h, plugin: p } = await loadWith({ sources: ["header"], header: "x-token" });
    expectDenied(await go([["authorization", `Bearer ${BILLING_KEY}`], ["x-api-key", BILLING_KEY]], "GET", "/", h, p), 401, "header_auth_missing_credential", "missing_credential");
    expectAllowed(await go([["x-token", BILLING_KEY]], "GET", "/", h, p), "billing");
    const m = await go([], "GET", "/", h, p);
    expect(all(m.response.headers, "www-authenticate")).toEqual(['ApiKey realm="mesh", header="x-token"']);
    const { host: h2, plugin: p2 } = await loadWith({ sources: ["bearer"] });
    expectDenied(await go([["x-api-key", BILLING_KEY]], "GET", "/", h2, p2), 401, "header_auth_missing_credential", "missing_credential");
    expect(all((await go([], "GET", "/", h2, p2)).response.headers, "www-authenticate")).toEqual([BEARER_CHALLENGE]);
  });
});

describe("plaintext keys", () => {
  it("accepts a plaintext key with one warning that never contains it", async () => {
    const { host: h, plugin: p } = await loadWith({
      credentials: [{ principal: "a", key: "plain-secret-7d1f" }, { principal: "b", key: "ключ-секрет" }, { principal: "c", key_sha256: sha256hex(BILLING_KEY) }],
    });
    const warnings = h.logs.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain("credentials[0], credentials[1]");
    expect(warnings[0]!.message).toContain("key_sha256");
    for (const l of h.logs) seenText.push(l.message);
    expectAllowed(await go([["x-api-key", "plain-secret-7d1f"]], "GET", "/", h, p), "a");
    expectAllowed(await go([["authorization", "Bearer ключ-секрет"]], "GET", "/", h, p), "b");
    expectAllowed(await go([["x-api-key", BILLING_KEY]], "GET", "/", h, p), "c");
  });

  it("logs no warning when every credential is a digest", () => {
    expect(host.logs.filter((l) => l.level === "warn")).toEqual([]);
  });
});

describe("metrics", () => {
  it("defines every counter at configure time and counts each decision", async () => {
    const { host: h, plugin: p } = await loadWith({});
    const names = ["allowed", "exempt", "preflight", "denied.missing_credential", "denied.invalid_credential", "denied.forbidden"];
    for (const n of names) expect(h.metrics.value(`wasmcustom.header_auth.${n}`)).toBe(0);
    await go([["x-api-key", BILLING_KEY]], "GET", "/", h, p);
    await go([["x-api-key", BILLING_KEY]], "GET", "/", h, p);
    await go([], "GET", "/healthz", h, p);
    await go([["access-control-request-method", "GET"]], "OPTIONS", "/", h, p);
    await go([], "GET", "/", h, p);
    await go([["x-api-key", WRONG_KEY]], "GET", "/", h, p);
    await go([["authorization", "Bearer"]], "GET", "/", h, p);
    await go([["x-api-key", REPORTING_KEY]], "POST", "/api/x", h, p);
    const got = Object.fromEntries(names.map((n) => [n, h.metrics.value(`wasmcustom.header_auth.${n}`)]));
    expect(got).toEqual({ allowed: 2, exempt: 1, preflight: 1, "denied.missing_credential": 1, "denied.invalid_credential": 2, "denied.forbidden": 1 });
  });
});

afterAll(() => {
  // No secret, presented or configured, anywhere a client, an operator or a scraper can see.
  const texts = [...seenText];
  for (const h of hosts) {
    for (const l of h.logs) texts.push(l.message);
    texts.push(h.metrics.prometheus());
  }
  const digests = SECRETS.map((s) => sha256hex(s));
  for (const t of texts) {
    for (const s of [...SECRETS, ...digests]) {
      if (t.includes(s)) throw new Error(`a secret leaked into: ${t.slice(0, 200)}`);
    }
  }
});

describe("secrets", () => {
  it("never appear in logs, replies or metrics (checked again over every suite above in afterAll)", async () => {
    const { host: h, plugin: p } = await loadWith({});
    for (const extra of [[["x-api-key", BILLING_KEY]], [["x-api-key", WRONG_KEY]], [["authorization", `Bearer ${WRONG_KEY}`]], [["x-api-key", REPORTING_KEY]]] as HeaderList[]) {
      const r = await go(extra, "PUT", "/admin", h, p);
      const text = [Buffer.from(r.response.body).toString(), JSON.stringify(r.response.headers), ...r.logs.map((l) => l.message)].join("\n");
      for (const s of SECRETS) expect(text).not.toContain(s);
    }
    // Debug logging is on in these hosts: the decision lines are there, without credentials.
    expect(h.logs.map((l) => l.message)).toContain("header-auth: denied: invalid credential");
    expect(h.logs.map((l) => l.message)).toContain("header-auth: denied: principal not allowed for this method or path");
    expect(h.metrics.prometheus()).not.toMatch(/demo-|wrong-key/);
  });
});
