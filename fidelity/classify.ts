// Every observed difference gets the first known kind that explains it
// (fidelity/kinds.ts), or none: unexplained. The summary per table row is what
// `npm run fidelity` prints and the differential suite asserts on.
import type { DiffContext, Difference, Observed } from "./differential.ts";
import { KINDS, type DifferenceKind } from "./kinds.ts";
import { mergeTally, emptyTally, type WireTally } from "./scenario.ts";

export interface Classified {
  diff: Difference;
  /** The kind's id, or null when no kind explains it. */
  kind: string | null;
}

export function classify(d: Difference, ctx: DiffContext, kinds: readonly DifferenceKind[] = KINDS): string | null {
  for (const k of kinds) if (k.explains(d, ctx)) return k.id;
  return null;
}

/** One row of the table: a filter (or "conformance") over every scenario counted in it. */
export interface RowSummary {
  group: string;
  scenarios: string[];
  streams: number;
  fields: number;
  /** Differences by kind id; `unexplained` counts the rest. */
  byKind: Record<string, number>;
  explained: number;
  unexplained: number;
  /** The first unexplained differences, for the report (at most 20 per row). */
  examples: { diff: Difference; stream?: string }[];
  wire: WireTally;
  ms: number;
}

export function summarize(observed: Observed[], kinds: readonly DifferenceKind[] = KINDS, describe?: (o: Observed, i: number) => string): RowSummary[] {
  const rows = new Map<string, RowSummary>();
  for (const o of observed) {
    const g = o.scenario.group;
    let row = rows.get(g);
    if (!row) {
      row = { group: g, scenarios: [], streams: 0, fields: 0, byKind: {}, explained: 0, unexplained: 0, examples: [], wire: emptyTally(), ms: 0 };
      rows.set(g, row);
    }
    row.scenarios.push(o.scenario.name);
    row.streams += o.streams;
    row.fields += o.fields;
    row.ms += o.ms;
    mergeTally(row.wire, o.scenario.wire);
    for (const { diff, context } of o.differences) {
      const kind = classify(diff, context, kinds);
      if (kind) {
        row.byKind[kind] = (row.byKind[kind] ?? 0) + 1;
        row.explained++;
      } else {
        row.unexplained++;
        if (row.examples.length < 20) row.examples.push({ diff, stream: diff.stream === null || !describe ? undefined : describe(o, diff.stream) });
      }
    }
  }
  return [...rows.values()];
}
