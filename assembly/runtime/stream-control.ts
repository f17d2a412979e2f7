// Local replies and stream control.
import * as imports from "../imports";
import { GrpcStatusValues, StreamTypeValues, WasmResultValues } from "./enums";
import { Headers, serializePairs } from "./pairs";
import { dataSlot, sizeSlot, resetSlots, discardHostBuffer } from "./host-memory";

// Static data (memory.data), not globals built by every module's start function.
// An empty pairs map: a zero count.
const NO_HEADERS: usize = memory.data(4);
const NO_HEADERS_LENGTH: i32 = 4;
// "clear_route_cache" in UTF-8.
const CLEAR_ROUTE_CACHE: usize = memory.data<u8>([
  0x63, 0x6c, 0x65, 0x61, 0x72, 0x5f, 0x72, 0x6f, 0x75, 0x74, 0x65, 0x5f, 0x63, 0x61, 0x63, 0x68, 0x65,
]);
const CLEAR_ROUTE_CACHE_LENGTH: i32 = 17;

/**
 * Sends a local reply (Envoy: the request never reaches the upstream; the reply
 * passes back through earlier filters' response callbacks). `details` becomes
 * %RESPONSE_CODE_DETAILS% in Envoy's access log.
 */
export function send_local_response(status: u32, details: string, body: ArrayBuffer,
  additional_headers: Headers, grpc_status: GrpcStatusValues): WasmResultValues {
  const d = String.UTF8.encode(details);
  if (additional_headers.length == 0) {
    return imports.proxy_send_local_response(status, changetype<usize>(d), d.byteLength,
      changetype<usize>(body), body.byteLength, NO_HEADERS, NO_HEADERS_LENGTH, grpc_status);
  }
  const h = serializePairs(additional_headers);
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

/**
 * Clears the route cache. Envoy registers env.proxy_clear_route_cache only for
 * ABI 0.1.0 modules (proxy-wasm-cpp-host src/wasm.cc); for 0.2.x it offers the
 * foreign function "clear_route_cache". Changing request headers already
 * clears the cache for ABI <= 0.2.1.
 */
export function clear_route_cache(): WasmResultValues {
  resetSlots();
  const r = imports.proxy_call_foreign_function(CLEAR_ROUTE_CACHE, CLEAR_ROUTE_CACHE_LENGTH, 0, 0, dataSlot(), sizeSlot());
  discardHostBuffer();
  return r;
}
export function proxy_set_effective_context(context_id: u32): WasmResultValues {
  return imports.proxy_set_effective_context(context_id);
}
export function done(): WasmResultValues {
  return imports.proxy_done();
}
