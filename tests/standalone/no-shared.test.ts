// The project stands alone: a user's clone has nothing beside it, so no tracked
// file (code, tests, JSON, YAML, comments) may point at the developers' upstream
// reference folder that sits next to their checkout, and no file may be a
// verbatim copy of an upstream repository's file. Markdown docs may discuss
// where facts came from; everything else cites the upstream repository instead.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/project.ts";

const SELF = "tests/standalone/no-shared.test.ts";

/** Every tracked file, as the working tree has it (a deleted-but-tracked file is skipped). */
function trackedFiles(): { file: string; text: string; bytes: Buffer }[] {
  const list = execFileSync("git", ["-C", PROJECT_ROOT, "ls-files", "-z"], { encoding: "utf8" }).split("\0").filter(Boolean);
  const out: { file: string; text: string; bytes: Buffer }[] = [];
  for (const file of list) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(PROJECT_ROOT, file));
    } catch {
      continue;
    }
    out.push({ file, bytes, text: bytes.includes(0) ? "" : bytes.toString("utf8") });
  }
  return out;
}

// Ways a file can reach the folder beside the checkout: a relative path, a
// path.join/resolve of the two segments, or the developers' absolute path.
const SIBLING_REFERENCES: { what: string; re: RegExp }[] = [
  { what: "relative path to the sibling reference folder", re: /\.\.[\\/]shared\b/ },
  { what: "path join of '..' and 'shared'", re: /["'`]\.\.["'`]\s*,\s*["'`]shared["'`]/ },
  { what: "absolute path of the developers' reference folder", re: /\/work\/shared\b/ },
  { what: "reference-folder subpath", re: /\bshared\/(?:schemas|fixtures|reference)\b/ },
];

// sha256 of upstream files the project once carried or read (opencontainers/image-spec
// v1.1.1 schema/*.json; istio/api CRDs; istio/proxy 1.17.0 testdata/*.tmpl; istio/istio
// default_golden.json and telemetryv2_1.13.yaml; proxy's SampleIstioHeader as a file).
const KNOWN_UPSTREAM_SHA256 = new Set([
  "089fcf3cf65a378873ffd5bdf450098de95a0a52def0ef41a57ae33275654ba8",
  "d7838a1fd129ff35f2d6461bfd8424e783c1e0185473d2547c09f2d5e8bb4ad4",
  "00d6be02b7a6661c5e7e8e50afa0a2926a092f4ba8ecedb5d8c29a4b372a927b",
  "23b4abe55230e4bc7f521dc08e5261e9f1aece585059d6581300e9c56eb1420e",
  "1a4641a610933fac77db9af7a83664d54883efac180f8867efd0497048e1a82e",
  "272dbf81baeb72c105298b6d56553de68b4aee676efff5a44d171f0761395545",
  "040ba9c116f1013175f5be6eb2620d87ca98cd90edc74548ee98ee89394aa4a2",
  "75ed21f944b4508f2275f3bc391ece81f2b8d2ae0491662d49eb431c7bdfd6a3",
  "3a8dbf828ddaf3c09215c7075cb22f163ae91bab02b4188ab7953573b4b13ee2",
  "625844f7e288483c1c134bf84534d30e8330b800f515fc19285e6ed59f5c8804",
  "6561b6ef7d61cac433c581f54c6b930a0b5d5c10fe5076547f4d7031f8818dd6",
  "d564d4d1a991da90c8bb6db84f0eff16616c8dae7693fbbc0e7bfbc34857a98a",
  "2af40e801278465995dfce91e302b2ee7adf49c2a3f7f63d4ec700bb862438ea",
  "94d59a5ea572d04345c44439da8621de7bab9da22ec5b7bee38b70aec7a9cdbe",
  "f67da448f54518a1062d9a9426d7efca01cb7f8b0b56e20164bb2b8331450152",
  "15a4a764d8061bc7e7f4e1108d2d2cd690645973827450ccdb0445c6f9a51cde",
  "5bba488bc5f9cfb6847a8ddb08d21fb9687dc721c15314f311d8c2b7ae414496",
  "c44251ba60554ead51297f81357243e8cbdca2d0edbd1d8fc06ae84ececf0cd1",
  "ad4d4bdeda39dbe98a4ec7775b3d9eedd2cebd0d80de85f4d1252af54e76c5f0",
]);

// Shapes of upstream files, caught even when a copy was re-indented or trimmed.
const UPSTREAM_SHAPES: { what: string; test: (file: string, text: string) => boolean }[] = [
  { what: "the vendored OCI schema folder", test: (file) => file.startsWith("oci/schemas/") },
  { what: "an image-spec JSON schema (draft-04, opencontainers.org schema id)", test: (_f, t) => /json-schema\.org\/draft-04/.test(t) && /opencontainers\.org\/schema\//.test(t) },
  { what: "a Kubernetes CRD file (take Istio's schemas from @kubernetes-models/istio)", test: (file, t) => /\.(ya?ml|json)$/.test(file) && /kind:\s*CustomResourceDefinition\b|"kind"\s*:\s*"CustomResourceDefinition"/.test(t) },
  { what: "an istio/proxy Go template (testdata/*.tmpl)", test: (file, t) => file.endsWith(".tmpl") || /\{\{-?\s*\.Vars\./.test(t) },
];

const isDoc = (file: string) => file.endsWith(".md");

describe("the project stands alone", () => {
  const files = trackedFiles();

  it("lists the tracked files (the guard has something to read)", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.file === "package.json")).toBe(true);
  });

  it("no tracked file outside the Markdown docs refers to the folder beside the checkout", () => {
    const hits: string[] = [];
    for (const { file, text } of files) {
      if (isDoc(file) || file === SELF || !text) continue;
      text.split("\n").forEach((line, i) => {
        for (const { what, re } of SIBLING_REFERENCES) if (re.test(line)) hits.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 160)}`);
      });
    }
    expect(hits, `cite the upstream repository, path and commit instead:\n${hits.join("\n")}`).toEqual([]);
  });

  it("no tracked file is a verbatim copy of a known upstream file", () => {
    const hits: string[] = [];
    for (const { file, text, bytes } of files) {
      if (file === SELF) continue;
      if (KNOWN_UPSTREAM_SHA256.has(createHash("sha256").update(bytes).digest("hex"))) hits.push(`${file}: byte-for-byte copy of an upstream file`);
      for (const s of UPSTREAM_SHAPES) if (s.test(file, text)) hits.push(`${file}: ${s.what}`);
    }
    expect(hits, `write the project's own fixtures or rules from the facts, citing the source:\n${hits.join("\n")}`).toEqual([]);
  });

  it("the guard's patterns catch what they are for", () => {
    const refs = (line: string) => SIBLING_REFERENCES.filter((p) => p.re.test(line)).map((p) => p.what);
    // The samples are assembled at run time, so this file itself never spells such a path.
    const folder = ["sha", "red"].join("");
    expect(refs(`readFileSync("../${folder}/fixtures/x.json")`)).not.toEqual([]);
    expect(refs(`path.resolve(root, "..", "${folder}", "schemas")`)).not.toEqual([]);
    expect(refs(`"/work/${folder}/fixtures/istio/sample_istio_header.b64"`)).not.toEqual([]);
    expect(refs(`// kept in ${folder}/schemas/oci beside the project`)).not.toEqual([]);
    expect(refs(`proxy_get_shared_data(key)`)).toEqual([]);
    expect(refs(`const shared = new Sha256();`)).toEqual([]);
    const shapes = (file: string, text: string) => UPSTREAM_SHAPES.filter((s) => s.test(file, text)).map((s) => s.what);
    expect(shapes("oci/schemas/defs.json", "{}")).not.toEqual([]);
    expect(shapes("x/crd.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n")).not.toEqual([]);
    expect(shapes("t/a.json", `"STS_PORT": "{{ .Vars.STSPort }}"`)).not.toEqual([]);
    expect(shapes("deploy/wasmplugin.ts", "kind: \"WasmPlugin\"")).toEqual([]);
  });
});
