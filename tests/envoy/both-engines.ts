// One scenario, both engines: a suite body declared once and run against the
// host engine (always) and against real Envoy (envoySuite: skipped without
// Envoy on a developer machine, failing under CI=true). The body gets the
// running deployment and the engine's name; expectations are written once, as
// data, and every engine must meet them.
import { afterAll, beforeAll, describe } from "vitest";
import { HostEngine } from "../../engine/host/host-engine.ts";
import type { Deployment, EngineName, Topology } from "../../engine/types.ts";
import type { EnvoyEngineOptions } from "../../engine/envoy/envoy-engine.ts";
import { envoySuite, startEnvoy } from "./helpers.ts";

export interface EngineRun {
  engine: EngineName;
  /** The suite's deployment (throws when it did not start: see the beforeAll error). */
  deployment: () => Deployment;
}

function suiteBody(engine: EngineName, topology: () => Topology | Promise<Topology>, options: EnvoyEngineOptions, body: (run: EngineRun) => void): () => void {
  return () => {
    let d: Deployment | undefined;
    beforeAll(async () => {
      const t = await topology();
      d = engine === "host" ? await new HostEngine().start(t) : await startEnvoy(t, options);
    });
    afterAll(async () => {
      await d?.stop();
    });
    body({
      engine,
      deployment: () => {
        if (!d) throw new Error(`the ${engine} deployment did not start (see the beforeAll error)`);
        return d;
      },
    });
  };
}

/** `describe("host engine: <name>")` and `envoySuite("<name>")`, each with its own deployment of `topology`. */
export function onBothEngines(
  name: string,
  topology: () => Topology | Promise<Topology>,
  body: (run: EngineRun) => void,
  envoyOptions: EnvoyEngineOptions = {},
): void {
  describe(`host engine: ${name}`, suiteBody("host", topology, {}, body));
  envoySuite(name, suiteBody("envoy", topology, envoyOptions, body));
}
