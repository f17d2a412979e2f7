// The fidelity table: per row (a filter, or the conformance modules) the
// streams and fields compared, the differences found by kind, how many are
// explained and how many are not; then the unexplained ones with their streams.
import type { RowSummary } from "./classify.ts";
import { KINDS } from "./kinds.ts";

export interface Report {
  engines: { host: string; envoy: string };
  seed: number;
  rows: RowSummary[];
  totals: { streams: number; fields: number; explained: number; unexplained: number; skipped: number };
}

export function buildReport(rows: RowSummary[], engines: Report["engines"], seed: number): Report {
  const sum = (f: (r: RowSummary) => number) => rows.reduce((n, r) => n + f(r), 0);
  return {
    engines, seed, rows,
    totals: {
      streams: sum((r) => r.streams), fields: sum((r) => r.fields), explained: sum((r) => r.explained), unexplained: sum((r) => r.unexplained),
      skipped: sum((r) => Object.values(r.wire.skipped).reduce((a, b) => a + (b ?? 0), 0)),
    },
  };
}

const n = (x: number) => x.toLocaleString("en-US");

function kindsCell(r: RowSummary): string {
  const parts = Object.entries(r.byKind).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`);
  return parts.length ? parts.join(", ") : "none";
}

/** The table as Markdown (the README quotes it). */
export function formatTable(report: Report): string {
  const head = ["row", "scenarios", "streams", "fields compared", "differences by kind", "explained", "unexplained"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i >= 2 && i !== 4 ? "---:" : "---")).join("|")}|`];
  for (const r of report.rows) {
    lines.push(`| ${r.group} | ${r.scenarios.length} | ${n(r.streams)} | ${n(r.fields)} | ${kindsCell(r)} | ${n(r.explained)} | ${n(r.unexplained)} |`);
  }
  const t = report.totals;
  lines.push(`| **all** | ${report.rows.reduce((a, r) => a + r.scenarios.length, 0)} | ${n(t.streams)} | ${n(t.fields)} | | ${n(t.explained)} | **${n(t.unexplained)}** |`);
  return lines.join("\n");
}

/** Everything a reader needs: engines, table, skipped streams, the kinds seen, the unexplained differences. */
export function formatReport(report: Report): string {
  const out: string[] = [];
  out.push(`host: ${report.engines.host}; envoy: ${report.engines.envoy}; seed ${report.seed}`, "", formatTable(report), "");
  const skipped: Record<string, number> = {};
  let generated = 0;
  for (const r of report.rows) {
    generated += r.wire.generated;
    for (const [k, v] of Object.entries(r.wire.skipped)) skipped[k] = (skipped[k] ?? 0) + (v ?? 0);
  }
  if (Object.keys(skipped).length) {
    out.push(`Generated streams not sendable (of ${n(generated)}; fidelity/sendable.ts): ${Object.entries(skipped).map(([k, v]) => `${k} ${n(v)}`).join(", ")}`, "");
  }
  const seen = new Set(report.rows.flatMap((r) => Object.keys(r.byKind)));
  if (seen.size) {
    out.push("Explained differences (host/README.md, \"Where the host differs from Envoy\"):");
    for (const k of KINDS.filter((x) => seen.has(x.id))) out.push(`  ${k.id}: ${k.what} — ${k.why} [${k.pinnedBy}]`);
    out.push("");
  }
  for (const r of report.rows) {
    for (const ex of r.examples) {
      const d = ex.diff;
      out.push(`UNEXPLAINED ${d.scenario}${d.stream === null ? "" : ` stream ${d.stream}`}: ${d.field}${d.key !== undefined ? ` [${d.key}]` : ""}`);
      out.push(`  host:  ${JSON.stringify(d.host)?.slice(0, 600)}`);
      out.push(`  envoy: ${JSON.stringify(d.envoy)?.slice(0, 600)}`);
      if (ex.stream) out.push(`  stream: ${ex.stream}`);
    }
  }
  out.push(report.totals.unexplained ? `${n(report.totals.unexplained)} unexplained difference(s)` : "0 unexplained differences");
  return out.join("\n");
}
