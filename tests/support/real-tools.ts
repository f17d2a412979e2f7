// describe() for suites that need real external tools (Envoy, ORAS, the
// registry, skopeo), found the way every command finds them (tools/locate.ts:
// env variable, PATH, then .tools/bin from `npm run setup`, so no PATH change
// is needed after setup). On a developer machine without them the suite is
// skipped with a message saying how to get them; under CI it fails instead.
import { describe, it } from "vitest";
import { installHint, locateTool, type LocatedTool, type ToolName } from "../../tools/locate.ts";

export function findTools(names: readonly ToolName[]): { found: Partial<Record<ToolName, LocatedTool>>; missing: string[] } {
  const found: Partial<Record<ToolName, LocatedTool>> = {};
  const missing: string[] = [];
  for (const name of names) {
    try {
      const t = locateTool(name);
      if (t) found[name] = t;
      else missing.push(`${name} (${installHint(name)})`);
    } catch (err) {
      missing.push(`${name} (${(err as Error).message})`);
    }
  }
  return { found, missing };
}

/** The located binary of a tool the suite declared; only call inside a toolSuite body. */
export function toolPath(name: ToolName): string {
  const t = locateTool(name);
  if (!t) throw new Error(`${name} not found: ${installHint(name)}`);
  return t.path;
}

export function toolSuite(name: string, tools: readonly ToolName[], fn: () => void): void {
  const { missing } = findTools(tools);
  if (!missing.length) {
    describe(name, fn);
    return;
  }
  const why = `not found: ${missing.join(", ")}`;
  if (process.env.CI) {
    describe(name, () => {
      it(`needs ${tools.join(", ")}`, () => {
        throw new Error(`${why}; CI runs \`npm run setup\` first (.ci/run)`);
      });
    });
  } else {
    console.warn(`[skipped] ${name}: ${why}`);
    describe.skip(`${name} [SKIPPED: ${why}]`, fn);
  }
}
