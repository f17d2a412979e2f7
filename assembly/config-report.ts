// How every filter rejects a bad configuration: one error line per problem,
// "<filter>: invalid configuration: <field>: <what is wrong>", then false from
// onConfigure so Envoy refuses the plugin.
import { ConfigReader } from "./config-reader";
import { LogLevelValues } from "./runtime/enums";
import { logAlways } from "./runtime/log";

/** True when `reader` found no problem; otherwise logs each and returns false. */
export function configurationAccepted(filter: string, reader: ConfigReader): bool {
  if (reader.ok) return true;
  const errors = reader.errors;
  for (let i = 0; i < errors.length; i++) {
    logAlways(LogLevelValues.error, filter + ": invalid configuration: " + errors[i]);
  }
  return false;
}
