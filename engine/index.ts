// The engines behind one interface (engine/types.ts): pick one by name.
import { EnvoyEngine, type EnvoyEngineOptions } from "./envoy/envoy-engine.ts";
import { HostEngine } from "./host/host-engine.ts";
import type { Engine, EngineName } from "./types.ts";

export * from "./types.ts";
export { HostEngine, HostDeployment } from "./host/host-engine.ts";
export { EnvoyEngine, EnvoyDeployment, envoyVersion, type EnvoyEngineOptions } from "./envoy/envoy-engine.ts";
export { runningEnvoyPids } from "./envoy/process.ts";
export { OUR_FILTER_STATE_KEYS } from "./filter-state.ts";
export { planStream, UnproducibleProperty, PRODUCIBLE } from "./properties.ts";

export const ENGINE_NAMES: readonly EngineName[] = ["host", "envoy"];

/** The engine of that name; "envoy" throws when no Envoy binary is found (saying how to get one). */
export function createEngine(name: EngineName, options: { envoy?: EnvoyEngineOptions } = {}): Engine {
  switch (name) {
    case "host":
      return new HostEngine();
    case "envoy":
      return new EnvoyEngine(options.envoy);
    default:
      throw new Error(`unknown engine '${String(name)}' (${ENGINE_NAMES.join(", ")})`);
  }
}
