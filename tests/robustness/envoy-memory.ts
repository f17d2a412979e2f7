// What a running Envoy holds in memory, read from outside (Linux /proc and the admin endpoint).
// Envoy 1.40 has no per-VM memory stat (no vm_memory_size in /stats); its `server.memory_*`
// stats are tcmalloc's, and V8 maps a Wasm VM's linear memory outside tcmalloc. So a sample has:
// - the process's resident anonymous memory (RssAnon in /proc/<pid>/status): everything a flood
//   can grow, Envoy's heap and every VM alike;
// - tcmalloc's view (`server.memory_allocated`, `server.memory_physical_size`): Envoy's own heap,
//   where its stats store, buffers and connections live;
// - each VM's linear memory, from /proc/<pid>/smaps: V8 reserves 8 GiB of address space for a
//   32-bit Wasm memory (the memory plus its guard region, so bounds checks are free) and makes
//   only the memory's current size read-write; a readable-writable anonymous mapping directly
//   followed by an inaccessible one, the two spanning exactly 8 GiB, is one VM's linear memory,
//   its size what memory.size says (the host's memoryPages() × 64 KiB) and its Rss the pages
//   touched. No other mapping of Envoy's has that shape; if a later V8 changes it, none is found
//   and the floods say so rather than measuring nothing.
import { readFileSync } from "node:fs";

const GiB = 1024 ** 3;
/** V8's reservation for a 32-bit Wasm memory with full guard regions (kFullGuardSize32). */
export const V8_WASM_RESERVATION = 8 * GiB;

export interface WasmMemory {
  /** Where the memory starts (tells the VMs apart from one sample to the next). */
  start: number;
  /** The linear memory's size (bytes): read-write, as memory.size says. */
  bytes: number;
  /** Of which resident (touched). */
  resident: number;
}

export interface EnvoyMemorySample {
  /** RssAnon: resident anonymous memory of the process (bytes). */
  rssAnon: number;
  /** VmRSS, mapped files (the binary) included. */
  rss: number;
  /** tcmalloc: bytes allocated by Envoy's C++ code (`server.memory_allocated`). */
  heapAllocated: number;
  /** tcmalloc: bytes of the heap in physical memory (`server.memory_physical_size`). */
  heapPhysical: number;
  /** Every Wasm VM's linear memory. */
  wasm: WasmMemory[];
}

/** RssAnon and VmRSS of a process, in bytes. */
export function processRss(pid: number): { rssAnon: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rssAnon: kb("RssAnon"), rss: kb("VmRSS") };
}

interface Mapping {
  start: number;
  end: number;
  perms: string;
  anonymous: boolean;
  rss: number;
}

function mappings(pid: number): Mapping[] {
  const out: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      out.push({ start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perms: head[3]!, anonymous: head[4] === "0" && !head[5], rss: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && out.length) out[out.length - 1]!.rss = Number(rss[1]) * 1024;
  }
  return out;
}

/** The linear memories of the process's Wasm VMs (see the file's comment). */
export function wasmMemories(pid: number): WasmMemory[] {
  const maps = mappings(pid);
  const out: WasmMemory[] = [];
  for (let i = 0; i + 1 < maps.length; i++) {
    const a = maps[i]!;
    const guard = maps[i + 1]!;
    if (a.anonymous && guard.anonymous && a.perms === "rw-p" && guard.perms === "---p" && a.end === guard.start && guard.end - a.start === V8_WASM_RESERVATION) {
      out.push({ start: a.start, bytes: a.end - a.start, resident: a.rss });
    }
  }
  return out;
}

/** tcmalloc's stats from the admin endpoint (`host:port`). */
async function heapStats(admin: string): Promise<{ heapAllocated: number; heapPhysical: number }> {
  const res = await fetch(`http://${admin}/stats?format=json&filter=${encodeURIComponent("^server\\.memory_(allocated|physical_size)$")}`);
  if (!res.ok) throw new Error(`GET /stats on ${admin}: ${res.status}`);
  const body = (await res.json()) as { stats: { name: string; value: number }[] };
  const value = (name: string) => {
    const s = body.stats.find((x) => x.name === name);
    if (!s) throw new Error(`${admin}: no ${name} in /stats (is Envoy built with tcmalloc?)`);
    return s.value;
  };
  return { heapAllocated: value("server.memory_allocated"), heapPhysical: value("server.memory_physical_size") };
}

export async function sampleEnvoyMemory(pid: number, admin: string): Promise<EnvoyMemorySample> {
  const heap = await heapStats(admin);
  return { ...processRss(pid), ...heap, wasm: wasmMemories(pid) };
}
