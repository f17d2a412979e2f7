// Validation against the OCI image-spec v1.1.1 JSON Schemas kept verbatim in
// ../shared/schemas/oci (draft-04). Their `id`s and relative `$ref`s only
// resolve through the alias map the upstream Go validator registers, so each
// file is registered under every alias with its nested `id`s removed (else
// Ajv sees duplicate ids). The schemas do not check digest shape, sizes or
// content; digest.ts does that.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv04 from "ajv-draft-04";
import type { ValidateFunction } from "ajv";

export type OciSchemaName = "manifest" | "index" | "layout" | "config" | "descriptor";

const FILES: Record<OciSchemaName, string> = {
  manifest: "image-manifest-schema.json",
  index: "image-index-schema.json",
  layout: "image-layout-schema.json",
  config: "config-schema.json",
  descriptor: "content-descriptor.json",
};

const ALL_FILES = [
  "config-schema.json",
  "content-descriptor.json",
  "defs-descriptor.json",
  "defs.json",
  "image-index-schema.json",
  "image-layout-schema.json",
  "image-manifest-schema.json",
];

/**
 * Where the schemas live: `$OCI_SCHEMA_DIR`, else the copies vendored in
 * oci/schemas/, else `shared/schemas/oci` beside the project. Undefined when
 * none exists.
 */
export function defaultSchemaDir(projectRoot: string): string | undefined {
  const candidates = [
    process.env.OCI_SCHEMA_DIR,
    // Vendored copies (oci/schemas/README.md): present in every checkout.
    fileURLToPath(new URL("./schemas", import.meta.url)),
    path.resolve(projectRoot, "..", "shared", "schemas", "oci"),
  ];
  return candidates.find((d): d is string => !!d && existsSync(path.join(d, FILES.manifest)));
}

function stripIds(node: unknown, top: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => stripIds(n, false));
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "id" && typeof v === "string") continue; // every id goes; aliases are the keys
      if (k === "$schema" && !top) continue;
      // `properties` maps names to schemas: a property literally called "id" must survive.
      out[k] = k === "properties" && v && typeof v === "object" ? mapValues(v as Record<string, unknown>) : stripIds(v, false);
    }
    return out;
  }
  return node;
}

function mapValues(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = stripIds(v, false);
  return out;
}

function aliases(file: string, topId: string | undefined): string[] {
  const names = [`https://opencontainers.org/schema/${file}`, `https://opencontainers.org/schema/image/${file}`];
  if (topId) names.push(topId);
  return [...new Set(names)];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class OciSchemas {
  private validators = new Map<OciSchemaName, ValidateFunction>();

  constructor(readonly dir: string) {
    if (!existsSync(path.join(dir, FILES.manifest))) {
      throw new Error(`OCI JSON schemas not found in ${dir} (expected shared/schemas/oci beside the project, or set OCI_SCHEMA_DIR)`);
    }
    const ajv = new Ajv04({ strict: false, allErrors: true });
    ajv.addFormat("date-time", RFC3339);
    ajv.addFormat("uri", (s: string) => {
      try {
        new URL(s);
        return true;
      } catch {
        return false;
      }
    });
    for (const file of ALL_FILES) {
      const raw = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Record<string, unknown>;
      const topId = typeof raw.id === "string" ? raw.id : undefined;
      const clean = stripIds(raw, true);
      for (const alias of aliases(file, topId)) ajv.addSchema(structuredClone(clean) as object, alias);
    }
    for (const [name, file] of Object.entries(FILES) as [OciSchemaName, string][]) {
      const v = ajv.getSchema(`https://opencontainers.org/schema/image/${file}`);
      if (!v) throw new Error(`OCI schema ${file} failed to load`);
      this.validators.set(name, v);
    }
  }

  /** Problems found (empty when valid). */
  check(name: OciSchemaName, doc: unknown): string[] {
    const v = this.validators.get(name)!;
    if (v(doc)) return [];
    return (v.errors ?? []).map((e) => `${name}${e.instancePath || ""}: ${e.message ?? "invalid"}`);
  }

  assert(name: OciSchemaName, doc: unknown, what: string): void {
    const problems = this.check(name, doc);
    if (problems.length) throw new Error(`${what} does not match the OCI ${name} schema: ${problems.join("; ")}`);
  }
}

const cache = new Map<string, OciSchemas>();
export function loadOciSchemas(dir: string): OciSchemas {
  let s = cache.get(dir);
  if (!s) {
    s = new OciSchemas(dir);
    cache.set(dir, s);
  }
  return s;
}
