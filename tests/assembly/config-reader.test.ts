import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture, rng, randomBytes, type Fixture } from "./harness.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await loadFixture("config-reader");
});

function read(config: string | Uint8Array): { n: number; out: string } {
  const n = fx.call("read", config);
  return { n, out: fx.outString() };
}

const KEY_A = "AB".repeat(32);
const KEY_B = "0123456789abcdef".repeat(4);

describe("config-reader", () => {
  it("reads a valid configuration", () => {
    const cfg = {
      header: "x-token",
      allow_missing: true,
      max_series: 500,
      ratio: 0.25,
      mode: "audit",
      tags: ["a", "b"],
      labels: { app: "web", version: "v1" },
      credentials: [{ name: "svc-a", key_sha256: KEY_A }, { name: "svc-b", key_sha256: KEY_B }],
      limits: { burst: 7 },
    };
    expect(read(JSON.stringify(cfg))).toEqual({
      n: 0,
      out: "header=x-token allow=true max_series=500 ratio=0.25 mode=audit tags=a|b label:app=web label:version=v1 cred:svc-a=abababab cred:svc-b=01234567 burst=7",
    });
  });

  it("applies defaults; empty and whitespace-only configuration read as {}", () => {
    const defaults = { n: 0, out: "header=x-api-key allow=false max_series=100 ratio=0.5 mode=enforce tags=" };
    expect(read("{}")).toEqual(defaults);
    expect(read("")).toEqual(defaults);
    expect(read(" \n\t ")).toEqual(defaults);
  });

  it("collects every problem, each naming its field", () => {
    const cfg = `{
      "header": 5,
      "allow_missing": "yes",
      "max_series": 0,
      "ratio": 1.5,
      "mode": "block",
      "tags": ["ok", 3, null],
      "labels": {"app": "web", "replicas": 3},
      "credentials": [
        {"name": "a", "key_sha256": "${KEY_A}"},
        "not-an-object",
        {"name": "c", "key_sha256": "abcdef012345"},
        {"key_sha256": "${"zz".repeat(32)}", "nmae": "typo"},
        {"name": 1, "key_sha256": 7}
      ],
      "limits": {"burst": 1.5, "extra": true},
      "credentails": []
    }`;
    const { n, out } = read(cfg);
    expect(out.split("\n")).toEqual([
      "header: expected string, got number",
      "allow_missing: expected boolean, got string",
      "max_series: must be between 1 and 10000, got 0",
      "ratio: must be between 0 and 1, got 1.5",
      "mode: must be one of enforce, audit, got 'block'",
      "tags[1]: expected string, got number",
      "tags[2]: expected string, got null",
      "labels.replicas: expected string, got number",
      "credentials[1]: expected object, got string",
      "credentials[2].key_sha256: expected 64 hex characters, got 12",
      "credentials[3].name: required field is missing",
      "credentials[3].key_sha256: invalid hex character at index 0",
      "credentials[3]: unknown field 'nmae'",
      "credentials[4].name: expected string, got number",
      "credentials[4].key_sha256: expected hex string, got number",
      "limits.burst: expected integer, got 1.5",
      "limits: unknown field 'extra'",
      "unknown field 'credentails'",
    ]);
    expect(n).toBe(18);
  });

  it("reports wrong container types and non-object roots", () => {
    expect(read('{"tags": "a", "credentials": {}, "labels": [], "limits": 3}').out.split("\n")).toEqual([
      "tags: expected array of strings, got string",
      "labels: expected object of strings, got array",
      "credentials: expected array of objects, got object",
      "limits: expected object, got number",
    ]);
    expect(read("[1]").out).toBe("configuration: expected a JSON object, got array");
    expect(read("null").out).toBe("configuration: expected a JSON object, got null");
    expect(read('"x"').n).toBe(1);
  });

  it("integers: fractions, huge values and ranges", () => {
    expect(read('{"max_series": 99999999999999999999}').out).toBe("max_series: expected integer, got 99999999999999999999");
    expect(read('{"max_series": 1e3}').out).toContain("max_series=1000");
    expect(read('{"max_series": 10001}').out).toBe("max_series: must be between 1 and 10000, got 10001");
    expect(read('{"max_series": -1}').out).toBe("max_series: must be between 1 and 10000, got -1");
    expect(read('{"max_series": "5"}').out).toBe("max_series: expected integer, got string");
  });

  it("turns JSON syntax errors into one error with a position", () => {
    expect(read('{\n  "header": "a",\n  "tags": [1,]\n}')).toEqual({
      n: 1,
      out: "invalid JSON: line 3, column 14: expected a value, got ']' (trailing commas are not allowed)",
    });
    expect(read('{"header": "a", "header": "b"}').out).toBe("invalid JSON: line 1, column 17: duplicate key 'header'");
    expect(read("[".repeat(10000)).out).toBe("invalid JSON: line 1, column 65: nesting deeper than 64 levels");
  });

  it("requiredObject and custom errors", () => {
    expect(fx.call("readRequired", "{}")).toBe(1);
    expect(fx.outString()).toBe("upstream: required field is missing");
    expect(fx.call("readRequired", '{"upstream": {"host": "x"}}')).toBe(2);
    expect(fx.outString()).toBe("upstream.port: required field is missing\nupstream: unknown field 'host'");
    expect(fx.call("readRequired", '{"upstream": {"port": 80}}')).toBe(0);
  });

  it("quotes hostile unknown field names safely", () => {
    expect(read('{"a\\nb\'": 1}').out).toBe("unknown field 'a\\u000ab\\u0027'");
    expect(read(`{"${"k".repeat(100)}": 1}`).out).toBe(`unknown field '${"k".repeat(64)}...'`);
  });

  it("never traps on random and mutated configuration", () => {
    const next = rng(11);
    const base = new TextEncoder().encode(
      JSON.stringify({ header: "h", max_series: 5, tags: ["x"], labels: { a: "b" }, credentials: [{ name: "n", key_sha256: KEY_A }], limits: { burst: 1 } }),
    );
    for (let i = 0; i < 2000; i++) {
      const m = base.slice();
      const flips = 1 + Math.floor(next() * 3);
      for (let f = 0; f < flips; f++) m[Math.floor(next() * m.length)] = Math.floor(next() * 256);
      expect(() => fx.call("read", m)).not.toThrow();
      expect(() => fx.call("read", randomBytes(next, 40))).not.toThrow();
    }
  });
});
