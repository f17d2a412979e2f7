// Outbound calls: proxy_http_call, proxy_grpc_*, proxy_call_foreign_function. Responses come
// from upstreams the test registers and are delivered asynchronously, outside any VM call.
import { WasmResult } from "../constants.ts";
import { HeaderMap } from "../headers.ts";
import { decodePairs } from "../pairs.ts";
import { toBytes } from "../bytes.ts";
import type { Vm } from "../vm.ts";
import type { AnyContext } from "../contexts.ts";
import type { GrpcCallResponse, HttpCallResponse } from "../types.ts";
import { deflateSync, inflateSync } from "node:zlib";

/** Runs a callback on behalf of `ctx` and lets its stream act on what the callback asked for. */
function deliver(vm: Vm, ctx: AnyContext, fn: () => void): void {
  if (ctx.kind === "stream" && ctx.destroyed) return; // Envoy cancels a destroyed context's calls
  fn();
  if (ctx.kind === "stream") (ctx.stream as unknown as { afterAsync(c: AnyContext): void }).afterAsync(ctx);
}

export function callImports(vm: Vm) {
  const pendingGrpc = new Set<number>();
  return {
    proxy_http_call(up: number, ul: number, hp: number, hl: number, bp: number, bl: number, tp: number, tl: number, timeout: number, tokenPtr: number): number {
      const cluster = vm.str(up, ul);
      const headers = decodePairs(vm.view(hp, hl));
      const trailers = decodePairs(vm.view(tp, tl));
      const body = vm.bytes(bp, bl);
      if ((timeout | 0) < 0 || !headers || !trailers) return WasmResult.BadArgument;
      const handler = vm.services.httpUpstream(cluster);
      if (!handler) return WasmResult.BadArgument; // unknown cluster
      const req = HeaderMap.from(headers);
      if (req.get(":path") === undefined || req.get(":method") === undefined || req.get(":authority") === undefined) return WasmResult.BadArgument;
      if (body.length) req.replace("content-length", String(body.length));
      const ctx = vm.effective!;
      const token = vm.nextHttpToken++;
      vm.setU32(tokenPtr, token);
      vm.services.defer(
        () => handler({ cluster, headers: req.toList(), body, trailers, timeoutMs: timeout >>> 0 }),
        (value, error) => deliver(vm, ctx, () => {
          if (error !== undefined || !value) {
            // Envoy onHttpCallFailure: status BrokenConnection/"reset", callback with zero sizes.
            vm.status = { code: WasmResult.BrokenConnection, message: "reset" };
            vm.call(ctx, "proxy_on_http_call_response", ctx.id, token, 0, 0, 0);
            vm.status = { code: 0, message: "" };
            return;
          }
          const r = value as HttpCallResponse;
          const h = HeaderMap.from(r.headers ?? []);
          if (h.get(":status") === undefined) h.add(":status", "200");
          const t = HeaderMap.from(r.trailers ?? []);
          const b = toBytes(r.body);
          vm.callResponse = { headers: h, trailers: t, body: b };
          try { vm.call(ctx, "proxy_on_http_call_response", ctx.id, token, h.size, b.length, t.size); }
          finally { vm.callResponse = null; }
        }),
      );
      return WasmResult.Ok;
    },
    proxy_grpc_call(sp: number, sl: number, snp: number, snl: number, mp: number, ml: number, imp: number, iml: number, msgp: number, msgl: number, timeout: number, tokenPtr: number): number {
      const service = vm.str(sp, sl);
      const handler = vm.services.grpcUpstream(service);
      // Envoy: a service that is neither a GrpcService proto nor a known cluster is ParseFailure.
      if (!handler) return WasmResult.ParseFailure;
      const md = decodePairs(vm.view(imp, iml));
      if (!md) return WasmResult.BadArgument;
      const ctx = vm.effective!;
      const token = vm.nextGrpcToken++;
      pendingGrpc.add(token);
      vm.setU32(tokenPtr, token);
      const req = { service, serviceName: vm.str(snp, snl), method: vm.str(mp, ml), initialMetadata: md, message: vm.bytes(msgp, msgl), timeoutMs: timeout >>> 0 };
      vm.services.defer(() => handler(req), (value, error) => {
        if (!pendingGrpc.delete(token)) return; // cancelled
        deliver(vm, ctx, () => {
          const r = (value ?? {}) as GrpcCallResponse;
          const status = error !== undefined ? 14 : r.status ?? 0;
          if (status === 0) {
            // A unary success is one proxy_on_grpc_receive (envoy onGrpcReceiveWrapper).
            vm.callResponse = { headers: null, trailers: null, body: toBytes(r.message) };
            try { vm.call(ctx, "proxy_on_grpc_receive", ctx.id, token, vm.callResponse.body!.length); }
            finally { vm.callResponse = null; }
          } else {
            vm.status = { code: status, message: r.statusMessage ?? (error instanceof Error ? error.message : "") };
            vm.call(ctx, "proxy_on_grpc_close", ctx.id, token, status);
            vm.status = { code: 0, message: "" };
          }
        });
      });
      return WasmResult.Ok;
    },
    proxy_grpc_stream(): number { return WasmResult.Unimplemented; }, // not modelled by this host
    proxy_grpc_send(): number { return WasmResult.BadArgument; }, // no stream tokens exist here
    proxy_grpc_cancel(token: number): number { return pendingGrpc.delete(token >>> 0) ? WasmResult.Ok : WasmResult.NotFound; },
    proxy_grpc_close(token: number): number { return pendingGrpc.delete(token >>> 0) ? WasmResult.Ok : WasmResult.NotFound; },
    proxy_call_foreign_function(np: number, nl: number, ap: number, al: number, rpp: number, rsp: number): number {
      const name = vm.str(np, nl);
      const arg = vm.bytes(ap, al);
      switch (name) {
        case "clear_route_cache": {
          const ctx = vm.effective;
          if (ctx?.kind === "stream") ctx.stream.routeCacheCleared = true;
          return WasmResult.Ok;
        }
        case "compress": return vm.returnBytes(deflateSync(arg), rpp, rsp);
        case "uncompress": {
          try { return vm.returnBytes(inflateSync(arg), rpp, rsp); } catch { return WasmResult.SerializationFailure; }
        }
        case "declare_property": case "set_envoy_filter_state": case "expr_create": case "expr_evaluate": case "expr_delete":
          return WasmResult.Unimplemented; // Envoy has these; this host does not model them
        default: return WasmResult.NotFound;
      }
    },
  };
}
