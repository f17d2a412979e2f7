// Module inspection done before instantiation, as cpp-host does on load: ABI version by export,
// required exports, and (our addition) a cap on memory growth so a runaway module fails alone.
import { PluginLoadError } from "./errors.ts";
import type { AbiVersion } from "./constants.ts";

export interface ModuleInfo { module: WebAssembly.Module; abi: AbiVersion; bytes: number }

export function inspectModule(module: WebAssembly.Module, size: number): ModuleInfo {
  const exports = WebAssembly.Module.exports(module);
  const fn = new Set(exports.filter((e) => e.kind === "function").map((e) => e.name));
  // cpp-host bytecode_util.cc: the newest matching version export wins.
  const abi: AbiVersion | undefined = fn.has("proxy_abi_version_0_2_1") ? "0.2.1"
    : fn.has("proxy_abi_version_0_2_0") ? "0.2.0"
    : fn.has("proxy_abi_version_0_1_0") ? "0.1.0" : undefined;
  if (!abi) throw new PluginLoadError("Missing or unknown Proxy-Wasm ABI version");
  if (abi === "0.1.0") throw new PluginLoadError("Proxy-Wasm ABI 0.1.0 modules are not supported by this host (0.2.0 and 0.2.1 are)");
  if (!exports.some((e) => e.kind === "memory" && e.name === "memory")) throw new PluginLoadError("Wasm module is missing the exported memory");
  if (!fn.has("malloc") && !fn.has("proxy_on_memory_allocate")) throw new PluginLoadError("Wasm module is missing malloc function.");
  return { module, abi, bytes: size };
}

function readLeb(b: Uint8Array, o: number): [number, number] {
  let result = 0, shift = 0, byte: number;
  do { byte = b[o++]!; result += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
  return [result, o];
}

function leb(n: number): number[] {
  const out: number[] = [];
  do { let byte = n & 0x7f; n = Math.floor(n / 128); if (n) byte |= 0x80; out.push(byte); } while (n);
  return out;
}

/**
 * Rewrites the memory section so memory.grow fails past `maxPages`. Envoy itself only has
 * V8's 4 GiB limit; the cap keeps a runaway module from exhausting the test process.
 */
export function capMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  if (bytes.length < 8) return bytes;
  let o = 8;
  while (o < bytes.length) {
    const id = bytes[o]!;
    const [size, body] = readLeb(bytes, o + 1);
    if (id === 5) {
      let p = body;
      const [count, afterCount] = readLeb(bytes, p); p = afterCount;
      const limits: number[] = [...leb(count)];
      for (let i = 0; i < count; i++) {
        const flag = bytes[p++]!;
        if (flag & ~1) return bytes; // shared or 64-bit memories: leave untouched
        const [min, q] = readLeb(bytes, p); p = q;
        let max = maxPages;
        if (flag & 1) { const [m, r] = readLeb(bytes, p); p = r; max = Math.min(m, maxPages); }
        max = Math.max(max, min);
        limits.push(1, ...leb(min), ...leb(max));
      }
      const section = [5, ...leb(limits.length), ...limits];
      const out = new Uint8Array(o + section.length + (bytes.length - (body + size)));
      out.set(bytes.subarray(0, o));
      out.set(section, o);
      out.set(bytes.subarray(body + size), o + section.length);
      return out;
    }
    o = body + size;
  }
  return bytes;
}
