// Which Istio release first understands each form the manifests use. Below a
// gate the field is left out (or the render refused) rather than written for
// an API server that rejects unknown fields ("strict decoding error: unknown
// field spec.type" on 1.19, istio/istio#49901).
//
// Sources (istio/api history, extensions/v1alpha1/wasm.proto):
// - WasmPlugin: istio/api#1940 (2021-06), first released in 1.12 (its docs start at istio.io/v1.12).
// - match (TrafficSelector): istio/api#2412 (2022-07), implemented by istio/istio#40862 (2022-09);
//   present in istio/api 1.16.0's customresourcedefinitions.gen.yaml.
// - failStrategy (FailStrategy, field 13): istio/api#2799 (2023-06, after the 1.18 branch: it began
//   as `bool fail_open = 13` and became the enum in review); in the 1.19.0 WasmPlugin CRD.
// - type (PluginType, field 14): istio/api#2904 (2023-08); "available in Istio 1.20.0"
//   (istio/istio#49901: 1.19.1 refuses spec.type).
// - PluginConfig.failure_policy in proxies: Istio 1.25 (istio/istio#54512; Envoy 1.33), older take fail_open.

export type IstioVersion = [major: number, minor: number];

export const ISTIO_GATES = {
  wasmPlugin: [1, 12],
  match: [1, 16],
  failStrategy: [1, 19],
  type: [1, 20],
  failurePolicy: [1, 25],
} as const satisfies Record<string, IstioVersion>;

/** "1.26" / "1.24.3" / "v1.26" → [1, 26]. */
export function parseIstioVersion(v: string): IstioVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:-.*)?$/.exec(v.trim());
  if (!m) throw new Error(`--istio: expected a version like 1.26, got '${v}'`);
  return [Number(m[1]), Number(m[2])];
}

export function atLeast(istio: string, gate: IstioVersion): boolean {
  const [maj, min] = parseIstioVersion(istio);
  return maj > gate[0] || (maj === gate[0] && min >= gate[1]);
}

/** Throws for a version without WasmPlugin (and so without the Wasm extension support the other forms rely on). */
export function checkSupportedIstio(istio: string): void {
  if (!atLeast(istio, ISTIO_GATES.wasmPlugin)) {
    throw new Error(`--istio ${istio}: Istio before ${ISTIO_GATES.wasmPlugin.join(".")} has no WasmPlugin; these manifests need Istio ${ISTIO_GATES.wasmPlugin.join(".")} or newer`);
  }
}
