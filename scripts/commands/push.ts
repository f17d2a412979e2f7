// `mesh-filters push`: package, then copy every artifact to the registry with
// ORAS (or skopeo), confirm each digest, record dist/pushed.json.
import path from "node:path";
import { pushFilters, PushError, type PushTool } from "../../oci/index.ts";
import { credentialsFromFlags, parseVariant } from "../../oci/cli-args.ts";
import { findProject } from "../lib/project.ts";
import { parseCommandArgs, UsageError } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters push --registry HOST[:PORT]/NAMESPACE [--tag T] [--variant wasm|compat|both]
                         [--plain-http] [--username U --password-stdin] [--dry-run]
                         [--tool oras|skopeo] [--filter NAME]... [--filters build/filters.json] [--root DIR]

Each filter goes to its own repository: <registry>/<name>:<tag> (wasm variant)
and <registry>/<name>:<tag>-compat (compat variant); the tag defaults to the
package.json version. Uses 'oras cp --from-oci-layout' when oras is found
(ORAS_BIN, PATH, or .tools/bin from \`npm run setup\`), else 'skopeo copy'.
Credentials: the usual docker config.json / containers auth.json, or
--username with the password on stdin (never on a command line).
Prints each reference with its manifest digest (the sha256 Istio's WasmPlugin
wants) and writes dist/pushed.json once every push is confirmed.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(HELP, {
    args: argv,
    options: {
      registry: { type: "string" },
      tag: { type: "string" },
      variant: { type: "string", default: "both" },
      "plain-http": { type: "boolean", default: false },
      username: { type: "string", short: "u" },
      "password-stdin": { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      tool: { type: "string" },
      filter: { type: "string", multiple: true },
      filters: { type: "string" },
      root: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.registry) throw new UsageError("--registry is required", HELP);
  if (values.tool !== undefined && values.tool !== "oras" && values.tool !== "skopeo") throw new UsageError(`--tool must be oras or skopeo`, HELP);
  const credentials = await credentialsFromFlags(values.username, values["password-stdin"]);
  try {
    const result = await pushFilters({
      projectRoot: findProject({ root: values.root }).root,
      filtersJson: values.filters ? path.resolve(values.filters) : undefined,
      registry: values.registry,
      tag: values.tag,
      variants: parseVariant(values.variant),
      only: values.filter,
      plainHttp: values["plain-http"],
      credentials,
      dryRun: values["dry-run"],
      tool: values.tool as PushTool | undefined,
    });
    if (!values["dry-run"]) console.log(`recorded ${result.artifacts.length} artifact(s) in ${path.relative(process.cwd(), result.pushedJson!)}`);
    return 0;
  } catch (err) {
    if (err instanceof PushError) {
      console.error(`mesh-filters push: FAILED: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
