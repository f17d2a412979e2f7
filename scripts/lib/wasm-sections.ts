// Reads what a wasm module declares (types, imports, exports) straight from
// the binary: Node 20's WebAssembly.Module.imports() does not report function
// signatures, and the ABI check needs them.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface ImportEntry {
  module: string;
  name: string;
  kind: "func" | "table" | "memory" | "global" | "tag";
  type?: FuncType;
}

export interface ExportEntry {
  name: string;
  kind: "func" | "table" | "memory" | "global" | "tag";
  type?: FuncType;
}

export interface ModuleSurface {
  imports: ImportEntry[];
  exports: ExportEntry[];
}

const VALTYPES: Record<number, ValType> = {
  0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref",
};
const KINDS = ["func", "table", "memory", "global", "tag"] as const;

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {}

  byte(): number {
    if (this.pos >= this.end) throw new Error("unexpected end of module");
    return this.bytes[this.pos++];
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new Error("malformed LEB128");
    }
  }

  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) throw new Error("name runs past its section");
    const s = new TextDecoder("utf-8", { fatal: true }).decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  valtype(): ValType {
    const b = this.byte();
    const t = VALTYPES[b];
    if (!t) throw new Error(`unknown value type 0x${b.toString(16)}`);
    return t;
  }

  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** Parses the type, import, function and export sections of a wasm binary. */
export function readModuleSurface(bytes: Uint8Array): ModuleSurface {
  const r = new Reader(bytes);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("not a wasm module (missing \\0asm magic)");
  }
  r.pos = 8;
  const types: FuncType[] = [];
  const imports: ImportEntry[] = [];
  const funcTypes: number[] = []; // type index per function index (imports first)
  const exports: ExportEntry[] = [];
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > bytes.length) throw new Error(`section ${id} runs past the end of the module`);
    const s = new Reader(bytes, end);
    s.pos = r.pos;
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        if (s.byte() !== 0x60) throw new Error("unsupported type form");
        const params = Array.from({ length: s.u32() }, () => s.valtype());
        const results = Array.from({ length: s.u32() }, () => s.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        const module = s.name();
        const name = s.name();
        const kind = KINDS[s.byte()];
        if (kind === "func") {
          const t = s.u32();
          funcTypes.push(t);
          imports.push({ module, name, kind, type: types[t] });
        } else {
          if (kind === "table") { s.byte(); s.limits(); }
          else if (kind === "memory") s.limits();
          else if (kind === "global") { s.valtype(); s.byte(); }
          else if (kind === "tag") { s.byte(); s.u32(); }
          else throw new Error("unknown import kind");
          imports.push({ module, name, kind });
        }
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name();
        const kind = KINDS[s.byte()];
        const index = s.u32();
        if (!kind) throw new Error("unknown export kind");
        exports.push(kind === "func" ? { name, kind, type: types[funcTypes[index]] } : { name, kind });
      }
    }
    r.pos = end;
  }
  return { imports, exports };
}

export function formatType(t: FuncType | undefined): string {
  if (!t) return "(unknown)";
  return `(${t.params.join(", ")}) -> (${t.results.join(", ")})`;
}
