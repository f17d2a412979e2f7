// The demo's traffic sample and the application behind the server sidecar.
import type { HeaderList, RequestInput, UpstreamRequest, UpstreamResponse } from "../../host/index.ts";

export interface TrafficCase {
  label: string;
  request: RequestInput;
}

const req = (method: string, p: string, extra: HeaderList = [], body?: string): RequestInput => ({
  headers: [[":method", method], [":path", p], [":authority", "reviews:9080"], [":scheme", "http"],
    ["user-agent", "productpage/1.0"], ...extra],
  body,
});

// The example configuration (filters/header-auth/example-config.json) holds the
// SHA-256 of these two demo keys; `reporting` may only GET under /api/.
const BILLING = "demo-billing-key";
const REPORTING = "demo-reporting-key";

export const TRAFFIC: TrafficCase[] = [
  { label: "billing key, GET", request: req("GET", "/reviews/1", [["x-api-key", BILLING]]) },
  { label: "reporting bearer token, GET /api/", request: req("GET", "/api/reviews/1", [["authorization", `Bearer ${REPORTING}`]]) },
  { label: "no credential", request: req("GET", "/reviews/1") },
  { label: "unknown key", request: req("GET", "/reviews/1", [["x-api-key", "not-a-key"]]) },
  { label: "reporting key, POST (GET only)", request: req("POST", "/api/reviews/1", [["x-api-key", REPORTING], ["content-type", "application/json"]], "{\"stars\":5}") },
  { label: "health check (exempt path)", request: req("GET", "/healthz") },
  { label: "gRPC call, billing key", request: req("POST", "/reviews.Reviews/GetReview", [["x-api-key", BILLING], ["content-type", "application/grpc"], ["te", "trailers"]], "\u0000\u0000\u0000\u0000\u0002\u0008\u0001") },
  { label: "billing key, upstream error", request: req("GET", "/reviews/unavailable", [["x-api-key", BILLING]]) },
  { label: "spoofed principal header", request: req("GET", "/reviews/2", [["x-api-key", BILLING], ["x-auth-principal", "admin"]]) },
];

/** The reviews application: JSON reviews, a gRPC method, and a failing path. */
export function reviewsApp(r: UpstreamRequest): UpstreamResponse {
  const path = r.headers.find(([k]) => k === ":path")?.[1] ?? "/";
  const principal = r.headers.find(([k]) => k === "x-auth-principal")?.[1] ?? "";
  if (path === "/healthz") return { status: 200, headers: [["content-type", "text/plain"]], body: "ok" };
  if (path === "/reviews/unavailable") return { status: 503, headers: [["content-type", "text/plain"]], body: "upstream overloaded" };
  if ((r.headers.find(([k]) => k === "content-type")?.[1] ?? "").startsWith("application/grpc")) {
    return {
      status: 200,
      headers: [["content-type", "application/grpc"]],
      body: "\u0000\u0000\u0000\u0000\u0005\u0012\u0003ok!",
      trailers: [["grpc-status", "0"]],
    };
  }
  return {
    status: 200,
    headers: [["content-type", "application/json"]],
    body: JSON.stringify({ id: path.split("/").pop(), reviewer: "reviews-v2", caller: principal || null }),
  };
}
