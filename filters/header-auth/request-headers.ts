// What header-auth needs from the request headers: :path, :method, the
// credential header, Authorization, the CORS preflight header; and every
// spelling of the principal header an upstream would fold into it, removed.
// Names fold as CGI, WSGI, Rack and PHP fold them into HTTP_X_AUTH_PRINCIPAL:
// ASCII case ignored (Envoy's lookups do that) and '_' taken as '-'.
//
// Two ways to read them, chosen at configure time:
// - by name (the default): one lookup per header, one per other spelling of the
//   principal and credential headers (configure time lists them: 2^d - 1 for d
//   dashes, so at most 7 for names with up to MAX_SPELLING_DASHES), and the
//   credential's repetition told by how much its removal shrinks the map;
// - the whole map at once (names with more dashes): one read, in place, every
//   name folded and counted.
// Values are addresses: into buffers this object holds (by name) or into the
// host's block (whole map), valid until the next request.
import {
  HeaderMapTypeValues, getHeaderBytes, removeHeaderBytes, removeHeaderRaw, addHeaderBytes, getHeaderMapSize,
  borrowHeaderPairs, borrowedSize, releaseHeaderPairs,
} from "../../assembly";
import { bytesEqual } from "./decision";

const REQ = HeaderMapTypeValues.RequestHeaders;
const PATH = String.UTF8.encode(":path");
const METHOD = String.UTF8.encode(":method");
export const AUTHORIZATION = String.UTF8.encode("authorization");
const ACRM = String.UTF8.encode("access-control-request-method");
const EMPTY = new ArrayBuffer(0);

/** Names with more dashes are matched by reading the whole map (2^d - 1 lookups would be too many). */
export const MAX_SPELLING_DASHES: i32 = 3;

/**
 * The other spellings of `name` (lower case, no '_') an upstream folds into it: each
 * subset of its '-' as '_'. False (and `out` left empty) when it has more than
 * MAX_SPELLING_DASHES dashes.
 */
export function otherSpellings(name: ArrayBuffer, out: Array<ArrayBuffer>): bool {
  const p = changetype<usize>(name);
  const n = name.byteLength;
  let dashes = 0;
  for (let i = 0; i < n; i++) if (load<u8>(p + <usize>i) == 0x2d) dashes++;
  if (dashes > MAX_SPELLING_DASHES) return false;
  for (let mask = 1; mask < (1 << dashes); mask++) {
    const s = new ArrayBuffer(n);
    const q = changetype<usize>(s);
    memory.copy(q, p, <usize>n);
    let d = 0;
    for (let i = 0; i < n; i++) {
      if (load<u8>(q + <usize>i) != 0x2d) continue;
      if (mask & (1 << d)) store<u8>(q + <usize>i, 0x5f);
      d++;
    }
    out.push(s);
  }
  return true;
}

export class RequestHeaders {
  pathPtr: usize = 0;
  pathLen: i32 = -1;
  methodPtr: usize = 0;
  methodLen: i32 = -1;
  /** Read the whole map (else by name). */
  private whole: bool = false;
  private block: usize = 0;
  // By name: the buffers the addresses point into (kept alive until the next request),
  // and which of the lazily read headers were read.
  private pathBuf: ArrayBuffer | null = null;
  private methodBuf: ArrayBuffer | null = null;
  private credentialBuf: ArrayBuffer | null = null;
  private authorizationBuf: ArrayBuffer | null = null;
  private fetched: i32 = 0; // bit 1: credential, 2: authorization, 4: preflight header
  // Whole map: the first value and count of each, other spellings of the credential header.
  private credentialPtr: usize = 0;
  private credentialLen: i32 = -1;
  private credentialCount: i32 = 0;
  private credentialSpellings: i32 = 0;
  private authorizationPtr: usize = 0;
  private authorizationLen: i32 = -1;
  private authorizationCount: i32 = 0;
  private preflightHeader: bool = false;

  /**
   * Reads :path and :method and removes the principal header in every spelling
   * (`principalSpellings` by name, every folded match in the whole map). False when
   * the host's map is malformed.
   */
  load(wholeMap: bool, credential: ArrayBuffer, principal: ArrayBuffer, principalSpellings: Array<ArrayBuffer>): bool {
    this.whole = wholeMap;
    this.fetched = 0;
    if (wholeMap) return this.readWhole(credential, principal);
    // (Looked up first: a removal would clear the route cache on every request.)
    if (getHeaderBytes(REQ, principal) !== null) removeHeaderBytes(REQ, principal);
    for (let i = 0; i < principalSpellings.length; i++) {
      const s = unchecked(principalSpellings[i]);
      if (getHeaderBytes(REQ, s) !== null) removeHeaderBytes(REQ, s);
    }
    const path = getHeaderBytes(REQ, PATH);
    this.pathBuf = path;
    this.pathLen = -1;
    if (path !== null) { this.pathPtr = changetype<usize>(path); this.pathLen = path.byteLength; }
    const method = getHeaderBytes(REQ, METHOD);
    this.methodBuf = method;
    this.methodLen = -1;
    if (method !== null) { this.methodPtr = changetype<usize>(method); this.methodLen = method.byteLength; }
    return true;
  }

  /** Returns the host's block, if any. */
  release(): void {
    releaseHeaderPairs(this.block);
    this.block = 0;
  }

  /** The credential header's first value's length, -1 when absent (its address: credentialAt). */
  credential(name: ArrayBuffer): i32 {
    if (this.whole) return this.credentialLen;
    if ((this.fetched & 1) == 0) {
      this.fetched |= 1;
      this.credentialBuf = getHeaderBytes(REQ, name);
      const b = this.credentialBuf;
      this.credentialLen = -1;
      if (b !== null) { this.credentialPtr = changetype<usize>(b); this.credentialLen = b.byteLength; }
    }
    return this.credentialLen;
  }

  get credentialAt(): usize { return this.credentialPtr; }

  /** Authorization's first value's length, -1 when absent (its address: authorizationAt). */
  authorization(): i32 {
    if (this.whole) return this.authorizationLen;
    if ((this.fetched & 2) == 0) {
      this.fetched |= 2;
      this.authorizationBuf = getHeaderBytes(REQ, AUTHORIZATION);
      const b = this.authorizationBuf;
      this.authorizationLen = -1;
      if (b !== null) { this.authorizationPtr = changetype<usize>(b); this.authorizationLen = b.byteLength; }
    }
    return this.authorizationLen;
  }

  get authorizationAt(): usize { return this.authorizationPtr; }

  /** Whether an access-control-request-method header came. */
  preflight(): bool {
    if (!this.whole && (this.fetched & 4) == 0) {
      this.fetched |= 4;
      this.preflightHeader = getHeaderBytes(REQ, ACRM) !== null;
    }
    return this.preflightHeader;
  }

  /**
   * Whether the accepted credential, `valueLen` bytes under `key` (the API-key header or
   * Authorization), came once, and the API-key header in none of its other spellings
   * (`spellings`): Envoy's get answers the first value only, and an upstream might read
   * another. Leaves `key` removed when `strip` (or when not unique: the request is denied).
   */
  unique(key: ArrayBuffer, spellings: Array<ArrayBuffer>, valueLen: i32, strip: bool): bool {
    if (this.whole) {
      const once = (key == AUTHORIZATION ? this.authorizationCount : this.credentialCount) == 1 && this.credentialSpellings == 0;
      if (once && strip) removeHeaderBytes(REQ, key);
      return once;
    }
    for (let i = 0; i < spellings.length; i++) if (getHeaderBytes(REQ, unchecked(spellings[i])) !== null) return false;
    // The removal tells, by how much the map's byte size (names plus values) shrinks.
    const before = getHeaderMapSize(REQ);
    removeHeaderBytes(REQ, key);
    if (before - getHeaderMapSize(REQ) != <u32>(key.byteLength + valueLen)) return false;
    if (!strip) {
      // (if/else, not ?:, with managed values: asc 0.17 refcount pitfall, assembly/README.md)
      let value = this.credentialBuf;
      if (key == AUTHORIZATION) value = this.authorizationBuf;
      if (value === null) value = EMPTY;
      addHeaderBytes(REQ, key, value!);
    }
    return true;
  }

  /** The whole map, in place: the host's block stays borrowed until release(). */
  private readWhole(credential: ArrayBuffer, principal: ArrayBuffer): bool {
    this.pathLen = -1;
    this.methodLen = -1;
    this.credentialLen = -1;
    this.credentialCount = 0;
    this.credentialSpellings = 0;
    this.authorizationLen = -1;
    this.authorizationCount = 0;
    this.preflightHeader = false;
    const block = borrowHeaderPairs(REQ);
    const size = borrowedSize();
    this.block = block;
    if (block == 0 || size < 4) return size == 0;
    const n = <u64>load<u32>(block);
    let data = 4 + 8 * n;
    if (data > <u64>size) return false;
    for (let i: u64 = 0; i < n; i++) {
      const nameLen = <u64>load<u32>(block + 4 + <usize>(8 * i));
      const valueLen = <u64>load<u32>(block + 8 + <usize>(8 * i));
      if (data + nameLen + valueLen + 2 > <u64>size) return false;
      const name = block + <usize>data;
      const value = name + <usize>nameLen + 1;
      const nl = <i32>nameLen;
      const vl = <i32>valueLen;
      data += nameLen + valueLen + 2;
      if (nl == 0) continue;
      if (load<u8>(name) == 0x3a) { // ':'
        if (this.pathLen < 0 && bytesEqual(name, nl, PATH)) { this.pathPtr = value; this.pathLen = vl; }
        else if (this.methodLen < 0 && bytesEqual(name, nl, METHOD)) { this.methodPtr = value; this.methodLen = vl; }
        continue;
      }
      if (folds(name, nl, principal) != 0) {
        removeHeaderRaw(REQ, name, nl);
        continue;
      }
      const f = folds(name, nl, credential);
      if (f == 1) {
        if (this.credentialCount++ == 0) { this.credentialPtr = value; this.credentialLen = vl; }
      } else if (f == 2) {
        this.credentialSpellings++;
      } else if (folds(name, nl, AUTHORIZATION) != 0) {
        if (this.authorizationCount++ == 0) { this.authorizationPtr = value; this.authorizationLen = vl; }
      } else if (folds(name, nl, ACRM) != 0) {
        this.preflightHeader = true;
      }
    }
    return true;
  }
}

/**
 * 0 when the `len`-byte name at `ptr` is not `canonical` folded (case ignored, '_' as '-'),
 * 1 when it is and has no '_' (the same header), 2 when it is another spelling.
 */
function folds(ptr: usize, len: i32, canonical: ArrayBuffer): i32 {
  if (len != canonical.byteLength) return 0;
  const c = changetype<usize>(canonical);
  let spelled = 1;
  for (let i = 0; i < len; i++) {
    let x = <u32>load<u8>(ptr + <usize>i);
    if (x == 0x5f) { x = 0x2d; spelled = 2; } // '_' -> '-'
    else if (x - 0x41 < 26) x |= 0x20;        // A-Z -> a-z
    if (x != <u32>load<u8>(c + <usize>i)) return 0;
  }
  return spelled;
}
