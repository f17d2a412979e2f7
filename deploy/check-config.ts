// Before a manifest is written, the filter itself judges the configuration it
// will get: its built module is loaded in the Envoy-faithful host, with the
// root id of each attachment, and its proxy_on_configure runs on the exact
// bytes the proxy will receive. A rejection is the filter's own log lines,
// as Envoy would log them at startup before refusing the plugin.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ProxyWasmHost, PluginLoadError } from "../host/index.ts";
import type { FilterInput, RenderOptions } from "./model.ts";

/** A sidecar-like node (Istio's metadata shape) for filters that read it at configure time. */
function sidecarNode(o: Pick<RenderOptions, "namespace" | "selector">) {
  const workload = o.selector.app ?? Object.values(o.selector)[0] ?? "workload";
  return {
    id: `sidecar~10.0.0.1~${workload}-0.${o.namespace}~${o.namespace}.svc.cluster.local`,
    cluster: `${workload}.${o.namespace}`,
    metadata: { NAMESPACE: o.namespace, NAME: `${workload}-0`, WORKLOAD_NAME: workload, LABELS: { ...o.selector }, CLUSTER_ID: "Kubernetes", MESH_ID: "cluster.local" },
  };
}

/**
 * Problems, one per filter and root id that refuses its configuration (empty
 * when every filter accepts it). `root` is the project (build/filters.json's
 * `file` paths are relative to it).
 */
export async function checkConfigurations(filters: FilterInput[], root: string, o: Pick<RenderOptions, "namespace" | "selector">): Promise<string[]> {
  const problems: string[] = [];
  for (const f of filters) {
    const file = path.resolve(root, f.entry.file);
    let module: Uint8Array;
    try {
      module = new Uint8Array(readFileSync(file));
    } catch (err) {
      problems.push(`${f.entry.name}: cannot read its module ${file}: ${(err as Error).message} (run \`mesh-filters build\`)`);
      continue;
    }
    const sha = createHash("sha256").update(module).digest("hex");
    if (sha !== f.entry.sha256) {
      problems.push(`${f.entry.name}: ${file} is not the module build/filters.json records (sha256 ${sha.slice(0, 12)}…, recorded ${f.entry.sha256.slice(0, 12)}…); run \`mesh-filters build\``);
      continue;
    }
    for (const rootId of [...new Set(f.profile.attachments.map((a) => a.rootId))]) {
      // A host per check: the configure-time logs are this plugin's alone.
      const host = new ProxyWasmHost({ node: sidecarNode(o), logLevel: "info" });
      try {
        await host.loadPlugin({ module, name: f.entry.name, rootId, configuration: f.configJson });
      } catch (err) {
        if (!(err instanceof PluginLoadError)) throw err;
        const said = err.logs.filter((l) => l.level === "error" || l.level === "critical").map((l) => l.message);
        const lines = said.length ? said : [err.reason];
        problems.push(`${f.entry.name} (root id ${rootId}) rejects its configuration from ${f.configSource}:\n    ${lines.join("\n    ")}`);
      }
    }
  }
  return problems;
}
