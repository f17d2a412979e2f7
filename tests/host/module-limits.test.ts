// A module is untrusted input to the host: it is checked before it is compiled
// (section bounds, import and memory declarations) and held to the host's caps,
// and every load error names the file. Before this, a shared or large initial
// memory got past maxMemoryPages, and a 15-byte module with a huge memory count
// cost seconds and gigabytes before an error that named nothing.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ProxyWasmHost, PluginLoadError } from "../../host/index.ts";
import { runCliBounded } from "../support/bounded-cli.ts";
import { wat } from "./wat.ts";
import { tempDir } from "../support/temp-dir.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dir = tempDir("mesh-module-limits");
const EXPORTS = `(func (export "malloc") (param i32) (result i32) (i32.const 1024)) (func (export "proxy_abi_version_0_2_1"))`;

function file(name: string, bytes: Uint8Array | string): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function loadError(host: ProxyWasmHost, module: string | Uint8Array, name?: string): Promise<PluginLoadError> {
  const err = await host.loadPlugin({ module, name }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PluginLoadError);
  return err as PluginLoadError;
}

describe("memory declarations are held to maxMemoryPages before anything is compiled", () => {
  test("a shared memory is refused (it would escape the cap), naming the file", async () => {
    const f = file("shared.wasm", await wat(`(module (memory (export "memory") 1 65536 shared) ${EXPORTS})`));
    const err = await loadError(new ProxyWasmHost({ maxMemoryPages: 64 }), f);
    expect(err.message).toBe(`${f}: memory 0 is shared (threads); Proxy-Wasm hosts give each VM its own unshared memory`);
  });

  test("an initial memory above the cap is refused, with both sizes", async () => {
    const f = file("big-initial.wasm", await wat(`(module (memory (export "memory") 65) ${EXPORTS})`));
    const err = await loadError(new ProxyWasmHost({ maxMemoryPages: 64 }), f);
    expect(err.message).toBe(`${f}: memory 0 starts at 65 pages (4.1 MiB), above the host's cap of 64 pages (4 MiB, maxMemoryPages)`);
    // A maximum above the cap is lowered to the cap (growth stops there), not refused: it is how most toolchains declare memory.
    const g = file("big-max.wasm", await wat(`(module (memory (export "memory") 1 65536) ${EXPORTS})`));
    expect((await new ProxyWasmHost({ maxMemoryPages: 64 }).loadPlugin({ module: g })).memoryPages()).toBe(1);
  });

  test("an imported memory is refused, naming the import", async () => {
    const f = file("imported.wasm", await wat(`(module (import "env" "memory" (memory 1 10 shared)) (export "memory" (memory 0)) ${EXPORTS})`));
    const err = await loadError(new ProxyWasmHost(), f);
    expect(err.message).toBe(`${f}: imports its memory (env.memory); Envoy provides none, a Proxy-Wasm module defines and exports its own`);
  });
});

describe("malformed and oversized modules fail fast, naming the file", () => {
  // magic, version, then a memory section (id 5, 5 bytes) holding only a count of 2^32-1.
  const FIFTEEN = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f]);

  test("a 15-byte module claiming 4 billion memories: refused at once, small (CLI, guarded child)", async () => {
    const f = file("fifteen.wasm", FIFTEEN);
    const reqs = file("one.jsonl", JSON.stringify({ request: { headers: [] } }) + "\n");
    const r = await runCliBounded(["run", "--plugin", f, "--requests", reqs], { cwd: ROOT, maxRssMiB: 1024 });
    expect(r.killed, `guard stopped the CLI (${r.killed}) after ${r.ms} ms at ${Math.round(r.peakRssMiB)} MiB`).toBeUndefined();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}: memory section declares 4294967295 memories in 5 bytes`);
    expect(r.peakRssMiB).toBeLessThan(320);
  });

  test("the same through the API, and other malformed headers and sections", async () => {
    const host = new ProxyWasmHost();
    expect((await loadError(host, FIFTEEN, "tiny")).message).toMatch(/^Wasm module 'tiny' \(15 bytes\): memory section declares 4294967295 memories/);
    const text = file("notes.txt", "this is not wasm\n");
    expect((await loadError(host, text)).message).toBe(`${text}: not a Wasm module (no \\0asm magic)`);
    const cut = file("cut.wasm", Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x80, 0x80, 0x04]));
    expect((await loadError(host, cut)).message).toBe(`${cut}: section 1 at offset 8 claims 65536 bytes, past the end of the module (12 bytes)`);
    const leb = file("leb.wasm", Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect((await loadError(host, leb)).message).toMatch(new RegExp(`^${leb.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: malformed LEB128 at offset 9`));
  });

  test("a module larger than maxModuleBytes is refused before it is read", async () => {
    const f = file("large.wasm", await wat(`(module (memory (export "memory") 1) ${EXPORTS} (data (i32.const 0) "${"x".repeat(4096)}"))`));
    const err = await loadError(new ProxyWasmHost({ maxModuleBytes: 1024 }), f);
    expect(err.message).toMatch(new RegExp(`: \\d{4} bytes, above the host's cap of 1024 bytes \\(maxModuleBytes\\)$`));
    expect(err.message.startsWith(f)).toBe(true);
  });

  test("a FIFO given as the module is refused instead of waiting for a writer (CLI, guarded child)", async () => {
    const fifo = path.join(dir, "pipe.wasm");
    execFileSync("mkfifo", [fifo]);
    const reqs = file("two.jsonl", JSON.stringify({ request: { headers: [] } }) + "\n");
    const r = await runCliBounded(["run", "--plugin", fifo, "--requests", reqs], { cwd: ROOT });
    expect(r.killed, `guard stopped the CLI (${r.killed}) after ${r.ms} ms`).toBeUndefined();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${fifo}: a FIFO, not a regular file`);
  });

  test("errors after compiling name the file too (missing import, configuration rejected)", async () => {
    const f = file("abort.wasm", await wat(`(module (import "env" "abort" (func (param i32 i32 i32 i32))) (memory (export "memory") 1) ${EXPORTS})`));
    const err = await loadError(new ProxyWasmHost(), f);
    expect(err.message).toBe(`${f}: Failed to load Wasm module due to a missing import: env.abort`);
    const g = file("reject.wasm", await wat(`(module (memory (export "memory") 1) ${EXPORTS} (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 0)))`));
    expect((await loadError(new ProxyWasmHost(), g)).message).toBe(`${g}: Plugin reject: proxy_on_configure returned false (configuration rejected)`);
  });
});
