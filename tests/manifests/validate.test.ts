// Every rendered manifest against the real thing: Istio's CRD schemas (from
// @kubernetes-models/istio) and the CEL rules they leave out, Envoy's protos
// for every Envoy config inside, our ASM schema, the root ids the
// modules register and the digests that were pushed. Then proof that each
// check bites.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readFiltersJson } from "../../oci/filters-json.ts";
import { checkAgainstBuild, findWasmConfigs, loadValidators, parseYamlDocs, validateDocument, type Validators } from "../../deploy/validate/index.ts";
import { envoyFilterCel, IstioCrdSchemas, wasmPluginCel, wasmUrlSchemeOk } from "../../deploy/validate/istio.ts";
import { checkAsmFilterDeployment } from "../../deploy/validate/asm.ts";
import { KNOWN_NEWER_PLUGIN_FIELDS } from "../../deploy/validate/envoy-proto.ts";
import { docsOf, FIXTURE_ROOT, REPO_ROOT, renderFixture } from "./helpers.ts";

let v: Validators;
beforeAll(() => {
  v = loadValidators();
});

const entries = readFiltersJson(path.join(FIXTURE_ROOT, "build/filters.json"));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe("every rendered document is valid", () => {
  for (const istio of ["1.26", "1.24"]) {
    for (const digest of [true, false]) {
      it(`Istio ${istio}, ${digest ? "pinned with --digest" : "unpinned"}`, () => {
        const { files, pushed } = renderFixture({ digest, options: { istio, imagePullSecret: "regcred" } });
        const kinds = new Set<string>();
        let wasmConfigs = 0;
        for (const f of files) {
          if (f.path.endsWith("workload-patch.yaml")) continue;
          for (const d of parseYamlDocs(f.content)) {
            kinds.add(String(d.kind ?? "Bootstrap"));
            expect(validateDocument(d, v), `${f.path} ${d.metadata?.name ?? ""}`).toEqual([]);
            expect(checkAgainstBuild(d, entries, pushed), f.path).toEqual([]);
            wasmConfigs += findWasmConfigs(d).length;
          }
        }
        expect([...kinds].sort()).toEqual(["ASMFilterDeployment", "Bootstrap", "EnvoyFilter", "WasmPlugin"]);
        expect(wasmConfigs).toBeGreaterThan(20);
      });
    }
  }

  it("the workload patches carry well-formed annotation values", () => {
    const { files } = renderFixture();
    for (const f of files.filter((x) => x.path.endsWith("workload-patch.yaml"))) {
      const ann = parseYamlDocs(f.content)[0]!.spec.template.metadata.annotations as Record<string, string>;
      for (const [k, val] of Object.entries(ann)) {
        expect(typeof val).toBe("string");
        if (k.endsWith("userVolume") || k.endsWith("userVolumeMount")) expect(Array.isArray(JSON.parse(val))).toBe(true);
      }
    }
  });
});

describe("the checks bite", () => {
  const { files, pushed } = renderFixture({ digest: true });
  const wp = () => clone(docsOf(files, "wasmplugin/header-auth.yaml")[0]!);
  const ecds = () => clone(docsOf(files, "envoyfilter-ecds/header-auth.yaml")[0]!);
  const local = () => clone(docsOf(files, "envoyfilter-local/stats.yaml")[0]!);
  const asm = () => clone(docsOf(files, "asm/header-auth.yaml")[0]!);
  const boot = () => clone(docsOf(files, "envoy/envoy.yaml")[0]!);
  const msgs = (d: any) => validateDocument(d, v).map((i) => `${i.path}: ${i.message}`).join("\n");
  // The k-th Wasm patch of an EnvoyFilter (header-auth's carry the path hardening first).
  const wasmPatch = (d: any, k: number) => d.spec.configPatches.filter((p: any) => p.applyTo !== "NETWORK_FILTER")[k];

  it("WasmPlugin: CRD enums, sha256 pattern, lengths, types", () => {
    const d = wp();
    d.spec.phase = "LATE";
    d.spec.sha256 = "sha256:abc";
    d.spec.failStrategy = "FAIL_CLOSED"; // Envoy's spelling, not Istio's
    d.spec.pluginName = "x".repeat(300);
    const m = msgs(d);
    expect(m).toMatch(/\/spec\/phase: must be equal to one of the allowed values/);
    expect(m).toMatch(/\/spec\/sha256: must match pattern/);
    expect(m).toMatch(/\/spec\/failStrategy/);
    expect(m).toMatch(/\/spec\/pluginName: must NOT be longer than 256 characters/);
    expect(m).toMatch(/\/spec\/phase: must be equal to one of the allowed values \(UNSPECIFIED_PHASE, AUTHN, AUTHZ, STATS\)/);
    const t = wp();
    t.spec.priority = "high";
    t.spec.url = 5;
    t.spec.match = [{ mode: "SIDEWAYS" }];
    const mt = msgs(t);
    expect(mt).toMatch(/\/spec\/priority: must be integer/);
    expect(mt).toMatch(/\/spec\/url: must be string/);
    expect(mt).toMatch(/\/spec\/match\/0\/mode: must be equal to one of the allowed values/);
  });

  it("the CRD schemas cover exactly the kinds we render, and say so for any other", () => {
    const crds = new IstioCrdSchemas();
    expect(crds.kinds()).toEqual(["extensions.istio.io/v1alpha1/WasmPlugin", "networking.istio.io/v1alpha3/EnvoyFilter"]);
    expect(() => crds.check({ apiVersion: "extensions.istio.io/v1beta1", kind: "WasmPlugin" })).toThrow(/no CRD schema for extensions.istio.io\/v1beta1 WasmPlugin/);
    expect(crds.check(wp() as never)).toEqual([]);
  });

  it("WasmPlugin: CEL rules (url scheme, one of selector/targetRefs)", () => {
    const d = wp();
    d.spec.url = "s3://bucket/x.wasm";
    d.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }];
    const m = wasmPluginCel(d).map((i) => i.message);
    expect(m).toContain("url must have schema one of [http, https, file, oci]");
    expect(m).toContain("only one of targetRefs or selector can be set");
    expect(["oci://r/x:1", "r/x:1", "https://h/x.wasm", "file:///x.wasm", "http://h/x"].every(wasmUrlSchemeOk)).toBe(true);
    const pinned = wp();
    pinned.spec.url = `oci://r/x@sha256:${"1".repeat(64)}`;
    expect(wasmPluginCel(pinned).map((i) => i.message)).toContain("sha256 differs from the digest in url");
  });

  it("EnvoyFilter: CRD enums and CEL/admission rules", () => {
    const d = ecds();
    wasmPatch(d, 1).applyTo = "HTTP_ROUTE";
    d.spec.configPatches[1].patch.operation = "MERGE_SOMETIMES";
    d.spec.targetRefs = [{ kind: "Gateway", name: "gw" }];
    expect(msgs(d)).toMatch(/configPatches\/1\/patch\/operation: must be equal to one of the allowed values/);
    const cel = envoyFilterCel(d).map((i) => i.message);
    expect(cel).toContain("subfilter match can be used with applyTo HTTP_FILTER only");
    expect(cel).toContain("only one of targetRefs or workloadSelector can be set");
  });

  it("Envoy protos: unknown fields anywhere, even under Any", () => {
    const d = local();
    d.spec.configPatches[0].patch.value.typed_config.config.vm_config.code.local.path = "/x.wasm";
    d.spec.configPatches[0].patch.value.typed_config.config.rootId2 = "x";
    const m = msgs(d);
    expect(m).toMatch(/unknown field 'path' in envoy.config.core.v3.DataSource/);
    expect(m).toMatch(/unknown field 'rootId2' in envoy.extensions.wasm.v3.PluginConfig/);
  });

  it("Envoy protos: exactly failure_policy, reload_config and allow_on_headers_stop_iteration are the known newer PluginConfig fields", () => {
    expect(KNOWN_NEWER_PLUGIN_FIELDS).toEqual({ failure_policy: 7, reload_config: 8, allow_on_headers_stop_iteration: 9 });
    const ok = local();
    const c = ok.spec.configPatches[0].patch.value.typed_config.config;
    c.reload_config = { backoff: { base_interval: "1s", max_interval: "10s" } };
    c.allow_on_headers_stop_iteration = true;
    expect(msgs(ok)).toBe("");
    const bad = local();
    bad.spec.configPatches[0].patch.value.typed_config.config.failure_policy = "FAIL_CLOSE"; // WasmPlugin's spelling
    bad.spec.configPatches[0].patch.value.typed_config.config.vm_config.failure_policy = "FAIL_OPEN"; // wrong message
    const m = msgs(bad);
    expect(m).toMatch(/failure_policy must be one of/);
    expect(m).toMatch(/unknown field 'failure_policy' in envoy.extensions.wasm.v3.VmConfig/);
  });

  it("Envoy protos: the path-hardening patch of the inbound HTTP connection manager", () => {
    const d = ecds();
    const hcm = d.spec.configPatches[0].patch.value.typed_config;
    expect(msgs(d)).toBe("");
    hcm.path_with_escaped_slashes_action = "REJECT_SOMETIMES";
    hcm.merge_slash = true;
    const m = msgs(d);
    expect(m).toMatch(/path_with_escaped_slashes_action: enum .*'REJECT_SOMETIMES' is not one of/);
    expect(m).toMatch(/unknown field 'merge_slash' in envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager/);
  });

  it("Envoy constraints: remote code needs sha256, http_uri needs cluster and timeout", () => {
    const d = ecds();
    const remote = wasmPatch(d, 0).patch.value.typed_config.config.vm_config.code.remote;
    remote.sha256 = "";
    delete remote.http_uri.cluster;
    delete remote.http_uri.timeout;
    const m = msgs(d);
    expect(m).toMatch(/non-empty sha256/);
    expect(m).toMatch(/http_uri.cluster is required/);
    expect(m).toMatch(/http_uri.timeout is required/);
  });

  it("Envoy protos: types, enums, Duration, Any type URLs", () => {
    const b = boot();
    b.static_resources.clusters[0].connect_timeout = 1;
    b.static_resources.clusters[0].type = "STATICALLY";
    b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config["@type"] = "type.googleapis.com/envoy.extensions.filters.http.wasm.v4.Wasm";
    b.admin.address.socket_address.port_value = "ninety";
    const m = msgs(b);
    expect(m).toMatch(/Duration: expected a string/);
    expect(m).toMatch(/'STATICALLY' is not one of/);
    expect(m).toMatch(/unknown type 'type.googleapis.com\/envoy.extensions.filters.http.wasm.v4.Wasm'/);
    expect(m).toMatch(/port_value: expected uint32/);
  });

  it("ASM schema: required fields, enums, parameters must be JSON", () => {
    const d = asm();
    delete d.spec.filter.rootID;
    d.spec.filter.patchContext = "INBOUND";
    d.spec.filter.parameters = "{not json";
    d.spec.filter.imagePullOptions = { pullsecret: "x" };
    const m = checkAsmFilterDeployment(d).map((i) => `${i.path}: ${i.message}`).join("\n");
    expect(m).toMatch(/must have required property 'rootID'/);
    expect(m).toMatch(/patchContext: must be equal to one of the allowed values/);
    expect(m).toMatch(/parameters: not JSON/);
    expect(m).toMatch(/must NOT have additional properties/);
    const scheme = asm();
    scheme.spec.filter.image = `oci://${scheme.spec.filter.image}`;
    expect(checkAsmFilterDeployment(scheme).length).toBeGreaterThan(0);
  });

  it("the ASM schema says where it comes from", () => {
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, "deploy/schemas/asmfilterdeployment.schema.json"), "utf8"));
    expect(schema.$comment).toMatch(/feuyeux\/rust-wasm-4-envoy/);
    expect(schema.$comment).toMatch(/filter_deployment.proto/);
  });

  it("root ids must be registered by the module; digests must be the pushed ones", () => {
    const w = wp();
    w.spec.pluginName = "stats_inbound";
    w.spec.sha256 = "f".repeat(64);
    const m = checkAgainstBuild(w, entries, pushed).map((i) => i.message).join("\n");
    expect(m).toMatch(/root id "stats_inbound" is not registered by header-auth/);
    expect(m).toMatch(/is not the pushed sha256:/);
    const e = ecds();
    wasmPatch(e, 0).patch.value.typed_config.config.root_id = "header-auth";
    wasmPatch(e, 0).patch.value.typed_config.config.vm_config.code.remote.sha256 = "nil";
    const me = checkAgainstBuild(e, entries, pushed).map((i) => i.message).join("\n");
    expect(me).toMatch(/root id "header-auth" is not registered/);
    expect(me).toMatch(/digest nil is not the pushed/);
    const a = asm();
    a.spec.filter.rootID = "add_header";
    expect(checkAgainstBuild(a, entries, pushed).map((i) => i.message).join("\n")).toMatch(/not registered by header-auth/);
    const b = boot();
    b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[2].typed_config.config.root_id = "stats_sideways";
    expect(checkAgainstBuild(b, entries).map((i) => i.message).join("\n")).toMatch(/"stats_sideways" is not registered by stats/);
  });
});
