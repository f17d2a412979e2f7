// `mesh-filters new <name>`: scaffold filters/<name>/ in the project (making
// the working directory a project when there is none).
import path from "node:path";
import { findProjectIfAny, PROJECT_FILE } from "../lib/project.ts";
import { scaffoldFilter } from "../lib/scaffold.ts";
import { parseCommandArgs, UsageError } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters new <name> [--root-id ID] [--root DIR]

Writes filters/<name>/ into the project (the nearest folder upward with
${PROJECT_FILE} or a package.json "mesh-filters" field, or --root DIR; with
neither, the working directory becomes one: ${PROJECT_FILE} is written there):
  index.ts             the filter, on the mesh-wasm-filters layer
  config.schema.json   its configuration schema; example-config.json an example
  deploy.json          how it deploys: directions, phase, priority, fail strategy, root id
  robustness.json      the local replies it documents (what the fuzz and soak suites allow)
  README.md            its documentation
  <name>.test.ts       vitest tests running it in the Envoy-faithful host
  requests.jsonl       sample requests for \`mesh-filters run\`
All of it builds, passes and runs as generated. Nothing is overwritten: an
existing filters/<name>/ is an error.

<name>: lower-case letters, digits and single dashes, starting with a letter
(it names the OCI repository, the Kubernetes resources and the files).
--root-id: the root id the filter registers (default: <name> with '_' for '-').`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(HELP, {
    args: argv,
    allowPositionals: true,
    options: {
      "root-id": { type: "string" },
      root: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one name, got ${positionals.join(" ")}` : "the filter's name is required", HELP);
  const name = positionals[0]!;
  const project = findProjectIfAny({ root: values.root });
  const r = scaffoldFilter({ name, rootId: values["root-id"], project });
  const rel = (p: string) => path.relative(process.cwd(), p) || ".";
  if (r.createdProjectFile) console.log(`created ${rel(r.createdProjectFile)} (this folder is now a mesh-filters project)`);
  if (r.createdGitignore) console.log(`created ${rel(r.createdGitignore)}`);
  for (const f of r.files) console.log(`created ${rel(f)}`);
  const dir = rel(r.dir);
  console.log(`
Next:
  npx mesh-filters build --filter ${name}
  npx vitest run ${dir}                       # needs vitest: npm install -D vitest
  npx mesh-filters run --plugin build/${name}.wasm --root-id ${values["root-id"] ?? name.replace(/-/g, "_")} \\
      --config ${dir}/example-config.json --requests ${dir}/requests.jsonl`);
  return 0;
}
