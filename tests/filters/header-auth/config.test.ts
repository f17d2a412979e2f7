// Every configuration error: the plugin fails to load (as Envoy rejects the
// configuration) with exactly one error line per problem, naming the field and
// never quoting a secret.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { PluginLoadError, ProxyWasmHost } from "../../../host/index.ts";
import { EXAMPLE, ROOT, WASM, ensureBuilt, sha256hex } from "./helpers.ts";

beforeAll(() => ensureBuilt());

const D1 = sha256hex("k1");
const D2 = sha256hex("k2");
const PLAIN = "plain-secret-7d1f";

async function rejectionOf(configuration: unknown): Promise<string[]> {
  const host = new ProxyWasmHost();
  const config = typeof configuration === "string" ? configuration : JSON.stringify(configuration);
  try {
    await host.loadPlugin({ module: WASM, rootId: "header_auth", configuration: config });
  } catch (e) {
    expect(e).toBeInstanceOf(PluginLoadError);
    expect((e as Error).message).toMatch(/configuration rejected/);
    const logs = (e as PluginLoadError).logs;
    for (const l of logs) expect(l.message).not.toContain(PLAIN);
    // One line per problem, all at error level, all prefixed.
    for (const l of logs) {
      expect(l.level).toBe("error");
      expect(l.message.startsWith("header-auth: invalid configuration: ")).toBe(true);
    }
    return logs.map((l) => l.message.replace("header-auth: invalid configuration: ", ""));
  }
  throw new Error("the configuration was accepted");
}

const cred = (extra: Record<string, unknown> = {}) => ({ principal: "p", key_sha256: D1, ...extra });

describe("configuration errors", () => {
  const cases: [string, unknown, string[]][] = [
    ["unknown top-level field", { credentials: [cred()], credentails: [] }, ["unknown field 'credentails'"]],
    ["unknown credential field", { credentials: [cred({ methdos: ["GET"] })] }, ["credentials[0]: unknown field 'methdos'"]],
    ["credentials missing", {}, ["credentials: required field is missing"]],
    ["empty configuration", "", ["credentials: required field is missing"]],
    ["empty credential list", { credentials: [] }, ["credentials: must not be empty"]],
    ["credentials of the wrong type", { credentials: { p: D1 } }, ["credentials: expected array of objects, got object"]],
    ["a credential that is not an object", { credentials: ["k1"] }, ["credentials[0]: expected object, got string"]],
    ["principal of the wrong type", { credentials: [cred({ principal: 7 })] }, ["credentials[0].principal: expected string, got number"]],
    ["principal missing", { credentials: [{ key_sha256: D1 }] }, ["credentials[0].principal: required field is missing"]],
    ["principal with spaces", { credentials: [cred({ principal: "a b" })] }, ["credentials[0].principal: must be 1 to 256 visible ASCII characters (no spaces)"]],
    ["bad hex", { credentials: [cred({ key_sha256: "z" + D1.slice(1) })] }, ["credentials[0].key_sha256: invalid hex character at index 0"]],
    ["short digest", { credentials: [cred({ key_sha256: D1.slice(0, 40) })] }, ["credentials[0].key_sha256: expected 64 hex characters, got 40"]],
    ["digest of the wrong type", { credentials: [cred({ key_sha256: 12 })] }, ["credentials[0].key_sha256: expected hex string, got number"]],
    ["neither key nor digest", { credentials: [{ principal: "p" }] }, ["credentials[0]: one of 'key_sha256' (preferred) or 'key' is required"]],
    ["both key and digest", { credentials: [cred({ key: PLAIN })] }, ["credentials[0]: set either 'key_sha256' or 'key', not both"]],
    ["empty plaintext key", { credentials: [{ principal: "p", key: "" }] }, ["credentials[0].key: must not be empty"]],
    ["plaintext key of the wrong type", { credentials: [{ principal: "p", key: 123 }] }, ["credentials[0].key: expected string, got number"]],
    ["duplicate principals", { credentials: [cred(), { principal: "p", key_sha256: D2 }] }, ["credentials[1].principal: duplicate principal 'p' (also credentials[0])"]],
    ["duplicate keys", { credentials: [cred(), { principal: "q", key: "k1" }] }, ["credentials[1]: same key as credentials[0]"]],
    ["empty methods", { credentials: [cred({ methods: [] })] }, ["credentials[0].methods: must not be empty (omit the field to allow every method)"]],
    ["bad method", { credentials: [cred({ methods: ["GET", "PO ST", 1] })] }, ["credentials[0].methods[2]: expected string, got number", "credentials[0].methods[1]: must be an HTTP method token"]],
    ["methods of the wrong type", { credentials: [cred({ methods: "GET" })] }, ["credentials[0].methods: expected array of strings, got string"]],
    ["empty path prefixes", { credentials: [cred({ path_prefixes: [] })] }, ["credentials[0].path_prefixes: must not be empty (omit the field to allow every path)"]],
    ["relative path prefix", { credentials: [cred({ path_prefixes: ["api/"] })] }, ["credentials[0].path_prefixes[0]: must start with '/' and contain no query, fragment, spaces or non-ASCII characters"]],
    ["exempt path with a query", { credentials: [cred()], exempt_paths: ["/healthz?x"] }, ["exempt_paths[0]: must start with '/' and contain no query, fragment, spaces or non-ASCII characters"]],
    ["exempt prefixes of the wrong type", { credentials: [cred()], exempt_prefixes: "/public/" }, ["exempt_prefixes: expected array of strings, got string"]],
    ["unknown source", { credentials: [cred()], sources: ["header", "cookie"] }, ["sources[1]: must be one of header, bearer, got 'cookie'"]],
    ["duplicate source", { credentials: [cred()], sources: ["bearer", "bearer"] }, ["sources[1]: duplicate source 'bearer'"]],
    ["empty sources", { credentials: [cred()], sources: [] }, ["sources: must not be empty"]],
    ["upper-case header name", { credentials: [cred()], header: "X-Api-Key" }, ["header: must be a lower-case HTTP header name (token characters, not a pseudo-header)"]],
    ["pseudo-header", { credentials: [cred()], header: ":path" }, ["header: must be a lower-case HTTP header name (token characters, not a pseudo-header)"]],
    ["authorization as API-key header with bearer on", { credentials: [cred()], header: "authorization" }, ["header: must not be 'authorization' while the 'bearer' source is enabled"]],
    ["principal header equal to the credential header", { credentials: [cred()], principal_header: "x-api-key" }, ["principal_header: must differ from 'header'"]],
    ["principal header authorization", { credentials: [cred()], principal_header: "authorization" }, ["principal_header: must not be 'authorization'"]],
    ["strip_credential of the wrong type", { credentials: [cred()], strip_credential: "yes" }, ["strip_credential: expected boolean, got string"]],
    ["allow_cors_preflight null", { credentials: [cred()], allow_cors_preflight: null }, ["allow_cors_preflight: expected boolean, got null"]],
    ["forbidden_status out of range", { credentials: [cred()], forbidden_status: 200 }, ["forbidden_status: must be between 400 and 599, got 200"]],
    ["forbidden_status not an integer", { credentials: [cred()], forbidden_status: 403.5 }, ["forbidden_status: expected integer, got 403.5"]],
    ["realm with a quote", { credentials: [cred()], realm: 'a"b' }, ["realm: must be printable ASCII without '\"' or '\\', at most 256 characters"]],
    ["not an object", "[]", ["configuration: expected a JSON object, got array"]],
  ];
  for (const [name, config, expected] of cases) {
    it(name, async () => {
      expect(await rejectionOf(config)).toEqual(expected);
    });
  }

  it("invalid JSON is one line naming the position", async () => {
    const lines = await rejectionOf(`{"credentials": [{"principal": "p", "key": "${PLAIN}"}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^invalid JSON: line 1, column \d+: /);
  });

  it("reports every problem at once, one line each", async () => {
    const lines = await rejectionOf({
      credentials: [cred({ key_sha256: "00" }), { principal: "p", key: PLAIN, extra: 1 }, cred({ principal: "q", methods: [] })],
      sources: ["cookie"], header: "X", realm: "\n", forbidden_status: "403", bogus: true,
    });
    expect(lines).toEqual([
      "header: must be a lower-case HTTP header name (token characters, not a pseudo-header)",
      "sources[0]: must be one of header, bearer, got 'cookie'",
      "realm: must be printable ASCII without '\"' or '\\', at most 256 characters",
      "forbidden_status: expected integer, got string",
      "credentials[0].key_sha256: expected 64 hex characters, got 2",
      "credentials[1].principal: duplicate principal 'p' (also credentials[0])",
      "credentials[1]: unknown field 'extra'",
      "credentials[2].methods: must not be empty (omit the field to allow every method)",
      "unknown field 'bogus'",
    ]);
  });

  it("accepts the example configuration and a minimal one", async () => {
    const host = new ProxyWasmHost();
    await host.loadPlugin({ module: WASM, rootId: "header_auth", configuration: JSON.stringify(EXAMPLE) });
    await host.loadPlugin({ module: WASM, rootId: "header_auth", configuration: JSON.stringify({ credentials: [cred()] }) });
    expect(host.logs).toEqual([]);
  });
});

describe("config.schema.json", () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, "filters/header-auth/config.schema.json"), "utf8"));
  // strictRequired trips on the oneOf "required" alternatives (their properties are declared by the parent).
  const validate = new Ajv({ strict: true, strictRequired: false, allErrors: true }).compile(schema);

  it("is a draft-07 schema that accepts the example configuration", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(validate(EXAMPLE)).toBe(true);
  });

  it("documents every field the filter reads, with defaults", () => {
    const top = Object.keys(schema.properties).sort();
    expect(top).toEqual(["allow_cors_preflight", "credentials", "exempt_paths", "exempt_prefixes", "forbidden_status", "header",
      "principal_header", "realm", "sources", "strip_credential"]);
    for (const k of top) if (k !== "credentials") expect(schema.properties[k]).toHaveProperty("default");
    expect(Object.keys(schema.properties.credentials.items.properties).sort()).toEqual(["key", "key_sha256", "methods", "path_prefixes", "principal"]);
  });

  it("rejects what the filter rejects (a sample)", () => {
    for (const bad of [{}, { credentials: [] }, { credentials: [cred()], credentails: [] }, { credentials: [{ principal: "p" }] },
      { credentials: [cred({ key: "x" })] }, { credentials: [cred({ key_sha256: "zz" })] }, { credentials: [cred()], sources: ["cookie"] },
      { credentials: [cred()], forbidden_status: 200 }, { credentials: [cred({ methods: [] })] },
      { credentials: [cred()], header: "x_api_key" }, { credentials: [cred()], principal_header: "host" }, { credentials: [cred()], header: "x-envoy-original-path" },
      { credentials: [cred({ path_prefixes: ["/api//"] })] }, { credentials: [cred()], exempt_prefixes: ["/a/../"] }, { credentials: [cred()], exempt_paths: ["/a%2e"] },
      { credentials: [cred()], exempt_paths: ["/a\\b"] }, { credentials: [cred()], exempt_paths: ["/;x"] }, { credentials: [cred()], exempt_paths: ["/a%2"] }]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const good of [{ credentials: [cred({ path_prefixes: ["/api/", "/a;v=1/", "/a%20b/", "/.well-known/", "/x..y/"] })], exempt_paths: ["/a%2Cb", "/..."] }]) {
      expect(validate(good), JSON.stringify(good)).toBe(true);
    }
  });
});
