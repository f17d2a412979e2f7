// Every Envoy configuration the project generates, in real Envoy: it passes
// `envoy --mode validate` and it serves traffic.
// - examples/envoyfilter/envoy/envoy.yaml: the checked-in file validates as is
//   (modules from build/, relative to the project); the same model rendered
//   with test ports and the test upstream as its backend (deploy/model.ts
//   options, no YAML edited) serves real HTTP through the three filters.
// - the Istio EnvoyFilter forms (examples/envoyfilter/envoyfilter-ecds/*,
//   envoyfilter-local/*): each file's patch values as a sidecar ends up with
//   them. ECDS: the EXTENSION_CONFIG values with their `remote` code rewritten
//   to `local.filename` as istio-agent does (a file named by the module's
//   sha256), served through a file config source in place of ADS; the
//   HTTP_FILTER values as they are but for that config source. Local: the
//   HTTP_FILTER values with the mounted path pointed at build/. One listener
//   per file and context, all in one Envoy.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml, stringify } from "yaml";
import { envoyBootstrap } from "../../deploy/envoy-bootstrap.ts";
import { ecdsDiscoveryResponse, httpConnectionManager, listener, routeAllTo, WASM_TYPE } from "../../deploy/envoy-config.ts";
import { examplePushed, exampleOptions } from "../../deploy/examples.ts";
import { CANONICAL_ORDER, loadInputs, type RenderOptions } from "../../deploy/model.ts";
import { EnvoyClient, type ClientResponse } from "../../engine/envoy/http-client.ts";
import { EnvoyProcess } from "../../engine/envoy/process.ts";
import { RecordingUpstream } from "../../engine/envoy/upstream-server.ts";
import type { HeaderList } from "../../engine/types.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { ENVOY_BIN, envoySuite } from "./helpers.ts";
import { tempDir } from "../support/temp-dir.ts";

const exec = promisify(execFile);
const EXAMPLES = path.join(PROJECT_ROOT, "examples", "envoyfilter");
const BUILD = path.join(PROJECT_ROOT, "build");
const BILLING: HeaderList = [["x-api-key", "demo-billing-key"]];

/** `envoy --mode validate`: exit code and output (the Wasm VMs are created and configured in this mode). */
async function validate(config: string, cwd: string): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(ENVOY_BIN!, ["--mode", "validate", "-c", config, "--disable-hot-restart", "-l", "info", "--log-format", "[%l][%n] %v"], { cwd, maxBuffer: 64 << 20 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout + x.stderr };
  }
}

/** One running Envoy from a bootstrap file, stopped after the suite. */
async function startEnvoyWith(dir: string, name: string, bootstrap: Record<string, unknown>): Promise<{ envoy: EnvoyProcess; config: string }> {
  const config = path.join(dir, `${name}.yaml`);
  writeFileSync(config, stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false }));
  const envoy = await EnvoyProcess.start({
    name, bin: ENVOY_BIN!, configPath: config, adminAddressPath: path.join(dir, `${name}.admin`), logPath: path.join(dir, `${name}.log`),
    consolePath: path.join(dir, `${name}.console`), concurrency: 1, wasmLogLevel: "info", readyTimeoutMs: 60_000,
  });
  return { envoy, config };
}

async function listenerPorts(envoy: EnvoyProcess): Promise<Map<string, number>> {
  const status = JSON.parse(await envoy.admin200("/listeners?format=json")) as { listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[] };
  return new Map(status.listener_statuses.map((l) => [l.name, l.local_address.socket_address.port_value]));
}

const header = (h: HeaderList, n: string) => h.filter(([k]) => k === n).map(([, v]) => v);

/** The example model (what `mesh-filters manifests --examples` renders), with these options changed. */
function exampleModel(over: Partial<RenderOptions>) {
  const { filters } = loadInputs({ root: PROJECT_ROOT, pushed: examplePushed(PROJECT_ROOT) });
  const chain = CANONICAL_ORDER.map((n) => filters.find((f) => f.entry.name === n)!);
  return { filters, chain, options: { ...exampleOptions(), ...over } };
}

envoySuite("generated configuration: examples/envoyfilter/envoy/envoy.yaml", () => {
  let dir = "";
  const upstream = new RecordingUpstream();
  const client = new EnvoyClient();
  let envoy: EnvoyProcess | undefined;
  let port = 0;
  let config = "";
  beforeAll(async () => {
    dir = tempDir("mesh-envoy-yaml");
    await upstream.start();
    const { chain, options } = exampleModel({ envoyListenPort: 0, envoyAdminPort: 0, envoyBackend: { host: "127.0.0.1", port: upstream.port }, envoyWasmDir: BUILD });
    const started = await startEnvoyWith(dir, "envoy", envoyBootstrap(chain, options));
    envoy = started.envoy;
    config = started.config;
    port = (await listenerPorts(envoy)).get("inbound")!;
  });
  afterAll(async () => {
    client.close();
    await envoy?.stop();
    await upstream.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the checked-in file is the example model rendered, and passes envoy --mode validate as is", async () => {
    const { chain, options } = exampleModel({});
    const file = path.join(EXAMPLES, "envoy", "envoy.yaml");
    expect(parseYaml(readFileSync(file, "utf8"))).toEqual(JSON.parse(JSON.stringify(envoyBootstrap(chain, options))));
    // Its modules are build/<filter>.wasm relative to Envoy's working directory: the project.
    const r = await validate(file, PROJECT_ROOT);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("configuration '" + file + "' OK");
  });

  it("rendered with a test backend and OS-chosen ports, it validates and serves: header-auth decides, stats counts", async () => {
    const v = await validate(config, dir);
    expect(v.code, v.out).toBe(0);
    const send = async (extra: HeaderList): Promise<ClientResponse> => {
      upstream.expect({ status: 200, body: "httpbin" });
      return client.send({ port, protocol: "HTTP/1.1" }, { headers: [[":method", "GET"], [":path", "/get"], [":authority", "httpbin"], ...extra] });
    };
    const denied = await send([]);
    expect(denied.status).toBe(401);
    expect(JSON.parse(denied.body.toString())).toEqual({ error: "unauthorized", reason: "missing_credential" });
    expect(upstream.take()).toEqual([]);
    const allowed = await send(BILLING);
    expect(allowed.status).toBe(200);
    expect(allowed.body.toString()).toBe("httpbin");
    const [seen] = upstream.take();
    expect(header(seen!.headers, "x-auth-principal")).toEqual(["billing"]);
    expect(header(seen!.headers, "x-api-key")).toEqual([]);
    const prom = await envoy!.admin200("/stats/prometheus");
    for (const code of ["200", "401"]) {
      expect(prom).toMatch(new RegExp(`^istio_requests_total\\{response_code="${code}",reporter="destination",[^}]*destination_workload="httpbin"[^}]*\\} 1$`, "m"));
    }
  });
});

interface FormListener { name: string; form: "ecds" | "local"; file: string; context: "SIDECAR_INBOUND" | "SIDECAR_OUTBOUND"; filters: string[] }

/** The module a patch names: oci://…/<filter>:<tag> (remote) or <dir>/<filter>.wasm (local). */
function moduleOf(code: { remote?: { http_uri: { uri: string } }; local?: { filename: string } }): string {
  const ref = code.remote?.http_uri.uri ?? code.local?.filename ?? "";
  const name = /\/([a-z0-9-]+)(?::[^/]*|\.wasm)$/.exec(ref)?.[1];
  if (!name) throw new Error(`cannot tell the module of ${ref}`);
  return path.join(BUILD, `${name}.wasm`);
}

envoySuite("generated configuration: the EnvoyFilter forms (ECDS and local file)", () => {
  let dir = "";
  const upstream = new RecordingUpstream();
  const client = new EnvoyClient();
  const forms: FormListener[] = [];
  let envoy: EnvoyProcess | undefined;
  let ports = new Map<string, number>();
  let config = "";

  /** istio-agent's cache: the module written as <sha256>.wasm, named by code.local.filename. */
  function agentFile(module: string): string {
    const bytes = readFileSync(module);
    const file = path.join(dir, "wasm", `${createHash("sha256").update(bytes).digest("hex")}.wasm`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    return file;
  }

  beforeAll(async () => {
    dir = tempDir("mesh-envoyfilter");
    await upstream.start();
    const { chain, options } = exampleModel({ envoyListenPort: 0, envoyAdminPort: 0, envoyBackend: { host: "127.0.0.1", port: upstream.port }, envoyWasmDir: BUILD });
    const base = envoyBootstrap(chain, options) as { static_resources: { listeners: unknown[]; clusters: unknown[] } };
    const listeners: Record<string, unknown>[] = [];
    for (const form of ["ecds", "local"] as const) {
      const folder = path.join(EXAMPLES, `envoyfilter-${form}`);
      for (const file of readdirSync(folder).filter((f) => f.endsWith(".yaml") && f !== "workload-patch.yaml").sort()) {
        const docs = parseAllDocuments(readFileSync(path.join(folder, file), "utf8")).map((d) => d.toJS());
        const patches = docs.flatMap((d) => d.spec.configPatches as { applyTo: string; match?: { context: string }; patch: { value: Record<string, any> } }[]);
        // A file config source serves one resource per file (Envoy 1.40 rejects more: "Unexpected
        // number of resources in ExtensionConfigDS response"), so one file per extension config.
        const ecdsFiles = new Map<string, string>();
        for (const p of patches.filter((x) => x.applyTo === "EXTENSION_CONFIG")) {
          const name = p.patch.value.name as string;
          const typed = structuredClone(p.patch.value.typed_config);
          const vm = typed.config.vm_config;
          expect(vm.code.remote, `${file}: an ECDS extension config pulls its module`).toBeDefined();
          vm.code = { local: { filename: agentFile(moduleOf(vm.code)) } };
          const ecdsFile = path.join(dir, `ecds-${file}-${name.replace(/[^A-Za-z0-9-]/g, "_")}.yaml`);
          writeFileSync(ecdsFile, stringify(ecdsDiscoveryResponse([{ name, typedConfig: typed }]), { lineWidth: 0 }));
          ecdsFiles.set(name, ecdsFile);
        }
        for (const context of ["SIDECAR_INBOUND", "SIDECAR_OUTBOUND"] as const) {
          const filters = patches.filter((p) => p.applyTo === "HTTP_FILTER" && p.match?.context === context).map((p) => {
            const value = structuredClone(p.patch.value);
            if (form === "ecds") {
              // ADS in the sidecar; a file config source here. type_urls stay as generated.
              expect(value.config_discovery.config_source, file).toEqual({ ads: {} });
              expect(value.config_discovery.type_urls, file).toEqual([WASM_TYPE]);
              const ecdsFile = ecdsFiles.get(value.name);
              expect(ecdsFile, `${file}: ${value.name} has its EXTENSION_CONFIG`).toBeDefined();
              value.config_discovery.config_source = { path_config_source: { path: ecdsFile }, resource_api_version: "V3" };
            } else {
              // The workload patch mounts the modules there; here they are in build/.
              const vm = value.typed_config.config.vm_config;
              vm.code = { local: { filename: moduleOf(vm.code) } };
            }
            return value;
          });
          if (!filters.length) continue;
          const name = `${form}/${file}/${context}`;
          forms.push({ name, form, file, context, filters: filters.map((f) => String(f.name)) });
          listeners.push(listener({
            name, address: "127.0.0.1", port: 0, direction: context === "SIDECAR_INBOUND" ? "INBOUND" : "OUTBOUND",
            hcm: httpConnectionManager({ statPrefix: name.replace(/[^A-Za-z0-9]/g, "_"), routeConfig: routeAllTo(name, "backend"), httpFilters: filters }),
          }));
        }
      }
    }
    const started = await startEnvoyWith(dir, "envoyfilter-forms", { ...base, static_resources: { ...base.static_resources, listeners } });
    envoy = started.envoy;
    config = started.config;
    ports = await listenerPorts(envoy);
  });
  afterAll(async () => {
    client.close();
    await envoy?.stop();
    await upstream.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("covers every file of both forms, inbound and outbound", () => {
    const files = (form: string) => [...new Set(forms.filter((f) => f.form === form).map((f) => f.file))].sort();
    for (const form of ["ecds", "local"]) {
      expect(files(form)).toEqual(readdirSync(path.join(EXAMPLES, `envoyfilter-${form}`)).filter((f) => f.endsWith(".yaml") && f !== "workload-patch.yaml").sort());
    }
    expect(forms.some((f) => f.context === "SIDECAR_OUTBOUND")).toBe(true);
  });

  it("passes envoy --mode validate", async () => {
    const r = await validate(config, dir);
    expect(r.code, r.out).toBe(0);
  });

  it("every ECDS extension config was accepted from its file", async () => {
    const stats = await envoy!.admin200("/stats?filter=" + encodeURIComponent("^extension_config_discovery\\.http_filter\\..*\\.(update_success|update_rejected)$"));
    for (const f of forms.filter((x) => x.form === "ecds")) {
      for (const name of f.filters) {
        expect(stats, `${f.name}: ${name}`).toMatch(new RegExp(`^extension_config_discovery\\.http_filter\\.${name.replace(/[.]/g, "\\.")}\\.update_success: [1-9]`, "m"));
        expect(stats, `${f.name}: ${name}`).toMatch(new RegExp(`^extension_config_discovery\\.http_filter\\.${name.replace(/[.]/g, "\\.")}\\.update_rejected: 0$`, "m"));
      }
    }
  });

  it("serves traffic on every listener as its filters say", async () => {
    for (const f of forms) {
      const port = ports.get(f.name);
      expect(port, f.name).toBeDefined();
      const send = async (extra: HeaderList) => {
        upstream.expect({ status: 200, body: "app" });
        const r = await client.send({ port: port!, protocol: "HTTP/1.1" }, { headers: [[":method", "GET"], [":path", "/get"], [":authority", "httpbin"], ...extra] });
        return { r, seen: upstream.take() };
      };
      const authenticates = f.filters.some((n) => n.endsWith("header-auth"));
      const anonymous = await send([]);
      expect(anonymous.r.status, `${f.name} without a key`).toBe(authenticates ? 401 : 200);
      const keyed = await send(BILLING);
      expect(keyed.r.status, `${f.name} with a key`).toBe(200);
      expect(header(keyed.seen[0]!.headers, "x-auth-principal"), f.name).toEqual(authenticates ? ["billing"] : []);
      if (f.filters.some((n) => n.endsWith("add-header"))) expect(header(keyed.r.headers, "x-added-by"), f.name).toEqual(["mesh-wasm-filters"]);
    }
    const prom = await envoy!.admin200("/stats/prometheus");
    expect(prom).toMatch(/^istio_requests_total\{[^}]*reporter="destination"[^}]*\} [1-9]/m);
    expect(prom).toMatch(/^istio_requests_total\{[^}]*reporter="source"[^}]*\} [1-9]/m);
  });
});
