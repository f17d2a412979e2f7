// HTTP field syntax checks for configured header names and values (RFC 9110
// token; HTTP/2 and Envoy want names lower-case). Used at configure time.

function isTokenChar(c: i32): bool {
  if (c >= 0x61 && c <= 0x7a) return true; // a-z
  if (c >= 0x30 && c <= 0x39) return true; // 0-9
  // !#$%&'*+-.^_`|~
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d || c == 0x2e
    || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

/** A lower-case token, not a pseudo-header. */
export function isHeaderName(name: string): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) {
    if (!isTokenChar(name.charCodeAt(i))) return false;
  }
  return true;
}

/** An RFC 9110 token of either case (e.g. an HTTP method). */
export function isToken(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20; // A-Z: token characters like a-z
    if (!isTokenChar(c)) return false;
  }
  return true;
}

/** No CR, LF or NUL (they would split or truncate the header). */
export function isHeaderValue(value: string): bool {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c == 0x0d || c == 0x0a || c == 0) return false;
  }
  return true;
}
