// Builds conformance modules from the shared WAT prelude plus a test's own functions.
import { readFileSync } from "node:fs";
import path from "node:path";

const PRELUDE = readFileSync(path.join(import.meta.dirname, "../fixtures/host/prelude.wat"), "utf8");
let wabtP: Promise<{ parseWat(name: string, text: string): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void } }> | undefined;

export async function wat(text: string): Promise<Uint8Array> {
  wabtP ??= (await import("wabt")).default() as never;
  const w = await wabtP!;
  const m = w.parseWat("test.wat", text);
  try { return new Uint8Array(m.toBinary({}).buffer); } finally { m.destroy(); }
}

/** A module with the prelude, `body` (functions, data) spliced in. */
export function mod(body: string): Promise<Uint8Array> {
  return wat(`(module\n${PRELUDE}\n${body}\n)`);
}

/** WAT data segment for a string at an address, plus (ptr len) operands for it. */
export function data(addr: number, s: string): string {
  const esc = [...Buffer.from(s)].map((b) => "\\" + b.toString(16).padStart(2, "0")).join("");
  return `(data (i32.const ${addr}) "${esc}")`;
}
export function arg(addr: number, s: string): string {
  return `(i32.const ${addr}) (i32.const ${Buffer.byteLength(s)})`;
}

/** Callbacks that just continue, for modules that only need a few callbacks of their own. */
export const VM_OK = `
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))`;

/** Messages of a log list, for compact assertions. */
export function messages(logs: { message: string }[]): string[] {
  return logs.map((l) => l.message);
}
