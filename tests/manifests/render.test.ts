// What the generators put in each manifest: order, phases, failure handling,
// root ids per direction, digests, and the CLI around them.
import { readFileSync, readdirSync, writeFileSync, mkdirSync, cpSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { run } from "../../scripts/commands/manifests.ts";
import { loadInputs } from "../../deploy/model.ts";
import { ISTIO_LABELS, STATS_TAGS } from "../../deploy/stats-tags.ts";
import { HCM_PATH_HARDENING } from "../../deploy/path-hardening.ts";
import { parseYamlDocs } from "../../deploy/validate/index.ts";
import { ISTIO_BOOTSTRAP_STATS_TAGS } from "../fixtures/istio/bootstrap-stats-tags.ts";
import { applyInsertBeforeRouter, cliProject, docsOf, FIXTURE_ROOT, renderFixture, tempDir } from "./helpers.ts";

const pushed = JSON.parse(readFileSync(path.join(FIXTURE_ROOT, "dist/pushed.json"), "utf8"));
const digestHex = (name: string, variant = "wasm") => pushed.artifacts.find((a: any) => a.name === name && a.variant === variant).digest.slice(7);

describe("WasmPlugin", () => {
  const { files } = renderFixture({ digest: true });
  const chain = docsOf(files, "wasmplugin/chain.yaml");
  const byName = Object.fromEntries(chain.map((d) => [d.metadata.name, d]));

  it("renders one plugin per filter and direction-specific root id, in chain order", () => {
    expect(chain.map((d) => d.metadata.name)).toEqual(["header-auth", "metadata-exchange", "stats-inbound", "stats-outbound", "add-header"]);
    expect(chain.map((d) => d.spec.pluginName)).toEqual(["header_auth", "metadata_exchange", "stats_inbound", "stats_outbound", "add_header"]);
  });

  it("orders header-auth (AUTHN) before metadata-exchange before stats (STATS, higher priority first)", () => {
    expect(byName["header-auth"].spec.phase).toBe("AUTHN");
    for (const n of ["metadata-exchange", "stats-inbound", "stats-outbound"]) expect(byName[n].spec.phase).toBe("STATS");
    expect(byName["metadata-exchange"].spec.priority).toBeGreaterThan(byName["stats-inbound"].spec.priority);
    expect(byName["metadata-exchange"].spec.priority).toBeGreaterThan(byName["stats-outbound"].spec.priority);
  });

  it("fails closed for authentication, open for telemetry", () => {
    expect(byName["header-auth"].spec.failStrategy).toBe("FAIL_CLOSE");
    for (const n of ["metadata-exchange", "stats-inbound", "stats-outbound"]) expect(byName[n].spec.failStrategy).toBe("FAIL_OPEN");
  });

  it("matches directions: stats_inbound on SERVER, stats_outbound on CLIENT, metadata-exchange both", () => {
    expect(byName["stats-inbound"].spec.match).toEqual([{ mode: "SERVER" }]);
    expect(byName["stats-outbound"].spec.match).toEqual([{ mode: "CLIENT" }]);
    expect(byName["metadata-exchange"].spec.match).toEqual([{ mode: "CLIENT_AND_SERVER" }]);
    expect(byName["header-auth"].spec.match).toEqual([{ mode: "SERVER" }]);
  });

  it("pins the pushed wasm-variant manifest digest and carries the example configuration", () => {
    const ha = byName["header-auth"].spec;
    expect(ha.url).toBe("oci://127.0.0.1:5000/wasm/header-auth:0.1.0");
    expect(ha.sha256).toBe(digestHex("header-auth"));
    expect(ha.pluginConfig).toEqual(JSON.parse(readFileSync(path.join(FIXTURE_ROOT, "filters/header-auth/example-config.json"), "utf8")));
    expect(ha.selector).toEqual({ matchLabels: { app: "httpbin" } });
    expect(ha.imagePullPolicy).toBe("IfNotPresent");
  });

  it("uses the compat variant's tag and digest with --istio-variant compat", () => {
    const { files: c } = renderFixture({ digest: true, options: { istioVariant: "compat" } });
    const d = docsOf(c, "wasmplugin/stats.yaml")[0]!;
    expect(d.spec.url).toBe("oci://127.0.0.1:5000/wasm/stats:0.1.0-compat");
    expect(d.spec.sha256).toBe(digestHex("stats", "compat"));
  });

  it("leaves sha256 out without --digest and adds imagePullSecret when given", () => {
    const { files: f } = renderFixture({ options: { imagePullSecret: "regcred" } });
    const d = docsOf(f, "wasmplugin/header-auth.yaml")[0]!;
    expect(d.spec.sha256).toBeUndefined();
    expect(d.spec.imagePullSecret).toBe("regcred");
  });

  it("asks for the Istio label names as extraStatTags when stats is deployed", () => {
    const [patch] = docsOf(files, "wasmplugin/workload-patch.yaml");
    expect(patch!.spec.template.metadata.annotations["sidecar.istio.io/extraStatTags"].split(",")).toEqual(ISTIO_LABELS);
  });
});

describe("EnvoyFilter", () => {
  for (const form of ["ecds", "local"] as const) {
    describe(form, () => {
      const { files } = renderFixture({ digest: true });
      const [ef] = docsOf(files, `envoyfilter-${form}/chain.yaml`);
      const patches = ef!.spec.configPatches;

      it("inserts the filters before the router in chain order, per direction", () => {
        const ns = "demo";
        const n = (x: string) => (form === "ecds" ? `${ns}/${x}` : `${ns}.${x}`);
        expect(applyInsertBeforeRouter(patches, "SIDECAR_INBOUND")).toEqual([n("header-auth"), n("metadata-exchange"), n("stats-inbound"), n("add-header"), "envoy.filters.http.router"]);
        expect(applyInsertBeforeRouter(patches, "SIDECAR_OUTBOUND")).toEqual([n("metadata-exchange"), n("stats-outbound"), "envoy.filters.http.router"]);
      });

      it("per-filter EnvoyFilters carry priorities in chain order", () => {
        const prio = ["header-auth", "metadata-exchange", "stats", "add-header"].map((x) => docsOf(files, `envoyfilter-${form}/${x}.yaml`)[0]!.spec.priority);
        expect([...prio].sort((a, b) => a - b)).toEqual(prio);
        expect(new Set(prio).size).toBe(prio.length);
      });

      it("uses stats_inbound inbound and stats_outbound outbound", () => {
        const wasm = (p: any) => (form === "ecds" ? patches.find((x: any) => x.applyTo === "EXTENSION_CONFIG" && x.patch.value.name === p.patch.value.name).patch.value.typed_config : p.patch.value.typed_config);
        const rootIds = (ctx: string) => patches.filter((p: any) => p.applyTo === "HTTP_FILTER" && p.match.context === ctx).map((p: any) => wasm(p).config.root_id);
        expect(rootIds("SIDECAR_INBOUND")).toEqual(["header_auth", "metadata_exchange", "stats_inbound", "add_header"]);
        expect(rootIds("SIDECAR_OUTBOUND")).toEqual(["metadata_exchange", "stats_outbound"]);
      });
    });
  }

  it("ECDS: remote oci:// code with the manifest digest, cluster and timeout; names match the config_discovery filters", () => {
    const { files } = renderFixture({ digest: true });
    const [ef] = docsOf(files, "envoyfilter-ecds/header-auth.yaml");
    const [ext, filter] = ef!.spec.configPatches.filter((p: any) => p.applyTo !== "NETWORK_FILTER");
    expect(ext.applyTo).toBe("EXTENSION_CONFIG");
    expect(ext.patch.operation).toBe("ADD");
    expect(filter.patch.value.name).toBe(ext.patch.value.name);
    expect(filter.patch.value.config_discovery).toEqual({ config_source: { ads: {} }, type_urls: ["type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"] });
    const remote = ext.patch.value.typed_config.config.vm_config.code.remote;
    expect(remote).toEqual({ http_uri: { uri: "oci://127.0.0.1:5000/wasm/header-auth:0.1.0", cluster: "_", timeout: "30s" }, sha256: digestHex("header-auth") });
  });

  it("header-auth's EnvoyFilters merge the path and header hardening into the inbound HTTP connection manager first; the others do not", () => {
    const { files } = renderFixture();
    const hardening = {
      applyTo: "NETWORK_FILTER",
      match: { context: "SIDECAR_INBOUND", listener: { filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } } } },
      patch: {
        operation: "MERGE",
        value: { name: "envoy.filters.network.http_connection_manager", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", ...HCM_PATH_HARDENING } },
      },
    };
    for (const form of ["ecds", "local"]) {
      for (const f of ["header-auth", "chain"]) expect(docsOf(files, `envoyfilter-${form}/${f}.yaml`)[0]!.spec.configPatches[0], `${form} ${f}`).toEqual(hardening);
      for (const f of ["metadata-exchange", "stats", "add-header"]) {
        expect(docsOf(files, `envoyfilter-${form}/${f}.yaml`)[0]!.spec.configPatches.some((p: any) => p.applyTo === "NETWORK_FILTER"), `${form} ${f}`).toBe(false);
      }
    }
    // WasmPlugin users get it as an EnvoyFilter of its own, for the same workloads.
    const [ef] = docsOf(files, "wasmplugin/path-hardening.yaml");
    expect(ef!.kind).toBe("EnvoyFilter");
    expect(ef!.spec.workloadSelector).toEqual({ labels: { app: "httpbin" } });
    expect(ef!.spec.configPatches).toEqual([hardening]);
  });

  it("ECDS without --digest sends istiod's \"nil\" checksum marker", () => {
    const { files } = renderFixture();
    const [ef] = docsOf(files, "envoyfilter-ecds/stats.yaml");
    const exts = ef!.spec.configPatches.filter((p: any) => p.applyTo === "EXTENSION_CONFIG");
    expect(exts).toHaveLength(2);
    for (const e of exts) expect(e.patch.value.typed_config.config.vm_config.code.remote.sha256).toBe("nil");
  });

  it("--istio 1.25+ writes failure_policy, older writes fail_open only where it is true", () => {
    const cfg = (istio: string, name: string) => docsOf(renderFixture({ options: { istio } }).files, `envoyfilter-local/${name}.yaml`)[0]!.spec.configPatches
      .find((p: any) => p.applyTo === "HTTP_FILTER").patch.value.typed_config.config;
    expect(cfg("1.25", "header-auth").failure_policy).toBe("FAIL_CLOSED");
    expect(cfg("1.26.1", "stats").failure_policy).toBe("FAIL_OPEN");
    expect(cfg("1.26", "stats").fail_open).toBeUndefined();
    expect(cfg("1.24", "stats").fail_open).toBe(true);
    expect(cfg("1.24", "stats").failure_policy).toBeUndefined();
    expect(cfg("1.18", "header-auth")).not.toHaveProperty("fail_open");
    expect(cfg("1.18", "header-auth")).not.toHaveProperty("failure_policy");
  });

  it("passes the example configuration as a StringValue, byte for byte", () => {
    const { files } = renderFixture();
    const c = docsOf(files, "envoyfilter-local/metadata-exchange.yaml")[0]!.spec.configPatches[0].patch.value.typed_config.config;
    expect(c.configuration["@type"]).toBe("type.googleapis.com/google.protobuf.StringValue");
    expect(JSON.parse(c.configuration.value)).toEqual(JSON.parse(readFileSync(path.join(FIXTURE_ROOT, "filters/metadata-exchange/example-config.json"), "utf8")));
    expect(c.vm_config.runtime).toBe("envoy.wasm.runtime.v8");
  });

  it("local form: modules under the mounted directory, with userVolume/userVolumeMount annotations", () => {
    const { files } = renderFixture();
    const c = docsOf(files, "envoyfilter-local/stats.yaml")[0]!.spec.configPatches[0].patch.value.typed_config.config;
    expect(c.vm_config.code).toEqual({ local: { filename: "/var/local/lib/wasm-filters/stats.wasm" } });
    const ann = docsOf(files, "envoyfilter-local/workload-patch.yaml")[0]!.spec.template.metadata.annotations;
    const vols = JSON.parse(ann["sidecar.istio.io/userVolume"]);
    const mounts = JSON.parse(ann["sidecar.istio.io/userVolumeMount"]);
    expect(mounts[0].mountPath).toBe("/var/local/lib/wasm-filters");
    expect(mounts[0].name).toBe(vols[0].name);
    expect(vols[0].configMap.name).toBeTruthy();
  });
});

describe("ASMFilterDeployment", () => {
  const { files } = renderFixture({ digest: true, options: { imagePullSecret: "asmwasm-cache" } });
  const docs = docsOf(files, "asm/chain.yaml");

  it("one per direction, rootID per direction, wasm-variant image, parameters as a JSON string", () => {
    expect(docs.map((d) => [d.metadata.name, d.spec.filter.patchContext, d.spec.filter.rootID])).toEqual([
      ["header-auth", "SIDECAR_INBOUND", "header_auth"],
      ["metadata-exchange-inbound", "SIDECAR_INBOUND", "metadata_exchange"],
      ["metadata-exchange-outbound", "SIDECAR_OUTBOUND", "metadata_exchange"],
      ["stats-inbound", "SIDECAR_INBOUND", "stats_inbound"],
      ["stats-outbound", "SIDECAR_OUTBOUND", "stats_outbound"],
      ["add-header", "SIDECAR_INBOUND", "add_header"],
    ]);
    const s = docs[3]!.spec;
    expect(s.workload).toEqual({ kind: "Deployment", labels: { app: "httpbin" } });
    expect(s.filter.image).toBe("127.0.0.1:5000/wasm/stats:0.1.0");
    expect(JSON.parse(s.filter.parameters)).toEqual(JSON.parse(readFileSync(path.join(FIXTURE_ROOT, "filters/stats/example-config.json"), "utf8")));
    expect(s.filter.imagePullOptions).toEqual({ pullSecret: "asmwasm-cache" });
    expect(new Set(docs.map((d) => d.spec.filter.id)).size).toBe(docs.length);
    expect(docs[3]!.metadata.annotations["mesh-wasm-filters.io/manifest-digest"]).toBe(`sha256:${digestHex("stats")}`);
  });
});

describe("Envoy bootstrap", () => {
  const { files } = renderFixture();
  const [boot] = docsOf(files, "envoy/envoy.yaml");
  const hcm = boot!.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;

  it("runs the filters from local files in chain order before the router, inbound", () => {
    expect(hcm.http_filters.map((f: any) => f.typed_config.config?.root_id ?? f.name)).toEqual(["header_auth", "metadata_exchange", "stats_inbound", "add_header", "envoy.filters.http.router"]);
    expect(hcm.http_filters[0].typed_config.config.vm_config.code.local.filename).toBe("build/header-auth.wasm");
    expect(boot!.static_resources.listeners[0].traffic_direction).toBe("INBOUND");
    expect(boot!.node.metadata.NAMESPACE).toBe("demo");
  });

  const golden = ISTIO_BOOTSTRAP_STATS_TAGS;

  it("uses Istio's label regexes verbatim (golden bootstrap), covering all 25 labels", () => {
    const tags = boot!.stats_config.stats_tags as { tag_name: string; regex: string }[];
    expect(tags).toEqual(STATS_TAGS);
    for (const label of ISTIO_LABELS) expect(tags.some((t) => t.tag_name === label)).toBe(true);
    for (const t of tags) {
      const g = golden.filter((x) => x.tag_name === t.tag_name).map((x) => x.regex);
      expect(g, t.tag_name).toContain(t.regex);
    }
    const goldenLabels = golden.filter((g) => /^\(\w+=\\\.=\(\.\*\?\);\\\.;\)$/.test(g.regex)).map((g) => g.tag_name);
    expect(goldenLabels.length).toBe(29);
    for (const l of goldenLabels) expect(tags.map((t) => t.tag_name)).toContain(l);
  });

  it("the tags reduce a stats-filter name to istio_requests_total with every label extracted", () => {
    const values: Record<string, string> = Object.fromEntries(ISTIO_LABELS.map((l) => [l, l === "response_code" ? "200" : `v-${l}`]));
    let name = `${ISTIO_LABELS.map((l) => `${l}=.=${values[l]};.;`).join("")}istio_requests_total`;
    const got: Record<string, string> = {};
    for (const t of boot!.stats_config.stats_tags) {
      // Envoy: the first capture is removed from the name, the second is the value.
      const m = new RegExp(t.regex).exec(name);
      if (!m || got[t.tag_name] !== undefined) continue;
      got[t.tag_name] = m[2]!;
      name = name.replace(m[1]!, "");
    }
    expect(name).toBe("istio_requests_total");
    expect(got).toEqual(values);
  });
});

describe("inputs", () => {
  it("refuses a module that does not register the root id a direction needs", () => {
    const root = tempDir();
    cpSync(FIXTURE_ROOT, root, { recursive: true });
    const fj = JSON.parse(readFileSync(path.join(root, "build/filters.json"), "utf8"));
    fj.find((f: any) => f.name === "stats").rootIds = ["stats"];
    writeFileSync(path.join(root, "build/filters.json"), JSON.stringify(fj));
    expect(() => loadInputs({ root })).toThrow(/stats\/deploy\.json: rootId\.inbound: 'stats_inbound' is not registered by the module \(it registers 'stats'\)/);
  });

  it("refuses a push of a different module than the one built", () => {
    const root = tempDir();
    cpSync(FIXTURE_ROOT, root, { recursive: true });
    const p = JSON.parse(readFileSync(path.join(root, "dist/pushed.json"), "utf8"));
    p.artifacts[0].moduleSha256 = "0".repeat(64);
    writeFileSync(path.join(root, "dist/pushed.json"), JSON.stringify(p));
    expect(() => loadInputs({ root, pushedJson: "dist/pushed.json" })).toThrow(/differs from the built one/);
  });

  it("requires example-config.json to be a JSON object", () => {
    const root = tempDir();
    cpSync(FIXTURE_ROOT, root, { recursive: true });
    writeFileSync(path.join(root, "filters/stats/example-config.json"), "[1]");
    expect(() => loadInputs({ root })).toThrow(/must be a JSON object/);
  });
});

describe("mesh-filters manifests CLI", () => {
  afterEach(() => vi.restoreAllMocks());
  const PROJECT = cliProject();
  const capture = () => {
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s: any) => ((out += String(s)), true));
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void (out += `${a.join(" ")}\n`));
    vi.spyOn(console, "error").mockImplementation(() => {});
    return () => out;
  };

  it("prints the WasmPlugins as multi-document YAML by default, pinned with --digest", async () => {
    const out = capture();
    const rc = await run(["--root", PROJECT, "--digest", "--namespace", "demo", "--selector", "app=httpbin", "--filters", "stats,header-auth,metadata-exchange"]);
    expect(rc).toBe(0);
    const docs = parseYamlDocs(out());
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(["WasmPlugin/header-auth", "WasmPlugin/metadata-exchange", "WasmPlugin/stats-inbound", "WasmPlugin/stats-outbound"]);
    expect(docs[0]!.spec.url).toBe("oci://127.0.0.1:5000/wasm/header-auth:0.1.0"); // --image/--tag from pushed.json
    expect(docs[0]!.spec.sha256).toBe(digestHex("header-auth"));
  });

  it("writes one folder per platform with --out", async () => {
    const dir = tempDir();
    capture();
    const rc = await run(["--root", PROJECT, "--image", "registry.example.com/x", "--tag", "1.2.3", "--namespace", "demo", "--selector", "app=httpbin,version=v1", "--istio", "1.24", "--out", dir]);
    expect(rc).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["asm", "envoy", "envoyfilter-ecds", "envoyfilter-local", "wasmplugin"]);
    expect(readdirSync(path.join(dir, "wasmplugin")).sort()).toEqual(["add-header.yaml", "chain.yaml", "header-auth.yaml", "metadata-exchange.yaml", "path-hardening.yaml", "stats.yaml", "workload-patch.yaml"]);
    const wp = parseYamlDocs(readFileSync(path.join(dir, "wasmplugin/header-auth.yaml"), "utf8"))[0]!;
    expect(wp.spec.url).toBe("oci://registry.example.com/x/header-auth:1.2.3");
    expect(wp.spec.selector.matchLabels).toEqual({ app: "httpbin", version: "v1" });
    expect(readFileSync(path.join(dir, "envoyfilter-ecds/chain.yaml"), "utf8")).toContain("fail_open: true");
  });

  it("checks Kubernetes names before writing: a namespace, Secret or selector Kubernetes refuses fails the command and nothing is written", async () => {
    capture();
    const dir = tempDir();
    const args = ["--root", PROJECT, "--image", "registry.example.com/x", "--tag", "1.0.0", "--selector", "app=httpbin"];
    await expect(run([...args, "--namespace", "Shop", "--out", dir])).rejects.toThrow(/--namespace 'Shop': not a Kubernetes namespace name/);
    await expect(run([...args, "--namespace", "demo", "--pull-secret", "s".repeat(300), "--out", dir])).rejects.toThrow(
      /do not validate; nothing was written:\n(.*\n)*wasmplugin\/chain\.yaml \(WasmPlugin header-auth\): \/spec\/imagePullSecret: must NOT be longer than 253 characters(.*\n)*.*Secret name 's+' must be at most 253 characters/,
    );
    await expect(run([...args, "--namespace", "demo", "--pull-secret", "Registry_Creds", "--out", dir])).rejects.toThrow(/\/spec\/imagePullSecret: Secret name 'Registry_Creds' must be lower-case letters/);
    await expect(run([...args, "--namespace", "demo", "--selector", "app=Bad Value", "--out", dir])).rejects.toThrow(/--selector: 'Bad Value' is not a valid label value/);
    expect(readdirSync(dir)).toEqual([]);
    expect(await run([...args, "--namespace", "demo", "--out", dir])).toBe(0);
  });

  it("rejects missing or malformed options", async () => {
    capture();
    await expect(run(["--root", PROJECT, "--image", "r.example.com/x", "--selector", "app=x"])).rejects.toThrow(/--namespace is required/);
    await expect(run(["--root", PROJECT, "--image", "r.example.com/x", "--namespace", "n", "--selector", "app"])).rejects.toThrow(/key=value/);
    await expect(run(["--root", PROJECT, "--image", "r.example.com/x", "--namespace", "n", "--selector", "app=x", "--istio", "latest"])).rejects.toThrow(/--istio/);
    await expect(run(["--root", PROJECT, "--image", "r.example.com/x", "--namespace", "n", "--selector", "app=x", "--filters", "nope"])).rejects.toThrow(/unknown filter/);
    await expect(run(["--root", PROJECT, "--namespace", "n", "--selector", "app=x", "--platform", "k8s"])).rejects.toThrow(/--image is required|--platform/);
  });
});
