// Shared key-value data and shared queues. Envoy keeps both process-wide, partitioned by vm_id,
// so every worker's VM of the same vm_id sees the same entries (cpp-host shared_data.cc, shared_queue.cc).
import { WasmResult } from "./constants.ts";

export class SharedData {
  private byVm = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  private cas = 1;

  private nextCas(): number {
    const c = this.cas++;
    if (this.cas > 0xffffffff) this.cas = 1; // 0 means "no CAS check", never hand it out
    return c;
  }

  get(vmId: string, key: string): { value: Uint8Array; cas: number } | undefined {
    return this.byVm.get(vmId)?.get(key);
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult {
    let m = this.byVm.get(vmId);
    if (!m) { m = new Map(); this.byVm.set(vmId, m); }
    const cur = m.get(key);
    if (cur && cas !== 0 && cas !== cur.cas) return WasmResult.CasMismatch;
    m.set(key, { value: value.slice(), cas: this.nextCas() });
    return WasmResult.Ok;
  }
}

export interface QueueOwner { deliver(token: number): void }

export class SharedQueues {
  private byName = new Map<string, number>();
  private queues = new Map<number, { items: Uint8Array[]; owner: QueueOwner }>();
  private nextToken = 1;

  register(vmId: string, name: string, owner: QueueOwner): number {
    const key = `${vmId}\0${name}`;
    const existing = this.byName.get(key);
    if (existing !== undefined) { this.queues.get(existing)!.owner = owner; return existing; }
    const token = this.nextToken++;
    this.byName.set(key, token);
    this.queues.set(token, { items: [], owner });
    return token;
  }

  resolve(vmId: string, name: string): number | undefined { return this.byName.get(`${vmId}\0${name}`); }

  enqueue(token: number, data: Uint8Array): WasmResult {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    q.items.push(data.slice());
    q.owner.deliver(token);
    return WasmResult.Ok;
  }

  dequeue(token: number): Uint8Array | WasmResult {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    const item = q.items.shift();
    return item ?? WasmResult.Empty;
  }
}
