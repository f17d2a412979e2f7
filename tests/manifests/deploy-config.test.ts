// Deployment configuration apart from the examples: the plugin configuration
// each filter deploys with (--config, the project's deploy settings, --deploy
// FILE), judged by the filter itself in the host before anything is written;
// the per-filter deploy profiles; the Istio version gates; a re-render into the
// same --out leaving nothing stale.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { run } from "../../scripts/commands/manifests.ts";
import { parseProfile } from "../../deploy/profile.ts";
import { parseYamlDocs } from "../../deploy/validate/index.ts";
import { cliProject, tempDir } from "./helpers.ts";

afterEach(() => vi.restoreAllMocks());

/** Runs the command with stdout and stderr captured. */
async function manifests(args: string[]): Promise<{ rc: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s: any) => ((out += String(s)), true));
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void (out += `${a.join(" ")}\n`));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void (err += `${a.join(" ")}\n`));
  try {
    const rc = await run(args);
    return { rc, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

const BASE = ["--image", "registry.example.com/wasm", "--tag", "1.0.0", "--namespace", "shop", "--selector", "app=reviews"];
const wasmPlugin = (out: string, name: string) => parseYamlDocs(out).find((d) => d.kind === "WasmPlugin" && d.metadata.name === name)!;
const json = (dir: string, file: string, value: unknown) => {
  writeFileSync(path.join(dir, file), JSON.stringify(value));
  return path.join(dir, file);
};

describe("the plugin configuration to deploy", () => {
  const project = cliProject();
  const configs = tempDir("manifests-configs-");

  it("--config FILTER=FILE deploys that file, and the filter accepts it in the host", async () => {
    const file = json(configs, "add-header.json", { name: "x-team", value: "payments" });
    const { rc, out, err } = await manifests(["--root", project, ...BASE, "--filters", "add-header", "--config", `add-header=${file}`]);
    expect(rc).toBe(0);
    expect(wasmPlugin(out, "add-header").spec.pluginConfig).toEqual({ name: "x-team", value: "payments" });
    expect(err).not.toMatch(/add-header deploys its example configuration/);
  });

  it("without one, a filter deploys its example configuration, with a note saying so", async () => {
    const { rc, out, err } = await manifests(["--root", project, ...BASE, "--filters", "add-header"]);
    expect(rc).toBe(0);
    expect(wasmPlugin(out, "add-header").spec.pluginConfig).toEqual(JSON.parse(readFileSync(path.join(project, "filters/add-header/example-config.json"), "utf8")));
    expect(err).toMatch(/note: add-header deploys its example configuration .*--config add-header=FILE/);
  });

  it("a configuration the filter rejects fails the command with the filter's own log lines, and nothing is written", async () => {
    const bad = json(configs, "bad-header-auth.json", { credentials: [], bogus: true });
    const out = tempDir("manifests-out-");
    const err = await run(["--root", project, ...BASE, "--config", `header-auth=${bad}`, "--out", out]).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toMatch(/nothing was written/);
    expect(message).toContain(`header-auth (root id header_auth) rejects its configuration from ${bad}:`);
    expect(message).toContain("header-auth: invalid configuration: unknown field 'bogus'");
    expect(readdirSync(out)).toEqual([]);
  });

  it("checks every root id a filter deploys with (stats: inbound and outbound)", async () => {
    const bad = json(configs, "bad-stats.json", { no_such_option: 1 });
    const err = await run(["--root", project, ...BASE, "--filters", "stats", "--config", `stats=${bad}`]).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/stats \(root id stats_inbound\) rejects its configuration/);
    expect((err as Error).message).toMatch(/stats \(root id stats_outbound\) rejects its configuration/);
  });

  it("refuses a configuration for a filter it does not render, and a malformed --config", async () => {
    const file = json(configs, "x.json", {});
    await expect(run(["--root", project, ...BASE, "--config", `add-headr=${file}`])).rejects.toThrow(/configuration is given for 'add-headr', which is not a built filter/);
    await expect(run(["--root", project, ...BASE, "--config", file])).rejects.toThrow(/--config: expected FILTER=FILE/);
    await expect(run(["--root", project, ...BASE, "--config", `add-header=${path.join(configs, "missing.json")}`])).rejects.toThrow(/missing\.json: not found/);
  });

  it("takes namespace, selector, image and configs from the project's deploy settings; flags win", async () => {
    const p = cliProject();
    mkdirSync(path.join(p, "deploy"));
    json(path.join(p, "deploy"), "add-header.json", { name: "x-from-file" });
    writeFileSync(path.join(p, "mesh-filters.json"), JSON.stringify({
      deploy: { namespace: "payments", selector: { app: "ledger" }, image: "registry.example.com/team", tag: "2.0.0", configs: { "add-header": "deploy/add-header.json", "header-auth": { credentials: [{ principal: "ops", key_sha256: "a".repeat(64) }] } } },
    }));
    const { rc, out } = await manifests(["--root", p, "--filters", "add-header,header-auth"]);
    expect(rc).toBe(0);
    const ah = wasmPlugin(out, "add-header");
    expect(ah.metadata.namespace).toBe("payments");
    expect(ah.spec.selector.matchLabels).toEqual({ app: "ledger" });
    expect(ah.spec.url).toBe("oci://registry.example.com/team/add-header:2.0.0");
    expect(ah.spec.pluginConfig).toEqual({ name: "x-from-file" });
    expect(wasmPlugin(out, "header-auth").spec.pluginConfig).toEqual({ credentials: [{ principal: "ops", key_sha256: "a".repeat(64) }] });
    const flagged = await manifests(["--root", p, "--filters", "add-header", "--namespace", "staging"]);
    expect(wasmPlugin(flagged.out, "add-header").metadata.namespace).toBe("staging");
  });

  it("--deploy FILE: an environment's settings, config paths relative to that file; an unknown key is an error", async () => {
    const env = tempDir("manifests-env-");
    json(env, "add-header.json", { name: "x-prod" });
    const prod = json(env, "prod.json", { namespace: "prod", selector: { app: "web" }, image: "r.example.com/p", configs: { "add-header": "add-header.json" } });
    const { rc, out } = await manifests(["--root", project, "--deploy", prod, "--filters", "add-header"]);
    expect(rc).toBe(0);
    expect(wasmPlugin(out, "add-header").spec.pluginConfig).toEqual({ name: "x-prod" });
    const typo = json(env, "typo.json", { namspace: "prod" });
    await expect(run(["--root", project, "--deploy", typo, ...BASE])).rejects.toThrow(/typo\.json: namspace: unknown field/);
  });
});

describe("deploy profiles (filters/<name>/deploy.json)", () => {
  it("a filter's own profile sets its directions, phase, priority, fail strategy and root id", async () => {
    const p = cliProject();
    writeFileSync(path.join(p, "filters/add-header/deploy.json"), JSON.stringify({ directions: ["outbound"], phase: "AUTHZ", priority: 5, failStrategy: "FAIL_CLOSE" }));
    const { out } = await manifests(["--root", p, ...BASE, "--filters", "add-header"]);
    const spec = wasmPlugin(out, "add-header").spec;
    expect(spec).toMatchObject({ phase: "AUTHZ", priority: 5, failStrategy: "FAIL_CLOSE", pluginName: "add_header", match: [{ mode: "CLIENT" }] });
  });

  it("names the file and the field of a bad profile", () => {
    expect(() => parseProfile({ directions: ["sideways"] }, ["a"], "f/deploy.json")).toThrow(/f\/deploy\.json: directions: must be a non-empty array of "inbound", "outbound"/);
    expect(() => parseProfile({ rootId: "b" }, ["a"], "f/deploy.json")).toThrow(/rootId: 'b' is not registered by the module \(it registers 'a'\)/);
    expect(() => parseProfile({ priority: 5000 }, ["a"], "f")).toThrow(/priority: must be an integer from -999 to 999/);
    expect(() => parseProfile({ failStrategy: "FAIL_CLOSED" }, ["a"], "f")).toThrow(/failStrategy: must be FAIL_CLOSE or FAIL_OPEN/);
    expect(() => parseProfile({ phase: "authn" }, ["a"], "f")).toThrow(/phase: must be one of AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE/);
    expect(() => parseProfile({ direction: ["inbound"] }, ["a"], "f")).toThrow(/direction: unknown field/);
    expect(() => parseProfile({ directions: ["inbound", "outbound"], rootId: { inbound: "a" } }, ["a"], "f")).toThrow(/rootId\.outbound: a root id \(string\) is required/);
  });

  it("without a profile: inbound, the module's first root id, no phase, fail closed", () => {
    const p = parseProfile(undefined, ["first", "second"], "defaults");
    expect(p).toMatchObject({ phase: "UNSPECIFIED_PHASE", priority: 0, failOpen: false, attachments: [{ context: "SIDECAR_INBOUND", rootId: "first", suffix: "" }] });
  });

  it("orders the chain as Istio orders WasmPlugins: phase, then higher priority first", () => {
    const order = (phase: string, priority: number) => parseProfile({ phase, priority }, ["a"], "f").order;
    expect(order("AUTHN", 10)).toBeLessThan(order("AUTHN", 5));
    expect(order("AUTHN", -999)).toBeLessThan(order("AUTHZ", 999));
    expect(order("AUTHZ", -999)).toBeLessThan(order("STATS", 999));
    expect(order("STATS", -999)).toBeLessThan(order("UNSPECIFIED_PHASE", 999));
  });
});

describe("--istio changes every form it affects", () => {
  const project = cliProject();
  const wasmPlugins = async (istio: string, filters: string) => parseYamlDocs((await manifests(["--root", project, ...BASE, "--istio", istio, "--filters", filters])).out);

  it("WasmPlugin type from 1.20, failStrategy from 1.19, match from 1.16", async () => {
    const spec = async (istio: string) => (await wasmPlugins(istio, "metadata-exchange"))[0]!.spec;
    expect(await spec("1.20")).toMatchObject({ type: "HTTP", failStrategy: "FAIL_OPEN", match: [{ mode: "CLIENT_AND_SERVER" }] });
    const s119 = await spec("1.19");
    expect(s119.type).toBeUndefined();
    expect(s119.failStrategy).toBe("FAIL_OPEN");
    const s118 = await spec("1.18");
    expect(s118.failStrategy).toBeUndefined();
    expect(s118.match).toEqual([{ mode: "CLIENT_AND_SERVER" }]);
    const s115 = await spec("1.15");
    expect(s115.match).toBeUndefined();
  });

  it("says when a fail-open filter fails closed for lack of failStrategy", async () => {
    const { err } = await manifests(["--root", project, ...BASE, "--istio", "1.18", "--filters", "stats"]);
    expect(err).toMatch(/warning: Istio 1\.18 has no WasmPlugin failStrategy \(1\.19\+\): stats fail closed here/);
  });

  it("before 1.16 a one-direction filter cannot be a WasmPlugin; the EnvoyFilter forms still render", async () => {
    await expect(run(["--root", project, ...BASE, "--istio", "1.15", "--filters", "header-auth"])).rejects.toThrow(
      /header-auth: a WasmPlugin before Istio 1\.16 has no match .* limits root id 'header_auth' to inbound; for Istio 1\.15 use --platform envoyfilter-ecds/,
    );
    const { rc, out } = await manifests(["--root", project, ...BASE, "--istio", "1.15", "--filters", "header-auth", "--platform", "envoyfilter-ecds"]);
    expect(rc).toBe(0);
    expect(parseYamlDocs(out)[0]!.kind).toBe("EnvoyFilter");
  });

  it("refuses Istio before 1.12 (no WasmPlugin)", async () => {
    await expect(run(["--root", project, ...BASE, "--istio", "1.11"])).rejects.toThrow(/--istio 1\.11: Istio before 1\.12 has no WasmPlugin/);
    await expect(run(["--root", project, ...BASE, "--istio", "0.8"])).rejects.toThrow(/before 1\.12/);
  });
});

describe("--out", () => {
  it("a render removes what an earlier render wrote and this one does not, and leaves the user's own files alone", async () => {
    const project = cliProject();
    const out = tempDir("manifests-restale-");
    expect((await manifests(["--root", project, ...BASE, "--out", out])).rc).toBe(0);
    expect(existsSync(path.join(out, "wasmplugin/stats.yaml"))).toBe(true);
    writeFileSync(path.join(out, "wasmplugin/kustomization.yaml"), "resources: [chain.yaml]\n");
    const { rc, err } = await manifests(["--root", project, ...BASE, "--filters", "add-header", "--platform", "wasmplugin", "--out", out]);
    expect(rc).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["wasmplugin"]);
    expect(readdirSync(path.join(out, "wasmplugin")).sort()).toEqual(["add-header.yaml", "chain.yaml", "kustomization.yaml"]);
    expect(err).toMatch(/removed .*wasmplugin\/stats\.yaml \(no longer rendered\)/);
  });
});
