// `mesh-filters demo`: the whole pipeline on this machine. Build, package as
// OCI artifacts, load the modules back out of the layout (or a registry), run
// them in a two-sidecar mesh in the host, and show what a mesh operator would
// look at: per-request outcomes, Prometheus metrics, the deployment manifests
// and the ORAS commands.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildFilters } from "./build.ts";
import { readArtifactFromLayout, packageFilters, pullArtifact, pushFilters, type LoadedArtifact } from "../../oci/index.ts";
import { PROJECT_ROOT, type FilterBuild } from "../lib/project.ts";
import { DEFAULTS, loadInputs, type RenderOptions } from "../../deploy/model.ts";
import { wasmPlugins } from "../../deploy/wasmplugin.ts";
import { asmFilterDeployments } from "../../deploy/asm.ts";
import { toYaml } from "../../deploy/render.ts";
import type { Deployment } from "../../engine/types.ts";
import { CLIENT, SERVER, startBookinfoMesh } from "../demo/bookinfo-mesh.ts";
import { reviewsApp, TRAFFIC } from "../demo/traffic.ts";
import { describeExchange, formatTable } from "../demo/report.ts";

export const summary = "the whole pipeline: build, package, load from OCI, run a two-sidecar mesh, print metrics and manifests";

const HELP = `Usage: mesh-filters demo [--registry HOST:PORT/NS [--plain-http]] [--out DIR] [--quiet-build]

With no option everything runs on this machine: the filters are built,
packaged into the OCI image layout dist/oci/, loaded back out of it (digests
verified), and run in a two-sidecar mesh in the host (productpage's outbound
sidecar -> reviews' inbound sidecar -> the reviews application). A mixed
traffic sample goes through it; the Prometheus metrics of both sidecars, the
manifests that deploy the same filters to Istio and ASM, and the ORAS commands
that push them follow.

--registry pushes the artifacts to that registry (oras, else skopeo) and loads
the modules from the registry instead of the layout.
--out puts build/ and dist/ under DIR instead of the project (default: the project).`;

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
  const { values } = parseArgs({
    args: argv,
    options: {
      registry: { type: "string" },
      "plain-http": { type: "boolean", default: false },
      "quiet-build": { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const started = Date.now();
  const root = PROJECT_ROOT;
  const work = path.resolve(values.out ?? root);
  const buildDir = path.join(work, "build");
  const filtersJson = path.join(buildDir, "filters.json");
  const layoutDir = path.join(work, "dist", "oci");

  const builds = await step(1, "Build the filters (AssemblyScript 0.17.14 -> wasm, validated, ABI-checked)", async () => {
    const results = await buildFilters({
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

  const mesh = await step(4, "Start a two-sidecar mesh in the host", async () => {
    const m = await startMesh(root, loaded);
    console.log(`   engine: ${m.engine.name} (${m.engine.version})`);
    console.log("   productpage-v1 --(outbound sidecar: metadata-exchange, stats)--> reviews sidecar (inbound: header-auth,");
    console.log("   metadata-exchange, stats) --> reviews application");
    return m;
  });

  try {
    await step(5, "Send a mixed traffic sample through it", async () => {
      const rows = [];
      for (const t of TRAFFIC) rows.push(describeExchange(t, await mesh.send({ request: t.request, upstream: reviewsApp })));
      console.log(formatTable(rows).split("\n").map((l) => `   ${l}`).join("\n"));
    });

    await step(6, "Prometheus metrics of both sidecars (Envoy's /stats/prometheus with Istio's stats_tags)", async () => {
      const outDir = path.join(work, "dist", "demo");
      mkdirSync(outDir, { recursive: true });
      for (const [file, title, proxy] of [
        ["productpage-v1.prom", "productpage-v1 (client sidecar, reporter=source)", CLIENT],
        ["reviews-v2.prom", "reviews-v2 (server sidecar, reporter=destination)", SERVER],
      ] as const) {
        const text = await mesh.prometheus(proxy);
        writeFileSync(path.join(outDir, file), text);
        console.log(`\n   --- ${title}; histogram buckets omitted here, the full text is in ${path.relative(root, path.join(outDir, file))}`);
        console.log(text.trimEnd().split("\n").filter((l) => !/_bucket\{/.test(l)).map((l) => `   ${l}`).join("\n"));
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

  console.log(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return 0;
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

function startMesh(root: string, modules: Map<string, LoadedArtifact>): Promise<Deployment> {
  return startBookinfoMesh((filter) => {
    const art = modules.get(filter);
    if (!art) throw new Error(`${filter} was not built`);
    return { module: art.module, configuration: exampleConfig(root, filter) };
  });
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
