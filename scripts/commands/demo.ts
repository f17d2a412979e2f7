// `mesh-filters demo`: the whole pipeline on this machine. Build, package as
// OCI artifacts, load the modules back out of the layout (or a registry), run
// them in a two-sidecar mesh — in two real Envoys when Envoy is found, else in
// the host — and show what a mesh operator would look at: per-request
// outcomes, the Prometheus metrics of both sidecars, the deployment manifests
// and the ORAS commands.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildFilters } from "./build.ts";
import { readArtifactFromLayout, packageFilters, pullArtifact, pushFilters, type LoadedArtifact } from "../../oci/index.ts";
import { insideNodeModules, PACKAGE_ROOT, type FilterBuild } from "../lib/project.ts";
import { readFiltersJson } from "../../oci/filters-json.ts";
import { DEFAULTS, loadInputs, type RenderOptions } from "../../deploy/model.ts";
import { wasmPlugins } from "../../deploy/wasmplugin.ts";
import { asmFilterDeployments } from "../../deploy/asm.ts";
import { toYaml } from "../../deploy/render.ts";
import { createEngine, type EnvoyDeployment } from "../../engine/index.ts";
import type { Deployment, Engine, EngineName } from "../../engine/types.ts";
import { installHint, locateTool } from "../../tools/locate.ts";
import { ENVOY_PIN } from "../../tools/pins.ts";
import { CLIENT, SERVER, startBookinfoMesh } from "../demo/bookinfo-mesh.ts";
import { reviewsApp, TRAFFIC } from "../demo/traffic.ts";
import { describeExchange, formatTable } from "../demo/report.ts";
import { parseCommandArgs } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters demo [--engine host|envoy] [--registry HOST:PORT/NS [--plain-http]]
                         [--out DIR] [--skip-build] [--quiet-build]

With no option everything runs on this machine: the filters are built,
packaged into the OCI image layout dist/oci/, loaded back out of it (digests
verified), and run in a two-sidecar mesh (productpage's outbound sidecar ->
reviews' inbound sidecar -> the reviews application). A mixed traffic sample
goes through it; the Prometheus metrics of both sidecars, the manifests that
deploy the same filters to Istio and ASM, and the ORAS commands that push them
follow.

The mesh runs in two real Envoy processes on loopback when Envoy is found
(ENVOY_BIN, PATH, or .tools/bin after \`npm run setup\`): real HTTP from a
client to an application, metrics scraped from each Envoy's admin. Without
Envoy it runs in the host (the in-process Proxy-Wasm host) and says so.

--engine envoy|host  run the mesh in real Envoy (an error without Envoy) or in the host
--registry           push the artifacts to that registry (oras, else skopeo) and load the
                     modules from the registry instead of the layout
--out DIR            put build/ and dist/ under DIR instead of the project (for an installed
                     package the default is ./mesh-filters-demo: nothing is written into node_modules)
--skip-build         use the modules already in <out>/build (checked against its filters.json)
The demo runs the package's own built-in filters.`;

const MESH_FILTERS = ["header-auth", "metadata-exchange", "stats"];

class StepError extends Error {}

async function step<T>(n: number, title: string, fn: () => Promise<T> | T): Promise<T> {
  console.log(`\n== ${n}. ${title}`);
  const started = Date.now();
  try {
    const result = await fn();
    console.log(`   (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (err) {
    throw new StepError(`step ${n} (${title}) failed: ${(err as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(HELP, {
    args: argv,
    options: {
      registry: { type: "string" },
      "plain-http": { type: "boolean", default: false },
      "quiet-build": { type: "boolean", default: false },
      "skip-build": { type: "boolean", default: false },
      engine: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const picked = pickEngine(values.engine);
  if ("error" in picked) {
    console.error(`mesh-filters demo: ${picked.error}`);
    return picked.usage ? 2 : 1;
  }
  const started = Date.now();
  const info = await picked.engine.info();
  console.log(`mesh-filters demo: the mesh runs in ${info.name === "envoy" ? `real Envoy ${info.version}` : `the host (${info.version})`}; ${picked.note}`);
  const root = PACKAGE_ROOT;
  const work = path.resolve(values.out ?? (insideNodeModules(root) ? "mesh-filters-demo" : root));
  const buildDir = path.join(work, "build");
  const filtersJson = path.join(buildDir, "filters.json");
  const layoutDir = path.join(work, "dist", "oci");

  const builds = values["skip-build"]
    ? await step(1, `Use the filters already built in ${buildDir} (--skip-build), checked against its filters.json`, () => {
      const results = builtFilters(filtersJson);
      for (const r of results) console.log(`   ${r.name.padEnd(18)} ${String(r.size).padStart(6)} bytes  sha256 ${r.sha256.slice(0, 16)}…  root ids ${r.rootIds.join(", ")}`);
      return results;
    })
    : await step(1, "Build the filters (AssemblyScript 0.17.14 -> wasm, validated, ABI-checked)", async () => {
    const results = await buildFilters({
      root,
      outDir: buildDir,
      debug: false,
      progress: values["quiet-build"] ? undefined : (l) => console.log(`   ${l}`),
    });
    for (const r of results) console.log(`   ${r.name.padEnd(18)} ${String(r.size).padStart(6)} bytes  sha256 ${r.sha256.slice(0, 16)}…  root ids ${r.rootIds.join(", ")}`);
    return results;
  });

  await step(2, "Package them as OCI artifacts (dist/oci: wasm and compat variants)", () => {
    const pkg = packageFilters({ projectRoot: root, filtersJson, outDir: layoutDir });
    for (const a of pkg.artifacts) {
      console.log(`   ${`${a.tag}`.padEnd(26)} ${a.manifestDigest}`);
    }
  });

  let pushedNote = "";
  const loaded = await step(3, values.registry
    ? `Push to ${values.registry} and load the modules back from the registry`
    : "Load the modules back out of the OCI layout, verifying every digest", async () => {
    const byName = new Map<string, LoadedArtifact>();
    if (values.registry) {
      const pushed = await pushFilters({
        projectRoot: root, filtersJson, layoutDir, pushedJson: path.join(work, "dist", "pushed.json"),
        registry: values.registry, plainHttp: values["plain-http"], variants: ["wasm"],
        log: (l) => console.log(`   ${l}`),
      });
      for (const a of pushed.artifacts) {
        byName.set(a.name, await pullArtifact(`${a.reference}@${a.digest}`, { plainHttp: values["plain-http"] }));
      }
      pushedNote = ` (pushed to ${values.registry})`;
    } else {
      for (const b of builds) byName.set(b.name, readArtifactFromLayout(layoutDir, b.name));
    }
    for (const b of builds) {
      const art = byName.get(b.name);
      if (!art) throw new Error(`${b.name}: no artifact loaded`);
      checkModule(art, b);
      console.log(`   ${b.name.padEnd(18)} ${art.reference} -> ${art.module.length} bytes, sha256 matches the build`);
    }
    return byName;
  });

  const where = picked.engine.name === "envoy" ? "in two real Envoys" : "in the host";
  const mesh = await step(4, `Start a two-sidecar mesh ${where}`, async () => {
    const m = await startMesh(root, loaded, picked.engine);
    console.log(`   engine: ${describeEngine(m)}`);
    console.log("   productpage-v1 --(outbound sidecar: metadata-exchange, stats)--> reviews sidecar (inbound: header-auth,");
    console.log("   metadata-exchange, stats) --> reviews application");
    if (isEnvoy(m)) {
      for (const proxy of [CLIENT, SERVER]) {
        const e = m.endpoints(proxy);
        console.log(`   ${proxy.padEnd(15)} Envoy pid ${m.pids[[CLIENT, SERVER].indexOf(proxy)]}, listener 127.0.0.1:${e.listeners[0]!.port}, admin http://${e.admin}`);
      }
    }
    return m;
  });

  try {
    await step(5, isEnvoy(mesh) ? "Send a mixed traffic sample through it (real HTTP: client -> productpage's Envoy -> reviews' Envoy -> application)" : "Send a mixed traffic sample through it", async () => {
      const rows = [];
      for (const t of TRAFFIC) rows.push(describeExchange(t, await mesh.send({ request: t.request, upstream: reviewsApp })));
      console.log(formatTable(rows).split("\n").map((l) => `   ${l}`).join("\n"));
    });

    await step(6, isEnvoy(mesh)
      ? "Prometheus metrics of both sidecars, scraped from each Envoy's admin (/stats/prometheus, Istio's stats_tags)"
      : "Prometheus metrics of both sidecars (as Envoy's /stats/prometheus renders them, with Istio's stats_tags)", async () => {
      const outDir = path.join(work, "dist", "demo");
      mkdirSync(outDir, { recursive: true });
      for (const [file, title, proxy] of [
        ["productpage-v1.prom", "productpage-v1 (client sidecar, reporter=source)", CLIENT],
        ["reviews-v2.prom", "reviews-v2 (server sidecar, reporter=destination)", SERVER],
      ] as const) {
        const text = await mesh.prometheus(proxy);
        writeFileSync(path.join(outDir, file), text);
        const from = isEnvoy(mesh) ? `from http://${mesh.endpoints(proxy).admin}/stats/prometheus; ` : "";
        // Envoy's own envoy_* families (hundreds of lines) stay in the file.
        const omitted = isEnvoy(mesh) ? "histogram buckets and Envoy's own envoy_* series omitted here" : "histogram buckets omitted here";
        console.log(`\n   --- ${title}; ${from}${omitted}, the full text is in ${path.relative(root, path.join(outDir, file)) || file}`);
        console.log(filtersSeries(text).map((l) => `   ${l}`).join("\n"));
      }
    });
  } finally {
    await mesh.stop();
  }

  await step(7, `Deploy the same filters${pushedNote}: Istio WasmPlugin, ASM ASMFilterDeployment, and the ORAS commands`, async () => {
    const registry = values.registry ?? "registry.example.com/mesh-wasm-filters";
    printManifests(root, filtersJson, registry);
    console.log("\n   # Push with ORAS (what `mesh-filters push --dry-run` prints):");
    await pushFilters({
      projectRoot: root, filtersJson, layoutDir, registry, dryRun: true, tool: "oras", plainHttp: values["plain-http"],
      log: (l) => console.log(`   ${l}`),
    });
  });

  console.log(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s (engine: ${describeEngine(mesh)}).`);
  return 0;
}

type Picked = { engine: Engine; note: string } | { error: string; usage?: boolean };

/**
 * Real Envoy when it is found (or asked for), else the host, saying why and how
 * to get Envoy. A found Envoy that cannot run Wasm fails at step 4 with
 * Envoy's own words (`mesh-filters doctor` checks that ahead).
 */
function pickEngine(flag: string | undefined): Picked {
  if (flag !== undefined && flag !== "host" && flag !== "envoy") return { error: `--engine must be host or envoy, got '${flag}'`, usage: true };
  const name = flag as EngineName | undefined;
  if (name === "host") return { engine: createEngine("host"), note: "chosen with --engine host (the in-process Proxy-Wasm host)" };
  let found;
  try {
    found = locateTool("envoy");
  } catch (e) {
    if (name === "envoy") return { error: `--engine envoy: ${(e as Error).message}` };
    return { engine: createEngine("host"), note: `Envoy is unusable (${(e as Error).message}), so the host runs it instead` };
  }
  if (found) return { engine: createEngine("envoy", { envoy: { bin: found.path } }), note: `two Envoy processes from ${found.path}` };
  if (name === "envoy") return { error: `--engine envoy: Envoy not found: ${installHint("envoy")}` };
  return {
    engine: createEngine("host"),
    note: `Envoy was not found (ENVOY_BIN, PATH, .tools/bin). For real Envoy run \`npm run setup\` (it installs Envoy ${ENVOY_PIN.version} into .tools/) ` +
      "or point ENVOY_BIN at an Envoy binary, then run the demo again.",
  };
}

function isEnvoy(d: Deployment): d is EnvoyDeployment {
  return d.engine.name === "envoy";
}

function describeEngine(d: Deployment): string {
  return d.engine.name === "envoy" ? `Envoy ${d.engine.version} (two processes)` : `host (${d.engine.version})`;
}

/** What the demo prints of a sidecar's Prometheus text: the filters' series, without histogram buckets. */
export function filtersSeries(text: string): string[] {
  const lines = text.trimEnd().split("\n");
  const out: string[] = [];
  for (const l of lines) {
    if (/_bucket\{/.test(l)) continue;
    const name = /^(?:# (?:TYPE|HELP) )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(l)?.[1];
    if (name?.startsWith("envoy_")) continue;
    out.push(l);
  }
  return out;
}

/** build/filters.json's modules, each checked against its sha256 (--skip-build). */
function builtFilters(filtersJson: string): FilterBuild[] {
  const entries = readFiltersJson(filtersJson);
  const dir = path.dirname(filtersJson);
  return entries.map((e) => {
    const file = path.join(dir, path.basename(e.file));
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "missing (run the demo without --skip-build)" : (err as Error).message}`);
    }
    const sha = createHash("sha256").update(bytes).digest("hex");
    if (sha !== e.sha256) throw new Error(`${file}: sha256 ${sha} differs from ${filtersJson} (${e.sha256}); rebuild without --skip-build`);
    return { ...e, file: path.relative(PACKAGE_ROOT, file) };
  });
}

function checkModule(art: LoadedArtifact, build: FilterBuild): void {
  const sha = createHash("sha256").update(art.module).digest("hex");
  if (sha !== build.sha256) throw new Error(`${build.name}: module from ${art.reference} has sha256 ${sha}, build/filters.json says ${build.sha256}`);
  const ids = art.config?.config?.rootIds;
  if (ids && JSON.stringify(ids) !== JSON.stringify(build.rootIds)) {
    throw new Error(`${build.name}: artifact root ids ${JSON.stringify(ids)} differ from the build's ${JSON.stringify(build.rootIds)}`);
  }
}

function exampleConfig(root: string, filter: string): string {
  return JSON.stringify(JSON.parse(readFileSync(path.join(root, "filters", filter, "example-config.json"), "utf8")));
}

function startMesh(root: string, modules: Map<string, LoadedArtifact>, engine: Engine): Promise<Deployment> {
  return startBookinfoMesh((filter) => {
    const art = modules.get(filter);
    if (!art) throw new Error(`${filter} was not built`);
    return { module: art.module, configuration: exampleConfig(root, filter) };
  }, engine);
}

function printManifests(root: string, filtersJson: string, registry: string): void {
  const { filters } = loadInputs({ root, filtersJson, only: MESH_FILTERS });
  const options: RenderOptions = {
    ...DEFAULTS,
    image: registry,
    tag: JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version,
    namespace: "default",
    selector: { app: "reviews" },
    istioVariant: "wasm",
  };
  const indent = (s: string) => s.trimEnd().split("\n").map((l) => `   ${l}`).join("\n");
  console.log("\n   # Istio (kubectl apply -f -):");
  console.log(indent(toYaml(filters.flatMap((f) => wasmPlugins(f, options)), ["WasmPlugins for the reviews workload"])));
  console.log("\n   # Alibaba Cloud ASM (apply in the control-plane cluster):");
  console.log(indent(toYaml(filters.flatMap((f) => asmFilterDeployments(f, options)), ["ASMFilterDeployments for the reviews workload"])));
}
