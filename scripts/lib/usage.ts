// Usage errors: every command reports a bad command line the same way, with
// its usage and, for a misspelt command or flag, the nearest known one (exit 2,
// as git, kubectl and oras do).
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad command line; `usage` is the command's help text, printed after the message. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known word closest to `word` (a prefix of one, or within a third of its length in edits), if any. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const prefixed = known.filter((k) => w.length >= 2 && k.startsWith(w));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = editDistance(w, k);
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(Math.max(w.length, best.length) / 3)) ? best : undefined;
}

export function didYouMean(word: string, known: readonly string[], prefix = ""): string {
  const c = closest(word, known);
  return c === undefined ? "" : ` Did you mean '${prefix}${c}'?`;
}

/** The option names a parseArgs configuration knows, as typed (`--name`, `-n`). */
function knownFlags(options: ParseArgsConfig["options"]): string[] {
  const out: string[] = [];
  for (const [name, o] of Object.entries(options ?? {})) {
    out.push(`--${name}`);
    if (o.short) out.push(`-${o.short}`);
  }
  return out;
}

/**
 * node:util parseArgs (strict), with its errors turned into UsageErrors that
 * carry the command's usage and a suggestion for an unknown flag.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config); // strict unless the config says otherwise
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) throw err;
    let message = (err as Error).message.split("\n")[0]!;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const flag = /'([^']+)'/.exec(message)?.[1] ?? "";
      const name = flag.replace(/=.*$/, "");
      message = `unknown option '${name}'.${didYouMean(name.replace(/^-+/, ""), knownFlags(config.options).map((f) => f.replace(/^-+/, "")), name.startsWith("--") ? "--" : "-")}`;
    }
    throw new UsageError(message, usage);
  }
}
