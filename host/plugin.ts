// A loaded plugin: its identity, its VMs (one per worker) and its root contexts on them.
import type { TrapRecord } from "./errors.ts";
import type { PluginInfo } from "./plugin-info.ts";
import type { Vm } from "./vm.ts";

export class PluginRuntime implements PluginInfo {
  readonly traps: TrapRecord[] = [];
  vms: Vm[] = [];
  constructor(
    readonly name: string,
    readonly rootId: string,
    readonly vmId: string,
    readonly configuration: Uint8Array,
    readonly failOpen: boolean,
    readonly moduleBytes: number,
    readonly abiVersion: string,
  ) {}

  /** Wasm memory size of this plugin's VM on a worker, in 64 KiB pages. */
  memoryPages(worker = 0): number { return this.vms[worker]!.pages(); }

  /** True when the VM of any worker has failed (trap, bad host call, memory cap). */
  get failed(): boolean { return this.vms.some((v) => v.failed); }

  failedWorkers(): number[] { return this.vms.flatMap((v, i) => (v.failed ? [i] : [])); }
}
