// ASMFilterDeployment against deploy/schemas/asmfilterdeployment.schema.json
// (see its $comment for the sources), plus what a schema cannot say:
// `parameters` must be a JSON object text.
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import type { SchemaIssue } from "./istio.ts";

const SCHEMA_URL = new URL("../schemas/asmfilterdeployment.schema.json", import.meta.url);

let compiled: ReturnType<Ajv["compile"]> | undefined;

export function asmSchema(): object {
  return JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as object;
}

export function checkAsmFilterDeployment(doc: unknown): SchemaIssue[] {
  compiled ??= new Ajv({ allErrors: true, strict: true }).compile(asmSchema());
  const issues: SchemaIssue[] = [];
  if (!compiled(doc)) for (const e of compiled.errors ?? []) issues.push({ path: e.instancePath || "/", message: e.message ?? e.keyword });
  const params = (doc as { spec?: { filter?: { parameters?: unknown } } })?.spec?.filter?.parameters;
  if (typeof params === "string") {
    try {
      const v = JSON.parse(params);
      if (v === null || typeof v !== "object" || Array.isArray(v)) issues.push({ path: "/spec/filter/parameters", message: "must be a JSON object" });
    } catch (err) {
      issues.push({ path: "/spec/filter/parameters", message: `not JSON: ${(err as Error).message}` });
    }
  }
  return issues;
}
