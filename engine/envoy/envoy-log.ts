// Envoy's log file as the runner reads it. The application log (--log-path)
// and the access logs name the same file, and Envoy keeps one buffer per file
// path, so the file holds a worker's lines in the order the worker wrote them:
// the plugins' `wasm log` lines of a stream, its access-log line, then its
// proxy_on_done/on_delete lines (observed in 1.40.0: those come after the
// access-log line). A "fence" request on a listener of its own marks the end
// of everything a stream wrote (engine/envoy/deployment.ts).
import { closeSync, existsSync, openSync, readFileSync, readSync, watch, type FSWatcher } from "node:fs";
import type { LogEntry, LogLevel } from "../types.ts";

/** Marks our JSON access-log lines: `{"mwf":"stream",...}` and `{"mwf":"fence","id":...}`. */
export const ACCESS_MARK = "mwf";

export type LogEvent =
  | { kind: "app"; thread: string; level: string; logger: string; message: string }
  | { kind: "stream"; fields: Record<string, unknown> }
  | { kind: "fence"; id: string };

/** Default format `[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v`. */
const APP_LINE = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[(\d+)\]\[(\w+)\]\[([\w.]+)\] (?:\[[^\]]*\] )?(.*)$/;

/** Reads a growing file line by line from where it stopped. */
export class LogTail {
  private fd: number | undefined;
  private pos = 0;
  private partial = "";
  private readonly buf = Buffer.alloc(1 << 16);

  constructor(readonly path: string) {}

  /** The complete lines written since the last call. */
  readLines(): string[] {
    this.readAt = this.changes;
    if (this.fd === undefined) {
      if (!existsSync(this.path)) return [];
      this.fd = openSync(this.path, "r");
    }
    let text = "";
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      if (n <= 0) break;
      this.pos += n;
      text += this.buf.toString("utf8", 0, n);
      if (n < this.buf.length) break;
    }
    if (!text) return [];
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop()!;
    return lines;
  }

  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  /** Change events seen, and how many had been seen at the last read (a change between the two is not lost). */
  private changes = 0;
  private readAt = -1;

  /**
   * Resolves when the file changes (inotify), or after `ms` at the latest
   * (a fallback should an event be missed). Waiting on the kernel rather than
   * on timers keeps a stream's round trip near Envoy's own latency.
   */
  changed(ms: number): Promise<void> {
    if (!this.watcher && existsSync(this.path)) {
      this.watcher = watch(this.path, { persistent: false }, () => {
        this.changes++;
        const w = this.wake;
        this.wake = undefined;
        w?.();
      });
    }
    if (this.changes !== this.readAt && this.readAt >= 0 && this.watcher) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The whole file. */
  all(): string {
    return existsSync(this.path) ? readFileSync(this.path, "utf8") : "";
  }
}

/**
 * Parses lines into events. A line that is neither an application line nor
 * one of our access-log lines continues the previous application line (a
 * module's message with a newline in it).
 */
export function parseLines(lines: string[], into: LogEvent[]): void {
  for (const line of lines) {
    const m = APP_LINE.exec(line);
    if (m) {
      into.push({ kind: "app", thread: m[1]!, level: m[2]!, logger: m[3]!, message: m[4]! });
      continue;
    }
    if (line.startsWith("{")) {
      let v: Record<string, unknown> | undefined;
      try { v = JSON.parse(line) as Record<string, unknown>; } catch { /* not ours */ }
      if (v && v[ACCESS_MARK] === "stream") { into.push({ kind: "stream", fields: v }); continue; }
      if (v && v[ACCESS_MARK] === "fence") { into.push({ kind: "fence", id: String(v.id) }); continue; }
    }
    const last = into[into.length - 1];
    if (last?.kind === "app") last.message += "\n" + line;
  }
}

const LEVELS: Record<string, LogLevel> = { trace: "trace", debug: "debug", info: "info", warning: "warn", error: "error", critical: "critical" };

export interface PluginIdentity {
  name: string;
  rootId: string;
  vmId: string;
}

/**
 * Maps Envoy's `wasm log<prefix>: <message>` lines to plugins. The prefix is
 * ` <plugin name> <root id> <vm id>` with empty parts left out; lines from a
 * root context at configure time carry only ` <root id> <vm id>` (both seen in
 * 1.40.0), so those go to the first plugin with that root id and vm id.
 */
export class PluginLogMapper {
  private readonly prefixes: { text: string; plugin: string }[] = [];

  constructor(plugins: PluginIdentity[]) {
    const seen = new Set<string>();
    const add = (parts: string[], plugin: string) => {
      const p = parts.filter(Boolean).join(" ");
      const text = p ? ` ${p}: ` : ": ";
      if (seen.has(text)) return;
      seen.add(text);
      this.prefixes.push({ text, plugin });
    };
    for (const p of plugins) add([p.name, p.rootId, p.vmId], p.name);
    for (const p of plugins) add([p.rootId, p.vmId], p.name);
    this.prefixes.sort((a, b) => b.text.length - a.text.length);
  }

  /** A plugin's log entry, or undefined for lines that are not a module's. */
  entry(e: LogEvent): LogEntry | undefined {
    if (e.kind !== "app" || e.logger !== "wasm" || !e.message.startsWith("wasm log")) return undefined;
    const rest = e.message.slice("wasm log".length);
    for (const p of this.prefixes) {
      if (rest.startsWith(p.text)) return { level: LEVELS[e.level] ?? "info", plugin: p.plugin, message: rest.slice(p.text.length) };
    }
    const colon = rest.indexOf(": ");
    return { level: LEVELS[e.level] ?? "info", plugin: colon > 0 ? rest.slice(1, colon) : "", message: colon >= 0 ? rest.slice(colon + 2) : rest };
  }
}
