// The benchmark's targets (issue 9), judged as ratios within one run so that
// a slow or busy machine moves every figure together and not the verdict.
import type { BenchResult } from "./measure.ts";

export interface TargetCheck {
  target: string;
  met: boolean;
  detail: string;
}

const REFERENCES = new Set(["floor", "noop-lean", "noop-stock"]);
const MODULE_BUDGET = 32 * 1024;

export function checkTargets(results: BenchResult[]): TargetCheck[] {
  const by = new Map(results.map((r) => [r.name, r]));
  const floor = by.get("floor");
  const lean = by.get("noop-lean");
  const stock = by.get("noop-stock");
  const ours = results.filter((r) => !REFERENCES.has(r.name));
  const checks: TargetCheck[] = [];
  if (lean && stock) {
    const ratio = stock.nsPerRequest / lean.nsPerRequest;
    checks.push({ target: "noop-lean at least 10x cheaper than noop-stock", met: ratio >= 10, detail: `${ratio.toFixed(1)}x` });
  }
  if (lean && floor) {
    const ratio = lean.nsPerRequest / floor.nsPerRequest;
    checks.push({ target: "noop-lean within 10x of the floor", met: ratio <= 10, detail: `${ratio.toFixed(1)}x the floor` });
  }
  if (stock) {
    // Per filter: the chain is three filters, reported but not held to it.
    for (const r of ours.filter((x) => x.name !== "chain")) {
      const ratio = r.nsPerRequest / stock.nsPerRequest;
      checks.push({ target: `${r.name} cheaper per request than noop-stock`, met: ratio < 1, detail: `${ratio.toFixed(2)}x noop-stock` });
    }
  }
  for (const r of [...(lean ? [lean] : []), ...ours]) {
    const growth = r.memoryPagesAfter - r.memoryPagesBefore;
    checks.push({ target: `${r.name} memory growth at most 1 page`, met: growth <= 1, detail: `${growth} page(s)` });
  }
  for (const r of ours.filter((x) => x.name !== "chain")) {
    checks.push({ target: `${r.name} module under 32 KiB`, met: r.moduleBytes < MODULE_BUDGET, detail: `${r.moduleBytes} bytes` });
  }
  return checks;
}

export function formatTargets(checks: TargetCheck[]): string {
  return checks.map((c) => `${c.met ? "met " : "MISS"}  ${c.target}: ${c.detail}`).join("\n");
}
