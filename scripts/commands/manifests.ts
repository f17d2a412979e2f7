// `mesh-filters manifests`: deployment manifests for Istio (WasmPlugin,
// EnvoyFilter ECDS and local-file forms), Alibaba Cloud ASM
// (ASMFilterDeployment) and plain Envoy (bootstrap), from build/filters.json,
// each filter's example-config.json and, with --digest, dist/pushed.json.
// Generators live in deploy/.
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULTS, loadInputs, parseIstioVersion, parseSelector, type RenderOptions } from "../../deploy/model.ts";
import { PLATFORMS, renderFiles, type OutputFile, type Platform } from "../../deploy/render.ts";
import { examplePushed, renderExamples } from "../../deploy/examples.ts";
import { loadValidators, validateRendered } from "../../deploy/validate/index.ts";
import { readFiltersJson } from "../../oci/filters-json.ts";
import type { PushedJsonFile } from "../../deploy/model.ts";
import { PROJECT_ROOT } from "../lib/project.ts";

export const summary = "render Istio WasmPlugin/EnvoyFilter, ASM ASMFilterDeployment and plain-Envoy manifests for the filters";

const HELP = `Usage: mesh-filters manifests --image REGISTRY/NS [--digest [dist/pushed.json]] [--tag T]
                              --namespace N --selector app=X[,k=v] [--istio 1.26]
                              [--filters a,b,c] [--platform P[,P]] [--out DIR]
                              [--istio-variant wasm|compat] [--pull-policy IfNotPresent|Always]
                              [--pull-secret NAME] [--sidecar-wasm-dir DIR] [--envoy-wasm-dir DIR]
                              [--envoy-port N] [--envoy-backend HOST:PORT] [--root .]
       mesh-filters manifests --examples [--out examples/envoyfilter] [--check]

Images are <image>/<filter>:<tag> (wasm variant; -compat suffix for compat).
--digest pins every image to the manifest digest recorded by \`mesh-filters push\`
(default dist/pushed.json; --image and --tag then default to its registry and tag).
Without --digest: WasmPlugin has no sha256 and ECDS uses istiod's "nil" (no check).
--istio is the proxies' Istio version: 1.25+ gets PluginConfig.failure_policy,
older fail_open (EnvoyFilter and Envoy bootstrap; WasmPlugin's failStrategy is
translated by istiod). Default ${DEFAULTS.istio}.
--platform: ${PLATFORMS.join(", ")} or all. With --out (default all) each platform
gets a folder: one file per filter, chain.yaml (the filters together in chain
order: header-auth, metadata-exchange, stats, ... before the router), and
workload-patch.yaml where pods need annotations; envoy/envoy.yaml is a bootstrap.
Without --out (default wasmplugin) the chain forms are printed as multi-document YAML.
--examples regenerates examples/envoyfilter/ from the fixed example reference
(registry.example.com, placeholder digests); with --check it only compares and
exits 1 when the checked-in files are stale.
Every document is checked before anything is written: WasmPlugin and
EnvoyFilter against Istio's CRD schemas and CEL rules, ASMFilterDeployment
against its schema, every Envoy configuration against Envoy's protos, root ids
against the build and digests against the push; on a problem nothing is
written and the exit code is 1.`;

function parsePlatforms(v: string | undefined, fallback: Platform[]): Platform[] {
  if (!v) return fallback;
  if (v === "all") return [...PLATFORMS];
  const list = v.split(",").map((s) => s.trim()).filter(Boolean);
  for (const p of list) if (!(PLATFORMS as readonly string[]).includes(p)) throw new Error(`--platform: unknown '${p}' (${PLATFORMS.join(", ")}, all)`);
  return list as Platform[];
}

function parseHostPort(v: string, flag: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`${flag}: expected HOST:PORT, got '${v}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

function parsePort(v: string | undefined, flag: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag}: expected a port, got '${v}'`);
  return n;
}

export function writeFiles(outDir: string, files: OutputFile[]): void {
  for (const f of files) {
    const p = path.join(outDir, f.path);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
}

function listYaml(dir: string, base = dir): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(listYaml(p, base));
    else if (n.endsWith(".yaml")) out.push(path.relative(base, p).split(path.sep).join("/"));
  }
  return out.sort();
}

/** Differences between the generated files and a directory (extra .yaml files there count as stale). */
export function compareWithDir(dir: string, files: OutputFile[]): string[] {
  const problems: string[] = [];
  const want = new Map(files.map((f) => [f.path, f.content]));
  for (const [p, content] of want) {
    let have: string | undefined;
    try {
      have = readFileSync(path.join(dir, p), "utf8");
    } catch {
      problems.push(`${p}: missing`);
      continue;
    }
    if (have !== content) problems.push(`${p}: differs`);
  }
  for (const p of listYaml(dir)) if (!want.has(p)) problems.push(`${p}: not generated any more`);
  return problems;
}

/** Throws, naming every problem, unless each rendered document is valid (see deploy/validate/). */
function assertValid(files: OutputFile[], filtersJson: string, pushed: PushedJsonFile | undefined): void {
  const problems = validateRendered(files, readFiltersJson(filtersJson), pushed, loadValidators(PROJECT_ROOT));
  if (problems.length) throw new Error(`the rendered manifests do not validate; nothing was written:\n${problems.join("\n")}`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      image: { type: "string" },
      digest: { type: "boolean", default: false },
      tag: { type: "string" },
      namespace: { type: "string", short: "n" },
      selector: { type: "string", short: "l" },
      istio: { type: "string" },
      filters: { type: "string" },
      platform: { type: "string" },
      out: { type: "string", short: "o" },
      "istio-variant": { type: "string", default: "wasm" },
      "pull-policy": { type: "string" },
      "pull-secret": { type: "string" },
      "sidecar-wasm-dir": { type: "string" },
      "envoy-wasm-dir": { type: "string" },
      "envoy-port": { type: "string" },
      "envoy-backend": { type: "string" },
      "filters-json": { type: "string" },
      root: { type: "string" },
      examples: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const root = path.resolve(values.root ?? process.cwd());

  if (values.examples) {
    const outDir = path.resolve(values.out ?? path.join(root, "examples/envoyfilter"));
    const files = renderExamples(root, { filtersJson: values["filters-json"] });
    const filtersJson = path.resolve(root, values["filters-json"] ?? "build/filters.json");
    assertValid(files, filtersJson, examplePushed(root, filtersJson));
    if (values.check) {
      const problems = compareWithDir(outDir, files);
      if (problems.length) {
        console.error(`${path.relative(process.cwd(), outDir) || "."} is stale (run \`mesh-filters manifests --examples\`):\n  ${problems.join("\n  ")}`);
        return 1;
      }
      console.log(`${files.length} example file(s) up to date`);
      return 0;
    }
    // Drop generated files that are no longer produced; keep README.md.
    for (const p of listYaml(outDir)) if (!files.some((f) => f.path === p)) rmSync(path.join(outDir, p));
    writeFiles(outDir, files);
    console.log(`wrote ${files.length} file(s) to ${path.relative(process.cwd(), outDir) || "."}`);
    return 0;
  }

  // --digest takes an optional path: `--digest` alone, or `--digest FILE` (left as a positional by parseArgs).
  let pushedJson: string | undefined;
  if (values.digest) pushedJson = positionals.shift() ?? "dist/pushed.json";
  if (positionals.length) throw new Error(`unexpected argument(s): ${positionals.join(" ")}`);
  if (!values.namespace) throw new Error(`--namespace is required\n\n${HELP}`);
  if (!values.selector) throw new Error(`--selector is required (e.g. app=my-app)\n\n${HELP}`);
  const selector = parseSelector(values.selector);
  const istio = values.istio ?? DEFAULTS.istio;
  parseIstioVersion(istio);
  const variant = values["istio-variant"];
  if (variant !== "wasm" && variant !== "compat") throw new Error(`--istio-variant must be wasm or compat`);
  const pullPolicy = values["pull-policy"];
  if (pullPolicy !== undefined && pullPolicy !== "IfNotPresent" && pullPolicy !== "Always") throw new Error(`--pull-policy must be IfNotPresent or Always`);

  const platformsOut = parsePlatforms(values.platform, [...PLATFORMS]);
  const platformsStdout = parsePlatforms(values.platform, ["wasmplugin"]);
  const only = values.filters ? values.filters.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  const { filters, pushed } = loadInputs({ root, filtersJson: values["filters-json"], pushedJson, only });
  if (filters.length === 0) throw new Error("no filters selected");
  const image = values.image ?? pushed?.registry;
  if (!image) throw new Error(`--image is required (e.g. registry.example.com/mesh-wasm-filters)\n\n${HELP}`);
  let tag = values.tag ?? pushed?.tag;
  if (!tag) tag = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  if (pushed && (image.replace(/\/+$/, "") !== pushed.registry.replace(/\/+$/, "") || tag !== pushed.tag)) {
    console.error(`warning: --image/--tag (${image}:${tag}) differ from ${pushedJson} (${pushed.registry}:${pushed.tag}); the digests are those pushed there`);
  }
  const options: RenderOptions = {
    image,
    tag,
    namespace: values.namespace,
    selector,
    istio,
    istioVariant: variant,
    imagePullPolicy: pullPolicy as RenderOptions["imagePullPolicy"],
    imagePullSecret: values["pull-secret"],
    sidecarWasmDir: values["sidecar-wasm-dir"] ?? DEFAULTS.sidecarWasmDir,
    envoyWasmDir: values["envoy-wasm-dir"] ?? DEFAULTS.envoyWasmDir,
    envoyListenPort: parsePort(values["envoy-port"], "--envoy-port", DEFAULTS.envoyListenPort),
    envoyBackend: values["envoy-backend"] ? parseHostPort(values["envoy-backend"], "--envoy-backend") : { ...DEFAULTS.envoyBackend },
    envoyAdminPort: DEFAULTS.envoyAdminPort,
  };

  const filtersJson = path.resolve(root, values["filters-json"] ?? "build/filters.json");
  if (values.out) {
    const files = renderFiles({ filters, options, platforms: platformsOut });
    assertValid(files, filtersJson, pushed);
    const outDir = path.resolve(values.out);
    writeFiles(outDir, files);
    for (const f of files) console.log(path.join(path.relative(process.cwd(), outDir) || ".", f.path));
    return 0;
  }
  const all = renderFiles({ filters, options, platforms: platformsStdout });
  assertValid(all, filtersJson, pushed);
  const files = all.filter((f) => /\/(chain|envoy)\.yaml$/.test(f.path));
  process.stdout.write(files.map((f) => f.content).join("---\n"));
  for (const p of all.filter((f) => f.path.endsWith("/workload-patch.yaml"))) {
    console.error(`note: the workload needs pod annotations (${p.path}); write it with --out`);
  }
  return 0;
}
