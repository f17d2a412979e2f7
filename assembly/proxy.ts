// The module's Proxy-Wasm ABI 0.2.1 entry points. A filter re-exports them:
//   export * from "../../assembly/proxy";
// Nothing here builds a string or calls the host on a per-request path; what a
// callback costs is what the filter's override does.
import "./abort";
import { __collect } from "rt/pure";
import {
  createRootContext, createStreamContext, findRoot, findStream, forgetContext,
} from "./runtime/registry";

export function proxy_abi_version_0_2_1(): void {}

/** Host-side allocation of buffers it returns to us: a raw block, freed once read. */
export function malloc(size: usize): usize {
  return heap.alloc(size);
}

// VM and plugin lifecycle.
export function proxy_on_context_create(context_id: u32, parent_context_id: u32): void {
  if (parent_context_id == 0) createRootContext(context_id);
  else createStreamContext(context_id, parent_context_id);
}

export function proxy_on_vm_start(root_context_id: u32, vm_configuration_size: u32): u32 {
  const root = findRoot(root_context_id);
  return root !== null && root.onStart(vm_configuration_size) ? 1 : 0;
}

export function proxy_validate_configuration(root_context_id: u32, configuration_size: u32): u32 {
  const root = findRoot(root_context_id);
  return root !== null && root.validateConfiguration(configuration_size) ? 1 : 0;
}

export function proxy_on_configure(root_context_id: u32, configuration_size: u32): u32 {
  const root = findRoot(root_context_id);
  return root !== null && root.onConfigure(configuration_size) ? 1 : 0;
}

export function proxy_on_tick(root_context_id: u32): void {
  const root = findRoot(root_context_id);
  if (root !== null) root.onTick();
}

export function proxy_on_queue_ready(root_context_id: u32, token: u32): void {
  const root = findRoot(root_context_id);
  if (root !== null) root.onQueueReady(token);
}

export function proxy_on_foreign_function(root_context_id: u32, function_id: u32, data_size: u32): void {}

// HTTP stream callbacks. A context the host never created answers Continue.
export function proxy_on_request_headers(context_id: u32, headers: u32, end_of_stream: u32): u32 {
  const ctx = findStream(context_id);
  return ctx === null ? 0 : ctx.onRequestHeaders(headers, end_of_stream != 0);
}

export function proxy_on_request_body(context_id: u32, body_buffer_length: u32, end_of_stream: u32): u32 {
  const ctx = findStream(context_id);
  return ctx === null ? 0 : ctx.onRequestBody(body_buffer_length, end_of_stream != 0);
}

export function proxy_on_request_trailers(context_id: u32, trailers: u32): u32 {
  const ctx = findStream(context_id);
  return ctx === null ? 0 : ctx.onRequestTrailers(trailers);
}

export function proxy_on_response_headers(context_id: u32, headers: u32, end_of_stream: u32): u32 {
  const ctx = findStream(context_id);
  return ctx === null ? 0 : ctx.onResponseHeaders(headers, end_of_stream != 0);
}

export function proxy_on_response_body(context_id: u32, body_buffer_length: u32, end_of_stream: u32): u32 {
  const ctx = findStream(context_id);
  return ctx === null ? 0 : ctx.onResponseBody(body_buffer_length, end_of_stream != 0);
}

export function proxy_on_response_trailers(context_id: u32, trailers: u32): u32 {
  const ctx = findStream(context_id);
  return ctx === null ? 0 : ctx.onResponseTrailers(trailers);
}

export function proxy_on_http_call_response(context_id: u32, token: u32, headers: u32, body_size: u32, trailers: u32): void {
  const root = findRoot(context_id);
  if (root !== null) root.onHttpCallResponse(token, headers, body_size, trailers);
}

// End of a stream (Envoy HTTP order: log, done, delete) or of a root context.
export function proxy_on_log(context_id: u32): void {
  const ctx = findStream(context_id);
  if (ctx !== null) ctx.onLog();
}

export function proxy_on_done(context_id: u32): u32 {
  const ctx = findStream(context_id);
  if (ctx !== null) return ctx.onDone() ? 1 : 0;
  const root = findRoot(context_id);
  if (root !== null) return root.onDone() ? 1 : 0;
  return 1;
}

export function proxy_on_delete(context_id: u32): void {
  const ctx = findStream(context_id);
  if (ctx !== null) ctx.onDelete();
  else {
    const root = findRoot(context_id);
    if (root !== null) root.onDelete();
  }
  forgetContext(context_id);
  // Reference counting buffers every object whose count dropped but not to
  // zero as a possible cycle root, and frees nothing buffered until a
  // collection runs. Without this, every stream's context object (and what it
  // held) stays allocated forever: proxy-runtime's leak.
  __collect();
}
