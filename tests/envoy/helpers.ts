// Building blocks for suites that run real Envoy (tests/envoy/ and later
// suites): find the binary, declare the suite so that a missing Envoy skips it
// on a developer machine but fails it in CI, and start topologies that are
// always stopped, whatever the test does.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { EnvoyEngine, envoyVersion, type EnvoyDeployment, type EnvoyEngineOptions } from "../../engine/envoy/envoy-engine.ts";
import type { PluginSpec, Topology } from "../../engine/types.ts";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";
import { findTools, toolSuite } from "../support/real-tools.ts";

/** The Envoy binary the suites run (ENVOY_BIN, PATH, then .tools/bin), or undefined. */
export const ENVOY_BIN = findTools(["envoy"]).found.envoy?.path;
export const ENVOY_VERSION = ENVOY_BIN ? envoyVersion(ENVOY_BIN) : undefined;

/** Every real-Envoy suite's name starts with this; tests/summary-reporter.ts counts their tests. */
export const REAL_ENVOY = "real Envoy";

/**
 * describe() for suites that need Envoy (tests/support/real-tools.ts toolSuite),
 * named `real Envoy <version>: <name>`: skipped with the reason on a machine
 * without Envoy, failing under CI=true.
 */
export function envoySuite(name: string, fn: () => void): void {
  toolSuite(`${REAL_ENVOY}${ENVOY_VERSION ? ` ${ENVOY_VERSION}` : ""}: ${name}`, ["envoy"], fn);
}

export function envoyEngine(options: EnvoyEngineOptions = {}): EnvoyEngine {
  return new EnvoyEngine({ bin: ENVOY_BIN, ...options });
}

/** build/<name>.wasm, or an error saying how to build it. */
export function builtModule(name: string): string {
  const file = path.join(PROJECT_ROOT, "build", `${name}.wasm`);
  if (!existsSync(file)) throw new Error(`${file} missing: run \`npx mesh-filters build\` first`);
  return file;
}

/** A plugin of ours with its example configuration. */
export function ourPlugin(filter: string, over: Partial<PluginSpec> = {}): PluginSpec {
  const configuration = JSON.stringify(JSON.parse(readFileSync(path.join(PROJECT_ROOT, "filters", filter, "example-config.json"), "utf8")));
  return { name: filter, module: builtModule(filter), rootId: filter.replace(/-/g, "_"), configuration, ...over };
}

const started = new Set<EnvoyDeployment>();

/** Starts a topology in Envoy; it is stopped after the test file even if nobody calls stop(). */
export async function startEnvoy(topology: Topology, options: EnvoyEngineOptions = {}): Promise<EnvoyDeployment> {
  const d = await envoyEngine(options).start(topology);
  started.add(d);
  return d;
}

async function stopAll(): Promise<void> {
  const all = [...started];
  started.clear();
  await Promise.all(all.map((d) => d.stop()));
}

/**
 * A deployment shared by the tests of a suite: started before them, stopped
 * after them (and after a failing test too). Call inside envoySuite.
 */
export function useEnvoy(topology: () => Topology | Promise<Topology>, options: EnvoyEngineOptions = {}): () => EnvoyDeployment {
  let d: EnvoyDeployment | undefined;
  beforeAll(async () => {
    d = await startEnvoy(await topology(), options);
  });
  afterAll(async () => {
    await d?.stop();
  });
  return () => {
    if (!d) throw new Error("the suite's Envoy did not start (see the beforeAll error)");
    return d;
  };
}

/** For tests that start their own deployments with startEnvoy: stop them after each test. */
export function stopEnvoysAfterEach(): void {
  afterEach(stopAll);
  afterAll(stopAll);
}
