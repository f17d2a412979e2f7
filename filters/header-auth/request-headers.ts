// What header-auth needs from the request headers, read in one pass over the
// map as the host serializes it (one host call instead of one per header):
// :path, :method, the credential header, Authorization, the CORS preflight
// header, and every spelling of the principal header an upstream would fold
// into it. Names are compared folded: ASCII case ignored and '_' taken as '-',
// as CGI, WSGI, Rack and PHP do when they turn headers into HTTP_X_AUTH_PRINCIPAL.
// Values are addresses into the host's block: valid until it is released.
import { HeaderMapTypeValues, removeHeaderRaw } from "../../assembly";
import { bytesEqual } from "./decision";

const PATH = String.UTF8.encode(":path");
const METHOD = String.UTF8.encode(":method");
export const AUTHORIZATION = String.UTF8.encode("authorization");
const ACRM = String.UTF8.encode("access-control-request-method");

export class RequestHeaders {
  pathPtr: usize = 0;
  pathLen: i32 = -1;
  methodPtr: usize = 0;
  methodLen: i32 = -1;
  /** The first value of the credential header, how many times that header came, how many other spellings of it came. */
  credentialPtr: usize = 0;
  credentialLen: i32 = -1;
  credentialCount: i32 = 0;
  credentialSpellings: i32 = 0;
  authorizationPtr: usize = 0;
  authorizationLen: i32 = -1;
  authorizationCount: i32 = 0;
  preflightHeader: bool = false;

  private reset(): void {
    this.pathLen = -1;
    this.methodLen = -1;
    this.credentialLen = -1;
    this.credentialCount = 0;
    this.credentialSpellings = 0;
    this.authorizationLen = -1;
    this.authorizationCount = 0;
    this.preflightHeader = false;
  }

  /**
   * Reads the `size`-byte pairs block at `block`. `credential` and `principal` are
   * lower-case names without '_' (the configuration guarantees it). Every name
   * that folds into `principal` is removed from the request map as it is met.
   * False when the block is malformed (nothing after the fault is read).
   */
  read(block: usize, size: i32, credential: ArrayBuffer, principal: ArrayBuffer): bool {
    this.reset();
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
      let f = folds(name, nl, principal);
      if (f != 0) {
        removeHeaderRaw(HeaderMapTypeValues.RequestHeaders, name, nl);
        continue;
      }
      f = folds(name, nl, credential);
      if (f == 1) {
        if (this.credentialCount++ == 0) { this.credentialPtr = value; this.credentialLen = vl; }
      } else if (f == 2) {
        this.credentialSpellings++;
      } else if (folds(name, nl, AUTHORIZATION) != 0) {
        if (this.authorizationCount++ == 0) { this.authorizationPtr = value; this.authorizationLen = vl; }
      } else if (!this.preflightHeader && folds(name, nl, ACRM) != 0) {
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
