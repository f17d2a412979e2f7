// Stand-ins for the external programs setup and doctor run (pip, go,
// apt-get, sudo, envoy, ...): small Node scripts with an absolute shebang, so
// a test can give setup a PATH holding nothing but them.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROBE_MARKER } from "../../../tools/envoy-wasm-check.ts";
import { tempDir } from "../../support/temp-dir.ts";

export { tempDir };

/** Writes an executable Node script `dir/name` running `body` (CommonJS; `argv` holds the arguments). */
export function fakeProgram(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, `#!${process.execPath}\nconst fs = require("fs"), path = require("path");\nconst argv = process.argv.slice(2);\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Appends one JSON line per call to `log`: argv and the env variables named. */
export function recordCall(log: string, envNames: string[] = []): string {
  return `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv, env: Object.fromEntries(${JSON.stringify(envNames)}.map((n) => [n, process.env[n] ?? null])) }) + "\\n");`;
}

export function calls(log: string): { argv: string[]; env: Record<string, string | null> }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** A fake tool that prints `versionLine` for any version flag. */
export function fakeVersioned(dir: string, name: string, versionLine: string): string {
  return fakeProgram(dir, name, `console.log(${JSON.stringify(versionLine)});`);
}

export function envoyVersionLine(version: string): string {
  return `\nenvoy  version: ${"9".repeat(40)}/${version}/Clean/RELEASE/BoringSSL\n`;
}

/**
 * The whole source of an Envoy stand-in: `--version`, and `--mode validate`
 * answered as a build with V8 (the probe's log line) or without it (Envoy's
 * words for that, exit 1).
 */
export function fakeEnvoyScript(version: string, opts: { wasm?: boolean } = {}): string {
  return `#!${process.execPath}
const argv = process.argv.slice(2);
if (argv[0] === "--version") { console.log(${JSON.stringify(envoyVersionLine(version))}); process.exit(0); }
if (argv.includes("validate")) {
  if (${opts.wasm !== false}) { console.log("[info][wasm] wasm log wasm_probe: " + ${JSON.stringify(PROBE_MARKER)}); process.exit(0); }
  console.error("[2026-12-06 11:00:00.000][1][warning][wasm] [source/extensions/common/wasm/wasm_vm.cc:49] Failed to create Wasm VM using envoy.wasm.runtime.v8 runtime. Envoy was compiled without support for it");
  process.exit(1);
}
process.exit(2);
`;
}

export function fakeEnvoy(dir: string, version: string, opts: { wasm?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "envoy");
  writeFileSync(file, fakeEnvoyScript(version, opts));
  chmodSync(file, 0o755);
  return file;
}

/** The real Python interpreter, behind a `python3` wrapper in a folder of its own (setup extracts the wheel with it). */
export function pythonOnlyDir(): string {
  const real = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
  const dir = tempDir("python-only");
  writeFileSync(path.join(dir, "python3"), `#!/bin/sh\nexec ${JSON.stringify(real)} "$@"\n`);
  chmodSync(path.join(dir, "python3"), 0o755);
  return dir;
}

/** A zip (wheel) holding `files` (name -> content), written with Python's zipfile. */
export function makeZip(file: string, files: Record<string, string>): string {
  const script = "import json,sys,zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    for n, c in json.loads(sys.argv[2]).items(): z.writestr(n, c)\n";
  execFileSync("python3", ["-c", script, file, JSON.stringify(files)]);
  return file;
}
