import { encodePairs } from "./pairs.ts";

/**
 * One header: name, value, and (once known) its byte size, name plus value. The size is the
 * count of octets a module passed when it added the entry (what Envoy stores, even where the
 * value here decoded invalid UTF-8 lossily), else the UTF-8 length, measured once.
 */
export type HeaderEntry = [name: string, value: string, bytes?: number];

/**
 * Envoy's LowerCaseString: ASCII letters only (absl::AsciiStrToLower). JavaScript's toLowerCase
 * is Unicode-aware and would fold names Envoy keeps apart (U+212A KELVIN SIGN to "k").
 */
export function lowerAscii(name: string): string {
  let i = 0;
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) break;
  }
  if (i === name.length) return name; // the common case: already lower-case, no copy
  let out = name.slice(0, i);
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 0x20) : name[i];
  }
  return out;
}

/**
 * An Envoy header map: lower-case names, pseudo-headers first, repeats kept in order, except
 * for Envoy's inline headers (host/inline-headers.ts) when the map is given their set: a second
 * value of one of those is appended to the first with ",". Entries are never changed in place
 * (a replaced or joined value is a new entry), so a slice() of `list` is a snapshot; only the
 * size slot of an entry is filled in lazily.
 */
export class HeaderMap {
  /** Bumped on every mutation so fast drivers can tell whether a prepared map needs resetting. */
  version = 0;
  constructor(public list: HeaderEntry[] = [], readonly inline: ReadonlySet<string> | null = null) {}

  static from(pairs: ReadonlyArray<readonly [string, string]>, inline: ReadonlySet<string> | null = null): HeaderMap {
    const m = new HeaderMap([], inline);
    for (const [k, v] of pairs) m.add(k, v);
    return m;
  }

  get size(): number { return this.list.length; }

  // byteSize() of the last (list, version) it was computed for: filters ask for it several times
  // per stream (proxy_get_header_map_size); entries remember their own sizes, so a recount is a sum.
  private sizedList: HeaderEntry[] | null = null;
  private sizedVersion = -1;
  private sized = 0;

  /** Envoy's HeaderMap::byteSize(): the sum of key and value lengths. */
  byteSize(): number {
    if (this.sizedList === this.list && this.sizedVersion === this.version) return this.sized;
    let n = 0;
    for (const e of this.list) n += entryBytes(e);
    this.sizedList = this.list;
    this.sizedVersion = this.version;
    this.sized = n;
    return n;
  }

  // The pairs form of the last (list, version) encoded: a filter that reads the whole map once per
  // request (header-auth) would otherwise have every pair re-encoded on each stream of a prepared map.
  private pairsList: HeaderEntry[] | null = null;
  private pairsVersion = -1;
  private pairsBytes: Uint8Array | null = null;

  // The snapshot the fast driver restores this map from before each stream, and its pairs form:
  // while the map is unchanged since the restore, its pairs are the snapshot's, encoded once.
  private snapshot: HeaderEntry[] | null = null;
  private snapshotPairs: Uint8Array | null = null;
  private restoredVersion = -1;

  /** The map serialized as proxy_get_header_map_pairs returns it; callers copy it, never change it. */
  encodedPairs(): Uint8Array {
    if (this.pairsBytes && this.pairsList === this.list && this.pairsVersion === this.version) return this.pairsBytes;
    const restored = this.version === this.restoredVersion;
    this.pairsBytes = restored && this.snapshotPairs ? this.snapshotPairs : encodePairs(this.list);
    if (restored) this.snapshotPairs = this.pairsBytes;
    this.pairsList = this.list;
    this.pairsVersion = this.version;
    return this.pairsBytes;
  }

  /** Makes the map a copy of `snapshot` again, a list nobody changes (entries are never changed in place). */
  restore(snapshot: HeaderEntry[]): void {
    if (this.snapshot !== snapshot) { this.snapshot = snapshot; this.snapshotPairs = null; }
    this.list = snapshot.slice();
    this.version++;
    this.restoredVersion = this.version;
  }

  get(key: string): string | undefined {
    key = lowerAscii(key);
    for (const e of this.list) if (e[0] === key) return e[1];
    return undefined;
  }

  /** All values of a key joined by "," (how CEL's request.headers presents repeats). */
  joined(key: string): string | undefined {
    const vals = this.list.filter((e) => e[0] === key).map((e) => e[1]);
    return vals.length ? vals.join(",") : undefined;
  }

  /** Adds an entry; `bytes` is its size in octets when a module passed it as bytes. */
  add(key: string, value: string, bytes?: number): void {
    key = lowerAscii(key);
    if (this.inline?.has(key) && this.join(key, value)) return;
    this.version++;
    const entry: HeaderEntry = [key, value, bytes];
    if (key.startsWith(":")) {
      let i = 0;
      while (i < this.list.length && this.list[i]![0].startsWith(":")) i++;
      this.list.splice(i, 0, entry);
    } else {
      this.list.push(entry);
    }
  }

  /**
   * Envoy's appendToHeader for an inline header already present: the value goes after the
   * existing one with "," (nothing when it is empty). False when the key is absent.
   */
  private join(key: string, value: string): boolean {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e[0] !== key) continue;
      if (value === "") return true;
      const joined = e[1] === "" ? value : `${e[1]},${value}`;
      // Its size is measured again when asked for (rare: a value added twice).
      list[i] = [key, joined];
      this.version++;
      return true;
    }
    return false;
  }

  /** Envoy setCopy: replaces the first occurrence, else adds. `bytes` as for add(). */
  replace(key: string, value: string, bytes?: number): void {
    key = lowerAscii(key);
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      if (list[i]![0] !== key) continue;
      list[i] = [key, value, bytes];
      this.version++;
      return;
    }
    this.add(key, value, bytes);
  }

  remove(key: string): void {
    key = lowerAscii(key);
    // Most removals find nothing (a filter stripping a header a client may have sent).
    const list = this.list;
    let i = 0;
    while (i < list.length && list[i]![0] !== key) i++;
    if (i === list.length) return;
    const kept = list.slice(0, i);
    for (i++; i < list.length; i++) if (list[i]![0] !== key) kept.push(list[i]!);
    this.list = kept;
    this.version++;
  }

  /** Envoy setHeaders / proxy_set_header_map_pairs: everything removed, then each pair added. */
  setAll(pairs: ReadonlyArray<readonly [string, string]>): void {
    this.list = [];
    for (const [k, v] of pairs) this.add(k, v);
    this.version++;
  }

  toList(): [string, string][] { return this.list.map(([k, v]) => [k, v]); }
}

function entryBytes(e: HeaderEntry): number {
  let n = e[2];
  if (n === undefined) e[2] = n = Buffer.byteLength(e[0]) + Buffer.byteLength(e[1]);
  return n;
}
