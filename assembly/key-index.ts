// Key lookup for the insertion-ordered objects of json.ts (JsonValue) and
// struct.ts (Struct): a list of keys, scanned while small, plus past
// SMALL_OBJECT keys an open-addressing table of positions (slot = position + 1,
// 0 = empty) at a load of at most 1/2. Replaces a Map<string, i32> per object:
// less code in every module (~0.5 KB) and no allocation for small objects.

// @ts-ignore: decorator
@inline const SMALL_OBJECT: i32 = 8;

/** FNV-1a over the UTF-16 code units. */
function hashKey(s: string): i32 {
  let h: u32 = 0x811C9DC5;
  for (let i = 0; i < s.length; i++) h = (h ^ <u32>s.charCodeAt(i)) * 0x01000193;
  return <i32>h;
}

/** Position of `key` in `keys`, or -1. `slots` is what indexLastKey returned (null while small). */
export function findKey(keys: Array<string>, slots: StaticArray<i32> | null, key: string): i32 {
  if (slots === null) {
    for (let i = 0; i < keys.length; i++) {
      if (unchecked(keys[i]) == key) return i;
    }
    return -1;
  }
  let mask = slots.length - 1;
  let h = hashKey(key) & mask;
  while (true) {
    let s = unchecked(slots![h]);
    if (s == 0) return -1;
    if (unchecked(keys[s - 1]) == key) return s - 1;
    h = (h + 1) & mask;
  }
}

/** Indexes the key just appended to `keys` (not already present); returns the table to keep. */
export function indexLastKey(keys: Array<string>, slots: StaticArray<i32> | null): StaticArray<i32> | null {
  let n = keys.length;
  if (n <= SMALL_OBJECT) return slots;
  let first = n - 1;
  if (slots === null || n * 2 > slots.length) {
    // (re)build at a load of at most 1/4
    let cap = 64;
    while (cap < n * 4) cap <<= 1;
    slots = new StaticArray<i32>(cap);
    first = 0;
  }
  let mask = slots!.length - 1;
  for (let i = first; i < n; i++) {
    let h = hashKey(unchecked(keys[i])) & mask;
    while (unchecked(slots![h]) != 0) h = (h + 1) & mask;
    unchecked(slots![h] = i + 1);
  }
  return slots;
}
