// What goes wrong, in real Envoy and in the host: a bad plugin configuration
// (rejected at configure time, our line naming the field in Envoy's log, for
// every filter, inline and through ECDS), and a module that traps on a request
// (tests/fixtures/envoy/trap-on-demand.wat) under each failure policy —
// statuses, details, later requests, Envoy's log line and stats, and the trap
// in StreamResult.traps. Observed in Envoy 1.40.0 (engine/README.md, "What real
// Envoy does"): the stream that traps is answered 503 wasm_fail_stream under
// every policy; the policy decides only the streams after it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HostEngine } from "../../engine/host/host-engine.ts";
import { runningEnvoyPids } from "../../engine/envoy/process.ts";
import { StartError, type FailurePolicy, type HeaderList, type PluginSpec, type Stream, type StreamResult, type Topology } from "../../engine/types.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { watToWasm } from "../../scripts/lib/validate-wasm.ts";
import { onBothEngines } from "./both-engines.ts";
import { envoySuite, ourPlugin, startEnvoy, stopEnvoysAfterEach, useEnvoy } from "./helpers.ts";

// ---- Configuration errors ------------------------------------------------------------------

/** A bad configuration per filter and the line the filter logs for it (each filter's README, "Configuration"). */
const BAD_CONFIGS = [
  { filter: "add-header", rootId: "add_header", configuration: '{"name":"x-a","value":"b","bogus":1}', line: "add-header: invalid configuration: unknown field 'bogus'" },
  {
    filter: "header-auth", rootId: "header_auth", configuration: '{"credentials":[{"principal":"p","key_sha256":"zz"}]}',
    line: "header-auth: invalid configuration: credentials[0].key_sha256: expected 64 hex characters, got 2",
  },
  {
    filter: "metadata-exchange", rootId: "metadata_exchange", configuration: '{"max_peer_cache_size":-1}',
    line: "metadata-exchange: invalid configuration: max_peer_cache_size: must be between 0 and 100000, got -1",
  },
  { filter: "stats", rootId: "stats_inbound", configuration: '{"max_series":0}', line: "stats: invalid configuration: max_series: must be between 1 and 1000000, got 0" },
];

const badTopology = (c: (typeof BAD_CONFIGS)[number], over: Partial<PluginSpec> = {}): Topology => ({
  proxies: [{ name: "sidecar", direction: "inbound", plugins: [ourPlugin(c.filter, { rootId: c.rootId, configuration: c.configuration, ...over })] }],
});

async function startError(p: Promise<{ stop(): Promise<void> }>): Promise<StartError> {
  const e = await p.then(async (d) => { await d.stop(); return undefined; }, (x: unknown) => x);
  expect(e, "the deployment must not start").toBeInstanceOf(StartError);
  return e as StartError;
}

describe("host engine: a bad configuration is rejected at configure time", () => {
  it.each(BAD_CONFIGS.map((c) => [c.filter, c] as const))("%s", async (_f, c) => {
    const e = await startError(new HostEngine().start(badTopology(c)));
    expect(e.plugin).toBe(c.filter);
    expect(e.logs).toContain(`[error] ${c.filter}: ${c.line}`);
  });
});

envoySuite("a bad configuration is rejected at configure time", () => {
  stopEnvoysAfterEach();

  it.each(BAD_CONFIGS.map((c) => [c.filter, c] as const))("%s: Envoy refuses the plugin and exits, our line names the field", async (_f, c) => {
    const e = await startError(startEnvoy(badTopology(c)));
    expect(e.plugin).toBe(c.filter);
    expect(e.message).toMatch(/Envoy exited during startup \(exit code 1\)/);
    expect(e.message).toContain(`Unable to create Wasm plugin ${c.filter}`);
    // At configure time Envoy's prefix is the root id only (no plugin name).
    expect(e.message).toMatch(new RegExp(`\\[error\\]\\[wasm\\] \\[[^\\]]+\\] wasm log ${c.rootId}: ${c.line.replace(/[[\].()*?+]/g, "\\$&")}$`, "m"));
    expect(e.message).toContain("Wasm VM failed Failed to configure base Wasm plugin");
    expect(runningEnvoyPids()).toEqual([]);
  });

  it("FAIL_OPEN does not change that: Envoy still exits (and still logs 'Plugin configured to fail closed failed to load')", async () => {
    const e = await startError(startEnvoy(badTopology(BAD_CONFIGS[3]!, { failurePolicy: "FAIL_OPEN" })));
    expect(e.message).toContain("Unable to create Wasm plugin stats");
    expect(e.message).toContain("Plugin configured to fail closed failed to load");
  });

  it("through ECDS (as istio-agent delivers it) Envoy keeps running and rejects the update; the engine refuses to start", async () => {
    const e = await startError(startEnvoy(badTopology(BAD_CONFIGS[1]!), { wasmDelivery: "ecds" }));
    expect(e.plugin).toBe("header-auth");
    expect(e.message).toMatch(/Envoy rejected its ECDS configuration \(extension_config_discovery\.http_filter\.header-auth\.update_success is 0\)/);
    expect(e.message).toContain("Filesystem config update rejected: Unable to create Wasm plugin header-auth");
    expect(e.message).toContain(`wasm log header_auth: ${BAD_CONFIGS[1]!.line}`);
    expect(runningEnvoyPids()).toEqual([]);
  });
});

// ---- A module that traps -------------------------------------------------------------------

let trapModule: Promise<Uint8Array> | undefined;
const trapper = () => (trapModule ??= watToWasm(readFileSync(path.join(PROJECT_ROOT, "tests/fixtures/envoy/trap-on-demand.wat"), "utf8"), "trap-on-demand.wat"));

const trapTopology = (failurePolicy: FailurePolicy) => async (): Promise<Topology> => ({
  proxies: [{ name: "edge", direction: "inbound", plugins: [{ name: "trapper", module: await trapper(), failurePolicy }] }],
});

const UPSTREAM = { status: 200, headers: [["content-type", "text/plain"]] as HeaderList, body: "hello" };
const plain = (p: string, extra: HeaderList = []): Stream => ({ request: { headers: [[":method", "GET"], [":path", p], ...extra] }, upstream: UPSTREAM });
const STREAMS = {
  ok: plain("/ok"),
  trap: plain("/trap", [["x-trap", "1"]]),
  after: plain("/after"),
  grpcAfter: {
    request: { headers: [[":method", "POST"], [":path", "/pkg.Svc/M"], ["content-type", "application/grpc"], ["te", "trailers"]] as HeaderList, body: "\u0000\u0000\u0000\u0000\u0000" },
    upstream: { status: 200, headers: [["content-type", "application/grpc"]] as HeaderList, trailers: [["grpc-status", "0"]] as HeaderList },
  },
  trapResponse: { request: { headers: [[":path", "/trap-response"]] as HeaderList }, upstream: { ...UPSTREAM, headers: [...UPSTREAM.headers, ["x-trap-response", "1"]] as HeaderList } },
} satisfies Record<string, Stream>;

interface Outcome {
  status: number;
  details: string;
  /** The filter's response header: it ran on this stream. */
  filterRan: boolean;
  reachedUpstream: boolean;
  grpcStatus?: string;
  /** The exported function that trapped in this stream. */
  trap?: string;
}

const FAILED: Outcome = { status: 503, details: "wasm_fail_stream", filterRan: false, reachedUpstream: false };
/** Envoy's failStream reply to a gRPC request: trailers-only, Unavailable. */
const FAILED_GRPC: Outcome = { status: 200, details: "wasm_fail_stream", filterRan: false, reachedUpstream: false, grpcStatus: "14" };
const RAN: Outcome = { status: 200, details: "via_upstream", filterRan: true, reachedUpstream: true };
const BYPASSED: Outcome = { status: 200, details: "via_upstream", filterRan: false, reachedUpstream: true };

/** Per failure policy: the streams sent in order and what each gets. */
const TRAP_SEQUENCES: Record<"FAIL_CLOSED" | "FAIL_OPEN", [keyof typeof STREAMS, Outcome][][]> = {
  FAIL_CLOSED: [
    [["ok", RAN], ["trap", { ...FAILED, trap: "proxy_on_request_headers" }], ["after", FAILED], ["grpcAfter", FAILED_GRPC], ["ok", FAILED]],
  ],
  FAIL_OPEN: [
    // Fail open does not save the stream that trapped: only the later ones skip the filter.
    [["ok", RAN], ["trap", { ...FAILED, trap: "proxy_on_request_headers" }], ["after", BYPASSED], ["grpcAfter", { ...BYPASSED, grpcStatus: "0" }], ["trap", BYPASSED]],
  ],
};
/** A trap on the response path: the upstream answered, the client still gets the 503. */
const RESPONSE_TRAP: [keyof typeof STREAMS, Outcome][] = [["trapResponse", { ...FAILED, reachedUpstream: true, trap: "proxy_on_response_headers" }]];

const header = (h: HeaderList, n: string) => h.find(([k]) => k === n)?.[1];

function outcome(r: StreamResult): Outcome {
  const grpc = header(r.response.headers, "grpc-status") ?? header(r.response.trailers ?? [], "grpc-status");
  const trap = r.traps?.map((t) => t.function).join(",");
  return {
    status: r.response.status, details: r.response.details, filterRan: header(r.response.headers, "x-trap-filter") === "ran",
    reachedUpstream: r.upstreamRequest !== null, ...(grpc !== undefined ? { grpcStatus: grpc } : {}), ...(trap ? { trap } : {}),
  };
}

for (const policy of ["FAIL_CLOSED", "FAIL_OPEN"] as const) {
  onBothEngines(`a trap in on_request_headers, ${policy}`, trapTopology(policy), ({ engine, deployment }) => {
    const got: StreamResult[] = [];
    const sequence = TRAP_SEQUENCES[policy][0]!;
    beforeAll(async () => {
      for (const [name] of sequence) got.push(await deployment().send(STREAMS[name]));
    });

    it("answers each stream as observed in Envoy 1.40.0", () => {
      expect(got.map(outcome)).toEqual(sequence.map(([, o]) => o));
    });

    it("reports the trap in the stream it happened in, once", () => {
      const trapped = got.map((r) => r.traps ?? []);
      const at = sequence.findIndex(([, o]) => o.trap);
      expect(trapped[at]).toHaveLength(1);
      expect(trapped[at]![0]).toMatchObject({ proxy: "edge", plugin: "trapper", function: "proxy_on_request_headers" });
      expect(trapped[at]![0]!.message).toMatch(/^Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/);
      expect(trapped.filter((t) => t.length)).toHaveLength(1);
    });

    if (engine === "envoy") {
      it("Envoy logs the trap at error, without the plugin's name, and reloads nothing", async () => {
        const log = deployment().logs("edge");
        expect(log).toMatch(/\]\[error\]\[wasm\] \[[^\]]+\] Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable$/m);
        const prom = await deployment().prometheus("edge");
        for (const s of ["vm_reload", "vm_reload_backoff", "vm_reload_success", "vm_reload_failure"]) expect(prom).toMatch(new RegExp(`^envoy_wasm_trapper_${s}\\{\\} 0$`, "m"));
      });
    }
  });
}

for (const policy of ["FAIL_CLOSED", "FAIL_OPEN"] as const) {
  onBothEngines(`a trap in on_response_headers, ${policy}`, trapTopology(policy), ({ deployment }) => {
    it("fails the stream although the upstream answered", async () => {
      const got: StreamResult[] = [];
      for (const [name] of RESPONSE_TRAP) got.push(await deployment().send(STREAMS[name]));
      expect(got.map(outcome)).toEqual(RESPONSE_TRAP.map(([, o]) => o));
      const next = outcome(await deployment().send(STREAMS.after));
      expect(next).toEqual(policy === "FAIL_OPEN" ? BYPASSED : FAILED);
    });
  });
}

describe("host engine: FAIL_RELOAD", () => {
  it("is refused: the host does not model reloading a failed VM (host/README.md)", async () => {
    const e = await startError(new HostEngine().start(await trapTopology("FAIL_RELOAD")()));
    expect(e.message).toMatch(/FAIL_RELOAD is not modelled by the host/);
  });
});

envoySuite("a trap in on_request_headers, FAIL_RELOAD", () => {
  const envoy = useEnvoy(trapTopology("FAIL_RELOAD"));

  it("fails the stream, answers 503 while backing off, then serves from a new VM", async () => {
    expect(outcome(await envoy().send(STREAMS.ok))).toEqual(RAN);
    const trapped = await envoy().send(STREAMS.trap);
    expect(outcome(trapped)).toEqual({ ...FAILED, trap: "proxy_on_request_headers" });
    // Envoy rebuilds the plugin from the base Wasm on the first request after its backoff
    // (1 s by default, jittered); until then every request is failed.
    const deadline = Date.now() + 20_000;
    let backoff = 0;
    let r: StreamResult;
    for (;;) {
      r = await envoy().send(STREAMS.after);
      if (r.response.status !== 503 || Date.now() > deadline) break;
      expect(outcome(r)).toEqual(FAILED);
      backoff++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(outcome(r)).toEqual(RAN);
    // The new VM is configured within the stream that triggered the reload.
    expect(r.logs.map((l) => l.message)).toEqual(["configured", "passed"]);
    const prom = await envoy().prometheus("edge");
    expect(prom).toMatch(/^envoy_wasm_trapper_vm_reload_success\{\} 1$/m);
    expect(prom).toMatch(new RegExp(`^envoy_wasm_trapper_vm_reload_backoff\\{\\} ${backoff}$`, "m"));
    expect(prom).toMatch(/^envoy_wasm_trapper_vm_reload_failure\{\} 0$/m);
  });
});
