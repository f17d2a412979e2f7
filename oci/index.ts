// Public API of oci/ (used by scripts/commands/{package,push,verify}.ts and the demo).
export { packageFilters, buildArtifact, type PackageOptions, type PackageResult, type PackagedArtifact } from "./package.ts";
export { readArtifactFromLayout, interpretArtifact, type LoadedArtifact, type RuntimeConfig } from "./artifact-reader.ts";
export { pullArtifact, type PullOptions } from "./pull.ts";
export { pushFilters, pushCommand, PushError, NO_TOOL_MESSAGE, AUTH_FILE_PLACEHOLDER, type PushOptions, type PushResult, type PushedJson, type PushedArtifact, type PushTool } from "./push.ts";
export { verifyArtifact, formatReport, type VerifyOptions, type VerifyReport, type AbiChecker } from "./verify.ts";
export { istioExtract, IstioRejection } from "./istio-rules.ts";
export { checkOciDocument, assertOciDocument, OciSpecError, type OciDocumentKind, type SpecProblem } from "./image-spec.ts";
export { readIndex, resolveTag, readBlob, layoutTags, writeLayout } from "./layout.ts";
export { resolveProvenance, normalizeSourceUrl, type Provenance } from "./provenance.ts";
export { RegistryClient, RegistryError } from "./registry-client.ts";
export { parseReference, formatReference } from "./reference.ts";
export { MT, ANNOTATION, layoutTag, registryTag, VARIANTS, type Variant } from "./media-types.ts";
export { digestOf, sha256Hex } from "./digest.ts";
export { writeTempAuthFile, credentialsFromAuthFile, type Credentials } from "./auth.ts";
