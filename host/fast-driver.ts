// A low-overhead driver for benchmarks and load loops. It runs one probe stream through the
// full HttpStream engine, records every callback Envoy would make and its result, then replays
// exactly that sequence against the exports with prepared header maps and reused contexts, so
// the per-request host cost is a few property writes per callback. Any divergence from the
// probe (different status, a new local reply, continue/reset, a trap) throws FastPathDiverged.
import { HeaderMap, type HeaderEntry } from "./headers.ts";
import { StreamContext, type AnyContext, type LocalReply, type StreamHooks } from "./contexts.ts";
import { resolveStreamAttribute, normalizeProperties, type StreamInfo } from "./attributes.ts";
import { requestHeaderMap, type Chain } from "./chain.ts";
import type { CallRecord } from "./stream.ts";
import type { Vm } from "./vm.ts";
import type { HeaderList, PropertyInput } from "./types.ts";

export class FastPathDiverged extends Error {}

export interface FastInput {
  requestHeaders: HeaderList;
  response: { status: number; headers?: HeaderList };
  properties?: Record<string, PropertyInput>;
}

const enum Expose { None, Request, Response, Log }

interface Step { name: string; slot: number; fn: (a: number, b?: number, c?: number) => number; arity: number; b: number; c: number; r: number; local: boolean; expose: Expose; vm: Vm }

class FastHooks implements StreamHooks {
  readonly filterState = new Map<string, Uint8Array>();
  routeCacheCleared = false;
  flagged = false; // local reply, reset or continue asked for
  localReplies = 0;
  logCount = 0;
  constructor(readonly properties: Map<string, Uint8Array>, readonly info: StreamInfo, private hostProps: Map<string, Uint8Array>) {}
  localReply(_c: StreamContext, _r: LocalReply): void { this.localReplies++; }
  reset(): void { this.flagged = true; }
  continueStream(): void { this.flagged = true; }
  afterAsync(_c: AnyContext): void {}
  attribute(path: string[], ctx: StreamContext): Uint8Array | null | undefined {
    return resolveStreamAttribute(path, ctx.plugin, ctx.vm, this.info, this.hostProps);
  }
  addLog(): void { this.logCount++; }
}

interface Snapshot { map: HeaderMap; list: HeaderEntry[]; version: number }

export class FastDriver {
  private steps: Step[] = [];
  private ctxs: StreamContext[] = [];
  private hooks: FastHooks;
  private req: Snapshot;
  private resp: Snapshot;
  /** The probe's outcome, for callers that want to check what they are measuring. */
  readonly probe: { local: boolean; status: number; details: string };

  constructor(chain: Chain, input: FastInput) {
    const reqMap = requestHeaderMap(input.requestHeaders);
    const initialReq = reqMap.toList();
    const stream = chain.open({ request: { headers: input.requestHeaders }, properties: input.properties });
    const records: CallRecord[] = [];
    stream.recorder = (e) => records.push(e);
    stream.start();
    let upstreamMap: HeaderMap | null = null;
    if (stream.state === "upstream") {
      upstreamMap = HeaderMap.from(input.response.headers ?? []);
      upstreamMap.add(":status", String(input.response.status));
      const initialResp = upstreamMap.toList();
      stream.deliverUpstream(input.response.status, upstreamMap, [], null);
      this.resp = { map: upstreamMap, list: initialResp, version: -1 };
    } else {
      const l = stream.localReplyInitial;
      if (!l) throw new FastPathDiverged("the probe stream neither reached the upstream nor sent a local reply");
      this.resp = { map: l.map, list: l.list, version: -1 };
    }
    if (stream.state !== "done") throw new FastPathDiverged("the probe stream did not complete synchronously");
    if (records.some((r) => r.other)) throw new FastPathDiverged("the probe stream used continue/reset or failed");
    this.probe = { local: stream.response!.local, status: Number(stream.response!.headers.get(":status")), details: stream.response!.details };

    this.req = { map: stream.info.requestHeaders, list: initialReq, version: -1 };
    const props = normalizeProperties(input.properties);
    const info: StreamInfo = { ...stream.info, filterState: new Map(), properties: props, endNs: null };
    this.hooks = new FastHooks(props, info, normalizeProperties(chain.plugins.length ? chain.plugins[0]!.vms[0]!.services.properties : {}));
    info.filterState = this.hooks.filterState;
    info.requestHeaders = this.req.map;
    info.responseHeaders = this.resp.map;

    // One reusable context per plugin, on the VM of worker 0.
    this.ctxs = chain.plugins.map((p, i) => {
      const vm = p.vms[0]!;
      return new StreamContext(0, vm, vm.roots.get(p)!, this.hooks, i);
    });
    for (const r of records) {
      if (!r.exists) continue;
      const ctx = this.ctxs[r.idx]!;
      const fn = ctx.vm.ex[r.fn] as Step["fn"];
      const expose = r.fn.endsWith("request_headers") ? Expose.Request : r.fn.endsWith("response_headers") ? Expose.Response : r.fn === "proxy_on_log" ? Expose.Log : Expose.None;
      this.steps.push({ name: r.fn, slot: r.idx, fn, arity: fn.length, b: r.fn === "proxy_on_context_create" ? ctx.root.id : r.b, c: r.c, r: r.r, local: r.local, expose, vm: ctx.vm });
    }
  }

  /** Runs `n` streams; returns the number of local replies seen (for sanity checks). */
  run(n: number): number {
    const steps = this.steps, ctxs = this.ctxs, hooks = this.hooks, req = this.req, resp = this.resp;
    const reqMap = req.map, respMap = resp.map;
    // proxy_set_effective_context finds these contexts through the VM without a Map per request.
    for (const c of ctxs) c.vm.fastContexts = ctxs;
    let locals = 0;
    let s = 0;
    let vm: Vm | null = null;
    let name = "";
    try {
      for (let i = 0; i < n; i++) {
        // Restore the prepared maps only if a filter changed them last time.
        // Entries are never changed in place (HeaderMap), so a shallow copy restores a map.
        if (reqMap.version !== req.version) { reqMap.restore(req.list); req.version = reqMap.version; }
        if (respMap.version !== resp.version) { respMap.restore(resp.list); resp.version = respMap.version; }
        if (hooks.filterState.size) hooks.filterState.clear();
        for (let c = 0; c < ctxs.length; c++) { const ctx = ctxs[c]!; ctx.id = ctx.vm.allocContextId(); }
        for (s = 0; s < steps.length; s++) {
          const st = steps[s]!;
          const ctx = ctxs[st.slot]!;
          vm = st.vm;
          name = st.name;
          switch (st.expose) {
            case Expose.Request: ctx.reqHeaders = reqMap; break;
            case Expose.Response: ctx.respHeaders = respMap; break;
            case Expose.Log: ctx.reqHeaders = reqMap; ctx.respHeaders = respMap; break;
          }
          vm.current = vm.effective = ctx;
          const before = hooks.localReplies;
          // Exact arity keeps V8 on its fast JS-to-Wasm call path.
          const r = (st.arity === 1 ? st.fn(ctx.id) : st.arity === 2 ? st.fn(ctx.id, st.b) : st.fn(ctx.id, st.b, st.c)) >>> 0;
          vm.current = vm.effective = null;
          if (st.expose !== Expose.None) { ctx.reqHeaders = null; ctx.respHeaders = null; }
          const local = hooks.localReplies !== before;
          if (local) locals++;
          if (r !== st.r || local !== st.local || hooks.flagged) throw new FastPathDiverged(`callback result diverged from the probe at step ${s}`);
        }
      }
    } catch (e) {
      if (e instanceof FastPathDiverged) throw e;
      if (vm) { vm.current = vm.effective = null; vm.fail(name, e); }
      throw new FastPathDiverged(`trap during replay: ${(e as Error).message}`);
    } finally {
      for (const c of ctxs) c.vm.fastContexts = null;
    }
    return locals;
  }
}
