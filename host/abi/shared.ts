// Shared data (with CAS) and shared queues.
import { WasmResult } from "../constants.ts";
import type { Vm } from "../vm.ts";

export function sharedImports(vm: Vm) {
  const sd = vm.services.sharedData;
  const q = vm.services.queues;
  return {
    proxy_get_shared_data(kp: number, kl: number, vpp: number, vsp: number, casPtr: number): number {
      const e = sd.get(vm.vmId, vm.str(kp, kl));
      if (!e) return WasmResult.NotFound;
      vm.returnBytes(e.value, vpp, vsp);
      vm.setU32(casPtr, e.cas);
      return WasmResult.Ok;
    },
    proxy_set_shared_data(kp: number, kl: number, vp: number, vl: number, cas: number): number {
      return sd.set(vm.vmId, vm.str(kp, kl), vm.view(vp, vl), cas >>> 0);
    },
    proxy_register_shared_queue(np: number, nl: number, tokenPtr: number): number {
      const root = vm.effective?.root;
      if (!root) return WasmResult.BadArgument;
      const token = q.register(vm.vmId, vm.str(np, nl), {
        // Envoy posts proxy_on_queue_ready to the registering root context's thread.
        deliver: (t) => vm.services.defer(() => undefined, () => { vm.call(root, "proxy_on_queue_ready", root.id, t); }),
      });
      vm.setU32(tokenPtr, token);
      return WasmResult.Ok;
    },
    proxy_resolve_shared_queue(vp: number, vl: number, np: number, nl: number, tokenPtr: number): number {
      const token = q.resolve(vm.str(vp, vl), vm.str(np, nl));
      if (token === undefined) return WasmResult.NotFound;
      vm.setU32(tokenPtr, token);
      return WasmResult.Ok;
    },
    proxy_enqueue_shared_queue(token: number, dp: number, dl: number): number {
      return q.enqueue(token >>> 0, vm.view(dp, dl));
    },
    proxy_dequeue_shared_queue(token: number, pp: number, sp: number): number {
      const r = q.dequeue(token >>> 0);
      if (typeof r === "number") return r;
      return vm.returnBytes(r, pp, sp);
    },
  };
}
