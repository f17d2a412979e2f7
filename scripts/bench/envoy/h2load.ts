// The load generator: h2load (Debian's nghttp2-client) on loopback, HTTP/1.1,
// a fixed number of requests over a fixed number of kept-alive connections,
// one thread. Every response's status and latency come from its --log-file
// (tab-separated: start time µs, status, µs until the end of the response).
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { promisify } from "node:util";
import type { HeaderList } from "../../../host/index.ts";

const run = promisify(execFile);

export interface LoadRequest {
  port: number;
  /** The request: `:path` and `:authority` go to the URI, the other pseudo-headers are implied (GET, http). */
  headers: HeaderList;
}

export interface LoadResult {
  requests: number;
  /** h2load's own figure: requests over the time from the first connect to the last response. */
  rps: number;
  /** How many responses had each status (0: the request got no response). */
  statuses: Map<number, number>;
  /** Per-response latency in µs (only with `log`). */
  latenciesUs?: Uint32Array;
}

export function requestUri(r: LoadRequest): string {
  const path = r.headers.find(([k]) => k === ":path")?.[1] ?? "/";
  return `http://127.0.0.1:${r.port}${path}`;
}

export function headerArgs(headers: HeaderList): string[] {
  const args: string[] = [];
  for (const [k, v] of headers) {
    if (k === ":path" || k === ":scheme" || k === ":method") continue;
    // h2load turns :authority into the HTTP/1.1 Host header.
    args.push("-H", `${k}: ${v}`);
  }
  return args;
}

/**
 * Sends `n` requests with h2load. With `logFile`, each response's status and
 * latency are read back; without it (warm-up, soak) only the status classes
 * of h2load's summary are, and every response must be in `expectClass`.
 */
export async function h2load(bin: string, r: LoadRequest, o: { n: number; connections: number; logFile?: string }): Promise<LoadResult> {
  const connections = Math.max(1, Math.min(o.connections, o.n));
  const args = ["--h1", "-n", String(o.n), "-c", String(connections), "-t", "1", ...headerArgs(r.headers)];
  if (o.logFile) args.push("--log-file", o.logFile);
  args.push(requestUri(r));
  let stdout: string;
  try {
    ({ stdout } = await run(bin, args, { maxBuffer: 4 << 20 }));
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`h2load failed: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  }
  const summary = parseSummary(stdout);
  if (!o.logFile) return { requests: o.n, rps: summary.rps, statuses: summary.statuses };
  const { statuses, latenciesUs } = parseLog(readFileSync(o.logFile, "utf8"), o.n);
  rmSync(o.logFile, { force: true });
  return { requests: o.n, rps: summary.rps, statuses, latenciesUs };
}

/** `finished in 1.43s, 28050.96 req/s, 2.41MB/s` and `status codes: 50000 2xx, 0 3xx, 0 4xx, 0 5xx`. */
export function parseSummary(stdout: string): { rps: number; statuses: Map<number, number>; done: number } {
  const fin = /finished in [\d.]+(?:us|ms|s), ([\d.]+) req\/s/.exec(stdout);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  const reqs = /requests: \d+ total, \d+ started, (\d+) done/.exec(stdout);
  if (!fin || !codes || !reqs) throw new Error(`cannot read h2load's summary:\n${stdout}`);
  // Without a log the classes are all there is: 2xx counts as 200, 4xx as 400, and so on.
  const statuses = new Map<number, number>();
  [200, 300, 400, 500].forEach((s, i) => { const n = Number(codes[i + 1]); if (n) statuses.set(s, n); });
  const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
  const done = Number(reqs[1]);
  if (done > answered) statuses.set(0, done - answered);
  return { rps: Number(fin[1]), statuses, done };
}

export function parseLog(text: string, expected: number): { statuses: Map<number, number>; latenciesUs: Uint32Array } {
  const statuses = new Map<number, number>();
  const latencies = new Uint32Array(expected);
  let n = 0;
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [, status, us] = line.split("\t");
    const s = Number(status);
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
    if (n < expected) latencies[n++] = Number(us);
  }
  const missing = expected - n;
  if (missing > 0) statuses.set(0, (statuses.get(0) ?? 0) + missing);
  return { statuses, latenciesUs: latencies.subarray(0, n) };
}

/** "200 x40000" or "200 x39998, 0 x2". */
export function describeStatuses(statuses: Map<number, number>): string {
  return [...statuses.entries()].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} x${n}`).join(", ");
}
