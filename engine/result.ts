// How the per-proxy results of a stream make up the client-facing result, the
// same way in every engine (docs/contracts.md, "Engines").
import type { HopResult, ResponseOutput, StreamResult, StreamTrap, UpstreamRequest } from "./types.ts";

/**
 * The client's view: the response it got, marked local (with that proxy's
 * details) when some proxy answered itself — the proxy nearest the client,
 * since a reply a later proxy made passes the earlier ones' upstream path and
 * is "via_upstream" to them; the first proxy's filter state and logs.
 */
export function streamResult(
  response: Omit<ResponseOutput, "local" | "details">,
  hops: HopResult[],
  upstreamRequest: UpstreamRequest | null,
  reset = false,
  extra: { resetReason?: string; traps?: StreamTrap[] } = {},
): StreamResult {
  const first = hops[0];
  if (!first) throw new Error("a stream result needs the first proxy's result");
  let decider = first;
  for (const h of hops) {
    if (h.local) {
      decider = h;
      break;
    }
  }
  return {
    upstreamRequest,
    response: { ...response, local: decider.local, details: decider.details },
    filterState: first.filterState,
    logs: first.logs,
    hops,
    ...(reset ? { reset, ...(extra.resetReason !== undefined ? { resetReason: extra.resetReason } : {}) } : {}),
    ...(extra.traps?.length ? { traps: extra.traps } : {}),
  };
}

/** Keeps only the named keys (all when `keys` is undefined). */
export function pickFilterState(all: Record<string, Uint8Array>, keys: readonly string[] | undefined): Record<string, Uint8Array> {
  if (!keys) return all;
  const out: Record<string, Uint8Array> = {};
  for (const k of keys) if (all[k] !== undefined) out[k] = all[k]!;
  return out;
}
