// The cases of `mesh-filters bench --engine envoy`, fixed names: Envoy alone,
// the two do-nothing references, each filter of ours, the server sidecar's
// chain, and the three peers of header-auth's allowed path. Our modules and
// their configurations are the host bench's (scripts/bench/cases.ts), so both
// engines measure the same bytes.
//
// Every case gets the same request (the host bench's simple request with a
// known API key and the client sidecar's peer-metadata headers), so Envoy's
// own work (reading ~1.2 KB of headers, answering) is the same in every case
// and the baseline subtracts it exactly; only header-auth-denied's key differs.
import { existsSync } from "node:fs";
import path from "node:path";
import type { HeaderList } from "../../../host/index.ts";
import { PROJECT_ROOT } from "../../lib/project.ts";
import { buildFilters } from "../../commands/build.ts";
import { loadCases, PEER_HEADERS, SIMPLE_REQUEST, type BenchPlugin } from "../cases.ts";
import { buildGoSdkPeer } from "./go-sdk.ts";
import { BASELINE, CHAIN, ENVOY_CASE_NAMES, HEADER_AUTH_ALLOWED, OUR_FILTER_CASES, PEERS } from "./names.ts";
import { goSdkConfiguration, KEY_HEADER, luaApiKey, nativeApiKeyAuth } from "./peers.ts";

export const BENCH_REQUEST: HeaderList = [...SIMPLE_REQUEST, [KEY_HEADER, "demo-reporting-key"], ...PEER_HEADERS];
export const DENIED_REQUEST: HeaderList = [...SIMPLE_REQUEST, [KEY_HEADER, "not-a-configured-key"], ...PEER_HEADERS];

/** An HTTP filter of a case: a Proxy-Wasm module of ours or a peer's, or a filter built into Envoy. */
export type CaseFilter =
  | { kind: "wasm"; name: string; module: Uint8Array; rootId: string; configuration?: string; vmId?: string }
  | { kind: "envoy"; name: string; httpFilter: Record<string, unknown> };

export interface EnvoyBenchCase {
  name: string;
  filters: CaseFilter[];
  request: HeaderList;
  /** Every response of the case must have this status. */
  expectStatus: number;
  /** A request the case must answer 401 (checked before measuring: the filter really checks the key). */
  deniedRequest?: HeaderList;
}

export function moduleBytes(c: EnvoyBenchCase): number {
  return c.filters.reduce((n, f) => n + (f.kind === "wasm" ? f.module.length : 0), 0);
}

const wasm = (p: BenchPlugin): CaseFilter => ({ kind: "wasm", name: p.name, module: p.module, rootId: p.rootId, configuration: p.configuration });

/** Accepts `envoy:<name>` or the bare `<name>`. */
export function caseName(n: string): string {
  return n.startsWith("envoy:") ? n : `envoy:${n}`;
}

/** Envoys measured for memory only (resident set after the same warm-up as the cases). */
export interface MemoryProbes {
  /** Every filter of ours in one Envoy (add-header, then the chain): the memory target. */
  allOurs: EnvoyBenchCase;
  /** As many do-nothing plugins (noop-lean, a VM each), to tell what any Wasm plugin costs in Envoy from what ours add. */
  noops: EnvoyBenchCase;
}

export interface EnvoyCases {
  cases: EnvoyBenchCase[];
  /** When our filters are built and measured. */
  probes?: MemoryProbes;
  goVersion?: string;
}

/** `root`: the project whose build/ holds our filters (default: this package's own). */
export async function loadEnvoyCases(opts: { only?: string[]; root?: string; log?: (line: string) => void } = {}): Promise<EnvoyCases> {
  const root = opts.root ?? PROJECT_ROOT;
  const only = opts.only?.length ? new Set(opts.only.map(caseName)) : undefined;
  if (only) {
    const unknown = [...only].filter((n) => !(ENVOY_CASE_NAMES as readonly string[]).includes(n));
    if (unknown.length) throw new Error(`unknown case ${unknown.join(", ")}; the cases are ${ENVOY_CASE_NAMES.join(", ")}`);
    only.add(BASELINE); // every added figure is against it
  }
  const want = (n: string) => !only || only.has(n);
  const ourNames = ENVOY_CASE_NAMES.filter((n) => want(n) && n !== BASELINE && !Object.values(PEERS).includes(n as never)).map((n) => n.slice("envoy:".length));
  let builtFilters = existsSync(path.join(root, "build/filters.json"));
  if (!builtFilters && ourNames.some((n) => !n.startsWith("noop-"))) {
    // A fresh clone: build them as `mesh-filters build` does (the bench measures the built modules).
    opts.log?.("build/filters.json missing: building the filters first");
    await buildFilters({ root, outDir: path.join(root, "build"), debug: false, progress: opts.log });
    builtFilters = true;
  }
  // add-header, the chain and noop-lean are also what the memory probes load.
  const host = await loadCases({ root, only: [...new Set([...ourNames, ...(builtFilters ? ["add-header", "chain", "noop-lean"] : [])])] });
  const hostCase = new Map(host.map((c) => [`envoy:${c.name}`, c]));
  const cases: EnvoyBenchCase[] = [];
  let goVersion: string | undefined;
  for (const name of ENVOY_CASE_NAMES) {
    if (!want(name)) continue;
    const base = { name, request: name === "envoy:header-auth-denied" ? DENIED_REQUEST : BENCH_REQUEST, expectStatus: name === "envoy:header-auth-denied" ? 401 : 200 };
    const denies = name === HEADER_AUTH_ALLOWED || name === CHAIN || Object.values(PEERS).includes(name as never) ? { deniedRequest: DENIED_REQUEST } : {};
    if (name === BASELINE) {
      cases.push({ ...base, filters: [] });
    } else if (name === PEERS.native) {
      cases.push({ ...base, ...denies, filters: [{ kind: "envoy", name: "api_key_auth", httpFilter: nativeApiKeyAuth() }] });
    } else if (name === PEERS.lua) {
      cases.push({ ...base, ...denies, filters: [{ kind: "envoy", name: "lua", httpFilter: luaApiKey() }] });
    } else if (name === PEERS.goSdk) {
      const go = await buildGoSdkPeer(opts.log);
      goVersion = go.goVersion;
      cases.push({ ...base, ...denies, filters: [{ kind: "wasm", name: "go-sdk-api-key", module: go.bytes, rootId: "", configuration: goSdkConfiguration() }] });
    } else {
      const h = hostCase.get(name);
      if (!h) throw new Error(`${name}: its filter is not in build/filters.json; run \`npx mesh-filters build\``);
      // proxy-runtime 0.1.8's stock proxy_on_configure traps in Envoy on an empty configuration (it
      // reads the size where the address of the size belongs; "memory access out of bounds", the
      // plugin fails to load): both do-nothing references get "{}".
      const plugins = name.startsWith("envoy:noop-") ? h.plugins.map((p) => ({ ...p, configuration: p.configuration ?? "{}" })) : h.plugins;
      cases.push({ ...base, ...denies, filters: plugins.map(wasm) });
    }
  }
  const addHeader = hostCase.get("envoy:add-header");
  const chain = hostCase.get(CHAIN);
  const noop = hostCase.get("envoy:noop-lean");
  let probes: MemoryProbes | undefined;
  if (addHeader && chain && noop && (!only || [...OUR_FILTER_CASES, CHAIN].some(want))) {
    const ours = [...addHeader.plugins, ...chain.plugins].map(wasm);
    const noopFilter = { ...wasm(noop.plugins[0]!), configuration: "{}" };
    probes = {
      allOurs: { name: "envoy:all-ours", filters: ours, request: BENCH_REQUEST, expectStatus: 200 },
      // One VM each, as distinct modules get: the same module under the same vm_id would share one.
      noops: { name: "envoy:noop-plugins", filters: ours.map((_, i) => ({ ...noopFilter, vmId: `noop-${i}` })), request: BENCH_REQUEST, expectStatus: 200 },
    };
  }
  return { cases, probes, goVersion };
}
