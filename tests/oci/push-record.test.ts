// What a push leaves behind when it is not the first: dist/pushed.json keeps
// the other filters of the same registry and tag, and a tag that already named
// another digest is moved with a warning (as `oras push` / `docker push` move
// tags, but said out loud: manifests pinned to the old digest keep the old module).
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pushFilters, type PushResult } from "../../oci/index.ts";
import { makeFixtureProject, type FixtureProject } from "./helpers/fixture-project.ts";
import { registrySuite, startRegistry, type TestRegistry } from "./helpers/registry.ts";

registrySuite("push records and moved tags, against a real registry", () => {
  let reg: TestRegistry;
  let fx: FixtureProject;
  const env = { ...process.env, SOURCE_DATE_EPOCH: "" };

  beforeAll(async () => {
    reg = await startRegistry();
    fx = await makeFixtureProject();
  });
  afterAll(async () => reg?.stop());

  const push = (root: string, o: { only?: string[]; tag?: string; log?: string[] } = {}): Promise<PushResult> =>
    pushFilters({ projectRoot: root, registry: `${reg.host}/wasm`, plainHttp: true, tool: "skopeo", variants: ["wasm"], env, only: o.only, tag: o.tag, log: (l) => o.log?.push(l) });
  const recorded = () => JSON.parse(readFileSync(path.join(fx.root, "dist", "pushed.json"), "utf8")) as { tag: string; artifacts: { name: string; digest: string }[] };

  it("push --filter X merges into dist/pushed.json: the filters pushed before stay recorded", async () => {
    await push(fx.root, { only: ["stats"] });
    expect(recorded().artifacts.map((a) => a.name)).toEqual(["stats"]);
    const second = await push(fx.root, { only: ["header-auth"] });
    expect(second.artifacts.map((a) => a.name)).toEqual(["stats", "header-auth"]);
    expect(recorded().artifacts.map((a) => a.name)).toEqual(["stats", "header-auth"]);
    // Re-pushing a filter replaces its entry in place, without duplicating it.
    await push(fx.root, { only: ["stats"] });
    expect(recorded().artifacts.map((a) => a.name)).toEqual(["stats", "header-auth"]);
  });

  it("a push to another tag starts a new record, and says the old one was replaced", async () => {
    const log: string[] = [];
    await push(fx.root, { only: ["add-header"], tag: "0.2.0", log });
    expect(recorded()).toMatchObject({ tag: "0.2.0", artifacts: [{ name: "add-header" }] });
    expect(log.join("\n")).toMatch(/pushed\.json recorded .* tag 0\.1\.0; it now records .* tag 0\.2\.0/);
  });

  it("a tag that named another digest is moved with a warning naming both digests", async () => {
    // The same filter from another commit: another manifest digest under the same tag.
    const other = await makeFixtureProject({ commitEpoch: 1_800_000_000 });
    const before = (await push(fx.root, { only: ["metadata-exchange"] })).artifacts.find((a) => a.name === "metadata-exchange")!.digest;
    const log: string[] = [];
    const result = await push(other.root, { only: ["metadata-exchange"], log });
    const after = result.artifacts[0]!.digest;
    expect(after).not.toBe(before);
    expect(result.moved).toEqual([{ reference: `${reg.host}/wasm/metadata-exchange:0.1.0`, previous: before, digest: after }]);
    expect(log).toContain(`warning: ${reg.host}/wasm/metadata-exchange:0.1.0 named ${before}; this push moves it to ${after} (manifests pinned to the old digest keep the old module)`);
    // Pushing the same bytes again moves nothing.
    expect((await push(other.root, { only: ["metadata-exchange"] })).moved).toEqual([]);
  });
});
