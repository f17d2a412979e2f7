// `mesh-filters new <name>`: a filter folder that builds, passes its own tests
// and runs as generated, from the templates in scripts/new/template/. In a
// user's project it imports the installed package (`mesh-wasm-filters` for the
// layer, `mesh-wasm-filters/host` in its test); in this repository, the
// sources relatively.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RESERVED_FILE_NAMES } from "../../deploy/render.ts";
import { PACKAGE_NAME, PACKAGE_ROOT, PROJECT_FILE, type Project } from "./project.ts";

const TEMPLATE_DIR = path.join(PACKAGE_ROOT, "scripts", "new", "template");

/** Longest name such that `<name>-outbound` (a resource per direction) is still a DNS-1123 label (63). */
export const MAX_NAME_LENGTH = 63 - "-outbound".length;

/**
 * Why `name` cannot be a filter name, or undefined. The name becomes an OCI
 * repository path component, a Kubernetes resource name (with -inbound /
 * -outbound suffixes) and label value, and a file name: lower-case letters,
 * digits and single dashes, starting with a letter.
 */
export function filterNameProblem(name: string): string | undefined {
  if (!/^[a-z]([a-z0-9]|-(?=[a-z0-9]))*$/.test(name)) {
    return "use lower-case letters, digits and single dashes, starting with a letter and not ending with a dash " +
      "(it names an OCI repository, Kubernetes resources and files)";
  }
  if (name.length > MAX_NAME_LENGTH) return `at most ${MAX_NAME_LENGTH} characters (Kubernetes names of <name>-outbound must fit 63)`;
  if (RESERVED_FILE_NAMES.includes(name)) return `'${name}' is a file name manifests writes (${RESERVED_FILE_NAMES.join(", ")} are reserved)`;
  return undefined;
}

/** Why `id` cannot be a root id, or undefined: an identifier (it is also the Envoy vm_id of the plugin). */
export function rootIdProblem(id: string): string | undefined {
  if (!/^[a-z][a-z0-9_]*$/.test(id)) return "use lower-case letters, digits and underscores, starting with a letter";
  if (id.length > 256) return "at most 256 characters (WasmPlugin pluginName)";
  return undefined;
}

export interface ScaffoldResult {
  dir: string;
  files: string[];
  /** Set when this call made the folder a project (wrote mesh-filters.json). */
  createdProjectFile?: string;
  createdGitignore?: string;
}

const className = (name: string) => name.split("-").map((p) => p[0]!.toUpperCase() + p.slice(1)).join("").replace(/^(\d)/, "F$1");

function render(template: string, vars: Record<string, string>): string {
  let out = readFileSync(path.join(TEMPLATE_DIR, template), "utf8");
  for (const [k, v] of Object.entries(vars)) out = out.split(`__${k}__`).join(v);
  return out;
}

/**
 * Writes filters/<name>/ into `project` (or, with no project, makes `cwd` one by
 * writing mesh-filters.json). Refuses to overwrite anything.
 */
export function scaffoldFilter(opts: { name: string; rootId?: string; project?: Project; cwd?: string }): ScaffoldResult {
  const { name } = opts;
  const nameProblem = filterNameProblem(name);
  if (nameProblem) throw new Error(`invalid filter name '${name}': ${nameProblem}`);
  const rootId = opts.rootId ?? name.replace(/-/g, "_");
  const idProblem = rootIdProblem(rootId);
  if (idProblem) throw new Error(`invalid root id '${rootId}': ${idProblem}`);

  const root = opts.project?.root ?? path.resolve(opts.cwd ?? process.cwd());
  const dir = path.join(root, "filters", name);
  if (existsSync(dir)) throw new Error(`${path.relative(process.cwd(), dir) || dir} already exists; nothing was written (pick another name or remove it)`);

  const self = opts.project?.isPackage ?? false;
  const vars = {
    NAME: name,
    ROOT_ID: rootId,
    CLASS: className(name),
    LAYER: self ? "../../assembly" : PACKAGE_NAME,
    HOST: self ? "../../host/index.ts" : `${PACKAGE_NAME}/host`,
  };
  const files: [string, string][] = [
    ["index.ts", render("index.ts.template", vars)],
    ["config.schema.json", render("config.schema.json.template", vars)],
    ["example-config.json", render("example-config.json.template", vars)],
    ["deploy.json", render("deploy.json.template", vars)],
    ["robustness.json", render("robustness.json.template", vars)],
    ["README.md", render("README.md.template", vars)],
    [`${name}.test.ts`, render("filter.test.ts.template", vars)],
    ["requests.jsonl", render("requests.jsonl.template", vars)],
  ];
  const result: ScaffoldResult = { dir, files: files.map(([f]) => path.join(dir, f)) };
  if (!opts.project) {
    result.createdProjectFile = path.join(root, PROJECT_FILE);
    writeFileSync(result.createdProjectFile, JSON.stringify({ deploy: {} }, null, 2) + "\n");
    const gitignore = path.join(root, ".gitignore");
    if (!existsSync(gitignore)) {
      writeFileSync(gitignore, "node_modules/\nbuild/\ndist/\n.tools/\n");
      result.createdGitignore = gitignore;
    }
  }
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of files) writeFileSync(path.join(dir, file), content, { flag: "wx" });
  return result;
}
