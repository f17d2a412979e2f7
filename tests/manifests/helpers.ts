// Shared by tests/manifests: the fixture project and rendering shortcuts.
import { expect } from "vitest";
import { copyFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exampleOptions } from "../../deploy/examples.ts";
import { loadInputs, type RenderOptions } from "../../deploy/model.ts";
import { renderFiles, type OutputFile } from "../../deploy/render.ts";
import { parseYamlDocs } from "../../deploy/validate/index.ts";
import { tempDir } from "../support/temp-dir.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURE_ROOT = path.join(REPO_ROOT, "tests", "fixtures", "manifests", "project");

export { tempDir };

/**
 * The fixture project with the real modules of this checkout's build and their
 * example configurations (the command loads each module in the host to check
 * its configuration): build/ copied in, dist/pushed.json's module hashes set
 * to theirs.
 */
export function cliProject(): string {
  const root = tempDir("manifests-cli-");
  cpSync(FIXTURE_ROOT, root, { recursive: true });
  const built = JSON.parse(readFileSync(path.join(REPO_ROOT, "build/filters.json"), "utf8")) as { name: string; file: string; sha256: string }[];
  for (const b of built) {
    copyFileSync(path.join(REPO_ROOT, b.file), path.join(root, b.file));
    // The example configurations the filters accept today (the fixture's are frozen stand-ins).
    copyFileSync(path.join(REPO_ROOT, "filters", b.name, "example-config.json"), path.join(root, "filters", b.name, "example-config.json"));
  }
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "manifests-cli-fixture", version: "0.1.0" }));
  writeFileSync(path.join(root, "build/filters.json"), JSON.stringify(built, null, 2));
  const pushedFile = path.join(root, "dist/pushed.json");
  const pushed = JSON.parse(readFileSync(pushedFile, "utf8"));
  for (const a of pushed.artifacts) a.moduleSha256 = built.find((b) => b.name === a.name)!.sha256;
  writeFileSync(pushedFile, JSON.stringify(pushed, null, 2));
  return root;
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
