// `npm run build:js` (and prepack): compiles the Node code (scripts, host,
// engine, oci, deploy, tools) to lib/ with type declarations, then copies the
// files the compiled code reads next to itself. lib/ is git-ignored; the
// checkout runs from source (bin/mesh-filters.js uses tsx there).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const lib = path.join(root, "lib");

// Files read at run time relative to the module that reads them (new URL(..., import.meta.url)).
const ASSETS = ["deploy/schemas", "tools/envoy-wasm-probe.wat"];

rmSync(lib, { recursive: true, force: true }); // no stale module survives a rename
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// Everything to stderr: `npm pack --json` prints its result on stdout.
execFileSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { stdio: ["ignore", 2, 2], cwd: root });
for (const asset of ASSETS) {
  const from = path.join(root, asset);
  if (!existsSync(from)) throw new Error(`build:js: ${asset} is missing`);
  cpSync(from, path.join(lib, asset), { recursive: true });
}
console.error(`build:js: wrote ${path.relative(process.cwd(), lib) || "lib"}/`);
