// header-auth: API-key and bearer-token authentication at the proxy, with local
// 401/403 replies. Configuration is parsed once (config.ts); a request costs a
// few header reads, one SHA-256 of the presented credential and a
// constant-time comparison against every configured digest (decision.ts).
export * from "../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, HeaderMapTypeValues, LogLevelValues,
  BufferTypeValues, MetricTypeValues, get_buffer_bytes, getHeaderBytes, addHeaderBytes, removeHeaderBytes,
  getHeaderMapSize, sendLocalResponseBytes, defineMetric, increment_metric, logEnabled, logAlways,
} from "../../assembly";
import { ConfigReader } from "../../assembly/config-reader";
import { configurationAccepted } from "../../assembly/config-report";
import { SHA256_DIGEST_LENGTH } from "../../assembly/sha256";
import {
  HeaderAuthConfig, readConfig, isHeaderSource, MAX_CREDENTIAL_BYTES, MISSING_CREDENTIAL, INVALID_CREDENTIAL, FORBIDDEN,
} from "./config";
import { sha256Into } from "../../assembly/sha256";
import {
  pathLength, bytesEqual, equalsAny, prefixOfAny, parseBearer, matchDigest, NOT_BEARER, BAD_BEARER,
} from "./decision";

const REQ = HeaderMapTypeValues.RequestHeaders;
const PATH = String.UTF8.encode(":path");
const METHOD = String.UTF8.encode(":method");
const AUTHORIZATION = String.UTF8.encode("authorization");
const ACRM = String.UTF8.encode("access-control-request-method");
const OPTIONS = String.UTF8.encode("OPTIONS");
const DETAILS_MISSING = String.UTF8.encode("header_auth_" + MISSING_CREDENTIAL);
const DETAILS_INVALID = String.UTF8.encode("header_auth_" + INVALID_CREDENTIAL);
const DETAILS_FORBIDDEN = String.UTF8.encode("header_auth_" + FORBIDDEN);
const EMPTY = new ArrayBuffer(0);

// Per-request scratch, allocated once: the presented credential's digest and
// parseBearer's offset out-parameter.
const digestBuf: usize = heap.alloc(SHA256_DIGEST_LENGTH);
const offsetSlot: usize = heap.alloc(4);

const enum Reason { Missing, Invalid, InvalidBearer, Forbidden }

class HeaderAuthRoot extends RootContext {
  cfg: HeaderAuthConfig = new HeaderAuthConfig();
  allowed: u32 = 0;
  exempt: u32 = 0;
  preflight: u32 = 0;
  deniedMissing: u32 = 0;
  deniedInvalid: u32 = 0;
  deniedForbidden: u32 = 0;

  onConfigure(configuration_size: u32): bool {
    const reader = ConfigReader.parseBuffer(get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, configuration_size));
    const cfg = readConfig(reader);
    if (!configurationAccepted("header-auth", reader)) return false;
    if (cfg.plaintextPaths.length > 0) {
      logAlways(LogLevelValues.warn, "header-auth: " + cfg.plaintextPaths
        + ": plaintext 'key' in the configuration; use 'key_sha256' (printf %s \"$KEY\" | sha256sum)");
    }
    this.cfg = cfg;
    const m = "header_auth.";
    const denied = "header_auth.denied.";
    this.allowed = defineMetric(MetricTypeValues.Counter, m + "allowed");
    this.exempt = defineMetric(MetricTypeValues.Counter, m + "exempt");
    this.preflight = defineMetric(MetricTypeValues.Counter, m + "preflight");
    this.deniedMissing = defineMetric(MetricTypeValues.Counter, denied + MISSING_CREDENTIAL);
    this.deniedInvalid = defineMetric(MetricTypeValues.Counter, denied + INVALID_CREDENTIAL);
    this.deniedForbidden = defineMetric(MetricTypeValues.Counter, denied + FORBIDDEN);
    return true;
  }

  createContext(context_id: u32): Context {
    return new HeaderAuthStream(context_id, this);
  }
}

class HeaderAuthStream extends Context {
  constructor(context_id: u32, readonly root: HeaderAuthRoot) {
    super(context_id, root);
  }

  deny(reason: Reason): FilterHeadersStatusValues {
    const root = this.root;
    const cfg = root.cfg;
    if (reason == Reason.Missing) {
      sendLocalResponseBytes(401, DETAILS_MISSING, cfg.missingBody, cfg.missingHeaders, -1);
      increment_metric(root.deniedMissing, 1);
      if (logEnabled(LogLevelValues.debug)) logAlways(LogLevelValues.debug, "header-auth: denied: missing credential");
    } else if (reason == Reason.Forbidden) {
      sendLocalResponseBytes(cfg.forbiddenStatus, DETAILS_FORBIDDEN, cfg.forbiddenBody, cfg.forbiddenHeaders, -1);
      increment_metric(root.deniedForbidden, 1);
      if (logEnabled(LogLevelValues.debug)) logAlways(LogLevelValues.debug, "header-auth: denied: principal not allowed for this method or path");
    } else {
      // (if/else, not ?:, with managed values: asc 0.17 refcount pitfall, assembly/README.md)
      if (reason == Reason.InvalidBearer) sendLocalResponseBytes(401, DETAILS_INVALID, cfg.invalidBody, cfg.invalidBearerHeaders, -1);
      else sendLocalResponseBytes(401, DETAILS_INVALID, cfg.invalidBody, cfg.invalidHeaders, -1);
      increment_metric(root.deniedInvalid, 1);
      if (logEnabled(LogLevelValues.debug)) logAlways(LogLevelValues.debug, "header-auth: denied: invalid credential");
    }
    return FilterHeadersStatusValues.StopIteration;
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root;
    const cfg = root.cfg;

    // A client-supplied principal header never survives, whatever the decision.
    // (Looked up first: a removal would clear the route cache on every request.)
    if (getHeaderBytes(REQ, cfg.principalHeaderBytes) !== null) removeHeaderBytes(REQ, cfg.principalHeaderBytes);

    let path = getHeaderBytes(REQ, PATH);
    if (path === null) path = EMPTY;
    const pathPtr = changetype<usize>(path);
    const pathLen = pathLength(pathPtr, path!.byteLength);
    if (equalsAny(pathPtr, pathLen, cfg.exemptPaths) || prefixOfAny(pathPtr, pathLen, cfg.exemptPrefixes)) {
      increment_metric(root.exempt, 1);
      return FilterHeadersStatusValues.Continue;
    }

    let method = getHeaderBytes(REQ, METHOD);
    if (method === null) method = EMPTY;
    const methodPtr = changetype<usize>(method);
    const methodLen = method!.byteLength;
    if (cfg.allowCorsPreflight && bytesEqual(methodPtr, methodLen, OPTIONS) && getHeaderBytes(REQ, ACRM) !== null) {
      increment_metric(root.preflight, 1);
      return FilterHeadersStatusValues.Continue;
    }

    // The credential: the first configured source that is present.
    let value: ArrayBuffer | null = null;
    let key: ArrayBuffer = EMPTY;
    let tokenOffset: i32 = 0;
    let tokenLen: i32 = -1;
    let bearer = false;
    for (let i = 0; i < cfg.sourceCount; i++) {
      if (isHeaderSource(cfg, i)) {
        const v = getHeaderBytes(REQ, cfg.headerBytes);
        if (v === null) continue;
        value = v;
        key = cfg.headerBytes;
        tokenLen = v.byteLength;
        break;
      } else {
        const v = getHeaderBytes(REQ, AUTHORIZATION);
        if (v === null) continue;
        const n = parseBearer(changetype<usize>(v), v.byteLength, offsetSlot);
        if (n == NOT_BEARER) continue; // another scheme (or empty): not our credential
        value = v;
        key = AUTHORIZATION;
        bearer = true;
        if (n == BAD_BEARER) return this.deny(Reason.InvalidBearer);
        tokenOffset = load<i32>(offsetSlot);
        tokenLen = n;
        break;
      }
    }
    if (value === null) return this.deny(Reason.Missing);
    const invalid = bearer ? Reason.InvalidBearer : Reason.Invalid;
    if (tokenLen <= 0 || tokenLen > MAX_CREDENTIAL_BYTES) return this.deny(invalid);

    sha256Into(changetype<usize>(value) + <usize>tokenOffset, tokenLen, digestBuf);
    const index = matchDigest(cfg.digests, digestBuf);
    if (index < 0) return this.deny(invalid);

    // Envoy's get answers the first value only. A repeated credential header is
    // ambiguous (an upstream might read another value): the removal tells, by
    // how much the map's byte size (sum of names and values) shrinks.
    const valueLen = value!.byteLength;
    const before = getHeaderMapSize(REQ);
    removeHeaderBytes(REQ, key);
    const after = getHeaderMapSize(REQ);
    if (before - after != <u32>(key.byteLength + valueLen)) return this.deny(invalid);
    if (!cfg.stripCredential) addHeaderBytes(REQ, key, value!);

    const cred = unchecked(cfg.credentials[index]);
    if (cred.methods.length > 0 && !equalsAny(methodPtr, methodLen, cred.methods)) return this.deny(Reason.Forbidden);
    if (cred.pathPrefixes.length > 0 && !prefixOfAny(pathPtr, pathLen, cred.pathPrefixes)) {
      return this.deny(Reason.Forbidden);
    }

    addHeaderBytes(REQ, cfg.principalHeaderBytes, cred.principalBytes);
    increment_metric(root.allowed, 1);
    if (logEnabled(LogLevelValues.debug)) logAlways(LogLevelValues.debug, "header-auth: allowed principal " + cred.principal);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => new HeaderAuthRoot(context_id) as RootContext, "header_auth");
