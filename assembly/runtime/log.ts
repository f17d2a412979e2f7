// Logging that costs nothing unless the host wants the line. Filters guard any
// message they would have to build: `if (logEnabled(LogLevelValues.debug)) log(...)`.
import * as imports from "../imports";
import { LogLevelValues, WasmResultValues } from "./enums";
import { sizeSlot } from "./host-memory";

/** The host's current log level (Envoy answers per call; it can change at runtime). */
export function hostLogLevel(): LogLevelValues {
  if (imports.proxy_get_log_level(sizeSlot()) != WasmResultValues.Ok) return LogLevelValues.trace;
  return load<u32>(sizeSlot()) as LogLevelValues;
}

/** Whether a line at `level` would be printed by the host. */
export function logEnabled(level: LogLevelValues): bool {
  return level >= hostLogLevel();
}

/** proxy-runtime's `log`: sends the line only when the host's level admits it. */
export function log(level: LogLevelValues, message: string): void {
  if (level < hostLogLevel()) return;
  logAlways(level, message);
}

/** Sends a line without asking the level first (the caller already did). */
export function logAlways(level: LogLevelValues, message: string): void {
  const bytes = String.UTF8.encode(message);
  imports.proxy_log(level, changetype<usize>(bytes), bytes.byteLength);
}
