// The Proxy-Wasm ABI surface Envoy offers and expects, as data. Sources: the
// Proxy-Wasm spec (proxy-wasm/spec abi-versions/v0.2.1), proxy-wasm/proxy-wasm-cpp-host
// @52a02917b301c679ff43565064cffd2c3c750f6d src/wasm.cc (required exports, ABI
// versions) and include/proxy-wasm/exports.h (Envoy's WASI set).
import type { FuncType, ValType } from "./wasm-sections.ts";

const sig = (params: string, results = "i32"): FuncType => ({
  params: params === "" ? [] : (params.split(" ") as ValType[]),
  results: results === "" ? [] : (results.split(" ") as ValType[]),
});
const i32s = (n: number): string => Array(n).fill("i32").join(" ");

/** Host functions under module "env" of ABI 0.2.0 / 0.2.1, with their signatures. */
export const HOST_FUNCTIONS: Record<string, FuncType> = {
  proxy_log: sig(i32s(3)),
  proxy_get_log_level: sig(i32s(1)),
  proxy_get_status: sig(i32s(3)),
  proxy_set_tick_period_milliseconds: sig(i32s(1)),
  proxy_get_current_time_nanoseconds: sig(i32s(1)),
  proxy_get_property: sig(i32s(4)),
  proxy_set_property: sig(i32s(4)),
  proxy_continue_stream: sig(i32s(1)),
  proxy_close_stream: sig(i32s(1)),
  proxy_send_local_response: sig(i32s(8)),
  proxy_get_shared_data: sig(i32s(5)),
  proxy_set_shared_data: sig(i32s(5)),
  proxy_register_shared_queue: sig(i32s(3)),
  proxy_resolve_shared_queue: sig(i32s(5)),
  proxy_dequeue_shared_queue: sig(i32s(3)),
  proxy_enqueue_shared_queue: sig(i32s(3)),
  proxy_add_header_map_value: sig(i32s(5)),
  proxy_get_header_map_value: sig(i32s(5)),
  proxy_get_header_map_pairs: sig(i32s(3)),
  proxy_set_header_map_pairs: sig(i32s(3)),
  proxy_replace_header_map_value: sig(i32s(5)),
  proxy_remove_header_map_value: sig(i32s(3)),
  proxy_get_header_map_size: sig(i32s(2)),
  proxy_get_buffer_bytes: sig(i32s(5)),
  proxy_set_buffer_bytes: sig(i32s(5)),
  proxy_get_buffer_status: sig(i32s(3)),
  proxy_http_call: sig(i32s(10)),
  proxy_grpc_call: sig(i32s(12)),
  proxy_grpc_stream: sig(i32s(9)),
  proxy_grpc_send: sig(i32s(4)),
  proxy_grpc_cancel: sig(i32s(1)),
  proxy_grpc_close: sig(i32s(1)),
  proxy_define_metric: sig(i32s(4)),
  proxy_increment_metric: sig("i32 i64"),
  proxy_record_metric: sig("i32 i64"),
  proxy_get_metric: sig(i32s(2)),
  proxy_set_effective_context: sig(i32s(1)),
  proxy_done: sig(""),
  proxy_call_foreign_function: sig(i32s(6)),
};

/** Host functions Envoy registers only for ABI 0.1.0 modules (cpp-host src/wasm.cc), with what to use instead. */
export const ABI_0_1_0_ONLY: Record<string, string> = {
  proxy_get_configuration: "read the plugin configuration with proxy_get_buffer_bytes (buffer type 7)",
  proxy_continue_request: "use proxy_continue_stream(0)",
  proxy_continue_response: "use proxy_continue_stream(1)",
  proxy_clear_route_cache: "call the foreign function \"clear_route_cache\" (proxy_call_foreign_function)",
};

/** Non-proxy functions Envoy also provides under "env". */
export const ENV_EXTRAS: Record<string, FuncType> = {
  pthread_equal: sig(i32s(2)),
  emscripten_notify_memory_growth: sig(i32s(1), ""),
};

/** WASI modules Envoy registers (same functions under both names). */
export const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"];

/** WASI functions current Envoy provides; the signed ones are checked. */
export const WASI_FUNCTIONS: Record<string, FuncType | null> = {
  fd_write: sig(i32s(4)),
  fd_read: sig(i32s(4)),
  fd_seek: sig("i32 i64 i32 i32"),
  fd_close: sig(i32s(1)),
  fd_fdstat_get: sig(i32s(2)),
  environ_get: sig(i32s(2)),
  environ_sizes_get: sig(i32s(2)),
  args_get: sig(i32s(2)),
  args_sizes_get: sig(i32s(2)),
  clock_time_get: sig("i32 i64 i32"),
  clock_res_get: sig(i32s(2)),
  random_get: sig(i32s(2)),
  proc_exit: sig(i32s(1), ""),
  sched_yield: sig("", "i32"),
  poll_oneoff: sig(i32s(4)),
  fd_fdstat_set_flags: null, fd_fdstat_set_rights: null, fd_advise: null, fd_allocate: null,
  fd_datasync: null, fd_filestat_set_size: null, fd_filestat_set_times: null, fd_pread: null,
  fd_pwrite: null, fd_readdir: null, fd_renumber: null, fd_sync: null, fd_tell: null,
  path_create_directory: null, path_filestat_set_times: null, path_link: null, path_readlink: null,
  path_remove_directory: null, path_rename: null, path_symlink: null, path_unlink_file: null,
  sock_accept: null, sock_recv: null, sock_send: null, sock_shutdown: null, path_open: null,
  fd_prestat_get: null, fd_prestat_dir_name: null, path_filestat_get: null, fd_filestat_get: null,
};

/** ABI version marker exports Envoy recognises (cpp-host bytecode_util.cc). */
export const ABI_VERSION_EXPORTS: Record<string, string> = {
  proxy_abi_version_0_2_0: "0.2.0",
  proxy_abi_version_0_2_1: "0.2.1",
};

/** Callbacks a module may export, with the 0.2.x signatures the host calls them with. */
export const CALLBACKS: Record<string, FuncType> = {
  proxy_on_context_create: sig(i32s(2), ""),
  proxy_on_vm_start: sig(i32s(2)),
  proxy_validate_configuration: sig(i32s(2)),
  proxy_on_configure: sig(i32s(2)),
  proxy_on_tick: sig(i32s(1), ""),
  proxy_on_queue_ready: sig(i32s(2), ""),
  proxy_on_foreign_function: sig(i32s(3), ""),
  proxy_on_request_headers: sig(i32s(3)),
  proxy_on_request_body: sig(i32s(3)),
  proxy_on_request_trailers: sig(i32s(2)),
  proxy_on_request_metadata: sig(i32s(2)),
  proxy_on_response_headers: sig(i32s(3)),
  proxy_on_response_body: sig(i32s(3)),
  proxy_on_response_trailers: sig(i32s(2)),
  proxy_on_response_metadata: sig(i32s(2)),
  proxy_on_http_call_response: sig(i32s(5), ""),
  proxy_on_grpc_receive_initial_metadata: sig(i32s(3), ""),
  proxy_on_grpc_receive_trailing_metadata: sig(i32s(3), ""),
  proxy_on_grpc_trailing_metadata: sig(i32s(3), ""),
  proxy_on_grpc_receive: sig(i32s(3), ""),
  proxy_on_grpc_close: sig(i32s(3), ""),
  proxy_on_done: sig(i32s(1)),
  proxy_on_log: sig(i32s(1), ""),
  proxy_on_delete: sig(i32s(1), ""),
  malloc: sig(i32s(1)),
  proxy_on_memory_allocate: sig(i32s(1)),
};
