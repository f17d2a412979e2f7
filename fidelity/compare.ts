// Field-by-field comparison of two normalized results of the same stream. A
// field is one comparable fact (the status, one header name's values, a body,
// one filter-state key, the log lines of a hop, ...); each difference names its
// field so that the classifier can tell what it is.
import type { HeaderList, HopResult, LogEntry, StreamResult } from "../engine/types.ts";

export interface FieldDiff {
  /** e.g. "response.status", "response.headers", "upstreamRequest.body", "hops[1].logs", "filterState". */
  field: string;
  /** The header name or filter-state key, when the field is one of many. */
  key?: string;
  host: unknown;
  envoy: unknown;
}

export interface Comparison {
  fields: number;
  diffs: FieldDiff[];
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** A short printable form of bytes for reports. */
export function show(b: Uint8Array | undefined): string {
  if (!b) return "(none)";
  const s = Buffer.from(b).toString("utf8");
  const text = /^[\x20-\x7e\t\n\r\u00a0-\uffff]*$/.test(s) && !s.includes("\ufffd");
  const out = text ? JSON.stringify(s) : `base64:${Buffer.from(b).toString("base64")}`;
  return out.length > 200 ? `${out.slice(0, 200)}… (${b.length} bytes)` : out;
}

class Comparer {
  fields = 0;
  readonly diffs: FieldDiff[] = [];

  same(field: string, host: unknown, envoy: unknown, key?: string): void {
    this.fields++;
    if (host !== envoy) this.diffs.push({ field, ...(key !== undefined ? { key } : {}), host, envoy });
  }

  bytes(field: string, host: Uint8Array | undefined, envoy: Uint8Array | undefined, key?: string): void {
    this.fields++;
    if (!bytesEqual(host, envoy)) this.diffs.push({ field, ...(key !== undefined ? { key } : {}), host: show(host), envoy: show(envoy) });
  }

  /** Per header name: its values in order; then the order of names, when every name agrees. */
  headers(field: string, host: HeaderList, envoy: HeaderList): void {
    const names = [...new Set([...host.map(([k]) => k), ...envoy.map(([k]) => k)])];
    const before = this.diffs.length;
    for (const name of names) {
      const h = host.filter(([k]) => k === name).map(([, v]) => v);
      const e = envoy.filter(([k]) => k === name).map(([, v]) => v);
      this.fields++;
      if (JSON.stringify(h) !== JSON.stringify(e)) this.diffs.push({ field, key: name, host: h.length ? h : null, envoy: e.length ? e : null });
    }
    if (this.diffs.length === before) {
      this.fields++;
      const ho = host.map(([k]) => k).join(","), eo = envoy.map(([k]) => k).join(",");
      if (ho !== eo) this.diffs.push({ field, key: "(order)", host: ho, envoy: eo });
    }
  }

  filterState(field: string, host: Record<string, Uint8Array>, envoy: Record<string, Uint8Array>): void {
    for (const key of [...new Set([...Object.keys(host), ...Object.keys(envoy)])].sort()) this.bytes(field, host[key], envoy[key], key);
    if (!Object.keys(host).length && !Object.keys(envoy).length) this.fields++;
  }

  /**
   * Line by line when both sides logged as many lines (a difference per line, keyed by its
   * index, so that each is explained on its own); else the two lists as one difference.
   */
  logs(field: string, host: LogEntry[], envoy: LogEntry[]): void {
    const line = (l: LogEntry) => `[${l.level}] ${l.plugin}: ${l.message}`;
    const h = host.map(line), e = envoy.map(line);
    if (h.length !== e.length) {
      this.fields++;
      this.diffs.push({ field, host: h, envoy: e });
      return;
    }
    if (!h.length) this.fields++;
    for (let i = 0; i < h.length; i++) this.same(field, h[i], e[i], String(i));
  }

  hop(i: number, host: HopResult | undefined, envoy: HopResult | undefined): void {
    const f = `hops[${i}]`;
    this.same(`${f}.proxy`, host?.proxy ?? null, envoy?.proxy ?? null);
    if (!host || !envoy) return;
    this.same(`${f}.status`, host.status, envoy.status);
    this.same(`${f}.details`, host.details, envoy.details);
    this.same(`${f}.local`, host.local, envoy.local);
    this.filterState(`${f}.filterState`, host.filterState, envoy.filterState);
    this.logs(`${f}.logs`, host.logs, envoy.logs);
  }
}

/**
 * Every field of two normalized results: the upstream request (reached, headers,
 * body, trailers), the response (status, headers, body, trailers, reset), and
 * per hop the status, details, local, filter state and plugin logs (the
 * client-facing local/details/filterState/logs are the hops' own).
 */
export function compareResults(host: StreamResult, envoy: StreamResult): Comparison {
  const c = new Comparer();
  const hu = host.upstreamRequest, eu = envoy.upstreamRequest;
  c.same("upstreamRequest", hu ? "reached" : null, eu ? "reached" : null);
  if (hu && eu) {
    c.headers("upstreamRequest.headers", hu.headers, eu.headers);
    c.bytes("upstreamRequest.body", hu.body, eu.body);
    c.headers("upstreamRequest.trailers", hu.trailers, eu.trailers);
  }
  c.same("response.reset", host.reset ?? false, envoy.reset ?? false);
  c.same("response.status", host.response.status, envoy.response.status);
  c.same("response.local", host.response.local, envoy.response.local);
  c.same("response.details", host.response.details, envoy.response.details);
  c.headers("response.headers", host.response.headers, envoy.response.headers);
  c.bytes("response.body", host.response.body, envoy.response.body);
  c.headers("response.trailers", host.response.trailers ?? [], envoy.response.trailers ?? []);
  const hops = Math.max(host.hops.length, envoy.hops.length);
  for (let i = 0; i < hops; i++) c.hop(i, host.hops[i], envoy.hops[i]);
  c.same("traps", (host.traps ?? []).map((t) => `${t.proxy}/${t.plugin}/${t.function}`).join(";"), (envoy.traps ?? []).map((t) => `${t.proxy}/${t.plugin}/${t.function}`).join(";"));
  return { fields: c.fields, diffs: c.diffs };
}
