// Public API of the deployment generators (`mesh-wasm-filters/deploy`): read the
// inputs, render Istio / ASM / Envoy manifests, validate them.
export {
  loadInputs, parseSelector, parseIstioVersion, repository, DEFAULTS,
  type FilterInput, type RenderOptions, type Profile, type Attachment, type PushedJsonFile,
} from "./model.ts";
export { renderFiles, toYaml, PLATFORMS, type OutputFile, type Platform, type RenderInput } from "./render.ts";
export { wasmPlugins } from "./wasmplugin.ts";
export { asmFilterDeployments } from "./asm.ts";
export { envoyFilterFor, envoyFilterTogether } from "./envoyfilter.ts";
export { envoyBootstrap } from "./envoy-bootstrap.ts";
export { loadValidators, validateRendered, validateDocument, type Validators } from "./validate/index.ts";
