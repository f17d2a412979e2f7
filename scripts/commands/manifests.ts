// `mesh-filters manifests`: deployment manifests for Istio (WasmPlugin,
// EnvoyFilter ECDS and local-file forms), Alibaba Cloud ASM
// (ASMFilterDeployment) and plain Envoy (bootstrap), from build/filters.json,
// each filter's deploy profile (filters/<name>/deploy.json) and the plugin
// configuration to deploy (--config, the project's deploy settings, else the
// filter's example-config.json) and, with --digest, dist/pushed.json.
// Nothing is written unless every filter accepts its configuration (its module
// runs onConfigure in the host) and every document validates. Generators live
// in deploy/.
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync, rmdirSync } from "node:fs";
import path from "node:path";
import { DEFAULTS, loadInputs, parseSelector, type RenderOptions } from "../../deploy/model.ts";
import { checkSupportedIstio, ISTIO_GATES, parseIstioVersion } from "../../deploy/istio-versions.ts";
import { PLATFORMS, renderFiles, type OutputFile, type Platform } from "../../deploy/render.ts";
import { examplePushed, renderExamples } from "../../deploy/examples.ts";
import { loadValidators, validateRendered } from "../../deploy/validate/index.ts";
import { checkConfigurations } from "../../deploy/check-config.ts";
import { parseConfigFlags, parseDeploySettings, type DeploySettings } from "../../deploy/deploy-file.ts";
import { dns1123LabelProblem } from "../../deploy/k8s-names.ts";
import { wasmPluginNotes } from "../../deploy/wasmplugin.ts";
import { readFiltersJson } from "../../oci/filters-json.ts";
import type { PushedJsonFile } from "../../deploy/model.ts";
import { findProject, PROJECT_FILE, type Project } from "../lib/project.ts";
import { didYouMean, parseCommandArgs, UsageError } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters manifests --image REGISTRY/NS [--digest [dist/pushed.json]] [--tag T]
                              --namespace N --selector app=X[,k=v] [--istio ${DEFAULTS.istio}]
                              [--config FILTER=FILE]... [--deploy FILE]
                              [--filters a,b,c] [--platform P[,P]] [--out DIR]
                              [--istio-variant wasm|compat] [--pull-policy IfNotPresent|Always]
                              [--pull-secret NAME] [--sidecar-wasm-dir DIR] [--envoy-wasm-dir DIR]
                              [--envoy-port N] [--envoy-backend HOST:PORT] [--root DIR]
       mesh-filters manifests --examples [--out examples/envoyfilter] [--check]

Images are <image>/<filter>:<tag> (wasm variant; -compat suffix for compat).
--digest pins every image to the manifest digest recorded by \`mesh-filters push\`
(default dist/pushed.json; --image and --tag then default to its registry and tag).
Without --digest: WasmPlugin has no sha256 and ECDS uses istiod's "nil" (no check).

The plugin configuration each filter gets: --config FILTER=FILE (repeatable),
else "configs" of the deploy settings, else the filter's example-config.json
(with a note: examples are not production settings). The deploy settings are
--deploy FILE, else the "deploy" object of the project's ${PROJECT_FILE}
(or package.json "mesh-filters"): {"namespace", "selector", "image", "tag",
"istio", "platforms", "istioVariant", "pullSecret", "configs": {"FILTER":
"file.json" | {...}}}; flags win over them. Where and how each filter is
inserted (directions, phase, priority, fail strategy, root ids) is its
filters/<name>/deploy.json.

--istio is the proxies' Istio version (default ${DEFAULTS.istio}; ${ISTIO_GATES.wasmPlugin.join(".")} or newer): 1.25+ gets
PluginConfig.failure_policy, older fail_open (EnvoyFilter and Envoy bootstrap;
WasmPlugin's failStrategy is translated by istiod). WasmPlugin fields newer
than it are left out: type below ${ISTIO_GATES.type.join(".")}, failStrategy below ${ISTIO_GATES.failStrategy.join(".")} (the plugin
then fails closed), match below ${ISTIO_GATES.match.join(".")} (a one-direction filter then needs an
EnvoyFilter platform).
--platform: ${PLATFORMS.join(", ")} or all. With --out (default all) each platform
gets a folder: one file per filter, chain.yaml (the filters together in chain
order, from their phases and priorities, before the router), and
workload-patch.yaml where pods need annotations; envoy/envoy.yaml is a bootstrap.
Files an earlier render wrote there and this one does not are removed.
Without --out (default wasmplugin) the chain forms are printed as multi-document YAML.
--examples regenerates examples/envoyfilter/ from the fixed example reference
(registry.example.com, placeholder digests); with --check it only compares and
exits 1 when the checked-in files are stale.

Before anything is written: each filter's module is loaded in the host with
each root id it deploys with, and its onConfigure must accept the
configuration (its own log lines are the error); the namespace, names, labels
and selector must follow Kubernetes' naming rules; WasmPlugin and EnvoyFilter
are checked against Istio's CRD schemas and CEL rules, ASMFilterDeployment
against its schema, every Envoy configuration against Envoy's protos, root ids
against the build and digests against the push. On a problem nothing is
written and the exit code is 1.`;

function parsePlatforms(v: string | undefined, fallback: Platform[]): Platform[] {
  if (!v) return fallback;
  if (v === "all") return [...PLATFORMS];
  const list = v.split(",").map((s) => s.trim()).filter(Boolean);
  for (const p of list) {
    if (!(PLATFORMS as readonly string[]).includes(p)) throw new UsageError(`--platform: unknown '${p}' (${PLATFORMS.join(", ")}, all).${didYouMean(p, PLATFORMS)}`, HELP);
  }
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

/** The first line of every file renderFiles writes: how a later render knows the file is its own. */
const GENERATED_MARK = "# Generated by `mesh-filters manifests`";

/**
 * Removes the .yaml files an earlier render wrote into `outDir` (they start
 * with the generated mark) that this render does not write, then the folders
 * that leaves empty. Files of the user's own are never touched.
 */
export function removeStale(outDir: string, files: OutputFile[]): string[] {
  const keep = new Set(files.map((f) => f.path));
  const removed: string[] = [];
  for (const rel of listYaml(outDir)) {
    if (keep.has(rel)) continue;
    const file = path.join(outDir, rel);
    let head = "";
    try {
      head = readFileSync(file, "utf8").slice(0, GENERATED_MARK.length);
    } catch { continue; }
    if (head !== GENERATED_MARK) continue;
    rmSync(file);
    removed.push(rel);
    for (let dir = path.dirname(file); dir.startsWith(outDir + path.sep); dir = path.dirname(dir)) {
      try { rmdirSync(dir); } catch { break; } // not empty: stop
    }
  }
  return removed;
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
  const problems = validateRendered(files, readFiltersJson(filtersJson), pushed, loadValidators());
  if (problems.length) throw new Error(`the rendered manifests do not validate; nothing was written:\n${problems.join("\n")}`);
}

/** The deploy settings: --deploy FILE, else the project's "deploy" object. */
function deploySettings(project: Project, file: string | undefined): DeploySettings {
  if (file) {
    const abs = path.resolve(file);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(abs, "utf8"));
    } catch (err) {
      throw new Error(`--deploy ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (err as Error).message}`);
    }
    return parseDeploySettings(raw, path.dirname(abs), file);
  }
  return parseDeploySettings(project.config.deploy, project.root, `${project.file ?? project.root}: deploy`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(HELP, {
    args: argv,
    allowPositionals: true,
    options: {
      image: { type: "string" },
      digest: { type: "boolean", default: false },
      tag: { type: "string" },
      namespace: { type: "string", short: "n" },
      selector: { type: "string", short: "l" },
      istio: { type: "string" },
      config: { type: "string", multiple: true },
      deploy: { type: "string" },
      filters: { type: "string" },
      platform: { type: "string" },
      out: { type: "string", short: "o" },
      "istio-variant": { type: "string" },
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
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const project = findProject({ root: values.root });
  const root = project.root;

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

  const settings = deploySettings(project, values.deploy);
  // --digest takes an optional path: `--digest` alone, or `--digest FILE` (left as a positional by parseArgs).
  let pushedJson: string | undefined;
  if (values.digest) pushedJson = positionals.shift() ?? "dist/pushed.json";
  if (positionals.length) throw new UsageError(`unexpected argument(s): ${positionals.join(" ")}`, HELP);
  const namespace = values.namespace ?? settings.namespace;
  if (!namespace) throw new UsageError(`--namespace is required (or "namespace" in the deploy settings)`, HELP);
  const nsProblem = dns1123LabelProblem(namespace);
  if (nsProblem) throw new Error(`--namespace '${namespace}': not a Kubernetes namespace name: it ${nsProblem}`);
  const selector = values.selector ? parseSelector(values.selector) : settings.selector ? parseSelector(Object.entries(settings.selector).map(([k, v]) => `${k}=${v}`).join(",")) : undefined;
  if (!selector) throw new UsageError(`--selector is required (e.g. app=my-app; or "selector" in the deploy settings)`, HELP);
  const istio = values.istio ?? settings.istio ?? DEFAULTS.istio;
  parseIstioVersion(istio);
  checkSupportedIstio(istio);
  const variant = values["istio-variant"] ?? settings.istioVariant ?? "wasm";
  if (variant !== "wasm" && variant !== "compat") throw new UsageError(`--istio-variant must be wasm or compat`, HELP);
  const pullPolicy = values["pull-policy"];
  if (pullPolicy !== undefined && pullPolicy !== "IfNotPresent" && pullPolicy !== "Always") throw new UsageError(`--pull-policy must be IfNotPresent or Always`, HELP);
  // (the Secret name, like every resource name, is checked on the rendered documents)
  const pullSecret = values["pull-secret"] ?? settings.pullSecret;

  const platformArg = values.platform ?? settings.platforms?.join(",");
  const platformsOut = parsePlatforms(platformArg, [...PLATFORMS]);
  const platformsStdout = parsePlatforms(platformArg, ["wasmplugin"]);
  const only = values.filters ? values.filters.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  const configs = { ...settings.configs, ...parseConfigFlags(values.config) };
  const { filters, pushed, examplesUsed } = loadInputs({ root, filtersJson: values["filters-json"], pushedJson, only, configs });
  if (filters.length === 0) throw new Error("no filters selected");
  const image = values.image ?? settings.image ?? pushed?.registry;
  if (!image) throw new UsageError(`--image is required (e.g. registry.example.com/mesh-wasm-filters; or "image" in the deploy settings)`, HELP);
  let tag = values.tag ?? settings.tag ?? pushed?.tag;
  if (!tag) tag = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  if (pushed && (image.replace(/\/+$/, "") !== pushed.registry.replace(/\/+$/, "") || tag !== pushed.tag)) {
    console.error(`warning: --image/--tag (${image}:${tag}) differ from ${pushedJson} (${pushed.registry}:${pushed.tag}); the digests are those pushed there`);
  }
  const options: RenderOptions = {
    image,
    tag,
    namespace,
    selector,
    istio,
    istioVariant: variant,
    imagePullPolicy: pullPolicy as RenderOptions["imagePullPolicy"],
    imagePullSecret: pullSecret,
    sidecarWasmDir: values["sidecar-wasm-dir"] ?? DEFAULTS.sidecarWasmDir,
    envoyWasmDir: values["envoy-wasm-dir"] ?? DEFAULTS.envoyWasmDir,
    envoyListenPort: parsePort(values["envoy-port"], "--envoy-port", DEFAULTS.envoyListenPort),
    envoyBackend: values["envoy-backend"] ? parseHostPort(values["envoy-backend"], "--envoy-backend") : { ...DEFAULTS.envoyBackend },
    envoyAdminPort: DEFAULTS.envoyAdminPort,
  };

  // The filters judge their configurations before anything is rendered.
  const rejected = await checkConfigurations(filters, root, options);
  if (rejected.length) throw new Error(`a filter rejects its configuration; nothing was written:\n  ${rejected.join("\n  ")}`);

  const filtersJson = path.resolve(root, values["filters-json"] ?? "build/filters.json");
  const platforms = values.out ? platformsOut : platformsStdout;
  const all = renderFiles({ filters, options, platforms });
  assertValid(all, filtersJson, pushed);
  if (platforms.includes("wasmplugin")) for (const n of wasmPluginNotes(filters, options)) console.error(`warning: ${n}`);
  for (const name of examplesUsed) {
    console.error(`note: ${name} deploys its example configuration (filters/${name}/example-config.json); give yours with --config ${name}=FILE or "configs" in the deploy settings`);
  }
  if (values.out) {
    const outDir = path.resolve(values.out);
    const removed = removeStale(outDir, all);
    writeFiles(outDir, all);
    for (const f of all) console.log(path.join(path.relative(process.cwd(), outDir) || ".", f.path));
    for (const r of removed) console.error(`removed ${path.join(path.relative(process.cwd(), outDir) || ".", r)} (no longer rendered)`);
    return 0;
  }
  const files = all.filter((f) => /\/(chain|envoy)\.yaml$/.test(f.path));
  process.stdout.write(files.map((f) => f.content).join("---\n"));
  for (const p of all.filter((f) => f.path.endsWith("/workload-patch.yaml"))) {
    console.error(`note: the workload needs pod annotations (${p.path}); write it with --out`);
  }
  return 0;
}
