// AssemblyScript's abort, for Envoy: log the reason at critical level, then
// trap. Envoy's WASI proc_exit only logs and returns, so exiting needs a trap;
// Envoy marks the VM failed and applies the plugin's failure policy.
import { decimal } from "./decimal";
import { logAlways } from "./runtime/log";
import { LogLevelValues } from "./runtime/enums";

// @ts-ignore: decorator
@global
export function mesh_abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  let text = "abort";
  if (message !== null) text = message;
  if (fileName !== null) {
    text += " at " + fileName + ":" + decimal(lineNumber) + ":" + decimal(columnNumber);
  }
  logAlways(LogLevelValues.critical, text);
  unreachable();
}
