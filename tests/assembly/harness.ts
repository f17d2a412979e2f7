// Loads AssemblyScript test fixtures (compiled in-process with asc 0.17) and
// moves bytes in and out of their memory. Any `abort` from AssemblyScript
// (assert, throw, bounds check) surfaces as an AsAbort error, and a wasm trap
// as WebAssembly.RuntimeError, so `expect(...).not.toThrow()` catches both.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileAssemblyScript } from "../../scripts/lib/asc.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

export class AsAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AsAbort";
  }
}

export interface Fixture {
  exports: Record<string, any>;
  memory: WebAssembly.Memory;
  /** Copies bytes into fresh wasm memory; returns [ptr, len]. */
  put(bytes: Uint8Array | string): [number, number];
  /** Frees what `put` allocated. */
  free(ptr: number): void;
  /** Calls export `fn` with `bytes` as (ptr, len, ...rest), then frees the input. */
  call(fn: string, bytes: Uint8Array | string, ...rest: number[]): number;
  outBytes(): Uint8Array;
  outString(): string;
}

const moduleCache = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Compiles and instantiates tests/assembly/fixtures/<name>.ts. Debug build by
 * default; `optimize: true` (or AS_TEST_OPTIMIZE=1 for every suite) uses the
 * release flags filters ship with (-O3z, --noAssert).
 */
export async function loadFixture(name: string, opts: { optimize?: boolean } = {}): Promise<Fixture> {
  const entry = path.join(here, "fixtures", `${name}.ts`);
  const optimize = opts.optimize ?? process.env.AS_TEST_OPTIMIZE === "1";
  const cacheKey = `${entry}:${optimize}`;
  let modPromise = moduleCache.get(cacheKey);
  if (!modPromise) {
    modPromise = compileAssemblyScript(entry, { optimize }).then((bin) => WebAssembly.compile(bin as Uint8Array<ArrayBuffer>));
    moduleCache.set(cacheKey, modPromise);
  }
  const mod = await modPromise;
  let memory: WebAssembly.Memory | undefined;
  const readAsString = (ptr: number): string => {
    if (!ptr || !memory) return "";
    const u32 = new Uint32Array(memory.buffer);
    const byteLen = u32[(ptr - 4) >>> 2];
    return Buffer.from(memory.buffer, ptr, byteLen).toString("utf16le");
  };
  const imports: WebAssembly.Imports = {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        throw new AsAbort(`abort: ${readAsString(msg)} at ${readAsString(file)}:${line}:${col}`);
      },
      trace(msg: number) {
        throw new AsAbort(`unexpected trace: ${readAsString(msg)}`);
      },
      seed() {
        return 42;
      },
    },
  };
  for (const imp of WebAssembly.Module.imports(mod)) {
    if (imp.module !== "env" || !(imp.name in (imports.env as object))) {
      throw new Error(`fixture ${name} imports ${imp.module}.${imp.name}, which the harness does not provide`);
    }
  }
  const instance = await WebAssembly.instantiate(mod, imports);
  const exports = instance.exports as Record<string, any>;
  memory = exports.memory as WebAssembly.Memory;
  const enc = new TextEncoder();
  const fx: Fixture = {
    exports,
    memory,
    put(bytes) {
      const data = typeof bytes === "string" ? enc.encode(bytes) : bytes;
      const ptr = exports.alloc(Math.max(1, data.length)) >>> 0;
      new Uint8Array(memory!.buffer, ptr, data.length).set(data);
      return [ptr, data.length];
    },
    free(ptr) {
      exports.free(ptr);
    },
    call(fn, bytes, ...rest) {
      const [ptr, len] = fx.put(bytes);
      try {
        return exports[fn](ptr, len, ...rest);
      } finally {
        exports.free(ptr);
      }
    },
    outBytes() {
      const ptr = exports.outPtr() >>> 0;
      const len = exports.outLen();
      return new Uint8Array(memory!.buffer.slice(ptr, ptr + len));
    },
    outString() {
      return new TextDecoder().decode(fx.outBytes());
    },
  };
  return fx;
}

/** Small deterministic PRNG for fuzz loops. */
export { mulberry32 as rng } from "../support/mulberry32.ts";

export function randomBytes(next: () => number, maxLen: number, alphabet?: Uint8Array): Uint8Array {
  const len = Math.floor(next() * (maxLen + 1));
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = alphabet ? alphabet[Math.floor(next() * alphabet.length)] : Math.floor(next() * 256);
  }
  return out;
}
