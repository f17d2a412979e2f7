// `mesh-filters run`: streams from a JSON Lines file through a chain of plugins, one JSON
// line out per stream, in the Envoy-faithful host (host/) or in real Envoy, through the
// engine interface (engine/). Contract: README "`mesh-filters run`" / host/README.md.
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { SendInput, StatsTag } from "../../host/index.ts";
import { normalizeProperties } from "../../host/attributes.ts";
import { LOG_LEVELS, type LogLevel } from "../../host/constants.ts";
import { createEngine, ENGINE_NAMES } from "../../engine/index.ts";
import { planStream, UnproducibleProperty, PRODUCIBLE, clusterFromPlan } from "../../engine/properties.ts";
import { canonical } from "../../engine/envoy/bootstrap.ts";
import { checkFilterStateKey } from "../../engine/envoy/access-log.ts";
import { didYouMean, UsageError } from "../lib/usage.ts";
import { StartError, type EngineName, type ListenerShape, type PluginSpec, type Stream, type StreamResult, type Topology } from "../../engine/types.ts";

const HELP = `Usage: mesh-filters run --plugin <file.wasm> [--root-id ID] [--config <file.json|inline JSON>]
                        [--plugin ...] [--node <node.json>] [--stats-tags <tags.json>]
                        --requests <file.jsonl | -> [--metrics prometheus] [--log-level info]
                        [--engine host|envoy] [--filter-state KEY]...

Plugins form one chain in the order given; --root-id and --config apply to the --plugin
before them (no --root-id = empty root id, as in an Envoy configuration that names none).
Input (--requests FILE, or - for standard input): one stream per line; unknown keys are errors:
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
on bad input (nothing runs); 2 for usage errors.

--engine host (default) runs the chain in-process; --engine envoy runs it in a
real Envoy (ENVOY_BIN, PATH or .tools/bin; \`npm run setup\` installs it): each
stream is a real HTTP request to Envoy's listener, the upstream a loopback
server answering with the stream's "upstream", and details, filter state and
logs come from Envoy's access log and log. Properties Envoy derives itself are
produced by the listener, cluster or connection that gives them:
  ${PRODUCIBLE.join("\n  ")}
any other property is an error naming the line. Envoy cannot list filter
state: --filter-state KEY (repeatable, e.g. wasm.upstream_peer) names the keys
printed (default with envoy: the keys our filters set; with host: every key).`;

const FLAGS = ["--plugin", "--root-id", "--config", "--node", "--log-level", "--stats-tags", "--requests", "--engine", "--filter-state", "--metrics", "--help"];

interface PluginArg { file: string; rootId?: string; config?: string }

function parse(argv: string[]) {
  const plugins: PluginArg[] = [];
  let node: string | undefined, statsTags: string | undefined, requests: string | undefined, metrics: string | undefined;
  let logLevel: LogLevel = "info";
  let engine: EngineName = "host";
  let filterState: string[] | undefined;
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
      case "--engine":
        if (!(ENGINE_NAMES as readonly string[]).includes(value)) throw new UsageError(`--engine must be one of ${ENGINE_NAMES.join(", ")}`);
        engine = value as EngineName; break;
      case "--filter-state":
        try { checkFilterStateKey(value); } catch (e) { throw new UsageError(`--filter-state: ${(e as Error).message}`); }
        (filterState ??= []).push(value); break;
      case "--metrics":
        if (value !== "prometheus") throw new UsageError(`--metrics supports only "prometheus"`);
        metrics = value; break;
      default: throw new UsageError(`unknown option '${flag}'.${didYouMean(flag.replace(/^-+/, ""), FLAGS.map((f) => f.slice(2)), "--")}`);
    }
  }
  if (!plugins.length) throw new UsageError("at least one --plugin is required");
  if (!requests) throw new UsageError("--requests is required");
  return { plugins, node, statsTags, requests, metrics, logLevel, engine, filterState };
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

/** The keys a request line may have, per object: a misspelt key would otherwise be ignored silently. */
const LINE_KEYS = ["request", "upstream", "properties"];
const REQUEST_KEYS = ["headers", "body", "trailers"];
const UPSTREAM_KEYS = ["status", "headers", "body", "trailers"];

function rejectUnknownKeys(o: Record<string, unknown>, known: string[], at: string, where: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      throw new Error(`${where}: unknown key "${at}${k}" (${at ? `${at.slice(0, -1)} takes` : "a line takes"} ${known.join(", ")}).${didYouMean(k, known)}`);
    }
  }
}

function checkLine(v: unknown, where: string): Stream {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`${where}: a stream must be a JSON object`);
  const o = v as Record<string, unknown>;
  rejectUnknownKeys(o, LINE_KEYS, "", where);
  const req = o.request as Record<string, unknown> | undefined;
  if (!req || typeof req !== "object" || Array.isArray(req)) throw new Error(`${where}: "request" object is required`);
  rejectUnknownKeys(req, REQUEST_KEYS, "request.", where);
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
    if (typeof up !== "object" || up === null || Array.isArray(up)) throw new Error(`${where}: "upstream" must be an object`);
    rejectUnknownKeys(up, UPSTREAM_KEYS, "upstream.", where);
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
    upstream: up as Stream["upstream"],
    properties: o.properties as Stream["properties"],
  };
}

/**
 * One output line for one stream (the fixed `run` contract). `reset`/`resetReason`
 * and `traps` are added only when the stream was reset or a plugin trapped, so
 * lines of ordinary streams are unchanged.
 */
export function outputLine(r: StreamResult): string {
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
    ...(r.traps?.length ? { traps: r.traps.map((t) => ({ plugin: t.plugin, function: t.function, message: t.message })) } : {}),
  });
}

export async function run(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof parse>;
  try { opts = parse(argv); } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message, HELP);
    throw e;
  }
  if (!opts) { console.log(HELP); return 0; }

  const node = opts.node ? checkNode(readJsonFile(opts.node, "--node"), opts.node) : undefined;
  const statsTags = opts.statsTags ? checkStatsTags(readJsonFile(opts.statsTags, "--stats-tags"), opts.statsTags) : undefined;
  // `--requests -` reads standard input (file descriptor 0), named "-" in messages as the file would be.
  let lines: string[];
  try { lines = readFileSync(opts.requests === "-" ? 0 : opts.requests, "utf8").split("\n"); } catch (e) {
    throw new Error(`--requests ${opts.requests}: cannot read: ${(e as Error).message}`);
  }
  // Parse every line before running anything, so a bad file fails before any output.
  const streams: Stream[] = [];
  const lineOf: number[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${opts.requests}:${i + 1}`;
    let v: unknown;
    try { v = JSON.parse(line); } catch (e) { throw new Error(`${where}: invalid JSON: ${(e as Error).message}`); }
    streams.push(checkLine(v, where));
    lineOf.push(i + 1);
  });

  // Envoy: every property must be one Envoy can be made to produce, and each listener shape
  // the streams name becomes a listener of the proxy; checked before anything starts.
  const alternatives: ListenerShape[] = [];
  if (opts.engine === "envoy") {
    const seen = new Set<string>([canonical([null, null])]);
    streams.forEach((s, i) => {
      let shape: ListenerShape;
      try {
        const plan = planStream(s.properties);
        shape = { direction: plan.direction ?? undefined, cluster: clusterFromPlan(plan, undefined) };
      } catch (e) {
        if (e instanceof UnproducibleProperty) throw new Error(`${opts.requests}:${lineOf[i]}: ${e.message}`);
        throw e;
      }
      const key = canonical([shape.direction ?? null, shape.cluster ?? null]);
      if (!seen.has(key)) { seen.add(key); alternatives.push(shape); }
    });
  }

  // Modules by path: each engine reads them as the host does (a regular file, within the cap).
  const plugins: PluginSpec[] = opts.plugins.map((p) => ({
    name: path.basename(p.file).replace(/\.wasm$/, ""), module: p.file, rootId: p.rootId ?? "",
    configuration: p.config === undefined ? undefined : configBytes(p.config),
  }));
  const topology: Topology = {
    proxies: [{ name: "proxy", node, statsTags, logLevel: opts.logLevel, plugins, alternatives }],
    // Unset: each engine's default (Envoy: the keys our filters set; the host: every key).
    filterStateKeys: opts.filterState,
  };
  let deployment;
  try {
    deployment = await createEngine(opts.engine).start(topology);
  } catch (e) {
    if (e instanceof StartError && e.plugin !== undefined) {
      const file = opts.plugins[plugins.findIndex((p) => p.name === e.plugin)]?.file ?? e.plugin;
      // The host's load errors already start with the module's file.
      throw new Error(e.message.startsWith(file) ? `plugin ${e.message}` : `plugin ${file}: ${e.message}`);
    }
    throw e;
  }
  const trapped: string[] = [];
  try {
    for (const [i, s] of streams.entries()) {
      const where = `${opts.requests}:${lineOf[i]}`;
      let r: StreamResult;
      try { r = await deployment.send(s); } catch (e) { throw new Error(`${where}: ${(e as Error).message}`); }
      for (const t of r.traps ?? []) trapped.push(`${where}: plugin '${t.plugin}' trapped in ${t.function}: ${t.message}`);
      process.stdout.write(outputLine(r) + "\n");
    }
    if (opts.metrics === "prometheus") process.stdout.write(await deployment.prometheus("proxy"));
  } finally {
    await deployment.stop();
  }
  if (trapped.length) {
    console.error(`mesh-filters run: ${trapped.length} trap(s); a trap kills the Envoy VM and fails every later request on it:\n  ${trapped.join("\n  ")}`);
    return 1;
  }
  return 0;
}
