// A filter's deploy profile: filters/<name>/deploy.json says where the filter
// goes in a proxy (directions, phase, priority), which root id serves each
// direction and how it fails. Every filter has one (the built-in ones too), so
// adding a filter needs no edit outside its folder.
//
//   {"directions": ["inbound", "outbound"],            default ["inbound"]
//    "rootId": "stats" | {"inbound": "stats_inbound", "outbound": "stats_outbound"},
//                                                      default: the first root id the module registers
//    "phase": "UNSPECIFIED_PHASE" | "AUTHN" | "AUTHZ" | "STATS",   default UNSPECIFIED_PHASE
//    "priority": 10,                                   -999..999, higher runs first within a phase; default 0
//    "failStrategy": "FAIL_CLOSE" | "FAIL_OPEN",       default FAIL_CLOSE (Envoy's and Istio's default)
//    "istioStatTags": true,                            its metric names carry Istio's labels (stats): pods need
//                                                      sidecar.istio.io/extraStatTags; default false
//    "pathHardening": true}                            its rules rely on the hardened inbound HTTP connection
//                                                      manager (deploy/path-hardening.ts: header-auth's path
//                                                      rules); the EnvoyFilter forms merge it; default false
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export type Direction = "inbound" | "outbound";
export type Context = "SIDECAR_INBOUND" | "SIDECAR_OUTBOUND";
export type Phase = "UNSPECIFIED_PHASE" | "AUTHN" | "AUTHZ" | "STATS";
export type FailStrategy = "FAIL_CLOSE" | "FAIL_OPEN";

export const PROFILE_FILE = "deploy.json";
export const DIRECTIONS: readonly Direction[] = ["inbound", "outbound"];
export const PHASES: readonly Phase[] = ["AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE"];
export const FAIL_STRATEGIES: readonly FailStrategy[] = ["FAIL_CLOSE", "FAIL_OPEN"];
export const MAX_PRIORITY = 999;
const PROFILE_KEYS = ["directions", "rootId", "phase", "priority", "failStrategy", "istioStatTags", "pathHardening"];

/** One place a filter is inserted: a direction and the root id serving it. */
export interface Attachment {
  context: Context;
  rootId: string;
  /** "" when every direction uses the same root id; "inbound"/"outbound" when they differ (resource names get the suffix). */
  suffix: string;
}

export interface Profile {
  /**
   * Position in the chain: lower runs first (all before the router). Derived
   * from phase and priority the way Istio orders WasmPlugins (AUTHN, AUTHZ,
   * STATS, then no phase; higher priority first), so the EnvoyFilter and the
   * plain-Envoy forms put the filters in the order the WasmPlugins get.
   */
  order: number;
  phase: Phase;
  /** WasmPlugin priority: higher runs first within a phase. */
  priority: number;
  failOpen: boolean;
  attachments: Attachment[];
  /** Its metrics name Istio's labels the way Istio's stats filter does: the proxy must extract them (extraStatTags). */
  istioStatTags: boolean;
  /** Its rules need the hardened inbound HTTP connection manager (normalized, merged paths; no escaped slashes or '_' headers). */
  pathHardening: boolean;
  /** Where the profile came from (its file), or "defaults". */
  source: string;
}

const CONTEXT: Record<Direction, Context> = { inbound: "SIDECAR_INBOUND", outbound: "SIDECAR_OUTBOUND" };

export function chainOrder(phase: Phase, priority: number): number {
  // A phase spans more than the whole priority range, so phases never interleave.
  return (PHASES.indexOf(phase) + 1) * 10_000 - priority;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The profile of one filter from its parsed deploy.json (or `undefined` for the
 * defaults), checked against the root ids its module registers. Errors name
 * the file and the field.
 */
export function parseProfile(raw: unknown, registeredRootIds: string[], source: string): Profile {
  const problems: string[] = [];
  const bad = (field: string, why: string) => problems.push(`${field}: ${why}`);
  const o: Record<string, unknown> = raw === undefined ? {} : isObject(raw) ? raw : (bad("(file)", "must be a JSON object"), {});
  for (const k of Object.keys(o)) {
    if (!k.startsWith("$") && !PROFILE_KEYS.includes(k)) {
      bad(k, `unknown field (${PROFILE_KEYS.join(", ")})`);
    }
  }

  let directions: Direction[] = ["inbound"];
  if (o.directions !== undefined) {
    if (!Array.isArray(o.directions) || o.directions.length === 0 || !o.directions.every((d) => DIRECTIONS.includes(d as Direction))) {
      bad("directions", `must be a non-empty array of ${DIRECTIONS.map((d) => `"${d}"`).join(", ")}`);
    } else if (new Set(o.directions).size !== o.directions.length) {
      bad("directions", "lists a direction twice");
    } else {
      directions = DIRECTIONS.filter((d) => (o.directions as string[]).includes(d));
    }
  }

  const rootIdOf: Partial<Record<Direction, string>> = {};
  const fallback = registeredRootIds[0];
  if (o.rootId === undefined) {
    if (fallback === undefined) bad("rootId", "the module registers no root id");
    for (const d of directions) rootIdOf[d] = fallback ?? "";
  } else if (typeof o.rootId === "string") {
    for (const d of directions) rootIdOf[d] = o.rootId;
  } else if (isObject(o.rootId)) {
    for (const k of Object.keys(o.rootId)) if (!directions.includes(k as Direction)) bad(`rootId.${k}`, `not one of the directions (${directions.join(", ")})`);
    for (const d of directions) {
      const v = o.rootId[d];
      if (typeof v !== "string") bad(`rootId.${d}`, "a root id (string) is required for every direction");
      else rootIdOf[d] = v;
    }
  } else {
    bad("rootId", 'must be a string or {"inbound": "...", "outbound": "..."}');
  }
  for (const d of directions) {
    const id = rootIdOf[d];
    if (id !== undefined && !registeredRootIds.includes(id)) {
      bad(typeof o.rootId === "object" ? `rootId.${d}` : "rootId", `'${id}' is not registered by the module (it registers ${registeredRootIds.map((r) => `'${r}'`).join(", ") || "none"})`);
    }
  }

  const phase = (o.phase ?? "UNSPECIFIED_PHASE") as Phase;
  if (!PHASES.includes(phase)) bad("phase", `must be one of ${PHASES.join(", ")}`);
  const priority = o.priority ?? 0;
  if (typeof priority !== "number" || !Number.isInteger(priority) || Math.abs(priority) > MAX_PRIORITY) {
    bad("priority", `must be an integer from -${MAX_PRIORITY} to ${MAX_PRIORITY}`);
  }
  const failStrategy = (o.failStrategy ?? "FAIL_CLOSE") as FailStrategy;
  if (!FAIL_STRATEGIES.includes(failStrategy)) bad("failStrategy", `must be ${FAIL_STRATEGIES.join(" or ")}`);
  const istioStatTags = o.istioStatTags ?? false;
  if (typeof istioStatTags !== "boolean") bad("istioStatTags", "must be true or false");
  const pathHardening = o.pathHardening ?? false;
  if (typeof pathHardening !== "boolean") bad("pathHardening", "must be true or false");

  if (problems.length) throw new Error(`${source}: ${problems.join("; ")}`);
  const distinct = new Set(directions.map((d) => rootIdOf[d])).size > 1;
  return {
    order: chainOrder(phase, priority as number),
    phase,
    priority: priority as number,
    failOpen: failStrategy === "FAIL_OPEN",
    attachments: directions.map((d) => ({ context: CONTEXT[d], rootId: rootIdOf[d]!, suffix: distinct ? d : "" })),
    istioStatTags: istioStatTags as boolean,
    pathHardening: pathHardening as boolean,
    source,
  };
}

/** filters/<name>/deploy.json of a project, or the defaults when the filter has none. */
export function readProfile(filtersDir: string, name: string, registeredRootIds: string[]): Profile {
  const file = path.join(filtersDir, name, PROFILE_FILE);
  if (!existsSync(file)) return parseProfile(undefined, registeredRootIds, "defaults");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const shown = path.relative(process.cwd(), file);
  return parseProfile(raw, registeredRootIds, shown && !shown.startsWith("..") ? shown : file);
}
