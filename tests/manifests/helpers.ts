// Shared by tests/manifests: the fixture project and rendering shortcuts.
import { expect } from "vitest";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exampleOptions } from "../../deploy/examples.ts";
import { loadInputs, type RenderOptions } from "../../deploy/model.ts";
import { renderFiles, type OutputFile } from "../../deploy/render.ts";
import { parseYamlDocs } from "../../deploy/validate/index.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURE_ROOT = path.join(REPO_ROOT, "tests", "fixtures", "manifests", "project");

export function tempDir(prefix = "manifests-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function fixtureOptions(over: Partial<RenderOptions> = {}): RenderOptions {
  return { ...exampleOptions(), image: "127.0.0.1:5000/wasm", imagePullSecret: undefined, ...over };
}

export function renderFixture(o: { digest?: boolean; options?: Partial<RenderOptions>; only?: string[] } = {}): { files: OutputFile[]; pushed: ReturnType<typeof loadInputs>["pushed"] } {
  const { filters, pushed } = loadInputs({ root: FIXTURE_ROOT, pushedJson: o.digest ? "dist/pushed.json" : undefined, only: o.only });
  return { files: renderFiles({ filters, options: fixtureOptions(o.options) }), pushed };
}

export function docsOf(files: OutputFile[], p: string): Record<string, any>[] {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`${p} not rendered (have ${files.map((x) => x.path).join(", ")})`);
  return parseYamlDocs(f.content);
}

/** Apply HTTP_FILTER INSERT_BEFORE-router patches, in order, to a chain holding only the router (what istiod does). */
export function applyInsertBeforeRouter(patches: any[], context: string): string[] {
  const chain = ["envoy.filters.http.router"];
  for (const p of patches) {
    if (p.applyTo !== "HTTP_FILTER" || p.match?.context !== context) continue;
    expect(p.patch.operation).toBe("INSERT_BEFORE");
    expect(p.match.listener.filterChain.filter.subFilter.name).toBe("envoy.filters.http.router");
    chain.splice(chain.indexOf("envoy.filters.http.router"), 0, p.patch.value.name);
  }
  return chain;
}
