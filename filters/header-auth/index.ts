// header-auth: API-key and bearer-token authentication at the proxy, with local
// 401/403 replies. Configuration is parsed once (config.ts); a request costs one
// read of the header map (request-headers.ts), one SHA-256 of the presented credential and a
// constant-time comparison against every configured digest (decision.ts).
export * from "../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, HeaderMapTypeValues, LogLevelValues,
  BufferTypeValues, MetricTypeValues, get_buffer_bytes, addHeaderBytes, sendLocalResponseBytes, defineMetric,
  increment_metric, logEnabled, logAlways,
} from "../../assembly";
import { ConfigReader } from "../../assembly/config-reader";
import { configurationAccepted } from "../../assembly/config-report";
import { SHA256_DIGEST_LENGTH } from "../../assembly/sha256";
import {
  HeaderAuthConfig, readConfig, isHeaderSource, MAX_CREDENTIAL_BYTES, MISSING_CREDENTIAL, INVALID_CREDENTIAL, FORBIDDEN,
} from "./config";
import { sha256Into } from "../../assembly/sha256";
import {
  pathLength, bytesEqual, equalsAny, prefixOfAny, parseBearer, matchDigest, isNormalPath, NOT_BEARER, BAD_BEARER,
} from "./decision";
import { RequestHeaders, AUTHORIZATION } from "./request-headers";

const REQ = HeaderMapTypeValues.RequestHeaders;
const OPTIONS = String.UTF8.encode("OPTIONS");
const DETAILS_MISSING = String.UTF8.encode("header_auth_" + MISSING_CREDENTIAL);
const DETAILS_INVALID = String.UTF8.encode("header_auth_" + INVALID_CREDENTIAL);
const DETAILS_FORBIDDEN = String.UTF8.encode("header_auth_" + FORBIDDEN);
const EMPTY = new ArrayBuffer(0);

// Per-request scratch, allocated once: the presented credential's digest,
// parseBearer's offset out-parameter and what was read from the headers.
const digestBuf: usize = heap.alloc(SHA256_DIGEST_LENGTH);
const offsetSlot: usize = heap.alloc(4);
const scratch = new RequestHeaders();

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
    const status = this.decide();
    scratch.release();
    return status;
  }

  private decide(): FilterHeadersStatusValues {
    const root = this.root;
    const cfg = root.cfg;
    // A client-supplied principal header never survives, whatever the decision, in
    // any spelling an upstream would read as it: load() removes them all.
    const h = scratch;
    if (!h.load(cfg.headerBytes, cfg.principalHeaderBytes)) return this.deny(Reason.Missing);

    let pathPtr: usize = 0;
    let pathLen = 0;
    if (h.pathLen > 0) {
      pathPtr = h.pathPtr;
      pathLen = pathLength(pathPtr, h.pathLen);
    }
    // An exempt prefix matches only a path in normal form: "/.well-known/../admin"
    // starts with "/.well-known/" but is not under it (an exact match is normal
    // already: the configured paths are).
    if (equalsAny(pathPtr, pathLen, cfg.exemptPaths)
      || (prefixOfAny(pathPtr, pathLen, cfg.exemptPrefixes) && isNormalPath(pathPtr, pathLen))) {
      increment_metric(root.exempt, 1);
      return FilterHeadersStatusValues.Continue;
    }

    const methodPtr = h.methodPtr;
    const methodLen = h.methodLen < 0 ? 0 : h.methodLen;
    if (cfg.allowCorsPreflight && bytesEqual(methodPtr, methodLen, OPTIONS) && h.preflight) {
      increment_metric(root.preflight, 1);
      return FilterHeadersStatusValues.Continue;
    }

    // The credential: the first configured source that is present.
    let found = false;
    let key: ArrayBuffer = EMPTY;
    let valuePtr: usize = 0;
    let tokenOffset: i32 = 0;
    let tokenLen: i32 = -1;
    let bearer = false;
    for (let i = 0; i < cfg.sourceCount; i++) {
      if (isHeaderSource(cfg, i)) {
        const len = h.credentialLength;
        if (len < 0) continue;
        found = true;
        key = cfg.headerBytes;
        valuePtr = h.credentialAt;
        tokenLen = len;
        break;
      } else {
        const len = h.authorizationLength;
        if (len < 0) continue;
        const n = parseBearer(h.authorizationAt, len, offsetSlot);
        if (n == NOT_BEARER) continue; // another scheme (or empty): not our credential
        found = true;
        key = AUTHORIZATION;
        bearer = true;
        if (n == BAD_BEARER) return this.deny(Reason.InvalidBearer);
        valuePtr = h.authorizationAt;
        tokenOffset = load<i32>(offsetSlot);
        tokenLen = n;
        break;
      }
    }
    if (!found) return this.deny(Reason.Missing);
    const invalid = bearer ? Reason.InvalidBearer : Reason.Invalid;
    if (tokenLen <= 0 || tokenLen > MAX_CREDENTIAL_BYTES) return this.deny(invalid);

    sha256Into(valuePtr + <usize>tokenOffset, tokenLen, digestBuf);
    const index = matchDigest(cfg.digests, digestBuf);
    if (index < 0) return this.deny(invalid);

    // A repeated credential header, or the API-key header in another spelling
    // (x_api_key, whichever source carried the credential), is ambiguous and denied.
    if (!h.unique(key, cfg.stripCredential)) return this.deny(invalid);

    const cred = unchecked(cfg.credentials[index]);
    if (cred.methods.length > 0 && !equalsAny(methodPtr, methodLen, cred.methods)) return this.deny(Reason.Forbidden);
    // A path rule holds only for a path in normal form (see the exempt prefixes).
    if (cred.pathPrefixes.length > 0 && !(prefixOfAny(pathPtr, pathLen, cred.pathPrefixes) && isNormalPath(pathPtr, pathLen))) {
      return this.deny(Reason.Forbidden);
    }

    addHeaderBytes(REQ, cfg.principalHeaderBytes, cred.principalBytes);
    increment_metric(root.allowed, 1);
    if (logEnabled(LogLevelValues.debug)) logAlways(LogLevelValues.debug, "header-auth: allowed principal " + cred.principal);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => new HeaderAuthRoot(context_id) as RootContext, "header_auth");
