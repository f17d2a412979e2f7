// `mesh-filters run`: streams from a JSON Lines file through a chain of plugins on the
// Envoy-faithful host (host/), one JSON line out per stream. Contract: issue 3 / host/README.md.
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ProxyWasmHost, PluginLoadError, type Plugin, type SendInput, type SendResult, type StatsTag, type TrapRecord } from "../../host/index.ts";
import { normalizeProperties } from "../../host/attributes.ts";
import { LOG_LEVELS, type LogLevel } from "../../host/constants.ts";

export const summary = "run JSON Lines requests through a chain of Wasm plugins on the Envoy-faithful host";

const HELP = `Usage: mesh-filters run --plugin <file.wasm> [--root-id ID] [--config <file.json|inline JSON>]
                        [--plugin ...] [--node <node.json>] [--stats-tags <tags.json>]
                        --requests <file.jsonl> [--metrics prometheus] [--log-level info]

Plugins form one chain in the order given; --root-id and --config apply to the --plugin
before them (no --root-id = empty root id, as in an Envoy configuration that names none).
Input: one stream per line:
  {"request":{"headers":[["name","value"]],"body":"...","trailers":[...]},
   "upstream":{"status":200,"headers":[...],"body":"..."},
   "properties":{"xds.listener_direction":1,"source.address":"10.0.0.1:5555"}}
Output: one line per stream:
  {"upstreamRequest":{"headers":[...],"body":"..."}|null,
   "response":{"status":N,"headers":[...],"body":"...","local":bool,"details":"..."},
   "filterState":{"wasm.key":"value"},"logs":[{"level":"info","plugin":"...","message":"..."}]}
  plus, only when they happened: "reset":true,"resetReason":"..." (the stream was reset,
  not answered) and "traps":[{"plugin","function","message"}] (a plugin's VM failed).
Values that are not printable UTF-8 are written as "base64:<standard base64>".
With --metrics prometheus the Prometheus text follows the last stream.
--log-level (default info, Envoy's default) drops module log lines below it.
Exit status: 0; 1 when a plugin trapped (every stream still runs and is printed) or
on bad input (nothing runs); 2 for usage errors.`;

class UsageError extends Error {}

interface PluginArg { file: string; rootId?: string; config?: string }

function parse(argv: string[]) {
  const plugins: PluginArg[] = [];
  let node: string | undefined, statsTags: string | undefined, requests: string | undefined, metrics: string | undefined;
  let logLevel: LogLevel = "info";
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") return null;
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i++;
    switch (flag) {
      case "--plugin": plugins.push({ file: value }); break;
      case "--root-id":
      case "--config": {
        const last = plugins[plugins.length - 1];
        if (!last) throw new UsageError(`${flag} must follow the --plugin it applies to`);
        if (flag === "--root-id") last.rootId = value; else last.config = value;
        break;
      }
      case "--node": node = value; break;
      case "--log-level":
        if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
        logLevel = value as LogLevel; break;
      case "--stats-tags": statsTags = value; break;
      case "--requests": requests = value; break;
      case "--metrics":
        if (value !== "prometheus") throw new UsageError(`--metrics supports only "prometheus"`);
        metrics = value; break;
      default: throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (!plugins.length) throw new UsageError("at least one --plugin is required");
  if (!requests) throw new UsageError("--requests is required");
  return { plugins, node, statsTags, requests, metrics, logLevel };
}

function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try { text = readFileSync(file, "utf8"); } catch (e) { throw new Error(`${what} ${file}: cannot read: ${(e as Error).message}`); }
  try { return JSON.parse(text); } catch (e) { throw new Error(`${what} ${file}: invalid JSON: ${(e as Error).message}`); }
}

function checkNode(v: unknown, file: string): { id?: string; cluster?: string; metadata?: Record<string, unknown> } {
  const bad = (why: string) => new Error(`--node ${file}: ${why} (expected {"id": "...", "cluster": "...", "metadata": {...}}, Envoy's Node)`);
  if (!v || typeof v !== "object" || Array.isArray(v)) throw bad("not a JSON object");
  const n = v as Record<string, unknown>;
  for (const k of ["id", "cluster"]) if (n[k] !== undefined && typeof n[k] !== "string") throw bad(`"${k}" must be a string`);
  if (n.metadata !== undefined && (typeof n.metadata !== "object" || n.metadata === null || Array.isArray(n.metadata))) throw bad(`"metadata" must be an object`);
  return n;
}

function checkStatsTags(v: unknown, file: string): StatsTag[] {
  if (!Array.isArray(v) || !v.every((t) => t && typeof t === "object" && typeof t.tag_name === "string")) {
    throw new Error(`--stats-tags ${file}: expected an array of {"tag_name": "...", "regex": "..."}`);
  }
  v.forEach((t: StatsTag, i) => {
    if (t.regex === undefined) return;
    if (typeof t.regex !== "string") throw new Error(`--stats-tags ${file}: [${i}].regex must be a string`);
    try { new RegExp(t.regex, "d"); } catch (e) { throw new Error(`--stats-tags ${file}: [${i}].regex: ${(e as Error).message}`); }
  });
  return v as StatsTag[];
}

/** --config: a regular file's bytes, else the argument itself when it is JSON. */
function configBytes(arg: string): string {
  let st;
  try { st = statSync(arg); } catch { /* not a path: inline JSON? */ }
  if (st && !st.isFile()) throw new Error(`--config ${arg}: not a regular file`);
  if (st) {
    try { return readFileSync(arg, "utf8"); } catch (e) { throw new Error(`--config ${arg}: cannot read: ${(e as Error).message}`); }
  }
  try { JSON.parse(arg); } catch { throw new Error(`--config ${arg}: neither a readable file nor valid inline JSON`); }
  return arg;
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Printable UTF-8 as text, anything else as "base64:...". */
export function printable(b: Uint8Array): string {
  try {
    const s = fatalUtf8.decode(b);
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)) return s;
  } catch { /* not UTF-8 */ }
  return "base64:" + Buffer.from(b).toString("base64");
}

function checkLine(v: unknown, where: string): SendInput {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`${where}: a stream must be a JSON object`);
  const o = v as Record<string, unknown>;
  const req = o.request as Record<string, unknown> | undefined;
  if (!req || typeof req !== "object") throw new Error(`${where}: "request" object is required`);
  const pairs = (x: unknown, name: string) => {
    if (x === undefined) return;
    if (!Array.isArray(x) || !x.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && typeof p[1] === "string")) {
      throw new Error(`${where}: ${name} must be an array of ["name","value"] pairs`);
    }
  };
  pairs(req.headers ?? [], "request.headers");
  pairs(req.trailers, "request.trailers");
  if (req.body !== undefined && typeof req.body !== "string") throw new Error(`${where}: request.body must be a string`);
  const up = o.upstream as Record<string, unknown> | undefined;
  if (up !== undefined) {
    if (typeof up !== "object" || up === null) throw new Error(`${where}: "upstream" must be an object`);
    pairs(up.headers, "upstream.headers");
    pairs(up.trailers, "upstream.trailers");
    if (up.status !== undefined && !(Number.isInteger(up.status) && (up.status as number) >= 100 && (up.status as number) <= 999)) {
      throw new Error(`${where}: upstream.status must be an integer from 100 to 999`);
    }
    if (up.body !== undefined && typeof up.body !== "string") throw new Error(`${where}: upstream.body must be a string`);
  }
  if (o.properties !== undefined && (typeof o.properties !== "object" || o.properties === null || Array.isArray(o.properties))) {
    throw new Error(`${where}: "properties" must be an object`);
  }
  // Encode once here, so a value Envoy could not serialize fails before anything runs.
  for (const [k, val] of Object.entries((o.properties ?? {}) as Record<string, unknown>)) {
    try { normalizeProperties({ [k]: val } as SendInput["properties"]); } catch (e) { throw new Error(`${where}: properties["${k}"]: ${(e as Error).message}`); }
  }
  return {
    request: { headers: (req.headers as [string, string][]) ?? [], body: req.body as string | undefined, trailers: req.trailers as [string, string][] | undefined },
    upstream: up as SendInput["upstream"],
    properties: o.properties as SendInput["properties"],
  };
}

export interface StreamTrap { plugin: string; function: string; message: string }

/**
 * One output line for one stream (the fixed `run` contract). `reset`/`resetReason`
 * and `traps` are added only when the stream was reset or a plugin trapped, so
 * lines of ordinary streams are unchanged.
 */
export function outputLine(r: SendResult, traps: readonly TrapRecord[] = []): string {
  return JSON.stringify({
    upstreamRequest: r.upstreamRequest && {
      headers: r.upstreamRequest.headers, body: printable(r.upstreamRequest.body),
      ...(r.upstreamRequest.trailers.length ? { trailers: r.upstreamRequest.trailers } : {}),
    },
    response: {
      status: r.response.status, headers: r.response.headers, body: printable(r.response.body),
      ...(r.response.trailers?.length ? { trailers: r.response.trailers } : {}),
      local: r.response.local, details: r.response.details,
    },
    filterState: Object.fromEntries(Object.entries(r.filterState).map(([k, v]) => [k, printable(v)])),
    logs: r.logs,
    ...(r.reset ? { reset: true, resetReason: r.resetReason ?? "" } : {}),
    ...(traps.length ? { traps: traps.map((t): StreamTrap => ({ plugin: t.plugin, function: t.callback, message: t.message })) } : {}),
  });
}

/** Trap records added since `before` (a VM shared by plugins records one failure on each: keep it once). */
function newTraps(plugins: Plugin[], before: number[]): TrapRecord[] {
  const seen = new Set<TrapRecord>();
  plugins.forEach((p, i) => p.traps.slice(before[i]).forEach((t) => seen.add(t)));
  return [...seen];
}

export async function run(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof parse>;
  try { opts = parse(argv); } catch (e) {
    if (e instanceof UsageError) { console.error(`mesh-filters run: ${e.message}\n\n${HELP}`); return 2; }
    throw e;
  }
  if (!opts) { console.log(HELP); return 0; }

  const node = opts.node ? checkNode(readJsonFile(opts.node, "--node"), opts.node) : undefined;
  const statsTags = opts.statsTags ? checkStatsTags(readJsonFile(opts.statsTags, "--stats-tags"), opts.statsTags) : undefined;
  let lines: string[];
  try { lines = readFileSync(opts.requests, "utf8").split("\n"); } catch (e) {
    throw new Error(`--requests ${opts.requests}: cannot read: ${(e as Error).message}`);
  }
  // Parse every line before running anything, so a bad file fails before any output.
  const streams: { input: SendInput; where: string }[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${opts.requests}:${i + 1}`;
    let v: unknown;
    try { v = JSON.parse(line); } catch (e) { throw new Error(`${where}: invalid JSON: ${(e as Error).message}`); }
    streams.push({ input: checkLine(v, where), where });
  });

  const host = new ProxyWasmHost({ node, statsTags, logLevel: opts.logLevel });
  const plugins: Plugin[] = [];
  for (const p of opts.plugins) {
    const configuration = p.config === undefined ? undefined : configBytes(p.config);
    try {
      plugins.push(await host.loadPlugin({
        module: p.file, name: path.basename(p.file).replace(/\.wasm$/, ""), rootId: p.rootId ?? "", configuration,
      }));
    } catch (e) {
      // The host's message starts with the module's file.
      if (e instanceof PluginLoadError) throw new Error(`plugin ${e.message}`);
      throw e;
    }
  }
  const chain = host.chain(plugins);
  const trapped: string[] = [];
  for (const { input, where } of streams) {
    const before = plugins.map((p) => p.traps.length);
    let result: SendResult;
    try { result = await chain.send(input); } catch (e) { throw new Error(`${where}: ${(e as Error).message}`); }
    const traps = newTraps(plugins, before);
    for (const t of traps) trapped.push(`${where}: plugin '${t.plugin}' trapped in ${t.callback}: ${t.message}`);
    process.stdout.write(outputLine(result, traps) + "\n");
  }
  if (opts.metrics === "prometheus") process.stdout.write(host.metrics.prometheus());
  if (trapped.length) {
    console.error(`mesh-filters run: ${trapped.length} trap(s); a trap kills the Envoy VM and fails every later request on it:\n  ${trapped.join("\n  ")}`);
    return 1;
  }
  return 0;
}
