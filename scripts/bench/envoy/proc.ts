// What the Envoy benchmark reads about a process from Linux's /proc: its CPU
// time and its resident set (VmRSS in /proc/<pid>/status).
//
// CPU time is the kernel's sum_exec_runtime of the process. /proc/<pid>/stat
// reports it as utime + stime (every thread, live or exited) in clock ticks
// of 10 ms: over 20,000 requests that is 500 ns per request, coarser than
// what a filter adds. /proc/<pid>/task/<tid>/schedstat reports the same
// runtime per live thread in ns. cpuClock() reads both; a run uses the
// schedstat delta when the two agree within two ticks (no thread came or
// went with its time), the stat delta otherwise.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of utime/stime (100 on every Linux we know; asked once). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).trim().split(" ");
}

/** User plus system CPU time of the whole process, in ns (resolution: one clock tick, 10 ms). */
export function processCpuNs(pid: number): number {
  const f = statFields(pid);
  // Fields 14 (utime) and 15 (stime) of proc(5); f[0] is field 3 (state).
  const ticks = Number(f[11]) + Number(f[12]);
  return (ticks * 1e9) / clockTicksPerSecond();
}

/** VmRSS of the process, in bytes. */
export function residentBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`/proc/${pid}/status has no VmRSS line (has the process exited?)`);
  return Number(m[1]) * 1024;
}

/** On-CPU time of the live threads in ns (first field of each task's schedstat), or undefined without schedstats. */
export function threadsCpuNs(pid: number): number | undefined {
  let sum = 0;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // the thread just exited; the stat check catches it
      return undefined;
    }
    sum += Number(text.split(" ")[0]);
  }
  return sum;
}

export interface CpuReading { statNs: number; schedNs?: number }

export function cpuClock(pid: number): CpuReading {
  return { statNs: processCpuNs(pid), schedNs: threadsCpuNs(pid) };
}

/** CPU ns between two readings, and which clock gave it. */
export function cpuDelta(a: CpuReading, b: CpuReading): { ns: number; clock: "schedstat" | "stat" } {
  const stat = b.statNs - a.statNs;
  if (a.schedNs !== undefined && b.schedNs !== undefined) {
    const sched = b.schedNs - a.schedNs;
    if (Math.abs(sched - stat) <= (2 * 1e9) / clockTicksPerSecond()) return { ns: sched, clock: "schedstat" };
  }
  return { ns: stat, clock: "stat" };
}

/** The process's command name (/proc/<pid>/comm), to check a pid is the program we think. */
export function commandName(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
}
