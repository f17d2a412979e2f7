// What header-auth needs from the request headers: :path, :method, the
// credential header, Authorization, the CORS preflight header; and every
// spelling of the principal header an upstream would fold into it, removed.
// Names fold as CGI, WSGI, Rack and PHP fold them into HTTP_X_AUTH_PRINCIPAL:
// ASCII case ignored (Envoy's lookups do that) and '_' taken as '-'.
//
// The whole map is read once per request (proxy_get_header_map_pairs, in
// place), every name folded and counted. In Envoy that is cheaper than looking
// names up one by one: each lookup is a host call and each value found one more
// (Envoy calls the module's malloc for it), and a request needed 16 host calls
// (four spellings of the principal header, :path, :method, the credential, its
// three other spellings, two map sizes to tell a repeat, ...) where it now needs
// 5; `bench --engine envoy` measured header-auth's added CPU per request about
// 4 µs lower (README, "In real Envoy"). Values are addresses into the host's
// block, valid until release() at the end of the callback.
import {
  HeaderMapTypeValues, removeHeaderBytes, removeHeaderRaw, borrowHeaderPairs, borrowedSize, releaseHeaderPairs,
} from "../../assembly";
import { bytesEqual } from "./decision";

const REQ = HeaderMapTypeValues.RequestHeaders;
const PATH = String.UTF8.encode(":path");
const METHOD = String.UTF8.encode(":method");
export const AUTHORIZATION = String.UTF8.encode("authorization");
const ACRM = String.UTF8.encode("access-control-request-method");

export class RequestHeaders {
  pathPtr: usize = 0;
  pathLen: i32 = -1;
  methodPtr: usize = 0;
  methodLen: i32 = -1;
  private block: usize = 0;
  // The first value and count of each, other spellings of the credential header.
  private credentialPtr: usize = 0;
  private credentialLen: i32 = -1;
  private credentialCount: i32 = 0;
  private credentialSpellings: i32 = 0;
  private authorizationPtr: usize = 0;
  private authorizationLen: i32 = -1;
  private authorizationCount: i32 = 0;
  private preflightHeader: bool = false;

  /**
   * Reads the map: :path, :method, the credential and Authorization, and removes
   * every header that folds into the principal header. False when the host's map
   * is malformed.
   */
  load(credential: ArrayBuffer, principal: ArrayBuffer): bool {
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

  /** Returns the host's block. */
  release(): void {
    releaseHeaderPairs(this.block);
    this.block = 0;
  }

  /** The credential header's first value's length, -1 when absent (its address: credentialAt). */
  get credentialLength(): i32 { return this.credentialLen; }

  get credentialAt(): usize { return this.credentialPtr; }

  /** Authorization's first value's length, -1 when absent (its address: authorizationAt). */
  get authorizationLength(): i32 { return this.authorizationLen; }

  get authorizationAt(): usize { return this.authorizationPtr; }

  /** Whether an access-control-request-method header came. */
  get preflight(): bool { return this.preflightHeader; }

  /**
   * Whether the accepted credential, under `key` (the API-key header or Authorization),
   * came once, and the API-key header in none of its other spellings: Envoy's get
   * answers the first value only, and an upstream might read another. Removes `key`
   * when `strip` and it came once (when not, the request is denied).
   */
  unique(key: ArrayBuffer, strip: bool): bool {
    const once = (key == AUTHORIZATION ? this.authorizationCount : this.credentialCount) == 1 && this.credentialSpellings == 0;
    if (once && strip) removeHeaderBytes(REQ, key);
    return once;
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
