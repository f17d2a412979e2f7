// `mesh-filters <command> [options]`: one entry point, one module per command
// under scripts/commands/, each exporting `run(argv)` that returns the exit
// code. The one-line summaries live here, so --help loads no command module.
import { readFileSync } from "node:fs";
import path from "node:path";
import { didYouMean, UsageError } from "./lib/usage.ts";
import { PACKAGE_ROOT } from "./lib/project.ts";

export interface Command {
  run(argv: string[]): Promise<number>;
}

interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  new: { summary: "scaffold filters/<name>/ in your project: filter, schema, example config, deploy profile, test, sample requests", load: () => import("./commands/new.ts") },
  build: { summary: "compile every filter to build/<name>.wasm, validate and ABI-check it, write build/filters.json", load: () => import("./commands/build.ts") },
  package: { summary: "package built filters as OCI artifacts (wasm and compat variants) into dist/oci", load: () => import("./commands/package.ts") },
  push: { summary: "push every filter (wasm and compat variants) to an OCI registry with ORAS or skopeo", load: () => import("./commands/push.ts") },
  verify: { summary: "check an artifact in a registry or layout against Istio's rules, build/filters.json and the ABI surface", load: () => import("./commands/verify.ts") },
  manifests: { summary: "render Istio WasmPlugin/EnvoyFilter, ASM ASMFilterDeployment and plain-Envoy manifests for the filters", load: () => import("./commands/manifests.ts") },
  run: { summary: "run JSON Lines requests through a chain of Wasm plugins, in the Envoy-faithful host or in real Envoy", load: () => import("./commands/run.ts") },
  bench: { summary: "benchmark per-request cost and memory of the references and every built filter", load: () => import("./commands/bench.ts") },
  demo: { summary: "the whole pipeline: build, package, load from OCI, run a two-sidecar mesh, print metrics and manifests", load: () => import("./commands/demo.ts") },
  setup: { summary: "install the pinned Envoy and ORAS into .tools/ and the Debian packages the tests use, where missing", load: () => import("./commands/setup.ts") },
  doctor: { summary: "which external tools (Envoy, ORAS, registry, skopeo, ...) are found, their versions, and whether Envoy runs Wasm", load: () => import("./commands/doctor.ts") },
};

export function usage(): string {
  const lines = ["Usage: mesh-filters <command> [options]", "", "Commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push(
    "",
    "Every command works on the project around the working directory: the nearest folder",
    "upward with mesh-filters.json (or a package.json \"mesh-filters\" field), or --root DIR.",
    "Run `mesh-filters <command> --help` for the options of a command; --version prints the version.",
  );
  return lines.join("\n");
}

function version(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(usage());
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    console.log(version());
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const what = name.startsWith("-") ? "option" : "command";
    console.error(`mesh-filters: unknown ${what} '${name}'.${didYouMean(name, Object.keys(COMMANDS))}\n\n${usage()}`);
    return 2;
  }
  const cmd = await entry.load();
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`mesh-filters ${name}: ${err.message}${err.usage ? `\n\n${err.usage}` : ""}`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    console.error(`mesh-filters ${name}: ${message}`);
    if (process.env.MESH_FILTERS_DEBUG && err instanceof Error) console.error(err.stack);
    return 1;
  }
}
