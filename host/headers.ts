// An Envoy-like header map: lower-cased keys, insertion order, pseudo-headers kept first.
export class HeaderMap {
  /** Bumped on every mutation so fast drivers can tell whether a prepared map needs resetting. */
  version = 0;
  constructor(public list: [string, string][] = []) {}

  static from(pairs: ReadonlyArray<readonly [string, string]>): HeaderMap {
    const m = new HeaderMap();
    for (const [k, v] of pairs) m.add(k, v);
    return m;
  }

  get size(): number { return this.list.length; }

  // byteSize() of the last (list, version) it was computed for: filters ask
  // for it several times per stream (proxy_get_header_map_size), maps change rarely.
  private sizedList: [string, string][] | null = null;
  private sizedVersion = -1;
  private sized = 0;

  /** Envoy's HeaderMap::byteSize(): the sum of key and value lengths. */
  byteSize(): number {
    if (this.sizedList === this.list && this.sizedVersion === this.version) return this.sized;
    let n = 0;
    for (const [k, v] of this.list) n += Buffer.byteLength(k) + Buffer.byteLength(v);
    this.sizedList = this.list;
    this.sizedVersion = this.version;
    this.sized = n;
    return n;
  }

  get(key: string): string | undefined {
    key = key.toLowerCase();
    for (const e of this.list) if (e[0] === key) return e[1];
    return undefined;
  }

  /** All values of a key joined by "," (how CEL's request.headers presents repeats). */
  joined(key: string): string | undefined {
    const vals = this.list.filter((e) => e[0] === key).map((e) => e[1]);
    return vals.length ? vals.join(",") : undefined;
  }

  add(key: string, value: string): void {
    key = key.toLowerCase();
    this.version++;
    if (key.startsWith(":")) {
      let i = 0;
      while (i < this.list.length && this.list[i]![0].startsWith(":")) i++;
      this.list.splice(i, 0, [key, value]);
    } else {
      this.list.push([key, value]);
    }
  }

  /** Envoy setCopy: replaces the first occurrence, else adds. */
  replace(key: string, value: string): void {
    key = key.toLowerCase();
    for (const e of this.list) if (e[0] === key) { e[1] = value; this.version++; return; }
    this.add(key, value);
  }

  remove(key: string): void {
    key = key.toLowerCase();
    // Most removals find nothing (a filter stripping a header a client may have sent).
    if (!this.list.some((e) => e[0] === key)) return;
    this.list = this.list.filter((e) => e[0] !== key);
    this.version++;
  }

  setAll(pairs: ReadonlyArray<readonly [string, string]>): void {
    this.list = [];
    for (const [k, v] of pairs) this.add(k, v);
    this.version++;
  }

  toList(): [string, string][] { return this.list.map(([k, v]) => [k, v]); }
}
