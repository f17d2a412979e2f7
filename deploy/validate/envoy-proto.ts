// Checks Envoy configuration (proto3 JSON, as written in our YAML) against
// Envoy's API protos, the way Envoy parses it: every field must exist in the
// message (protobufjs's fromObject drops unknown fields silently, so the object
// is walked here), `@type` of every Any must resolve, enums must name a value,
// oneofs hold at most one member, well-known types use their JSON mapping
// (Duration "30s", wrappers as scalars, Struct as free JSON). The converted
// message is then encoded and decoded with protobufjs (the binary round trip
// Envoy's own Any unpacking relies on), and the constraints Envoy enforces
// through protoc-gen-validate and at load time that matter here are checked.
//
// Protos: the Envoy API snapshot bundled in @grpc/grpc-js-xds (deps/envoy-api,
// googleapis, xds, protoc-gen-validate) plus protobufjs's google/protobuf. That
// snapshot predates PluginConfig.failure_policy (7), reload_config (8) and
// allow_on_headers_stop_iteration (9) (envoy 1cfc0d5a, 2024-10 and 2025-07);
// exactly those are accepted as known newer fields and checked by hand.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import protobuf from "protobufjs";

export interface ProtoIssue {
  path: string;
  message: string;
}

const ENTRY_PROTOS = [
  "envoy/extensions/filters/http/wasm/v3/wasm.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/config/core/v3/extension.proto",
  "envoy/config/core/v3/backoff.proto",
  "google/protobuf/wrappers.proto",
  "google/protobuf/struct.proto",
  "google/protobuf/duration.proto",
  "google/protobuf/empty.proto",
];

const PLUGIN_CONFIG = ".envoy.extensions.wasm.v3.PluginConfig";
/** PluginConfig fields newer than the proto snapshot: name → field number (envoy api/envoy/extensions/wasm/v3/wasm.proto). */
export const KNOWN_NEWER_PLUGIN_FIELDS: Record<string, number> = { failure_policy: 7, reload_config: 8, allow_on_headers_stop_iteration: 9 };
const FAILURE_POLICIES = ["UNSPECIFIED", "FAIL_RELOAD", "FAIL_CLOSED", "FAIL_OPEN"];

const WRAPPERS: Record<string, string> = {
  ".google.protobuf.DoubleValue": "double", ".google.protobuf.FloatValue": "float", ".google.protobuf.Int64Value": "int64",
  ".google.protobuf.UInt64Value": "uint64", ".google.protobuf.Int32Value": "int32", ".google.protobuf.UInt32Value": "uint32",
  ".google.protobuf.BoolValue": "bool", ".google.protobuf.StringValue": "string", ".google.protobuf.BytesValue": "bytes",
};
const SPECIAL_JSON = new Set([...Object.keys(WRAPPERS), ".google.protobuf.Duration", ".google.protobuf.Timestamp", ".google.protobuf.Struct", ".google.protobuf.Value", ".google.protobuf.ListValue", ".google.protobuf.FieldMask"]);

/** Where a dependency of ours is installed, found as Node finds it from here (hoisted or not). */
function dependencyDir(name: string): string {
  return path.dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
}

/** The proto folders of our dependencies (wherever npm installed them; never the user's project). */
export function defaultProtoDirs(): string[] {
  const deps = path.join(dependencyDir("@grpc/grpc-js-xds"), "deps");
  return [...["envoy-api", "googleapis", "xds", "protoc-gen-validate"].map((d) => path.join(deps, d)), dependencyDir("protobufjs")];
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export class EnvoyProtos {
  readonly root: protobuf.Root;

  constructor(protoDirs: string[]) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => {
      for (const d of protoDirs) {
        const p = path.join(d, target);
        if (existsSync(p)) return p;
      }
      return target;
    };
    root.loadSync(ENTRY_PROTOS, { keepCase: true });
    root.resolveAll();
    this.root = root;
  }

  static load(): EnvoyProtos {
    return new EnvoyProtos(defaultProtoDirs());
  }

  /** Issues for `json` as message `typeName` (e.g. "envoy.config.bootstrap.v3.Bootstrap"); [] when Envoy would accept it. */
  check(typeName: string, json: unknown, at = ""): ProtoIssue[] {
    const issues: ProtoIssue[] = [];
    const type = this.root.lookupType(typeName);
    const obj = this.message(type, json, at, issues);
    if (obj !== undefined && issues.length === 0) this.roundTrip(type, obj, at, issues);
    return issues;
  }

  /** The `@type` URL's message, or undefined. */
  lookupAny(typeUrl: string): protobuf.Type | undefined {
    const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
    try {
      return this.root.lookupType(name);
    } catch {
      return undefined;
    }
  }

  private roundTrip(type: protobuf.Type, obj: Record<string, unknown>, at: string, issues: ProtoIssue[]): void {
    const err = type.verify(obj);
    if (err) {
      issues.push({ path: at, message: `protobufjs verify: ${err}` });
      return;
    }
    const bytes = type.encode(type.fromObject(obj)).finish();
    const back = type.toObject(type.decode(bytes), { defaults: false });
    const again = type.encode(type.fromObject(back)).finish();
    if (Buffer.compare(Buffer.from(bytes), Buffer.from(again)) !== 0) issues.push({ path: at, message: "encode/decode round trip changed the message" });
  }

  /** proto3 JSON → protobufjs object (Any packed to bytes), collecting issues. */
  private message(type: protobuf.Type, json: unknown, at: string, issues: ProtoIssue[]): Record<string, unknown> | undefined {
    const full = type.fullName;
    if (full === ".google.protobuf.Any") return this.any(json, at, issues);
    if (SPECIAL_JSON.has(full)) return this.wellKnown(full, json, at, issues);
    if (!isObj(json)) {
      issues.push({ path: at, message: `${full.slice(1)}: expected an object, got ${JSON.stringify(json)}` });
      return undefined;
    }
    const out: Record<string, unknown> = {};
    const oneofSeen = new Map<string, string>();
    for (const [key, value] of Object.entries(json)) {
      const here = at ? `${at}.${key}` : key;
      const field = type.fields[key] ?? type.fieldsArray.find((f) => camel(f.name) === key);
      if (!field) {
        if (full === PLUGIN_CONFIG && key in KNOWN_NEWER_PLUGIN_FIELDS) {
          this.newerPluginField(key, value, here, issues);
          continue;
        }
        issues.push({ path: here, message: `unknown field '${key}' in ${full.slice(1)}` });
        continue;
      }
      if (field.partOf) {
        const prev = oneofSeen.get(field.partOf.name);
        if (prev) issues.push({ path: here, message: `oneof '${field.partOf.name}' of ${full.slice(1)}: both '${prev}' and '${field.name}' are set` });
        oneofSeen.set(field.partOf.name, field.name);
      }
      if (value === null) continue; // proto3 JSON: null = default
      const v = this.fieldValue(field, value, here, issues);
      if (v !== undefined) out[field.name] = v;
    }
    this.constraints(full, json, at, issues);
    return out;
  }

  private fieldValue(field: protobuf.Field, value: unknown, at: string, issues: ProtoIssue[]): unknown {
    if (field instanceof protobuf.MapField) {
      if (!isObj(value)) {
        issues.push({ path: at, message: `map field '${field.name}': expected an object` });
        return undefined;
      }
      const m: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) m[k] = this.single(field, v, `${at}.${k}`, issues);
      return m;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) {
        issues.push({ path: at, message: `repeated field '${field.name}': expected an array` });
        return undefined;
      }
      return value.map((v, i) => this.single(field, v, `${at}[${i}]`, issues));
    }
    return this.single(field, value, at, issues);
  }

  private single(field: protobuf.Field, value: unknown, at: string, issues: ProtoIssue[]): unknown {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) return this.message(rt, value, at, issues);
    if (rt instanceof protobuf.Enum) {
      if (typeof value === "string" && value in rt.values) return rt.values[value];
      if (typeof value === "number" && Number.isInteger(value)) return value;
      issues.push({ path: at, message: `enum ${rt.fullName.slice(1)}: '${String(value)}' is not one of ${Object.keys(rt.values).join(", ")}` });
      return undefined;
    }
    return this.scalar(field.type, value, at, issues);
  }

  private scalar(kind: string, value: unknown, at: string, issues: ProtoIssue[]): unknown {
    const bad = () => {
      issues.push({ path: at, message: `expected ${kind}, got ${JSON.stringify(value)}` });
      return undefined;
    };
    switch (kind) {
      case "string":
        return typeof value === "string" ? value : bad();
      case "bool":
        return typeof value === "boolean" ? value : bad();
      case "bytes":
        return typeof value === "string" && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value) ? Buffer.from(value, "base64") : bad();
      case "double":
      case "float":
        return typeof value === "number" || (typeof value === "string" && /^(NaN|-?Infinity|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(value)) ? Number(value) : bad();
      default: {
        // int32, uint32, int64, uint64, sint*, fixed*, sfixed*: integers, as numbers or decimal strings.
        const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
        if (typeof n !== "number" || !Number.isInteger(n)) return bad();
        if (kind.startsWith("u") || kind.startsWith("fixed")) {
          if (n < 0) return bad();
        }
        if ((kind === "int32" || kind === "sint32" || kind === "sfixed32") && (n < -(2 ** 31) || n >= 2 ** 31)) return bad();
        if ((kind === "uint32" || kind === "fixed32") && n >= 2 ** 32) return bad();
        return n;
      }
    }
  }

  private any(json: unknown, at: string, issues: ProtoIssue[]): Record<string, unknown> | undefined {
    if (!isObj(json) || typeof json["@type"] !== "string") {
      issues.push({ path: at, message: "google.protobuf.Any: '@type' missing" });
      return undefined;
    }
    const url = json["@type"];
    const inner = this.lookupAny(url);
    if (!inner) {
      issues.push({ path: `${at}.@type`, message: `unknown type '${url}' (not in the Envoy API protos)` });
      return undefined;
    }
    let body: unknown;
    if (SPECIAL_JSON.has(inner.fullName)) {
      const extra = Object.keys(json).filter((k) => k !== "@type" && k !== "value");
      if (extra.length) issues.push({ path: at, message: `Any of ${inner.fullName.slice(1)} takes only '@type' and 'value', got ${extra.join(", ")}` });
      body = json.value;
    } else {
      const { "@type": _t, ...rest } = json;
      body = rest;
    }
    const n = issues.length;
    const obj = this.message(inner, body, at, issues);
    if (obj === undefined || issues.length > n) return undefined;
    const err = inner.verify(obj);
    if (err) {
      issues.push({ path: at, message: `protobufjs verify ${inner.fullName.slice(1)}: ${err}` });
      return undefined;
    }
    return { type_url: url, value: inner.encode(inner.fromObject(obj)).finish() };
  }

  private wellKnown(full: string, json: unknown, at: string, issues: ProtoIssue[]): Record<string, unknown> | undefined {
    const w = WRAPPERS[full];
    if (w) {
      const v = this.scalar(w, json, at, issues);
      return v === undefined ? undefined : { value: v };
    }
    switch (full) {
      case ".google.protobuf.Duration": {
        const m = typeof json === "string" ? /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
        if (!m) {
          issues.push({ path: at, message: `google.protobuf.Duration: expected a string like "30s", got ${JSON.stringify(json)}` });
          return undefined;
        }
        const sign = m[1] ? -1 : 1;
        return { seconds: sign * Number(m[2]), nanos: sign * Number((m[3] ?? "").padEnd(9, "0")) };
      }
      case ".google.protobuf.Struct":
        if (!isObj(json)) {
          issues.push({ path: at, message: "google.protobuf.Struct: expected an object" });
          return undefined;
        }
        return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, structValue(v)])) };
      case ".google.protobuf.Value":
        return structValue(json);
      case ".google.protobuf.ListValue":
        if (!Array.isArray(json)) {
          issues.push({ path: at, message: "google.protobuf.ListValue: expected an array" });
          return undefined;
        }
        return { values: json.map(structValue) };
      case ".google.protobuf.Timestamp":
        if (typeof json !== "string" || Number.isNaN(Date.parse(json))) issues.push({ path: at, message: "google.protobuf.Timestamp: expected an RFC 3339 string" });
        return {};
      default:
        if (typeof json !== "string") issues.push({ path: at, message: `${full.slice(1)}: expected a string` });
        return {};
    }
  }

  private newerPluginField(key: string, value: unknown, at: string, issues: ProtoIssue[]): void {
    if (key === "failure_policy") {
      if (typeof value !== "string" || !FAILURE_POLICIES.includes(value)) issues.push({ path: at, message: `failure_policy must be one of ${FAILURE_POLICIES.join(", ")}` });
    } else if (key === "allow_on_headers_stop_iteration") {
      if (typeof value !== "boolean") issues.push({ path: at, message: "allow_on_headers_stop_iteration (BoolValue) must be a boolean" });
    } else if (key === "reload_config") {
      // ReloadConfig { BackoffStrategy backoff = 1; }
      if (!isObj(value) || Object.keys(value).some((k) => k !== "backoff")) issues.push({ path: at, message: "reload_config takes only 'backoff'" });
      else if (value.backoff !== undefined) this.message(this.root.lookupType("envoy.config.core.v3.BackoffStrategy"), value.backoff, `${at}.backoff`, issues);
    }
  }

  /** What Envoy enforces beyond the JSON shape (PGV rules and load-time checks) for the messages we emit. */
  private constraints(full: string, j: Record<string, unknown>, at: string, issues: ProtoIssue[]): void {
    const need = (cond: boolean, message: string) => {
      if (!cond) issues.push({ path: at, message });
    };
    const nonEmpty = (v: unknown) => typeof v === "string" && v.length > 0;
    switch (full) {
      case ".envoy.config.core.v3.RemoteDataSource":
        need(isObj(j.http_uri), "remote code needs http_uri");
        need(nonEmpty(j.sha256), "remote code needs a non-empty sha256 (RemoteDataSource.sha256 min_len 1)");
        break;
      case ".envoy.config.core.v3.HttpUri":
        need(nonEmpty(j.uri), "http_uri.uri is required");
        need(nonEmpty(j.cluster), "http_uri.cluster is required (min_len 1)");
        need(j.timeout !== undefined, "http_uri.timeout is required");
        break;
      case ".envoy.config.core.v3.AsyncDataSource":
        need(j.local !== undefined || j.remote !== undefined, "code needs local or remote");
        break;
      case ".envoy.config.core.v3.DataSource":
        need(["filename", "inline_bytes", "inline_string", "environment_variable"].some((k) => j[k] !== undefined && j[k] !== ""), "DataSource needs filename, inline_bytes, inline_string or environment_variable");
        break;
      case ".envoy.extensions.wasm.v3.VmConfig":
        need(nonEmpty(j.runtime), "vm_config.runtime is required");
        need(isObj(j.code), "vm_config.code is required");
        break;
      case PLUGIN_CONFIG:
        need(isObj(j.vm_config), "PluginConfig needs vm_config");
        need(!(j.failure_policy !== undefined && j.fail_open !== undefined), "set failure_policy or the deprecated fail_open, not both");
        break;
      case ".envoy.extensions.filters.http.wasm.v3.Wasm":
        need(isObj(j.config), "Wasm.config is required");
        break;
      case ".envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter":
        need(nonEmpty(j.name), "http filter name is required (min_len 1)");
        need((j.typed_config !== undefined) !== (j.config_discovery !== undefined), "http filter needs exactly one of typed_config and config_discovery");
        break;
      case ".envoy.config.core.v3.ExtensionConfigSource":
        need(isObj(j.config_source), "config_discovery.config_source is required");
        need(Array.isArray(j.type_urls) && j.type_urls.length > 0, "config_discovery.type_urls needs at least one entry");
        break;
      case ".envoy.config.core.v3.TypedExtensionConfig":
        need(nonEmpty(j.name), "extension config name is required");
        need(isObj(j.typed_config), "extension config typed_config is required");
        break;
    }
  }
}

function structValue(v: unknown): Record<string, unknown> {
  if (v === null) return { null_value: 0 };
  if (typeof v === "number") return { number_value: v };
  if (typeof v === "string") return { string_value: v };
  if (typeof v === "boolean") return { bool_value: v };
  if (Array.isArray(v)) return { list_value: { values: v.map(structValue) } };
  return { struct_value: { fields: Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, structValue(x)])) } };
}
