// WASI as Envoy provides it (cpp-host src/exports.cc), registered as both wasi_unstable and
// wasi_snapshot_preview1. Only logging, clocks, randomness and environment do anything.
import { randomFillSync } from "node:crypto";
import { emitLog } from "./abi/log.ts";
import type { Vm } from "./vm.ts";
import { enc } from "./bytes.ts";

const ESUCCESS = 0, EBADF = 8, EINVAL = 28, ENOSYS = 52, ENOTSUP = 58, ENOTCAPABLE = 76;

export function wasiImports(vm: Vm): Record<string, (...a: never[]) => number | void> {
  const envStrings = () => Object.entries(vm.env).map(([k, v]) => enc.encode(`${k}=${v}\0`));
  const fns: Record<string, (...a: never[]) => number | void> = {
    fd_write(fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number {
      if (fd !== 1 && fd !== 2) return EBADF;
      let text = "";
      let n = 0;
      const dv = vm.view(iovs, iovsLen * 8);
      const d = new DataView(dv.buffer, dv.byteOffset, dv.byteLength);
      const parts: [number, number][] = [];
      for (let i = 0; i < iovsLen; i++) parts.push([d.getUint32(i * 8, true), d.getUint32(i * 8 + 4, true)]);
      for (const [p, l] of parts) { text += vm.str(p, l); n += l; }
      vm.setU32(nwrittenPtr, n);
      // One log line per write, trailing newline stripped; stdout = info, stderr = error.
      if (text.endsWith("\n")) text = text.slice(0, -1);
      emitLog(vm, fd === 1 ? 2 : 4, text);
      return ESUCCESS;
    },
    fd_read(): number { return ENOSYS; },
    fd_seek(): number { return ENOSYS; },
    fd_close(): number { return ENOSYS; },
    fd_fdstat_get(fd: number, statPtr: number): number {
      if (fd !== 1 && fd !== 2) return EBADF;
      // character device, no flags, no rights beyond writing
      const b = vm.view(statPtr, 24); b.fill(0); b[0] = 2;
      return ESUCCESS;
    },
    fd_fdstat_set_flags(): number { return ENOSYS; },
    fd_prestat_get(): number { return EBADF; }, // no preopened directories
    fd_prestat_dir_name(): number { return ENOSYS; },
    environ_sizes_get(countPtr: number, sizePtr: number): number {
      const s = envStrings();
      vm.setU32(countPtr, s.length);
      vm.setU32(sizePtr, s.reduce((a, b) => a + b.length, 0));
      return ESUCCESS;
    },
    environ_get(envPtr: number, bufPtr: number): number {
      let p = bufPtr >>> 0;
      envStrings().forEach((s, i) => { vm.setU32(envPtr + i * 4, p); vm.view(p, s.length).set(s); p += s.length; });
      return ESUCCESS;
    },
    args_sizes_get(countPtr: number, sizePtr: number): number { vm.setU32(countPtr, 0); vm.setU32(sizePtr, 0); return ESUCCESS; },
    args_get(): number { return ESUCCESS; },
    clock_time_get(id: number, _precision: bigint, outPtr: number): number {
      if (id === 0) vm.setU64(outPtr, vm.services.nowNs());
      else if (id === 1) vm.setU64(outPtr, vm.services.monotonicNs());
      else return ENOTSUP;
      return ESUCCESS;
    },
    clock_res_get(id: number, outPtr: number): number {
      if (id !== 0 && id !== 1) return ENOTSUP;
      vm.setU64(outPtr, 1n);
      return ESUCCESS;
    },
    random_get(ptr: number, len: number): number {
      if (len >>> 0 > 64 * 1024) return EINVAL; // cpp-host caps random_get at 64 KiB
      randomFillSync(vm.view(ptr, len));
      return ESUCCESS;
    },
    proc_exit(): void {
      // Envoy only logs; AssemblyScript's abort traps right after calling this.
      emitLog(vm, 3, "wasi_unstable proc_exit");
    },
    sched_yield(): number { return ESUCCESS; },
    poll_oneoff(_in: number, _out: number, _n: number, neventsPtr: number): number { vm.setU32(neventsPtr, 0); return ESUCCESS; },
  };
  // The rest of Envoy's list exists so modules link, but is capability-restricted.
  for (const name of ["fd_advise", "fd_allocate", "fd_datasync", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_pwrite",
    "fd_readdir", "fd_renumber", "fd_sync", "fd_tell", "fd_fdstat_set_rights", "fd_filestat_get", "path_create_directory", "path_filestat_get",
    "path_filestat_set_times", "path_link", "path_open", "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
    "path_unlink_file", "sock_accept", "sock_recv", "sock_send", "sock_shutdown"]) {
    fns[name] = () => ENOTCAPABLE;
  }
  return fns;
}
