// Host functions of the Proxy-Wasm ABI 0.2.1, declared with the spec's
// signatures. proxy-runtime 0.1.8's own declarations are not used: several are
// wrong (proxy_set_buffer_status is bound to the host's proxy_get_buffer_status,
// proxy_grpc_call lacks the initial-metadata arguments, proxy_get_log_level is
// missing, proxy_clear_route_cache is bound although Envoy registers it only
// for ABI 0.1.0 modules). AssemblyScript only emits an import that is actually called, so a
// module imports exactly the host functions its filter uses.
// Spec: proxy-wasm/spec abi-versions/v0.2.1/README.md.

export type WasmResult = u32;

// @ts-ignore: decorator
@external("env", "proxy_log")
export declare function proxy_log(level: u32, message_ptr: usize, message_size: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(return_level_ptr: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(return_time_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(period: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(buffer_type: u32, start: u32, max_size: u32, return_data_ptr: usize, return_size_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(buffer_type: u32, start: u32, size: u32, data_ptr: usize, data_size: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(buffer_type: u32, return_length_ptr: usize, return_flags_ptr: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(map_type: u32, return_data_ptr: usize, return_size_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(map_type: u32, data_ptr: usize, data_size: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(map_type: u32, return_size_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(map_type: u32, key_ptr: usize, key_size: usize, return_value_ptr: usize, return_size_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(map_type: u32, key_ptr: usize, key_size: usize, value_ptr: usize, value_size: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(map_type: u32, key_ptr: usize, key_size: usize, value_ptr: usize, value_size: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(map_type: u32, key_ptr: usize, key_size: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_property")
export declare function proxy_get_property(path_ptr: usize, path_size: usize, return_value_ptr: usize, return_size_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_property")
export declare function proxy_set_property(path_ptr: usize, path_size: usize, value_ptr: usize, value_size: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(status_code: u32, details_ptr: usize, details_size: usize, body_ptr: usize, body_size: usize, headers_ptr: usize, headers_size: usize, grpc_status: i32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(stream_type: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(stream_type: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(key_ptr: usize, key_size: usize, return_value_ptr: usize, return_size_ptr: usize, return_cas_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(key_ptr: usize, key_size: usize, value_ptr: usize, value_size: usize, cas: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(name_ptr: usize, name_size: usize, return_token_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(vm_id_ptr: usize, vm_id_size: usize, name_ptr: usize, name_size: usize, return_token_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(token: u32, data_ptr: usize, data_size: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(token: u32, return_data_ptr: usize, return_size_ptr: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(metric_type: u32, name_ptr: usize, name_size: usize, return_id_ptr: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(metric_id: u32, offset: i64): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(metric_id: u32, value: u64): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(metric_id: u32, return_value_ptr: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_http_call")
export declare function proxy_http_call(upstream_ptr: usize, upstream_size: usize, headers_ptr: usize, headers_size: usize, body_ptr: usize, body_size: usize, trailers_ptr: usize, trailers_size: usize, timeout_ms: u32, return_token_ptr: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(context_id: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_done")
export declare function proxy_done(): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_call_foreign_function")
export declare function proxy_call_foreign_function(name_ptr: usize, name_size: usize, args_ptr: usize, args_size: usize, return_data_ptr: usize, return_size_ptr: usize): WasmResult;
