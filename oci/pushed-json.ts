// Reads dist/pushed.json (shape fixed in docs/contracts.md), refusing anything
// that does not have that shape: verify trusts what it records.
import type { PushedJson } from "./push.ts";
import { readBoundedFile } from "./safe-file.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

export function readPushedJson(file: string): PushedJson {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(readBoundedFile(file, { maxBytes: DEFAULT_LIMITS.maxMetadataBytes, what: file })));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.replace(`${file}: `, "")}`);
  }
  const j = raw as Partial<PushedJson>;
  if (!j || typeof j !== "object" || !Array.isArray(j.artifacts)) throw new Error(`${file}: expected {"registry", "tag", "artifacts": [...]}`);
  j.artifacts.forEach((a, i) => {
    for (const key of ["name", "variant", "reference", "digest", "moduleSha256"] as const) {
      if (typeof a?.[key] !== "string") throw new Error(`${file}: artifacts[${i}].${key} must be a string`);
    }
  });
  return j as PushedJson;
}
