// Where a tool is looked for, in order: its env variable, PATH, then the
// project's tools folder (which MESH_FILTERS_TOOLS_DIR can move).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { locateTool, TOOLS_DIR, toolsDirFor } from "../../tools/locate.ts";
import { fakeVersioned, tempDir } from "./helpers/fakes.ts";

describe("locateTool", () => {
  const toolsDir = tempDir("tools");
  const inProject = fakeVersioned(path.join(toolsDir, "bin"), "oras", "Version: 1.3.3");
  const onPath = fakeVersioned(tempDir("path"), "oras", "Version: 1.3.3");
  const viaEnv = fakeVersioned(tempDir("env"), "oras", "Version: 1.3.3");

  it("takes the env variable first, then PATH, then the tools folder", () => {
    const PATH = path.dirname(onPath);
    expect(locateTool("oras", { PATH, ORAS_BIN: viaEnv }, toolsDir)).toEqual({ name: "oras", path: viaEnv, source: "env" });
    expect(locateTool("oras", { PATH }, toolsDir)).toEqual({ name: "oras", path: onPath, source: "path" });
    expect(locateTool("oras", { PATH: tempDir("empty") }, toolsDir)).toEqual({ name: "oras", path: inProject, source: "project" });
    expect(locateTool("oras", { PATH: tempDir("empty") }, tempDir("no-tools"))).toBeUndefined();
  });

  it("MESH_FILTERS_TOOLS_DIR moves the tools folder; unset, it is <project>/.tools", () => {
    expect(locateTool("oras", { PATH: tempDir("empty"), MESH_FILTERS_TOOLS_DIR: toolsDir })).toMatchObject({ path: inProject, source: "project" });
    expect(toolsDirFor({})).toBe(TOOLS_DIR);
    expect(TOOLS_DIR).toBe(path.resolve(fileURLToPath(new URL("../..", import.meta.url)), ".tools"));
  });

  it("an env variable naming a directory or a missing file is an error, not a silent fallback", () => {
    const dir = tempDir("notafile");
    expect(() => locateTool("oras", { ORAS_BIN: "/nonexistent/oras", PATH: path.dirname(onPath) }, toolsDir)).toThrow("ORAS_BIN=/nonexistent/oras is not an executable file");
    expect(() => locateTool("oras", { ORAS_BIN: dir, PATH: path.dirname(onPath) }, toolsDir)).toThrow(`ORAS_BIN=${dir} is not an executable file`);
  });

  it("a directory named like the tool on PATH is skipped", () => {
    const shadow = tempDir("shadow");
    mkdirSync(path.join(shadow, "oras"));
    expect(locateTool("oras", { PATH: `${shadow}:${path.dirname(onPath)}` }, toolsDir)).toMatchObject({ path: onPath, source: "path" });
  });
});
