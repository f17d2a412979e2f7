// The mesh-filters CLI, as bin/mesh-filters.js runs it, reporting its own peak
// resident memory (KiB) to $MEASURE_RSS_FILE when it exits. Used by
// tests/support/bounded-cli.ts to check that hostile input costs little memory.
import { writeFileSync } from "node:fs";
import { register } from "tsx/esm/api";

register();
process.on("exit", () => {
  if (process.env.MEASURE_RSS_FILE) writeFileSync(process.env.MEASURE_RSS_FILE, String(process.resourceUsage().maxRSS));
});
const { main } = await import("../../scripts/cli.ts");
process.exitCode = await main(process.argv.slice(2));
