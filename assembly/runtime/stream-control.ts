// Local replies and stream control.
import * as imports from "../imports";
import { GrpcStatusValues, StreamTypeValues, WasmResultValues } from "./enums";
import { Headers, serializePairs } from "./pairs";
import { dataSlot, sizeSlot, resetSlots, discardHostBuffer } from "./host-memory";

const NO_HEADERS = serializePairs([]);

/**
 * Sends a local reply (Envoy: the request never reaches the upstream; the reply
 * passes back through earlier filters' response callbacks). `details` becomes
 * %RESPONSE_CODE_DETAILS% in Envoy's access log.
 */
export function send_local_response(status: u32, details: string, body: ArrayBuffer,
  additional_headers: Headers, grpc_status: GrpcStatusValues): WasmResultValues {
  const d = String.UTF8.encode(details);
  let h = NO_HEADERS;
  if (additional_headers.length > 0) h = serializePairs(additional_headers);
  return imports.proxy_send_local_response(status, changetype<usize>(d), d.byteLength,
    changetype<usize>(body), body.byteLength, changetype<usize>(h), h.byteLength, grpc_status);
}

/** Byte-level form for replies prepared at configure time (no per-request encoding). */
export function sendLocalResponseBytes(status: u32, details: ArrayBuffer, body: ArrayBuffer,
  headerPairs: ArrayBuffer, grpc_status: i32): WasmResultValues {
  return imports.proxy_send_local_response(status, changetype<usize>(details), details.byteLength,
    changetype<usize>(body), body.byteLength, changetype<usize>(headerPairs), headerPairs.byteLength, grpc_status);
}

export function continue_request(): WasmResultValues {
  return imports.proxy_continue_stream(StreamTypeValues.Request);
}
export function continue_response(): WasmResultValues {
  return imports.proxy_continue_stream(StreamTypeValues.Response);
}
const CLEAR_ROUTE_CACHE = String.UTF8.encode("clear_route_cache");

/**
 * Clears the route cache. Envoy registers env.proxy_clear_route_cache only for
 * ABI 0.1.0 modules (proxy-wasm-cpp-host src/wasm.cc); for 0.2.x it offers the
 * foreign function "clear_route_cache". Changing request headers already
 * clears the cache for ABI <= 0.2.1.
 */
export function clear_route_cache(): WasmResultValues {
  resetSlots();
  const r = imports.proxy_call_foreign_function(changetype<usize>(CLEAR_ROUTE_CACHE), CLEAR_ROUTE_CACHE.byteLength, 0, 0, dataSlot(), sizeSlot());
  discardHostBuffer();
  return r;
}
export function proxy_set_effective_context(context_id: u32): WasmResultValues {
  return imports.proxy_set_effective_context(context_id);
}
export function done(): WasmResultValues {
  return imports.proxy_done();
}
