// In-process AssemblyScript 0.17 compiler wrapper: one place that knows the
// flags every module of ours is built with.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

interface AscModule {
  ready: Promise<void>;
  main(
    argv: string[],
    options: {
      stdout: { write(s: string): void };
      stderr: { write(s: string): void };
      writeFile(name: string, contents: Uint8Array | string, baseDir: string): void;
    },
    callback: (err: Error | null) => number,
  ): number;
}

export interface CompileOptions {
  /**
   * Release build when true: -O3s (optimize for speed, shrink moderately; full
   * -O3 inlining made filters ~60% larger, past the 32 KiB budget, for a
   * per-request gain that only shows on a do-nothing filter), no names.
   * Debug build with names otherwise.
   */
  optimize: boolean;
  /**
   * AS runtime. proxy-runtime needs "full" (its malloc imports rt/index-full);
   * our layer allocates host buffers with heap.alloc, which every runtime has.
   */
  runtime?: "full" | "half" | "stub";
  /** Extra `--use` aliases, e.g. "abort=assembly/abort/abortProcExit". */
  use?: readonly string[];
  /** Extra raw asc flags. */
  extraFlags?: readonly string[];
}

export class CompileError extends Error {
  constructor(entry: string, readonly diagnostics: string) {
    super(`AssemblyScript compilation of ${entry} failed:\n${diagnostics}`);
    this.name = "CompileError";
  }
}

let ascPromise: Promise<AscModule> | undefined;
function loadAsc(): Promise<AscModule> {
  ascPromise ??= (async () => {
    const asc = require("assemblyscript/cli/asc") as AscModule;
    await asc.ready;
    return asc;
  })();
  return ascPromise;
}

const OUT = "module.wasm";

/** The asc command line for one entry (relative to the working directory). */
export function ascArgv(entry: string, opts: CompileOptions): string[] {
  const argv = [
    path.relative(process.cwd(), entry) || entry,
    "--binaryFile", OUT,
    "--runtime", opts.runtime ?? "half",
    "--noColors",
  ];
  for (const use of opts.use ?? []) argv.push("--use", use);
  if (opts.optimize) argv.push("-O3s", "--noAssert");
  else argv.push("--debug");
  argv.push(...(opts.extraFlags ?? []));
  return argv;
}

/** Runs asc in this thread; throws CompileError with its diagnostics. */
export async function runAsc(entry: string, argv: string[]): Promise<Uint8Array> {
  const asc = await loadAsc();
  let binary: Uint8Array | undefined;
  let diagnostics = "";
  const sink = { write: (s: string) => { diagnostics += s; } };
  let failure: Error | null = null;
  asc.main(argv, {
    stdout: sink,
    stderr: sink,
    writeFile(name, contents) {
      if (path.basename(name) === OUT && typeof contents !== "string") binary = new Uint8Array(contents);
    },
  }, (err) => { failure = err; return err ? 1 : 0; });
  const err = failure as Error | null;
  if (err || !binary) throw new CompileError(entry, err ? `${diagnostics}\n${err.message}` : diagnostics);
  return binary;
}

/** Compiles one AssemblyScript entry file to a wasm binary. */
export async function compileAssemblyScript(entry: string, opts: CompileOptions): Promise<Uint8Array> {
  return runAsc(entry, ascArgv(entry, opts));
}
