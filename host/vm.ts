// One instantiated module: its memory, its exports, the contexts it knows and the call wrapper
// that turns a trap into a failed VM (cpp-host marks the VM failed and stops calling it).
import { WasmResult, type AbiVersion } from "./constants.ts";
import { MemoryFault, PluginLoadError, type TrapRecord } from "./errors.ts";
import { enc, isAscii } from "./bytes.ts";
import { BytesAtCache, MAX_CACHED_RANGE } from "./bytes-at-cache.ts";
import { buildImports } from "./imports.ts";
import type { AnyContext, RootContext } from "./contexts.ts";
import type { HostServices } from "./services.ts";
import type { HeaderMap } from "./headers.ts";
import type { PluginInfo } from "./plugin-info.ts";

type Fn = (...args: number[]) => number;

export interface VmOptions {
  module: WebAssembly.Module;
  abi: AbiVersion;
  vmId: string;
  vmConfiguration: Uint8Array;
  env: Record<string, string>;
  worker: number;
  services: HostServices;
  maxMemoryPages: number;
}

/** Data a callback may read through maps/buffers that belong to the VM rather than a stream. */
export interface CallResponse {
  headers: HeaderMap | null; trailers: HeaderMap | null; body: Uint8Array | null;
}

export class Vm {
  readonly abi: AbiVersion;
  readonly vmId: string;
  readonly vmConfiguration: Uint8Array;
  readonly env: Record<string, string>;
  readonly worker: number;
  readonly services: HostServices;
  readonly maxMemoryPages: number;
  readonly contexts = new Map<number, AnyContext>();
  /** Contexts of a FastDriver run in progress (kept out of `contexts` to avoid per-request Map churn). */
  fastContexts: AnyContext[] | null = null;
  readonly roots = new Map<PluginInfo, RootContext>();
  private nextContextId = 1;
  private instance!: WebAssembly.Instance;
  memory!: WebAssembly.Memory;
  ex!: Record<string, Fn | undefined>;
  private mallocFn!: Fn;
  private u8 = new Uint8Array(0);
  /** The same memory as a Buffer, for Node's native UTF-8 decoding. */
  private buf = Buffer.alloc(0);
  private dv = new DataView(new ArrayBuffer(0));
  /** The context whose callback is running, and the one host calls act on (set_effective_context). */
  current: AnyContext | null = null;
  effective: AnyContext | null = null;
  failed = false;
  failure: TrapRecord | null = null;
  /** Set during proxy_on_http_call_response / grpc callbacks (envoy keeps it on the root context). */
  callResponse: CallResponse | null = null;
  status: { code: number; message: string } = { code: 0, message: "" };
  /** Logs emitted while loading, for PluginLoadError. */
  loadLogs: { level: string; message: string }[] | null = [];
  nextHttpToken = 1;
  nextGrpcToken = 1;

  constructor(opts: VmOptions) {
    this.abi = opts.abi;
    this.vmId = opts.vmId;
    this.vmConfiguration = opts.vmConfiguration;
    this.env = opts.env;
    this.worker = opts.worker;
    this.services = opts.services;
    this.maxMemoryPages = opts.maxMemoryPages;
    const imports = buildImports(this);
    // cpp-host links every import before running anything; report the first missing one as Envoy does.
    for (const imp of WebAssembly.Module.imports(opts.module)) {
      const ns = (imports as Record<string, Record<string, unknown>>)[imp.module];
      if (!ns || !(imp.name in ns) || imp.kind !== "function") {
        throw new PluginLoadError(`Failed to load Wasm module due to a missing import: ${imp.module}.${imp.name}`);
      }
    }
    this.instance = new WebAssembly.Instance(opts.module, imports as WebAssembly.Imports);
    this.ex = this.instance.exports as unknown as Record<string, Fn | undefined>;
    this.memory = this.instance.exports.memory as WebAssembly.Memory;
    this.mallocFn = (this.ex.malloc ?? this.ex.proxy_on_memory_allocate)!;
    this.refresh();
  }

  allocContextId(): number { return this.nextContextId++; }

  context(id: number): AnyContext | undefined {
    const c = this.contexts.get(id);
    if (c || !this.fastContexts) return c;
    return this.fastContexts.find((x) => x.id === id);
  }

  pages(): number { return this.memory.buffer.byteLength / 65536; }

  // --- memory -------------------------------------------------------------------------------

  private refresh(): void {
    // memory.grow detaches the old buffer (length 0), which is cheaper to test than memory.buffer.
    if (this.u8.length === 0) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.buf = Buffer.from(this.memory.buffer);
      this.dv = new DataView(this.memory.buffer);
    }
  }

  private check(ptr: number, len: number): void {
    this.refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.u8.length) throw new MemoryFault(ptr, len, this.u8.length);
  }

  /** Whether [ptr, ptr + len) lies in module memory (unsigned arguments). */
  inBounds(ptr: number, len: number): boolean {
    this.refresh();
    return ptr + len <= this.u8.length;
  }

  /** A view into module memory; valid until the next call into the module. */
  view(ptr: number, len: number): Uint8Array {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    return this.u8.subarray(ptr, ptr + len);
  }

  /**
   * A copy of module memory. Small copies come out of Node's buffer pool:
   * a fresh Uint8Array of more than 64 bytes costs an off-heap allocation,
   * and TypedArray#slice a slow species lookup on top.
   */
  bytes(ptr: number, len: number): Uint8Array {
    const src = this.view(ptr, len);
    const out = Buffer.allocUnsafe(src.length);
    out.set(src);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  /**
   * Module bytes as a string, decoded as UTF-8 (invalid sequences become U+FFFD, exactly as
   * TextDecoder does) natively, without a view object. Long values a module sends again and again
   * from a buffer it keeps (metadata-exchange's ~1 KB header) are decoded once while unchanged.
   */
  str(ptr: number, len: number): string {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    if (len < 256 || len >= MAX_CACHED_RANGE) return this.text(ptr, len);
    return this.longStrings.get(this, ptr, len, textAt);
  }

  /** str() for short, repeated strings such as header names, decoded once per place. */
  name(ptr: number, len: number): string {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    if (len > 64) return this.text(ptr, len);
    return this.names.get(this, ptr, len, textAt);
  }

  private names = new BytesAtCache<string>(4096);
  private longStrings = new BytesAtCache<string>(64);

  /** UTF-8 text of a range already checked. */
  text(ptr: number, len: number): string { return this.buf.toString("utf8", ptr, ptr + len); }

  /** A copy of a range already checked, as a Buffer (for comparisons). */
  copyOut(ptr: number, len: number): Buffer { return Buffer.from(this.u8.subarray(ptr, ptr + len)); }

  /** Whether the `len` bytes at `ptr` are exactly `bytes` (bounds checked). */
  holds(ptr: number, len: number, bytes: Uint8Array): boolean {
    ptr >>>= 0; len >>>= 0;
    if (len !== bytes.length) return false;
    this.check(ptr, len);
    return this.equalsAt(ptr, bytes);
  }

  /**
   * Whether module memory at `ptr` holds exactly `bytes` (the range must be checked already):
   * short ones compared in a loop, longer ones natively.
   */
  equalsAt(ptr: number, bytes: Uint8Array): boolean {
    const n = bytes.length;
    if (n > 64) return this.buf.compare(bytes, 0, n, ptr, ptr + n) === 0;
    const u8 = this.u8;
    for (let i = 0; i < n; i++) if (u8[ptr + i] !== bytes[i]) return false;
    return true;
  }

  setU32(ptr: number, v: number): void {
    ptr >>>= 0;
    this.check(ptr, 4);
    this.dv.setUint32(ptr, v >>> 0, true);
  }

  setU64(ptr: number, v: bigint): void {
    ptr >>>= 0;
    this.check(ptr, 8);
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }

  /** malloc in the module and copy `data` there (cpp-host allocMemory). */
  alloc(data: Uint8Array): number {
    const ptr = this.mallocFn(data.length) >>> 0;
    this.check(ptr, data.length);
    if (ptr === 0 && data.length > 0) throw new MemoryFault(0, data.length, this.u8.length);
    this.u8.set(data, ptr);
    return ptr;
  }

  /** cpp-host copyToPointerSize: empty data yields (0, 0) without calling malloc. */
  returnBytes(data: Uint8Array | string, ptrPtr: number, sizePtr: number): WasmResult {
    if (typeof data === "string") {
      // Strings (header values, ids) are encoded straight into module memory: short ASCII ones
      // byte by byte, other ASCII ones as Latin-1 (a UTF-8 length equal to the string length
      // means every character is ASCII), the rest with the UTF-8 encoder.
      const n = data.length <= 32 && isAscii(data) ? data.length : Buffer.byteLength(data, "utf8");
      const ptr = n ? this.mallocFn(n) >>> 0 : 0;
      if (n) {
        this.check(ptr, n);
        if (ptr === 0) throw new MemoryFault(0, n, this.u8.length);
        if (n === data.length && n <= 32) {
          const u8 = this.u8;
          for (let i = 0; i < n; i++) u8[ptr + i] = data.charCodeAt(i);
        } else if (n === data.length) {
          this.buf.write(data, ptr, n, "latin1");
        } else {
          enc.encodeInto(data, this.u8.subarray(ptr, ptr + n));
        }
      }
      this.setU32(ptrPtr, ptr);
      this.setU32(sizePtr, n);
      return WasmResult.Ok;
    }
    const ptr = data.length ? this.alloc(data) : 0;
    this.setU32(ptrPtr, ptr);
    this.setU32(sizePtr, data.length);
    return WasmResult.Ok;
  }

  // --- calls into the module ----------------------------------------------------------------

  has(name: string): boolean { return typeof this.ex[name] === "function"; }

  /**
   * Calls an export on behalf of `ctx`. Returns the result, or -1 when the VM failed (trap or
   * host exception); the caller then applies fail-open/fail-closed.
   */
  call(ctx: AnyContext | null, name: string, a = 0, b = 0, c = 0, d = 0, e = 0): number {
    const f = this.ex[name];
    if (!f || this.failed) return this.failed ? -1 : 0;
    const prevC = this.current, prevE = this.effective;
    this.current = this.effective = ctx;
    try {
      return f(a, b, c, d, e) >>> 0;
    } catch (err) {
      this.fail(name, err);
      return -1;
    } finally {
      this.current = prevC; this.effective = prevE;
    }
  }

  /** Start functions run with no context (cpp-host vm_context_). */
  start(): void {
    for (const name of this.ex._initialize ? ["_initialize", "main", "__main_void"] : ["_start"]) {
      if (name === "__main_void" && this.ex.main) continue;
      if (this.ex[name]) {
        if (name === "main" || name === "__main_void") this.call(null, name, 0, 0);
        else this.call(null, name);
        if (this.failed) return;
      }
    }
  }

  fail(callback: string, err: unknown): void {
    this.failed = true;
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const pages = this.pages();
    const capped = pages >= this.maxMemoryPages
      ? ` (memory at its cap of ${this.maxMemoryPages} pages: memory.grow failed)`
      : ` (memory: ${pages} of at most ${this.maxMemoryPages} pages)`;
    const plugin = this.current && this.current.kind !== undefined ? this.current.root.plugin : [...this.roots.keys()][0];
    const rec: TrapRecord = { plugin: plugin?.name ?? "", worker: this.worker, callback, message: `Function: ${callback} failed: Uncaught ${msg}${capped}` };
    this.failure = rec;
    // Every plugin on this VM shares its fate.
    for (const p of this.roots.keys()) p.traps.push(rec);
    if (this.roots.size === 0 && plugin) plugin.traps.push(rec);
    // Envoy logs the failure at error (wasm_vm.cc), without a plugin prefix.
    this.services.log({ level: "error", plugin: rec.plugin, message: rec.message }, "error");
    this.loadLogs?.push({ level: "error", message: rec.message });
  }
}

function textAt(vm: Vm, ptr: number, len: number): string { return vm.text(ptr, len); }

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
