// The static identity of a loaded plugin, as its VMs see it.
import type { TrapRecord } from "./errors.ts";

export interface PluginInfo {
  readonly name: string;
  readonly rootId: string;
  readonly vmId: string;
  readonly configuration: Uint8Array;
  readonly failOpen: boolean;
  readonly traps: TrapRecord[];
}
