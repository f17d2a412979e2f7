// Errors the host reports to its callers.
import type { LogEntry } from "./types.ts";

/** proxy_on_vm_start / proxy_on_configure returned false, or the module could not be loaded. */
export class PluginLoadError extends Error {
  /** The message without the module's log lines. */
  readonly reason: string;
  constructor(message: string, readonly logs: LogEntry[] = []) {
    const tail = logs.length ? `\nmodule logs:\n${logs.map((l) => `  [${l.level}] ${l.message}`).join("\n")}` : "";
    super(message + tail);
    this.name = "PluginLoadError";
    this.reason = message;
  }
}

/** Thrown inside host functions when the module hands over a pointer outside its memory. */
export class MemoryFault extends Error {
  constructor(ptr: number, len: number, size: number) {
    super(`out-of-bounds memory access: [${ptr}, ${ptr + len}) outside ${size} bytes`);
  }
}

/** One VM failure: a trap, an exception from a host function, or a memory cap hit. */
export interface TrapRecord {
  plugin: string;
  worker: number;
  callback: string;
  message: string;
}
