// Configuration mutations at configure time: start from a filter's example-config.json and
// drop, add, rename fields, change types, use huge numbers, deep nesting, bad hex and
// broken JSON text. Returns the configuration text handed to proxy_on_configure.
import { Rand } from "./rng.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const clone = (v: Json): Json => JSON.parse(JSON.stringify(v));

function nest(depth: number, leaf: Json, arrays: boolean): Json {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { k: v };
  return v;
}

export class ConfigMutator {
  constructor(private r: Rand, private example: Json, private fields: string[]) {}

  private scalar(): Json {
    const r = this.r;
    switch (r.int(12)) {
      case 0: return r.pick([0, 1, -1, 400, 599, 600, 1e6, 1e6 + 1, 100001, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1.5, 1e308, -0, 5e-324]);
      case 1: return r.pick([true, false, null]);
      case 2: return r.pick(["", " ", "true", "false", "0", "auto", "inbound", "outbound", "unspecified", "compact", "full", "header", "bearer", "x-api-key", "authorization"]);
      case 3: return r.str(64, "0123456789abcdef");
      case 4: return r.str(64, "0123456789abcdefABCDEFg"); // bad hex, sometimes
      case 5: return r.str(r.int(70), "0123456789abcdefxyz ");
      case 6: return r.pick(["/api/", "/", "/a b", "/x?y", "", "api", "/\u00e9", "/\u0000"]);
      case 7: return r.binary(r.int(40));
      case 8: return "x".repeat(r.pick([255, 256, 257, 1024, 65536, 200_000]));
      case 9: return r.pick(["é", "\ud83d\udd11", "\ud800", "\\", "\"", "a\r\nb", "X-Upper", ":path", "a;.;b"]);
      default: return r.str(r.int(20), "abcdefghijklmnopqrstuvwxyz_-0123456789");
    }
  }

  private value(depth = 0): Json {
    const r = this.r;
    switch (r.int(depth > 3 ? 1 : 8)) {
      case 0: case 1: case 2: case 3: return this.scalar();
      case 4: return Array.from({ length: r.int(4) }, () => this.value(depth + 1));
      case 5: return Object.fromEntries(Array.from({ length: r.int(4) }, () => [this.fieldName(), this.value(depth + 1)]));
      case 6: return nest(r.pick([10, 63, 64, 65, 100, 511, 512, 513]), this.scalar(), r.chance(0.5));
      default: { const n = r.pick([0, 1, 100, 5000]); return Array.from({ length: n }, () => (n > 100 ? r.int(1000) : this.scalar())); }
    }
  }

  private fieldName(): string {
    const r = this.r;
    if (r.chance(0.6)) return r.pick(this.fields);
    const f = r.pick(this.fields);
    switch (r.int(6)) {
      case 0: return f.toUpperCase();
      case 1: return f + "s";
      case 2: return f.slice(0, Math.max(0, f.length - 1));
      case 3: return "";
      case 4: return r.binary(r.int(10));
      default: return "k".repeat(r.pick([1, 300, 70_000]));
    }
  }

  /** Containers in the tree down to depth 40 (iterative: nested values are deep). */
  private spots(root: Json): (Json[] | { [k: string]: Json })[] {
    const acc: (Json[] | { [k: string]: Json })[] = [];
    const todo: [Json, number][] = [[root, 0]];
    while (todo.length) {
      const [v, d] = todo.pop()!;
      if (!v || typeof v !== "object") continue;
      acc.push(v);
      if (d < 40) for (const x of Array.isArray(v) ? v : Object.values(v)) todo.push([x, d + 1]);
    }
    return acc;
  }

  private mutateTree(root: Json): Json {
    const r = this.r;
    const spots = this.spots(root);
    if (!spots.length || r.chance(0.05)) return this.value();
    const c = r.pick(spots);
    const keys = Array.isArray(c) ? c.map((_, i) => i) : Object.keys(c);
    const key = keys.length ? r.pick(keys as (string | number)[]) : null;
    const get = (k: string | number) => (c as Record<string | number, Json>)[k];
    const set = (k: string | number, x: Json) => { (c as Record<string | number, Json>)[k] = x; };
    switch (r.int(9)) {
      case 0: // drop
        if (key === null) break;
        if (Array.isArray(c)) c.splice(key as number, 1); else delete c[key as string];
        break;
      case 1: // add
        if (Array.isArray(c)) c.push(r.chance(0.5) && c.length ? clone(c[0]!) : this.value()); else c[this.fieldName()] = this.value();
        break;
      case 2: // rename
        if (key === null || Array.isArray(c)) break;
        { const v = get(key); delete c[key as string]; c[this.fieldName()] = v; }
        break;
      case 3: case 4: // change type / value
        if (key !== null) set(key, this.value());
        break;
      case 5: // huge numbers
        if (key !== null) set(key, r.pick([1e21, 1e300, -1e300, 2 ** 64, 9007199254740993, 0.1, -5]));
        break;
      case 6: // deep nesting
        if (key !== null) set(key, nest(r.pick([64, 65, 512, 513]), get(key), r.chance(0.5)));
        break;
      case 7: // bad hex in any 64-hex string
        if (key !== null) { const v = get(key); if (typeof v === "string") set(key, v.slice(0, r.int(v.length + 1)) + r.pick(["g", "G", "", " ", "0", "\u00e9", "zz"])); }
        break;
      default: // duplicate an element / many copies
        if (Array.isArray(c) && c.length && JSON.stringify(c[0]).length < 2000) { const e = c[0]!; for (let i = r.pick([1, 50, 3000]); i > 0; i--) c.push(clone(e)); }
        break;
    }
    return root;
  }

  /** Breaks the JSON text itself. */
  private mutateText(text: string): string {
    const r = this.r;
    switch (r.int(10)) {
      case 0: return text.slice(0, r.int(text.length));
      case 1: { const i = r.int(text.length + 1); return text.slice(0, i) + r.binary(1 + r.int(4)) + text.slice(i); }
      case 2: return r.pick(["", " ", "null", "[]", "0", "\"x\"", "{", "}", "{}", "\ufeff{}", "{\"a\":1,}", "{'a':1}", "/* */{}", "NaN", "{\"a\":-}", "{\"a\":01}", "{\"a\":1e}", "{\"\\ud800\":1}", "{\"a\":\"\\u12\"}"]);
      case 3: return "[".repeat(r.pick([100, 100_000])) + "]".repeat(r.chance(0.5) ? 0 : 100);
      case 4: return "{\"a\":".repeat(r.pick([100, 20_000])) + "1" + "}".repeat(r.chance(0.5) ? 0 : 20_000);
      case 5: return text.replace(/\d+/, r.pick(["1e999999", "-1e999999", "123456789012345678901234567890", "0x10", "-0", "1.0", "4e2"]));
      case 6: return text.replace(/"([^"]*)"/, (_m, k) => `"${k}", "${k}"`); // may duplicate or break
      case 7: return text.replace(/}\s*$/, `, ${text.slice(1)}`); // duplicate keys
      case 8: { const b = Buffer.from(text); b[r.int(b.length)] = r.int(256); return b.toString("latin1"); }
      default: return text + r.pick(["", " ", "\u0000", "x", "}", "\n\n"]);
    }
  }

  /** One mutated configuration (text). A few mutations stacked; sometimes the text is broken too. */
  next(): string {
    // Bounded: a configuration stays under 4 MB of text (Envoy's xDS would not carry more).
    for (;;) {
      try {
        const text = this.once();
        if (text.length <= 4_000_000) return text;
      } catch (e) {
        if (!(e instanceof RangeError)) throw e; // a string or stack too large for JS: draw again
      }
    }
  }

  private once(): string {
    const r = this.r;
    let v = clone(this.example);
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) v = this.mutateTree(v);
    let text = JSON.stringify(v);
    if (r.chance(0.2)) text = this.mutateText(text);
    return text;
  }
}
