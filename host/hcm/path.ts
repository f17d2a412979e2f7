// What Envoy's HTTP connection manager does to :path before any filter sees it
// (ConnectionManagerUtility::maybeNormalizePath): escaped slashes first
// (path_with_escaped_slashes_action), then normalize_path (PathUtil::canonicalPath,
// Chromium's URL path canonicalizer), then merge_slashes. Only the part before
// the first "?" is touched. The rules below are what Envoy 1.40.0 does, read
// byte by byte off a real Envoy: every printable ASCII character and every %XX
// escape in a path (the differential run's "floor.wat, paths normalized"
// scenario, fidelity/scenarios/conformance.ts, replays them against Envoy).
import type { Hcm } from "./options.ts";

/** Characters the canonicalizer percent-encodes (uppercase hex); besides these only bytes outside 0x21-0x7e. */
const ESCAPED = new Set(['"', "<", ">", "^", "`", "{", "|", "}"]);
/** RFC 3986 unreserved: an escape of one of these is decoded. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function hex(b: number): string {
  return "%" + b.toString(16).toUpperCase().padStart(2, "0");
}

/** One segment's characters: unreserved escapes decoded, characters not allowed in a path escaped. null: a NUL escape. */
function canonicalSegment(segment: string): string | null {
  let out = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "%" && i + 2 < segment.length && /^[0-9A-Fa-f]{2}$/.test(segment.slice(i + 1, i + 3))) {
      const code = parseInt(segment.slice(i + 1, i + 3), 16);
      if (code === 0) return null;
      const ch = String.fromCharCode(code);
      out += UNRESERVED.test(ch) ? ch : segment.slice(i, i + 3);
      i += 2;
      continue;
    }
    const code = c.charCodeAt(0);
    if (ESCAPED.has(c)) out += hex(code);
    else if (code <= 0x20 || code >= 0x7f) {
      // Over HTTP/2 a path may carry such bytes; they go out escaped, one per UTF-8 byte.
      for (const b of Buffer.from(c, "utf8")) out += hex(b);
    } else out += c;
  }
  return out;
}

const CURRENT = /^(?:\.|%2e)$/i;
const PARENT = /^(?:\.|%2e){2}$/i;

/**
 * Chromium's path canonicalization as Envoy applies it: "\\" read as "/", dot segments
 * removed — "." and ".." escaped or not, and a literal "." or ".." followed by ";" parameters,
 * which go with it ("/a/..;x/b" is "/b") — and each other segment canonicalized. null when the
 * path cannot be canonicalized (a NUL escape).
 */
export function canonicalPath(path: string): string | null {
  const segments = path.replace(/\\/g, "/").split("/").slice(1);
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i]!;
    const last = i === segments.length - 1;
    if (CURRENT.test(raw) || raw.startsWith(".;")) { if (last) out.push(""); continue; }
    if (PARENT.test(raw) || raw.startsWith("..;")) { out.pop(); if (last) out.push(""); continue; }
    const c = canonicalSegment(raw);
    if (c === null) return null;
    out.push(c);
  }
  return "/" + out.join("/");
}

/**
 * Envoy's merge_slashes (PathUtil::mergeSlashes): the non-empty segments joined by "/",
 * between the path's leading and trailing "/". So runs of "/" become one, except that a
 * path of slashes only ("//", "///") becomes "//": the leading and the trailing one.
 */
export function mergeSlashes(path: string): string {
  if (!path.includes("//")) return path;
  const segments = path.split("/").filter((s) => s !== "");
  return (path.startsWith("/") ? "/" : "") + segments.join("/") + (path.endsWith("/") ? "/" : "");
}

const ESCAPED_SLASH = /%2f|%5c/i;

/**
 * :path after the connection manager's rules, or the failure Envoy answers
 * (400 path_normalization_failed). `path` starts with "/".
 */
export function normalizeRequestPath(path: string, hcm: Hcm): { path: string } | { fail: "path_normalization_failed"; path: string } {
  if (!hcm.normalizePath && !hcm.mergeSlashes && hcm.escapedSlashes === "KEEP_UNCHANGED") return { path };
  const q = path.indexOf("?");
  let head = q < 0 ? path : path.slice(0, q);
  const query = q < 0 ? "" : path.slice(q);
  if (hcm.escapedSlashes !== "KEEP_UNCHANGED" && ESCAPED_SLASH.test(head)) {
    // Unescaped first (%2F to "/", %5C to "\\"): a rejected request keeps that path in its map.
    head = head.replace(/%2f/gi, "/").replace(/%5c/gi, "\\");
    if (hcm.escapedSlashes === "REJECT_REQUEST") return { fail: "path_normalization_failed", path: head + query };
  }
  if (hcm.normalizePath) {
    // A fragment anywhere in :path (query included) has no canonical form.
    if (path.includes("#")) return { fail: "path_normalization_failed", path };
    const canonical = canonicalPath(head);
    if (canonical === null) return { fail: "path_normalization_failed", path };
    head = canonical;
  }
  if (hcm.mergeSlashes) head = mergeSlashes(head);
  return { path: head + query };
}
