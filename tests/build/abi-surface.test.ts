import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkAbiSurface, inspectAbiSurface } from "../../scripts/lib/abi-surface.ts";
import { readFiltersJson, PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { watToWasm } from "../../scripts/lib/validate-wasm.ts";

const fixture = async (name: string) =>
  watToWasm(readFileSync(path.join(PROJECT_ROOT, "tests/fixtures/abi", name), "utf8"), name);

describe("ABI surface check", () => {
  it("accepts a minimal module importing only host and WASI functions", async () => {
    const report = inspectAbiSurface(await fixture("minimal-ok.wat"), "minimal-ok");
    expect(report.problems).toEqual([]);
    expect(report.abiVersion).toBe("0.2.1");
  });

  it("rejects a foreign import, naming the import and the module", async () => {
    const problems = checkAbiSurface(await fixture("foreign-import.wat"), "foreign.wasm");
    expect(problems).toEqual([
      "foreign.wasm: import env.abort is not a Proxy-Wasm host function or a WASI function Envoy provides",
    ]);
  });

  it("rejects an import Envoy registers only for ABI 0.1.0 modules, saying what to use", async () => {
    const problems = checkAbiSurface(await fixture("abi-0-1-0-import.wat"), "old.wasm");
    expect(problems).toEqual([
      "old.wasm: import env.proxy_clear_route_cache is provided by Envoy only to ABI 0.1.0 modules (the module would fail to load with a missing import); call the foreign function \"clear_route_cache\" (proxy_call_foreign_function)",
    ]);
  });

  it("rejects a module without malloc", async () => {
    const problems = checkAbiSurface(await fixture("missing-malloc.wat"), "m.wasm");
    expect(problems.join("\n")).toMatch(/missing export malloc or proxy_on_memory_allocate/);
  });

  it("rejects a module without an ABI version marker", async () => {
    const problems = checkAbiSurface(await fixture("missing-abi-version.wat"), "m.wasm");
    expect(problems.join("\n")).toMatch(/missing export proxy_abi_version_0_2_0 or proxy_abi_version_0_2_1/);
  });

  it("rejects wrong signatures on imports and callbacks", async () => {
    const problems = checkAbiSurface(await fixture("wrong-signatures.wat"), "m.wasm");
    expect(problems).toContain("m.wasm: import env.proxy_log has signature (i32, i32) -> (i32); Envoy provides (i32, i32, i32) -> (i32)");
    expect(problems).toContain("m.wasm: export proxy_on_request_headers has signature (i32, i32) -> (i32); the host calls it as (i32, i32, i32) -> (i32)");
  });

  it("rejects bytes that are not a wasm module", () => {
    expect(checkAbiSurface(new TextEncoder().encode("not wasm at all"), "x.wasm")).toEqual([
      "x.wasm: not a wasm module (missing \\0asm magic)",
    ]);
  });

  it("passes every built filter and records its ABI version", () => {
    const filters = readFiltersJson();
    expect(filters.length).toBeGreaterThan(0);
    for (const f of filters) {
      const bytes = readFileSync(path.join(PROJECT_ROOT, f.file));
      expect(checkAbiSurface(bytes, f.file)).toEqual([]);
      expect(f.abiVersion).toBe("0.2.1");
    }
  });
});
