// packageFilters: build/filters.json + modules -> dist/oci (both variants by default).
import path from "node:path";
import { buildWasmArtifact } from "./artifact-wasm.ts";
import { buildCompatArtifact } from "./artifact-compat.ts";
import type { BuiltArtifact } from "./artifact.ts";
import { loadBuiltFilters, type BuiltFilter } from "./filters-json.ts";
import { layoutTag, VARIANTS, type Variant } from "./media-types.ts";
import { resolveProvenance, type Provenance } from "./provenance.ts";
import { writeLayout } from "./layout.ts";

export interface PackageOptions {
  /** Project root: package.json (version), git (created/revision/source), base of relative paths. */
  projectRoot: string;
  /** Default `<projectRoot>/build/filters.json`. */
  filtersJson?: string;
  /** Default `<projectRoot>/dist/oci`. */
  outDir?: string;
  /** Default both. */
  variants?: Variant[];
  /** Only these filters (default: every filter in filters.json). */
  only?: string[];
  /** Environment for SOURCE_DATE_EPOCH (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Overrides resolveProvenance (tests, callers that already know it). */
  provenance?: Provenance;
}

export interface PackagedArtifact {
  name: string;
  variant: Variant;
  /** Tag inside the layout: `<name>` or `<name>-compat`. */
  tag: string;
  manifestDigest: string;
  manifestSize: number;
  rootIds: string[];
  moduleSha256: string;
  artifact: BuiltArtifact;
}

export interface PackageResult {
  layoutDir: string;
  provenance: Provenance;
  artifacts: PackagedArtifact[];
}

export function buildArtifact(f: BuiltFilter, variant: Variant, prov: Provenance): BuiltArtifact {
  return variant === "wasm" ? buildWasmArtifact(f, prov) : buildCompatArtifact(f, prov);
}

export function packageFilters(opts: PackageOptions): PackageResult {
  const root = path.resolve(opts.projectRoot);
  const filtersJson = path.resolve(root, opts.filtersJson ?? "build/filters.json");
  const layoutDir = path.resolve(root, opts.outDir ?? "dist/oci");
  const variants = opts.variants?.length ? opts.variants : [...VARIANTS];
  const provenance = opts.provenance ?? resolveProvenance(root, opts.env);
  const filters = loadBuiltFilters(filtersJson, root, opts.only);
  if (filters.length === 0) throw new Error(`${filtersJson} lists no filters`);
  const artifacts: PackagedArtifact[] = [];
  for (const f of filters) {
    for (const variant of variants) {
      const artifact = buildArtifact(f, variant, provenance);
      artifacts.push({
        name: f.name,
        variant,
        tag: layoutTag(f.name, variant),
        manifestDigest: artifact.manifestDigest,
        manifestSize: artifact.manifestBytes.length,
        rootIds: f.rootIds,
        moduleSha256: f.sha256,
        artifact,
      });
    }
  }
  writeLayout(layoutDir, artifacts.map((a) => ({ tag: a.tag, artifact: a.artifact })));
  return { layoutDir, provenance, artifacts };
}
