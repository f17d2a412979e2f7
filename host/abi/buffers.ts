// proxy_get_buffer_bytes / proxy_get_buffer_status / proxy_set_buffer_bytes
// (cpp-host exports.cc + envoy context.cc getBuffer and Buffer::copyFrom).
import { BufferType, WasmResult } from "../constants.ts";
import { EMPTY, concat } from "../bytes.ts";
import type { Vm } from "../vm.ts";

interface Buf { data: Uint8Array; set?: (b: Uint8Array) => void }

function bufferOf(vm: Vm, type: number): Buf | null {
  const ctx = vm.effective;
  switch (type) {
    case BufferType.HttpRequestBody:
      if (ctx?.kind === "stream" && ctx.reqBody) return { data: ctx.reqBody, set: (b) => { ctx.reqBody = b; } };
      return { data: EMPTY }; // envoy: a buffer wrapper around nullptr, size 0, not writable
    case BufferType.HttpResponseBody:
      if (ctx?.kind === "stream" && ctx.respBody) return { data: ctx.respBody, set: (b) => { ctx.respBody = b; } };
      return { data: EMPTY };
    case BufferType.DownstreamData:
    case BufferType.UpstreamData:
    case BufferType.CallData:
      return { data: EMPTY };
    case BufferType.HttpCallResponseBody:
      return vm.callResponse?.body ? { data: vm.callResponse.body } : null;
    case BufferType.GrpcReceiveBuffer:
      return { data: vm.callResponse?.body ?? EMPTY };
    case BufferType.VmConfiguration:
      return { data: vm.vmConfiguration };
    case BufferType.PluginConfiguration:
      return ctx?.root.configuring ? { data: ctx.root.plugin.configuration } : null;
  }
  return null;
}

export function bufferImports(vm: Vm) {
  return {
    proxy_get_buffer_bytes(type: number, start: number, length: number, pp: number, sp: number): number {
      if (type >>> 0 > BufferType.CallData) return WasmResult.BadArgument;
      const buf = bufferOf(vm, type);
      if (!buf) return WasmResult.NotFound;
      start >>>= 0; length >>>= 0;
      const size = buf.data.length;
      if (start > size) return WasmResult.Ok;
      if (start + length > size) length = size - start;
      // cpp-host writes nothing when there is nothing to copy.
      if (length > 0) return vm.returnBytes(buf.data.subarray(start, start + length), pp, sp);
      return WasmResult.Ok;
    },
    proxy_get_buffer_status(type: number, lenPtr: number, flagsPtr: number): number {
      if (type >>> 0 > BufferType.CallData) return WasmResult.BadArgument;
      const buf = bufferOf(vm, type);
      if (!buf) return WasmResult.NotFound;
      vm.setU32(lenPtr, buf.data.length);
      vm.setU32(flagsPtr, 0);
      return WasmResult.Ok;
    },
    proxy_set_buffer_bytes(type: number, start: number, length: number, dp: number, dl: number): number {
      if (type >>> 0 > BufferType.CallData) return WasmResult.BadArgument;
      const buf = bufferOf(vm, type);
      if (!buf) return WasmResult.NotFound;
      if (!buf.set) return WasmResult.BadArgument;
      const data = vm.bytes(dp, dl);
      start >>>= 0; length >>>= 0;
      const cur = buf.data;
      // Envoy Buffer::copyFrom: start 0 drains `length` bytes then prepends; start at/after the
      // end appends; anything else is BadArgument.
      if (start === 0) buf.set(concat([data, cur.subarray(Math.min(length, cur.length))]));
      else if (start >= cur.length) buf.set(concat([cur, data]));
      else return WasmResult.BadArgument;
      return WasmResult.Ok;
    },
  };
}
