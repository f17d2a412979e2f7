// Stream control: continue/close, local responses, route cache, effective context, done.
import { StreamType, WasmResult } from "../constants.ts";
import { decodePairs } from "../pairs.ts";
import { lowerAscii } from "../headers.ts";
import type { Vm } from "../vm.ts";

/** The last local-reply header pairs, decoded: filters prepare them once and send the same bytes. */
class ReplyHeadersCache {
  private bytes: Uint8Array | null = null;
  private headers: [string, string][] = [];

  decode(raw: Uint8Array): [string, string][] | null {
    if (this.bytes && sameBytes(this.bytes, raw)) return this.headers;
    const decoded = decodePairs(raw);
    if (!decoded) return null;
    this.bytes = raw.slice();
    // Envoy lower-cases header names; the list is shared, so callers copy it.
    this.headers = decoded.map(([k, v]) => [lowerAscii(k), v]);
    return this.headers;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Envoy replaces whitespace in details with '_' (StringUtil::replaceAllEmptySpace).
const details = new Map<string, string>();
function normalizeDetails(raw: string): string {
  let out = details.get(raw);
  if (out === undefined) {
    out = raw.replace(/[ \t\n\v\f\r]/g, "_");
    if (details.size >= 1024) details.clear();
    details.set(raw, out);
  }
  return out;
}

export function streamControlImports(vm: Vm) {
  const stream = () => (vm.effective?.kind === "stream" ? vm.effective : null);
  const replyHeaders = new ReplyHeadersCache();
  return {
    proxy_continue_stream(type: number): number {
      switch (type) {
        case StreamType.Request:
        case StreamType.Response: {
          const ctx = stream();
          // Envoy defers continueDecoding()/continueEncoding() until the VM call returns.
          if (ctx) ctx.stream.continueStream(ctx, type === StreamType.Request ? "request" : "response");
          return WasmResult.Ok;
        }
        case StreamType.Downstream: return WasmResult.Ok; // no network filter callbacks in HTTP
        case StreamType.Upstream: return WasmResult.Unimplemented;
        default: return WasmResult.BadArgument;
      }
    },
    proxy_close_stream(type: number): number {
      switch (type) {
        case StreamType.Request:
        case StreamType.Response: {
          const ctx = stream();
          if (ctx) ctx.stream.reset(ctx, type === StreamType.Request ? "request" : "response");
          return WasmResult.Ok;
        }
        case StreamType.Downstream:
        case StreamType.Upstream: return WasmResult.Ok;
        default: return WasmResult.BadArgument;
      }
    },
    proxy_send_local_response(status: number, dp: number, dl: number, bp: number, bl: number, hp: number, hl: number, grpc: number): number {
      const detailsText = vm.name(dp, dl);
      const body = vm.bytes(bp, bl);
      const headers = replyHeaders.decode(vm.view(hp, hl));
      if (!headers) return WasmResult.BadArgument;
      const ctx = stream();
      if (ctx) {
        ctx.stream.localReply(ctx, {
          status: status >>> 0, body,
          headers: headers.map(([k, v]) => [k, v]),
          // SDKs pass -1 for "no gRPC status"; only 0..16 produce one (envoy context.cc).
          grpcStatus: (grpc | 0) >= 0 && (grpc | 0) <= 16 ? grpc | 0 : null,
          details: normalizeDetails(detailsText),
        });
      }
      return WasmResult.Ok;
    },
    proxy_set_effective_context(id: number): number {
      const ctx = vm.context(id >>> 0);
      if (!ctx) return WasmResult.BadArgument;
      vm.effective = ctx;
      return WasmResult.Ok;
    },
    proxy_done(): number {
      // Only meaningful for a root context that returned false from proxy_on_done during
      // shutdown; this host never shuts plugins down mid-test.
      return WasmResult.NotFound;
    },
    proxy_get_status(codePtr: number, mpp: number, msp: number): number {
      vm.setU32(codePtr, vm.status.code);
      return vm.returnBytes(vm.status.message, mpp, msp);
    },
    proxy_get_current_time_nanoseconds(ptr: number): number {
      vm.setU64(ptr, vm.services.nowNs());
      return WasmResult.Ok;
    },
    proxy_set_tick_period_milliseconds(ms: number): number {
      const root = vm.effective?.root;
      if (!root) return WasmResult.BadArgument;
      root.tickPeriodMs = ms >>> 0;
      root.nextTickNs = vm.services.monotonicNs() + BigInt(root.tickPeriodMs) * 1_000_000n;
      return WasmResult.Ok;
    },
  };
}
