// The checked-in examples/envoyfilter/ files: `mesh-filters manifests
// --examples` renders them from a fixed example reference so they change only
// when the generators, the filters' example-config.json or their root ids
// change (tests/manifests/examples.test.ts fails when they are stale).
//
// The digests are placeholders: sha256 of a fixed label, not of anything
// pushed. Real manifest digests depend on the commit (the OCI annotations
// carry the revision and its time), so checked-in files could never match
// them; users regenerate with `--digest dist/pushed.json` after their push.
import { createHash } from "node:crypto";
import { loadInputs, type FilterInput, type PushedJsonFile, type RenderOptions, CANONICAL_ORDER, DEFAULTS } from "./model.ts";
import { renderFiles, type OutputFile } from "./render.ts";
import { readFiltersJson } from "../oci/filters-json.ts";
import path from "node:path";

export const EXAMPLE = {
  image: "registry.example.com/mesh-wasm-filters",
  tag: "0.1.0",
  namespace: "demo",
  selector: { app: "httpbin" },
  imagePullSecret: "registry-credentials",
} as const;

export function exampleDigest(name: string, variant: "wasm" | "compat"): string {
  return `sha256:${createHash("sha256").update(`mesh-wasm-filters example placeholder ${name} ${variant} ${EXAMPLE.tag}`).digest("hex")}`;
}

/** The fixed example "push": what dist/pushed.json would say for registry.example.com. */
export function examplePushed(root: string, filtersJson = "build/filters.json"): PushedJsonFile {
  const entries = readFiltersJson(path.resolve(root, filtersJson));
  return {
    registry: EXAMPLE.image,
    tag: EXAMPLE.tag,
    artifacts: entries.flatMap((e) =>
      (["wasm", "compat"] as const).map((variant) => ({
        name: e.name,
        variant,
        reference: `${EXAMPLE.image}/${e.name}:${variant === "wasm" ? EXAMPLE.tag : `${EXAMPLE.tag}-compat`}`,
        digest: exampleDigest(e.name, variant),
        rootIds: e.rootIds,
        moduleSha256: e.sha256,
      })),
    ),
  };
}

export function exampleOptions(istio: string = DEFAULTS.istio): RenderOptions {
  return {
    image: EXAMPLE.image,
    tag: EXAMPLE.tag,
    namespace: EXAMPLE.namespace,
    selector: { ...EXAMPLE.selector },
    istio,
    istioVariant: "wasm",
    imagePullPolicy: "IfNotPresent",
    imagePullSecret: EXAMPLE.imagePullSecret,
    sidecarWasmDir: DEFAULTS.sidecarWasmDir,
    envoyWasmDir: DEFAULTS.envoyWasmDir,
    envoyListenPort: DEFAULTS.envoyListenPort,
    envoyBackend: { ...DEFAULTS.envoyBackend },
    envoyAdminPort: DEFAULTS.envoyAdminPort,
  };
}

export const EXAMPLE_NOTE = [
  `Example reference ${EXAMPLE.image}, tag ${EXAMPLE.tag}: the sha256 values are PLACEHOLDERS.`,
  "For your registry: mesh-filters push ... && mesh-filters manifests --digest --image <registry/ns> ...",
];

export const LEGACY_ISTIO = "1.24";

/** Every file of examples/envoyfilter/ except the hand-written README.md. */
export function renderExamples(root: string, o: { filtersJson?: string; filtersDir?: string } = {}): OutputFile[] {
  const pushed = examplePushed(root, o.filtersJson);
  const { filters } = loadInputs({ root, filtersJson: o.filtersJson, filtersDir: o.filtersDir, pushed });
  const chain: FilterInput[] = filters.filter((f) => CANONICAL_ORDER.includes(f.entry.name));
  const missing = CANONICAL_ORDER.filter((n) => !filters.some((f) => f.entry.name === n));
  if (missing.length) throw new Error(`examples need ${missing.join(", ")} in build/filters.json (run \`mesh-filters build\`)`);
  const files = renderFiles({ filters, chain, options: exampleOptions(), note: EXAMPLE_NOTE });
  // The pre-1.25 form (fail_open instead of failure_policy) of the chain.
  files.push(
    ...renderFiles({ filters, chain, options: exampleOptions(LEGACY_ISTIO), note: EXAMPLE_NOTE, platforms: ["envoyfilter-ecds", "envoyfilter-local"], chainSuffix: `-istio-${LEGACY_ISTIO}` }),
  );
  return files;
}
