// Compiles several AssemblyScript modules at once, one worker thread per core
// (asc is CPU-bound and single-threaded).
import os from "node:os";
import { Worker } from "node:worker_threads";
import { ascArgv, CompileError, type CompileOptions } from "./asc.ts";

export interface CompileJob {
  entry: string;
  options: CompileOptions;
}

export async function compileMany(jobs: CompileJob[], concurrency = Math.max(1, Math.min(os.availableParallelism(), jobs.length))): Promise<Uint8Array[]> {
  const results: Uint8Array[] = new Array(jobs.length);
  let next = 0;
  const workers = Array.from({ length: concurrency }, () => new Worker(new URL("./asc-worker.js", import.meta.url)));
  try {
    await Promise.all(workers.map(async (worker) => {
      while (next < jobs.length) {
        const id = next++;
        const job = jobs[id];
        results[id] = await new Promise<Uint8Array>((resolve, reject) => {
          const onMessage = (msg: { id: number; binary?: Uint8Array; error?: string }) => {
            if (msg.id !== id) return;
            worker.off("message", onMessage);
            worker.off("error", reject);
            if (msg.binary) resolve(msg.binary);
            else reject(new CompileError(job.entry, msg.error ?? "no output"));
          };
          worker.on("message", onMessage);
          worker.once("error", reject);
          worker.postMessage({ id, argv: ascArgv(job.entry, job.options), out: "module.wasm" });
        });
      }
    }));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
