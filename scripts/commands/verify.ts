// `mesh-filters verify <reference | oci:layout:tag>`: would Istio accept this
// artifact, and is it the module we built? Non-zero exit when not.
import path from "node:path";
import { formatReport, verifyArtifact } from "../../oci/index.ts";
import { checkAbiSurface } from "../lib/abi-surface.ts";
import { credentialsFromFlags } from "../../oci/cli-args.ts";
import { findProjectIfAny } from "../lib/project.ts";
import { parseCommandArgs, UsageError } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters verify <HOST[:PORT]/REPO:TAG | HOST/REPO@sha256:... | oci:DIR:TAG | DIR:TAG>
                           [--plain-http] [--username U --password-stdin] [--filters build/filters.json]
                           [--pushed dist/pushed.json] [--root DIR]

Fetches the manifest and every blob (checking digests and sizes, within the
read limits), applies Istio's image-fetcher rules (Docker or OCI image whose
last layer is tar+gzip holding plugin.wasm; or exactly two layers, one of them
the Wasm module type), checks the \\0asm magic, that the artifact is the
filter the reference names (its last path component, or the layout tag), the
module's sha256 against that filter in build/filters.json, the digests
recorded in dist/pushed.json (when it exists) and the Proxy-Wasm ABI surface.

Exit 0: OK, deployable and the module we built. Exit 1: a check failed.
Exit 3: UNVERIFIED, Istio would accept it but build/filters.json is missing,
so nothing says it is our module (with CI=true this is a failure, exit 1).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(HELP, {
    args: argv,
    options: {
      "plain-http": { type: "boolean", default: false },
      username: { type: "string", short: "u" },
      "password-stdin": { type: "boolean", default: false },
      filters: { type: "string" },
      pushed: { type: "string" },
      root: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("expected exactly one artifact reference", HELP);
  // Outside a project there is no build to compare with: UNVERIFIED at best.
  const root = findProjectIfAny({ root: values.root })?.root ?? process.cwd();
  const report = await verifyArtifact(positionals[0]!, {
    plainHttp: values["plain-http"],
    credentials: await credentialsFromFlags(values.username, values["password-stdin"]),
    filtersJson: path.resolve(root, values.filters ?? "build/filters.json"),
    pushedJson: path.resolve(root, values.pushed ?? "dist/pushed.json"),
    abiCheck: checkAbiSurface,
  });
  const verified = report.ok && report.verified;
  (verified ? console.log : console.error)(formatReport(report));
  return verified ? 0 : report.ok ? 3 : 1;
}
