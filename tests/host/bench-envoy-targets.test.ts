// The Envoy bench's verdicts and its reading of h2load (no timing: the
// figures are made up to exercise the judgement and the parsers).
import { expect, test } from "vitest";
import { checkEnvoyTargets } from "../../scripts/bench/envoy/targets.ts";
import { parseLog, parseSummary } from "../../scripts/bench/envoy/h2load.ts";
import type { EnvoyCaseResult } from "../../scripts/bench/envoy/measure.ts";

const r = (name: string, addedCpuNsPerRequest: number): EnvoyCaseResult => ({ name, addedCpuNsPerRequest } as EnvoyCaseResult);
const MiB = 1024 * 1024;

test("judges the peers, noop-stock, the chain and memory as inequalities within the run", () => {
  const checks = checkEnvoyTargets([
    r("envoy:baseline", 0), r("envoy:noop-stock", 9000), r("envoy:add-header", 3000), r("envoy:header-auth-allowed", 8000),
    r("envoy:header-auth-denied", 9500), r("envoy:chain", 24_000),
    r("envoy:native-api-key-auth", 4000), r("envoy:lua-api-key", 7000), r("envoy:go-sdk-api-key", 16_000),
  ], { allOursRssBytes: 81 * MiB, noopPluginsRssBytes: 80 * MiB, baselineRssBytes: 67 * MiB, filters: [] }, {
    case: "envoy:chain", requests: 1_000_000, rssBeforeBytes: 90 * MiB, rssAfterBytes: 92 * MiB, growthBytes: 2 * MiB, rssSamplesBytes: [],
  });
  const verdict = Object.fromEntries(checks.map((c) => [c.target, c.met]));
  expect(verdict).toEqual({
    "header-auth-allowed adds at most 2x native api_key_auth's CPU per request": true,
    "header-auth-allowed adds at most the Lua filter's CPU per request": false,
    "header-auth-allowed adds at most 0.5x the Go-SDK filter's CPU per request": true,
    "add-header adds less CPU per request than noop-stock": true,
    "header-auth-allowed adds less CPU per request than noop-stock": true,
    "header-auth-denied adds less CPU per request than noop-stock": false,
    "the chain (header-auth, metadata-exchange, stats) adds under 25 µs of CPU per request": true,
    "Envoy's resident memory with all our plugins loaded at most 1.2x the baseline's": false,
    "resident memory flat (growth at most 1 MiB) over 1,000,000 requests through the chain": false,
  });
  expect(checks[0]!.detail).toBe("8.00 µs vs 4.00 µs: 2.00x");
});

test("a peer that adds nothing measurable still gets a verdict, without a ratio", () => {
  const [native] = checkEnvoyTargets([r("envoy:header-auth-allowed", 500), r("envoy:native-api-key-auth", -200)]);
  expect(native).toMatchObject({ met: false, detail: "0.50 µs vs -0.20 µs: ratio undefined (the peer adds nothing measurable)" });
});

test("reads h2load's summary in any time unit, and statuses and latencies from its log", () => {
  const s = parseSummary(`finished in 869us, 1150.75 req/s, 175.31KB/s
requests: 3 total, 3 started, 3 done, 1 succeeded, 2 failed, 0 errored, 0 timeout
status codes: 1 2xx, 0 3xx, 2 4xx, 0 5xx`);
  expect(s.rps).toBe(1150.75);
  expect([...s.statuses]).toEqual([[200, 1], [400, 2]]);
  const l = parseLog("1796561637190906\t200\t522\n1796561637190912\t401\t558\n", 3);
  expect([...l.statuses]).toEqual([[200, 1], [401, 1], [0, 1]]);
  expect([...l.latenciesUs]).toEqual([522, 558]);
});
