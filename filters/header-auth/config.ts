// header-auth configuration: parsed and validated once (onConfigure), then
// turned into the bytes the per-request path needs. Nothing in here runs per
// request. Error messages name the field and never quote a secret.
import { ConfigReader, elementPath } from "../../assembly/config-reader";
import { quoteForMessage, JsonKind } from "../../assembly/json";
import { sha256Into, SHA256_DIGEST_LENGTH } from "../../assembly/sha256";
import { isHeaderName, isToken } from "../../assembly/http-token";
import { ByteBuffer } from "../../assembly/byte-buffer";
import { decimal } from "../../assembly/decimal";
import { findKey, indexLastKey } from "../../assembly/key-index";
import { isNormalPath, bytesEqual, hasPrefix } from "./decision";

// The three denials, as named in reply bodies, response details and metrics
// (each longer name is built from these: fewer string literals in the module).
export const MISSING_CREDENTIAL = "missing_credential";
export const INVALID_CREDENTIAL = "invalid_credential";
export const FORBIDDEN = "forbidden";

export const SOURCE_HEADER: i32 = 0;
export const SOURCE_BEARER: i32 = 1;

/** Presented credentials longer than this are rejected unhashed (invalid_credential). */
export const MAX_CREDENTIAL_BYTES: i32 = 8192;

export class Credential {
  principal: string = "";
  /** The principal as the upstream header value. */
  principalBytes: ArrayBuffer = new ArrayBuffer(0);
  /** Allowed methods (exact, case-sensitive); empty = any method. */
  methods: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  /** Allowed path prefixes (on :path without the query); empty = any path. */
  pathPrefixes: Array<ArrayBuffer> = new Array<ArrayBuffer>();
}

export class HeaderAuthConfig {
  credentials: Array<Credential> = new Array<Credential>();
  /** SHA-256 digests of every credential's key, 32 bytes each, in credential order. */
  digests: ArrayBuffer = new ArrayBuffer(0);
  /**
   * Credential sources in the order they are looked for (SOURCE_HEADER /
   * SOURCE_BEARER): `sourceCount` (1 or 2) of `firstSource`, then the other one.
   * (Two fields, not an Array<i32>: one generic instantiation less.)
   */
  sourceCount: i32 = 2;
  firstSource: i32 = SOURCE_HEADER;
  headerBytes: ArrayBuffer = new ArrayBuffer(0);
  stripCredential: bool = true;
  principalHeaderBytes: ArrayBuffer = new ArrayBuffer(0);
  exemptPaths: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  exemptPrefixes: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  allowCorsPreflight: bool = false;
  forbiddenStatus: u32 = 403;
  // Prepared local replies.
  missingHeaders: ArrayBuffer = new ArrayBuffer(0);
  invalidHeaders: ArrayBuffer = new ArrayBuffer(0);
  invalidBearerHeaders: ArrayBuffer = new ArrayBuffer(0);
  forbiddenHeaders: ArrayBuffer = new ArrayBuffer(0);
  missingBody: ArrayBuffer = new ArrayBuffer(0);
  invalidBody: ArrayBuffer = new ArrayBuffer(0);
  forbiddenBody: ArrayBuffer = new ArrayBuffer(0);
  /** "credentials[0], credentials[2]" when plaintext keys are configured (for the one warning). */
  plaintextPaths: string = "";
}

/** Visible ASCII, no spaces: safe as a header value, in JSON and in logs. */
function isPrincipalName(s: string): bool {
  if (s.length == 0 || s.length > 256) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** Printable ASCII without '"' and '\\': fits a quoted-string unescaped. */
function isRealm(s: string): bool {
  if (s.length > 256) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c == 0x22 || c == 0x5c) return false;
  }
  return true;
}

function isPathLike(s: string): bool {
  if (s.length == 0 || s.charCodeAt(0) != 0x2f) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x3f || c == 0x23) return false; // no '?', '#', space, controls, non-ASCII
  }
  return true;
}

/** The field is present and is an empty JSON array (a wrong type is reported by the typed read). */
function isEmptyArray(r: ConfigReader, name: string): bool {
  const v = r.raw(name);
  return v !== null && v!.kind == JsonKind.Array && v!.length == 0;
}

function notEmpty(r: ConfigReader, name: string, what: string): void {
  r.error(name, "must not be empty (omit the field to allow every " + what + ")");
}

function readPathList(r: ConfigReader, name: string, out: Array<ArrayBuffer>, allowAbsentEmpty: bool): void {
  const list = r.stringArray(name);
  if (!allowAbsentEmpty && isEmptyArray(r, name)) {
    notEmpty(r, name, "path");
  }
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (!isPathLike(p)) {
      r.error(elementPath(name, i), "must start with '/' and contain no query, fragment, spaces or non-ASCII characters");
      continue;
    }
    const bytes = String.UTF8.encode(p);
    // Requests are matched only in normal form; a rule that is not could never match one.
    if (!isNormalPath(changetype<usize>(bytes), bytes.byteLength)) {
      r.error(elementPath(name, i), "must be in normal form (no '//', '.' or '..' segment, '\\', or needless %-escape)");
    } else {
      out.push(bytes);
    }
  }
}

/**
 * Headers that must neither carry the credential nor the principal: framing and
 * hop-by-hop headers, ones Envoy or other proxies set or consume, cookies (one
 * literal, compared by commas: fewer strings in the module).
 */
const RESERVED = String.UTF8.encode("host,content-length,transfer-encoding,connection,keep-alive,proxy-connection,te,trailer,"
  + "upgrade,expect,content-type,content-encoding,cookie,set-cookie,proxy-authorization,forwarded,via,x-request-id,");
const X_ENVOY = String.UTF8.encode("x-envoy-");
const X_FORWARDED = String.UTF8.encode("x-forwarded-");

function isReserved(name: ArrayBuffer): bool {
  const p = changetype<usize>(name);
  const n = name.byteLength;
  if (hasPrefix(p, n, X_ENVOY) || hasPrefix(p, n, X_FORWARDED)) return true;
  const r = changetype<usize>(RESERVED);
  let start = 0;
  for (let i = 0; i < RESERVED.byteLength; i++) {
    if (load<u8>(r + <usize>i) != 0x2c) continue;
    if (bytesEqual(r + <usize>start, i - start, name)) return true;
    start = i + 1;
  }
  return false;
}

/** Checks `name` as the credential or principal header of `field`; its bytes. */
function headerName(r: ConfigReader, field: string, name: string): ArrayBuffer {
  const bytes = String.UTF8.encode(name);
  if (!isHeaderName(name)) r.error(field, "must be a lower-case HTTP header name (token characters, not a pseudo-header)");
  else if (name.includes("_")) r.error(field, "must not contain '_' (upstreams read it as '-')");
  else if (isReserved(bytes)) r.error(field, "must not be " + quoteForMessage(name) + " (a framing, hop-by-hop or proxy-set header)");
  return bytes;
}

/** Keys seen so far and which credential each came from, for duplicates in one lookup (key-index.ts). */
class SeenKeys {
  keys: Array<string> = new Array<string>();
  slots: StaticArray<i32> | null = null;
  owners: ByteBuffer = new ByteBuffer(64);

  /** The credential `key` was first seen in, or -1 (then it is recorded as seen in `owner`). */
  firstOwner(key: string, owner: i32): i32 {
    const at = findKey(this.keys, this.slots, key);
    if (at >= 0) return load<i32>(this.owners.dataStart + (<usize>at << 2));
    this.keys.push(key);
    this.slots = indexLastKey(this.keys, this.slots);
    this.owners.ensure(4);
    store<i32>(this.owners.dataStart + <usize>this.owners.length, owner);
    this.owners.length += 4;
    return -1;
  }
}

/**
 * A Proxy-Wasm pairs map (assembly/runtime/pairs.ts) of `list` = name, value,
 * name, value...: written straight into bytes, no HeaderPair objects.
 */
function pairsOf(list: Array<string>): ArrayBuffer {
  const head = new ByteBuffer(4 + 4 * list.length);
  const body = new ByteBuffer(64);
  store<u32>(head.dataStart, list.length >> 1);
  head.length = 4;
  for (let i = 0; i < list.length; i++) {
    const bytes = String.UTF8.encode(list[i]);
    body.pushBytes(changetype<usize>(bytes), bytes.byteLength);
    store<u32>(head.dataStart + <usize>head.length, bytes.byteLength);
    head.length += 4;
    body.pushByte(0);
  }
  head.pushBytes(body.dataStart, body.length);
  return head.toArrayBuffer();
}

/** content-type: application/json, then one WWW-Authenticate per source, in lookup order. */
function replyHeaders(cfg: HeaderAuthConfig, apiKey: string, bearer: string): ArrayBuffer {
  const list = new Array<string>();
  list.push("content-type");
  list.push("application/json");
  for (let i = 0; i < cfg.sourceCount; i++) {
    list.push("www-authenticate");
    if (isHeaderSource(cfg, i)) list.push(apiKey);
    else list.push(bearer);
  }
  return pairsOf(list);
}

/** Whether the source looked at in position `i` (0 or 1) is the header (else the bearer token). */
// @ts-ignore: decorator
@inline export function isHeaderSource(cfg: HeaderAuthConfig, i: i32): bool {
  return (i == 0) == (cfg.firstSource == SOURCE_HEADER);
}

function jsonBody(error: string, reason: string): ArrayBuffer {
  return String.UTF8.encode("{\"error\":\"" + error + "\",\"reason\":\"" + reason + "\"}");
}

/** Reads and validates the configuration; problems are collected in `r.errors`. */
export function readConfig(r: ConfigReader): HeaderAuthConfig {
  const cfg = new HeaderAuthConfig();

  // Where the credential is read.
  const header = r.string("header", "x-api-key");
  cfg.headerBytes = headerName(r, "header", header);

  const principalHeader = r.string("principal_header", "x-auth-principal");
  const before = r.errors.length;
  cfg.principalHeaderBytes = headerName(r, "principal_header", principalHeader);
  if (r.errors.length == before) {
    if (principalHeader == header) r.error("principal_header", "must differ from 'header'");
    else if (principalHeader == "authorization") r.error("principal_header", "must not be 'authorization'");
  }
  let bearerSource = true;
  if (r.has("sources")) {
    const names = r.stringArray("sources");
    if (isEmptyArray(r, "sources")) r.error("sources", "must not be empty");
    let count = 0;
    let seen = 0; // bit per source
    for (let i = 0; i < names.length; i++) {
      let s: i32 = -1;
      if (names[i] == "header") s = SOURCE_HEADER;
      else if (names[i] == "bearer") s = SOURCE_BEARER;
      const field = elementPath("sources", i);
      if (s < 0) r.error(field, "must be one of header, bearer, got " + quoteForMessage(names[i]));
      else if (seen & (1 << s)) r.error(field, "duplicate source " + quoteForMessage(names[i]));
      else {
        if (count == 0) cfg.firstSource = s;
        count++;
        seen |= 1 << s;
      }
    }
    cfg.sourceCount = count;
    bearerSource = (seen & (1 << SOURCE_BEARER)) != 0;
  } else {
    r.raw("sources");
  }
  if (header == "authorization" && bearerSource) {
    r.error("header", "must not be 'authorization' while the 'bearer' source is enabled");
  }

  cfg.stripCredential = r.bool("strip_credential", true);
  readPathList(r, "exempt_paths", cfg.exemptPaths, true);
  readPathList(r, "exempt_prefixes", cfg.exemptPrefixes, true);
  cfg.allowCorsPreflight = r.bool("allow_cors_preflight", false);
  const realm = r.string("realm", "mesh");
  if (!isRealm(realm)) r.error("realm", "must be printable ASCII without '\"' or '\\', at most 256 characters");
  cfg.forbiddenStatus = <u32>r.integer("forbidden_status", 403, 400, 599);

  // Credentials.
  if (r.value !== null && !r.has("credentials")) {
    r.raw("credentials");
    r.error("credentials", "required field is missing");
  }
  const items = r.objectArray("credentials");
  if (isEmptyArray(r, "credentials")) r.error("credentials", "must not be empty");
  // Digests of the credentials so far, 32 bytes each, in credential order; the
  // principals and digests seen so far, for duplicates in one lookup each (a
  // configuration with 20,000 credentials is read in linear time).
  const digests = new ByteBuffer(64);
  const digestOwner = new SeenKeys();
  const principals = new SeenKeys();
  let plaintext = "";
  let plaintextCount = 0;
  for (let i = 0; i < items.length; i++) {
    const c = items[i];
    const cred = new Credential();
    const principal = c.requiredString("principal");
    const rawPrincipal = c.raw("principal");
    if (rawPrincipal !== null && rawPrincipal!.kind == JsonKind.String && !isPrincipalName(principal)) {
      c.error("principal", "must be 1 to 256 visible ASCII characters (no spaces)");
    }
    cred.principal = principal;
    cred.principalBytes = String.UTF8.encode(principal);
    if (principal.length > 0) {
      const j = principals.firstOwner(principal, i);
      if (j >= 0) c.error("principal", "duplicate principal " + quoteForMessage(principal) + " (also " + elementPath("credentials", j) + ")");
    }

    // this credential's digest, in the next 32 bytes of `digests` once valid
    digests.ensure(SHA256_DIGEST_LENGTH);
    const d = digests.dataStart + <usize>digests.length;
    let hasDigestNow = false;
    const hasDigest = c.has("key_sha256");
    const hasKey = c.has("key");
    if (hasDigest && hasKey) {
      c.raw("key");
      c.raw("key_sha256");
      c.errorHere("set either 'key_sha256' or 'key', not both");
    } else if (hasDigest) {
      hasDigestNow = c.hexInto("key_sha256", SHA256_DIGEST_LENGTH, d);
    } else if (hasKey) {
      // The secret itself is never part of a message.
      const key = c.string("key", "");
      if (key.length == 0 && c.raw("key")!.kind == JsonKind.String) c.error("key", "must not be empty");
      else if (key.length > 0) {
        const bytes = String.UTF8.encode(key);
        sha256Into(changetype<usize>(bytes), bytes.byteLength, d);
        hasDigestNow = true;
        // The warning names the first few (concatenating 20,000 paths would be quadratic).
        if (plaintextCount < 3) {
          if (plaintextCount > 0) plaintext += ", ";
          plaintext += c.path;
        }
        plaintextCount++;
      }
    } else {
      c.errorHere("one of 'key_sha256' (preferred) or 'key' is required");
    }
    if (hasDigestNow) {
      // The digest as a 16-unit string: a key for key-index.ts.
      const key = changetype<string>(__new(SHA256_DIGEST_LENGTH, idof<string>()));
      memory.copy(changetype<usize>(key), d, SHA256_DIGEST_LENGTH);
      const j = digestOwner.firstOwner(key, i);
      if (j >= 0) c.errorHere("same key as " + elementPath("credentials", j));
      digests.length += SHA256_DIGEST_LENGTH;
    }

    if (c.has("methods")) {
      const methods = c.stringArray("methods");
      if (isEmptyArray(c, "methods")) notEmpty(c, "methods", "method");
      for (let m = 0; m < methods.length; m++) {
        if (!isToken(methods[m])) c.error(elementPath("methods", m), "must be an HTTP method token");
        else cred.methods.push(String.UTF8.encode(methods[m]));
      }
    } else {
      c.raw("methods");
    }
    readPathList(c, "path_prefixes", cred.pathPrefixes, false);
    c.rejectUnknown();
    cfg.credentials.push(cred);
  }
  r.rejectUnknown();
  if (!r.ok) return cfg;

  // Everything below is derived from a valid configuration (so every
  // credential has its digest, in credential order).
  cfg.digests = digests.toArrayBuffer();
  if (plaintextCount > 3) plaintext += ", ... (" + decimal(plaintextCount) + " credentials)";
  cfg.plaintextPaths = plaintext;

  // Challenges (RFC 9110 §11.6.1): one WWW-Authenticate field per configured source, in order.
  const apiKey = "ApiKey realm=\"" + realm + "\", header=\"" + header + "\"";
  const bearer = "Bearer realm=\"" + realm + "\"";
  const bearerInvalid = bearer + ", error=\"invalid_token\"";
  cfg.missingHeaders = replyHeaders(cfg, apiKey, bearer);
  cfg.invalidHeaders = cfg.missingHeaders; // (the same challenges)
  cfg.invalidBearerHeaders = replyHeaders(cfg, apiKey, bearerInvalid);
  cfg.forbiddenHeaders = pairsOf(["content-type", "application/json"]);
  cfg.missingBody = jsonBody("unauthorized", MISSING_CREDENTIAL);
  cfg.invalidBody = jsonBody("unauthorized", INVALID_CREDENTIAL);
  cfg.forbiddenBody = jsonBody(FORBIDDEN, "principal_not_allowed");
  return cfg;
}
