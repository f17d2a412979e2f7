// `mesh-filters package`: build/filters.json -> dist/oci (OCI image layout).
import path from "node:path";
import { packageFilters } from "../../oci/index.ts";
import { parseVariant } from "../../oci/cli-args.ts";
import { findProject } from "../lib/project.ts";
import { parseCommandArgs } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters package [--variant wasm|compat|both] [--filter NAME]... [--filters build/filters.json] [--out dist/oci] [--root DIR]

Writes an OCI image layout with one tag per filter and variant: <name> (wasm
variant: runtime config + module, 2 layers) and <name>-compat (one tar+gzip
layer holding plugin.wasm). Reproducible: 'created' comes from SOURCE_DATE_EPOCH,
else the commit time of HEAD. Prints each tag's manifest digest.
The project is --root DIR, else the nearest folder upward with mesh-filters.json
(or a package.json "mesh-filters" field); paths are relative to it.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(HELP, {
    args: argv,
    options: {
      variant: { type: "string", default: "both" },
      filter: { type: "string", multiple: true },
      filters: { type: "string" },
      out: { type: "string" },
      root: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { root } = findProject({ root: values.root });
  const result = packageFilters({
    projectRoot: root,
    filtersJson: values.filters ? path.resolve(values.filters) : undefined,
    outDir: values.out ? path.resolve(values.out) : undefined,
    variants: parseVariant(values.variant),
    only: values.filter,
  });
  console.log(`OCI layout ${path.relative(process.cwd(), result.layoutDir) || "."} (created ${result.provenance.created}, version ${result.provenance.version})`);
  for (const a of result.artifacts) console.log(`  ${a.tag.padEnd(28)} ${a.manifestDigest}  ${a.variant}`);
  return 0;
}
