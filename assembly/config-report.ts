// How every filter rejects a bad configuration: one error line per problem,
// "<filter>: invalid configuration: <field>: <what is wrong>", then false from
// onConfigure so Envoy refuses the plugin. At most MAX_CONFIG_ERROR_LINES
// problems are logged; one more line counts the rest (a configuration with
// 100,000 bad entries must not flood Envoy's log).
import { ConfigReader } from "./config-reader";
import { LogLevelValues } from "./runtime/enums";
import { logAlways } from "./runtime/log";
import { decimal } from "./decimal";

export const MAX_CONFIG_ERROR_LINES: i32 = 20;

/** True when `reader` found no problem; otherwise logs them (at most MAX_CONFIG_ERROR_LINES) and returns false. */
export function configurationAccepted(filter: string, reader: ConfigReader): bool {
  if (reader.ok) return true;
  const errors = reader.errors;
  const n = errors.length;
  const prefix = filter + ": invalid configuration: ";
  const shown = n > MAX_CONFIG_ERROR_LINES ? MAX_CONFIG_ERROR_LINES : n;
  for (let i = 0; i < shown; i++) logAlways(LogLevelValues.error, prefix + unchecked(errors[i]));
  if (n > shown) {
    logAlways(LogLevelValues.error, prefix + decimal(n - shown) + " more problems not shown (" + decimal(n) + " in all)");
  }
  return false;
}
