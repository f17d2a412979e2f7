// The Envoy benchmark's targets (issue 17), judged within one run: CPU
// figures as added CPU per request against cases measured in the same rounds,
// memory against the baseline Envoy of the same run. Comparisons are written
// as inequalities (a <= k*b), not ratios, so that a peer whose added cost is
// near zero or below the noise still gets a verdict.
import type { TargetCheck } from "../targets.ts";
import { CHAIN, HEADER_AUTH_ALLOWED, NOOP_STOCK, OUR_FILTER_CASES, PEERS } from "./names.ts";
import type { EnvoyCaseResult, MemoryProbe, SoakResult } from "./measure.ts";

export const CHAIN_BUDGET_NS = 25_000;
export const MEMORY_RATIO = 1.2;
export const SOAK_GROWTH_BYTES = 1024 * 1024;

const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;
const mib = (b: number) => `${(b / (1024 * 1024)).toFixed(1)} MiB`;

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}x` : "ratio undefined (the peer adds nothing measurable)";
}

export function checkEnvoyTargets(results: EnvoyCaseResult[], memory?: MemoryProbe, soak?: SoakResult): TargetCheck[] {
  const by = new Map(results.map((r) => [r.name, r]));
  const checks: TargetCheck[] = [];
  const auth = by.get(HEADER_AUTH_ALLOWED);
  const peer = (name: string, factor: number, label: string) => {
    const p = by.get(name);
    if (!auth || !p) return;
    const a = auth.addedCpuNsPerRequest;
    const b = p.addedCpuNsPerRequest;
    checks.push({
      target: `header-auth-allowed adds at most ${factor === 1 ? "" : `${factor}x `}${label}'s CPU per request`,
      met: a <= factor * b,
      detail: `${us(a)} vs ${us(b)}: ${ratio(a, b)}`,
    });
  };
  peer(PEERS.native, 2, "native api_key_auth");
  peer(PEERS.lua, 1, "the Lua filter");
  peer(PEERS.goSdk, 0.5, "the Go-SDK filter");

  const stock = by.get(NOOP_STOCK);
  if (stock) {
    for (const name of OUR_FILTER_CASES) {
      const r = by.get(name);
      if (!r) continue;
      checks.push({
        target: `${name.slice("envoy:".length)} adds less CPU per request than noop-stock`,
        met: r.addedCpuNsPerRequest < stock.addedCpuNsPerRequest,
        detail: `${us(r.addedCpuNsPerRequest)} vs ${us(stock.addedCpuNsPerRequest)}: ${ratio(r.addedCpuNsPerRequest, stock.addedCpuNsPerRequest)}`,
      });
    }
  }
  const chain = by.get(CHAIN);
  if (chain) {
    checks.push({
      target: `the chain (header-auth, metadata-exchange, stats) adds under ${CHAIN_BUDGET_NS / 1000} µs of CPU per request`,
      met: chain.addedCpuNsPerRequest < CHAIN_BUDGET_NS,
      detail: us(chain.addedCpuNsPerRequest),
    });
  }
  if (memory) {
    const r = memory.allOursRssBytes / memory.baselineRssBytes;
    checks.push({
      target: `Envoy's resident memory with all our plugins loaded at most ${MEMORY_RATIO}x the baseline's`,
      met: memory.allOursRssBytes <= MEMORY_RATIO * memory.baselineRssBytes,
      detail: `${mib(memory.allOursRssBytes)} vs ${mib(memory.baselineRssBytes)}: ${r.toFixed(2)}x ` +
        `(as many do-nothing plugins: ${(memory.noopPluginsRssBytes / memory.baselineRssBytes).toFixed(2)}x)`,
    });
  }
  if (soak) {
    checks.push({
      target: `resident memory flat (growth at most 1 MiB) over ${soak.requests.toLocaleString("en-US")} requests through the chain`,
      met: soak.growthBytes <= SOAK_GROWTH_BYTES,
      detail: `${soak.growthBytes >= 0 ? "+" : ""}${(soak.growthBytes / 1024).toFixed(0)} KiB (${mib(soak.rssBeforeBytes)} → ${mib(soak.rssAfterBytes)})`,
    });
  }
  return checks;
}
