// wabt's validator: catches a malformed module before anything tries to load it.
import wabtInit from "wabt";

let wabtPromise: ReturnType<typeof wabtInit> | undefined;

/** Post-MVP features our modules use (asc --enable bulk-memory: memory.fill / memory.copy). */
const FEATURES = { bulk_memory: true } as const;

/** Throws with wabt's message when the module does not validate. */
export async function validateWasm(bytes: Uint8Array, name: string): Promise<void> {
  wabtPromise ??= wabtInit();
  const wabt = await wabtPromise;
  let mod;
  try {
    mod = wabt.readWasm(bytes, { readDebugNames: false, ...FEATURES });
  } catch (err) {
    throw new Error(`${name}: wabt cannot read the module: ${(err as Error).message}`);
  }
  try {
    mod.validate();
  } catch (err) {
    throw new Error(`${name}: wabt validation failed: ${(err as Error).message}`);
  } finally {
    mod.destroy();
  }
}

/** The module as WebAssembly text (for inspection and tests). */
export async function wasmToText(bytes: Uint8Array): Promise<string> {
  wabtPromise ??= wabtInit();
  const wabt = await wabtPromise;
  const mod = wabt.readWasm(bytes, { readDebugNames: true, ...FEATURES });
  try {
    return mod.toText({ foldExprs: false, inlineExport: false });
  } finally {
    mod.destroy();
  }
}

/** Compiles WebAssembly text to a binary (test fixtures). */
export async function watToWasm(text: string, name = "module.wat"): Promise<Uint8Array> {
  wabtPromise ??= wabtInit();
  const wabt = await wabtPromise;
  const mod = wabt.parseWat(name, text, FEATURES);
  try {
    mod.validate();
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}
