// The host's lists of Envoy's inline headers (host/inline-headers.ts: a second
// value of one of these is joined to the first with ",") against the lists the
// pinned Envoy prints at startup ("HTTP header map info"). The lists depend on
// the binary (core names plus what its extensions register), so a new Envoy pin
// shows here first. `--mode init_only` initializes the server and exits.
import { spawnSync } from "node:child_process";
import { expect, it } from "vitest";
import { INLINE_HEADER_MAPS } from "../../host/inline-headers.ts";
import { ENVOY_BIN, envoySuite } from "../envoy/helpers.ts";

envoySuite("inline headers: the host's lists are Envoy's", () => {
  it("request and response header and trailer maps name the same headers", () => {
    // spawnSync's timeout kills Envoy if it ever failed to exit on its own.
    const run = spawnSync(ENVOY_BIN!, ["--mode", "init_only", "--config-yaml", "{}", "-l", "info", "--disable-hot-restart"], { encoding: "utf8", timeout: 60_000 });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const printed: Record<string, string[]> = {};
    for (const m of run.stderr.matchAll(/\]\s+((?:request|response) (?:header|trailer) map): \d+ bytes: ?(.*)$/gm)) {
      printed[m[1]!] = m[2]!.split(",").filter(Boolean).sort();
    }
    const ours = Object.fromEntries(Object.entries(INLINE_HEADER_MAPS).map(([k, v]) => [k, [...v].sort()]));
    expect(Object.keys(printed).sort()).toEqual(Object.keys(ours).sort());
    expect(printed).toEqual(ours);
  });
});
