// Bounded, seeded, reproducible fuzz: random header sets (methods, paths, names,
// values incl. binary, non-ASCII and oversized) through the built module. Every
// answer must match a reference model of the documented decision, nothing may
// trap, and wasm memory may grow by at most one page after warm-up.
//   FUZZ_SEED=<n> FUZZ_COUNT=<n> npx vitest run tests/filters/header-auth/fuzz.test.ts
import { beforeAll, expect, it } from "vitest";
import { createHash } from "node:crypto";
import type { HeaderList } from "../../../host/index.ts";
import { requestHeaderMap } from "../../../host/chain.ts";
import { BILLING_KEY, EXAMPLE, REPORTING_KEY, ensureBuilt, isNormalPath, load } from "./helpers.ts";
import { mulberry32 as rng } from "../../support/mulberry32.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed4a17);
const COUNT = Number(process.env.FUZZ_COUNT ?? 100_000);
const WARMUP = 2_000;
const MAX_VALUE = 64 * 1024; // above Envoy's default 60 KiB header limit

beforeAll(() => ensureBuilt());


const sha = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
const KEYS = new Map<string, { principal: string; methods?: string[]; prefixes?: string[] }>(
  EXAMPLE.credentials.map((c: { principal: string; key_sha256: string; methods?: string[]; path_prefixes?: string[] }) =>
    [c.key_sha256, { principal: c.principal, methods: c.methods, prefixes: c.path_prefixes }]),
);
const utf8len = (s: string) => Buffer.byteLength(s, "utf8");

type Outcome = { status: number; details: string; principal: string | null; stripped: string | null };

/** The documented decision (README "How a request is decided"), on the map the filter sees. */
function model(list: [string, string][]): Outcome {
  const get = (k: string) => list.find((e) => e[0] === k)?.[1];
  const count = (k: string) => list.filter((e) => e[0] === k).length;
  const path = get(":path") ?? "";
  const cut = path.search(/[?#]/);
  const p = cut < 0 ? path : path.slice(0, cut);
  if ((EXAMPLE.exempt_paths as string[]).includes(p) || ((EXAMPLE.exempt_prefixes as string[]).some((x) => p.startsWith(x)) && isNormalPath(p))) {
    return { status: 200, details: "via_upstream", principal: null, stripped: null };
  }
  const method = get(":method") ?? "";
  if (EXAMPLE.allow_cors_preflight && method === "OPTIONS" && get("access-control-request-method") !== undefined) {
    return { status: 200, details: "via_upstream", principal: null, stripped: null };
  }
  const missing = { status: 401, details: "header_auth_missing_credential", principal: null, stripped: null };
  const invalid = { status: 401, details: "header_auth_invalid_credential", principal: null, stripped: null };
  let token: string | null = null;
  let key = "";
  for (const src of EXAMPLE.sources as string[]) {
    if (src === "header") {
      const v = get("x-api-key");
      if (v === undefined) continue;
      token = v; key = "x-api-key";
      break;
    }
    const v = get("authorization");
    if (v === undefined) continue;
    const m = /^bearer([ \t][\s\S]*)?$/i.exec(v);
    if (!m) continue;
    key = "authorization";
    const rest = (m[1] ?? "").replace(/^[ \t]+|[ \t]+$/g, "");
    if (rest === "" || /[ \t]/.test(rest)) return invalid;
    token = rest;
    break;
  }
  if (token === null) return missing;
  if (utf8len(token) === 0 || utf8len(token) > 8192) return invalid;
  const cred = KEYS.get(sha(token));
  if (!cred) return invalid;
  // Repeated, or the API-key header in another spelling an upstream folds into it (x_api_key).
  if (count(key) !== 1 || list.some(([k]) => k !== "x-api-key" && k.replace(/_/g, "-") === "x-api-key")) return invalid;
  if ((cred.methods && !cred.methods.includes(method)) || (cred.prefixes && !(cred.prefixes.some((x) => p.startsWith(x)) && isNormalPath(p)))) {
    return { status: 403, details: "header_auth_forbidden", principal: null, stripped: null };
  }
  return { status: 200, details: "via_upstream", principal: cred.principal, stripped: key };
}

function generator(r: () => number) {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const int = (n: number) => Math.floor(r() * n);
  const str = (n: number, alphabet: () => string) => { let s = ""; for (let i = 0; i < n; i++) s += alphabet(); return s; };
  const ascii = () => String.fromCharCode(0x20 + int(0x5f));
  const byte = () => String.fromCharCode(int(256)); // binary; 0x80+ travel as UTF-8
  const unicode = () => pick(["é", "ключ", "🔑", "\u0000", "\u00ff", "\ufffd", "\u200b", "\t", " "]);
  const size = () => pick([0, 1, 2, 5, 16, 64, 300, 8191, 8192, 8193]);
  const value = (): string => {
    switch (int(14)) {
      case 0: return pick([REPORTING_KEY, BILLING_KEY]);
      case 1: return `${pick(["Bearer", "bearer", "BEARER", "Bearer  ", "Bearer\t", "Basic", "Bearerx", ""])} ${pick([REPORTING_KEY, BILLING_KEY, "", "x y"])}`;
      case 2: return pick(["", " ", "Bearer", "bearer ", "admin", "OPTIONS", "GET"]);
      case 3: return str(size(), ascii);
      case 4: return str(size(), byte);
      case 5: return str(int(8), unicode) + pick([REPORTING_KEY, BILLING_KEY, ""]);
      case 6: return int(50) === 0 ? "v".repeat(MAX_VALUE - int(1024)) : str(int(40), ascii);
      default: return str(int(40), ascii);
    }
  };
  const name = (): string => pick([
    "x-api-key", "X-API-Key", "authorization", "Authorization", "x-auth-principal", "X-Auth-Principal",
    "access-control-request-method", "origin", "content-type", "accept", "cookie", "x-forwarded-for",
    "x-api-key2", "x-api", "proxy-authorization", "x_api_key", "x_auth_principal", "x-auth_principal", "",
  ]) || str(1 + int(12), () => pick(["a", "b", "-", "_", "\u00e9", "1", "X"]));
  const method = () => pick(["GET", "GET", "POST", "PUT", "DELETE", "OPTIONS", "OPTIONS", "HEAD", "get", "", "G E T", str(int(10), byte)]);
  const path = () => {
    switch (int(8)) {
      case 0: return pick(["/healthz", "/healthz?x=1", "/healthz/", "/.well-known/x", "/.well-known", "/.well-known/../admin", "/.well-known/..;/x", "/.well-known/%2e%2e/x", "/api/../admin", "/api//x", "/api/a%2Fb"]);
      case 1: return "/api/" + str(int(20), ascii);
      case 2: return "/" + str(int(30), byte);
      case 3: return int(20) === 0 ? "/" + "p".repeat(MAX_VALUE - 8) : "/" + str(int(200), ascii);
      case 4: return pick(["", "*", "?", "#", "/?", "/api?/x", "/api/#"]);
      default: return "/" + pick(["api/", "admin/", "orders/", ""]) + str(int(12), ascii);
    }
  };
  return (): HeaderList => {
    const h: HeaderList = [];
    if (int(4) === 0) {
      // A plausible request, so that allowed and forbidden answers are frequent too.
      h.push([":method", pick(["GET", "GET", "POST"])], [":path", pick(["/api/", "/api/v1/items?limit=10", "/orders/1", "/admin"])]);
      const key = pick([REPORTING_KEY, BILLING_KEY]);
      if (int(2) === 0) h.push(["x-api-key", key]); else h.push(["authorization", `${pick(["Bearer", "bearer"])} ${key}`]);
      if (int(3) === 0) h.push(["x-auth-principal", value()]);
      if (int(4) === 0) h.push([name(), value()]);
      return h;
    }
    if (int(20) !== 0) h.push([":method", method()]);
    if (int(20) !== 0) h.push([":path", path()]);
    h.push([":authority", "svc"]);
    const n = int(9);
    for (let i = 0; i < n; i++) h.push([name(), value()]);
    return h;
  };
}

it(`survives ${COUNT} random header sets (seed ${SEED}): model-exact answers, no trap, memory flat after warm-up`, async () => {
  const { host, plugin } = await load(EXAMPLE, "info");
  const chain = host.chain([plugin]);
  const next = generator(rng(SEED));
  const seen = new Map<string, number>();
  let pagesAfterWarmup = 0;
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) {
    let headers = next();
    // Warm-up ends with the largest inputs, so later ones need no new memory.
    if (i === WARMUP - 2) headers = [[":path", "/" + "p".repeat(MAX_VALUE)], ["x-api-key", "k".repeat(MAX_VALUE)], ["x-auth-principal", "s".repeat(MAX_VALUE)]];
    if (i === WARMUP - 1) headers = [[":path", "/api/" + "p".repeat(MAX_VALUE)], ["authorization", "Bearer " + "t".repeat(MAX_VALUE)], ["x-api-key", REPORTING_KEY]];
    // What the filter sees: the host's HTTP/1-codec view (lower-cased names, defaulted pseudo-headers).
    const seenByFilter = requestHeaderMap(headers).toList();
    const r = await chain.send({ request: { headers }, upstream: { status: 200 } });
    if (plugin.traps.length) throw new Error(`trap at request ${i} (seed ${SEED}): ${plugin.traps[0]!.message}\n${JSON.stringify(headers).slice(0, 2000)}`);
    const want = model(seenByFilter);
    const got: Outcome = {
      status: r.response.status, details: r.response.details,
      principal: r.upstreamRequest?.headers.find((e) => e[0] === "x-auth-principal")?.[1] ?? null,
      stripped: null,
    };
    if (got.status !== want.status || got.details !== want.details || got.principal !== want.principal
      || (want.status !== 200) !== (r.upstreamRequest === null)
      || (want.stripped !== null && r.upstreamRequest!.headers.some((e) => e[0] === want.stripped))) {
      throw new Error(`request ${i} (seed ${SEED}): expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}\n${JSON.stringify(headers).slice(0, 2000)}`);
    }
    const k = want.details + (want.principal ? `:${want.principal}` : "");
    seen.set(k, (seen.get(k) ?? 0) + 1);
    if (i === WARMUP - 1) pagesAfterWarmup = plugin.memoryPages();
  }
  const seconds = (performance.now() - t0) / 1000;
  const pages = plugin.memoryPages();
  console.log(`header-auth fuzz: ${COUNT} requests in ${seconds.toFixed(1)} s, seed ${SEED}, memory ${pagesAfterWarmup} -> ${pages} pages, outcomes ${JSON.stringify(Object.fromEntries(seen))}`);
  expect(plugin.traps).toEqual([]);
  expect(pages - pagesAfterWarmup).toBeLessThanOrEqual(1);
  // The generator reaches every decision.
  for (const k of ["via_upstream", "via_upstream:reporting", "via_upstream:billing", "header_auth_missing_credential", "header_auth_invalid_credential", "header_auth_forbidden"]) {
    expect(seen.get(k) ?? 0, k).toBeGreaterThan(Math.floor(COUNT / 1000));
  }
}, 300_000);
