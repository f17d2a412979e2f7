// header-auth's decisions as data (filters/header-auth/README.md, "How a
// request is decided" and "Local replies"), against its example configuration
// (filters/header-auth/example-config.json): `reporting` may only GET under
// /api/, `billing` is unrestricted, /healthz and /.well-known/ are exempt,
// CORS preflight passes. tests/envoy/header-auth.test.ts runs every scenario
// in the host and in real Envoy and holds both to the same expectations.
import type { HeaderList, RequestInput } from "../../../engine/types.ts";

export const BILLING_KEY = "demo-billing-key";
export const REPORTING_KEY = "demo-reporting-key";
export const UNKNOWN_KEY = "not-a-key-of-ours";
/** Every credential a scenario sends: none may ever appear in a log line. */
export const SECRETS = [BILLING_KEY, REPORTING_KEY, UNKNOWN_KEY];

/** The counter each decision increments (README, "Metrics"), as Prometheus names it. */
export const COUNTERS = {
  allowed: "header_auth_allowed",
  exempt: "header_auth_exempt",
  preflight: "header_auth_preflight",
  missing: "header_auth_denied_missing_credential",
  invalid: "header_auth_denied_invalid_credential",
  forbidden: "header_auth_denied_forbidden",
} as const;
export type Decision = keyof typeof COUNTERS;

const API_KEY_CHALLENGE = 'ApiKey realm="mesh", header="x-api-key"';
const BEARER_CHALLENGE = 'Bearer realm="mesh"';
const INVALID_TOKEN_CHALLENGE = 'Bearer realm="mesh", error="invalid_token"';

export interface AuthScenario {
  name: string;
  request: RequestInput;
  decision: Decision;
  expect: {
    status: number;
    /** %RESPONSE_CODE_DETAILS% of the proxy. */
    details: string;
    /** The local reply's JSON body (denials). */
    body?: Record<string, string>;
    /** `www-authenticate` values in order; [] for none. */
    challenges?: string[];
    /** gRPC requests: Envoy's trailers-only reply. */
    grpcStatus?: string;
    /** `x-auth-principal` values the upstream received ([] for none); only for requests that reach it. */
    principal?: string[];
  };
}

const get = (path: string, extra: HeaderList = [], method = "GET"): RequestInput => ({
  headers: [[":method", method], [":path", path], [":authority", "reviews:9080"], ["user-agent", "scenario/1.0"], ...extra],
});

const missing = { status: 401, details: "header_auth_missing_credential", body: { error: "unauthorized", reason: "missing_credential" }, challenges: [API_KEY_CHALLENGE, BEARER_CHALLENGE] };
const invalid = { status: 401, details: "header_auth_invalid_credential", body: { error: "unauthorized", reason: "invalid_credential" }, challenges: [API_KEY_CHALLENGE, BEARER_CHALLENGE] };
const forbidden = { status: 403, details: "header_auth_forbidden", body: { error: "forbidden", reason: "principal_not_allowed" }, challenges: [] };
const passed = (principal: string[]) => ({ status: 200, details: "via_upstream", principal });

export const AUTH_SCENARIOS: AuthScenario[] = [
  { name: "no credential", request: get("/reviews/1"), decision: "missing", expect: missing },
  { name: "Authorization with another scheme is no credential", request: get("/reviews/1", [["authorization", "Basic dXNlcjpwYXNz"]]), decision: "missing", expect: missing },
  { name: "OPTIONS without access-control-request-method is no preflight", request: get("/reviews/1", [["origin", "https://shop.example"]], "OPTIONS"), decision: "missing", expect: missing },
  { name: "unknown API key", request: get("/reviews/1", [["x-api-key", UNKNOWN_KEY]]), decision: "invalid", expect: invalid },
  { name: "empty API key", request: get("/reviews/1", [["x-api-key", ""]]), decision: "invalid", expect: invalid },
  {
    name: "unknown bearer token", request: get("/reviews/1", [["authorization", `Bearer ${UNKNOWN_KEY}`]]), decision: "invalid",
    expect: { ...invalid, challenges: [API_KEY_CHALLENGE, INVALID_TOKEN_CHALLENGE] },
  },
  {
    name: "Bearer without a token", request: get("/reviews/1", [["authorization", "Bearer"]]), decision: "invalid",
    expect: { ...invalid, challenges: [API_KEY_CHALLENGE, INVALID_TOKEN_CHALLENGE] },
  },
  { name: "repeated credential header (a known key, then another)", request: get("/reviews/1", [["x-api-key", BILLING_KEY], ["x-api-key", UNKNOWN_KEY]]), decision: "invalid", expect: invalid },
  { name: "repeated credential header (the same known key twice)", request: get("/reviews/1", [["x-api-key", BILLING_KEY], ["x-api-key", BILLING_KEY]]), decision: "invalid", expect: invalid },
  { name: "a known key outside its methods", request: get("/api/reviews/1", [["x-api-key", REPORTING_KEY], ["content-type", "application/json"]], "POST"), decision: "forbidden", expect: forbidden },
  { name: "a known key outside its path prefixes", request: get("/reviews/1", [["x-api-key", REPORTING_KEY]]), decision: "forbidden", expect: forbidden },
  { name: "an unrestricted key", request: get("/reviews/1", [["x-api-key", BILLING_KEY]]), decision: "allowed", expect: passed(["billing"]) },
  { name: "a bearer token (scheme in lower case) within its restrictions", request: get("/api/reviews/1?page=2", [["authorization", `bearer ${REPORTING_KEY}`]]), decision: "allowed", expect: passed(["reporting"]) },
  { name: "a spoofed principal header next to a good key", request: get("/reviews/2", [["x-api-key", BILLING_KEY], ["x-auth-principal", "admin"], ["X-Auth-Principal", "root"]]), decision: "allowed", expect: passed(["billing"]) },
  { name: "an exempt path (query ignored)", request: get("/healthz?probe=liveness"), decision: "exempt", expect: passed([]) },
  { name: "an exempt prefix with a spoofed principal header", request: get("/.well-known/openid-configuration", [["x-auth-principal", "admin"]]), decision: "exempt", expect: passed([]) },
  {
    name: "a CORS preflight", request: get("/reviews/1", [["origin", "https://shop.example"], ["access-control-request-method", "DELETE"]], "OPTIONS"),
    decision: "preflight", expect: passed([]),
  },
  {
    name: "a gRPC call without a credential", decision: "missing",
    request: { ...get("/reviews.Reviews/GetReview", [["content-type", "application/grpc"], ["te", "trailers"]], "POST"), body: "\u0000\u0000\u0000\u0000\u0000" },
    expect: { status: 200, details: "header_auth_missing_credential", grpcStatus: "16" },
  },
  {
    name: "a gRPC call outside the key's methods", decision: "forbidden",
    request: { ...get("/api/reviews.Reviews/GetReview", [["content-type", "application/grpc"], ["te", "trailers"], ["x-api-key", REPORTING_KEY]], "POST"), body: "\u0000\u0000\u0000\u0000\u0000" },
    expect: { status: 200, details: "header_auth_forbidden", grpcStatus: "7" },
  },
];
