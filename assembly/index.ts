// The API filters are written against: proxy-runtime's names and signatures,
// served by our lean layer. Port a proxy-runtime filter by changing
//   "@solo-io/proxy-runtime"        -> "../../assembly"
//   "@solo-io/proxy-runtime/proxy"  -> "../../assembly/proxy"
export {
  LogLevelValues, FilterStatusValues, FilterHeadersStatusValues, FilterMetadataStatusValues,
  FilterTrailersStatusValues, FilterDataStatusValues, GrpcStatusValues, MetricTypeValues,
  PeerTypeValues, WasmResultValues, HeaderMapTypeValues, BufferTypeValues, BufferFlagsValues,
  StreamTypeValues,
} from "./runtime/enums";
export { BaseContext, RootContext, Context, HttpCallback } from "./runtime/contexts";
export { registerRootContext } from "./runtime/registry";
export { log, logEnabled, logAlways, hostLogLevel } from "./runtime/log";
export { HeaderPair, Headers, serializePairs, deserializePairs } from "./runtime/pairs";
export {
  stream_context, HeaderStreamManipulator,
  getHeaderBytes, addHeaderBytes, replaceHeaderBytes, removeHeaderBytes, getHeaderPairs, setHeaderPairs,
  removeHeaderRaw, borrowHeaderPairs, borrowedSize, releaseHeaderPairs,
  getHeaderMapSize, get_header_map_value, add_header_map_value, add_header_map_value_string,
  replace_header_map_value, replace_header_map_value_string, remove_header_map_value,
  remove_header_map_value_string, get_header_map_size,
} from "./runtime/headers";
export {
  propertyPath, getPropertyBytes, setPropertyBytes, get_property, set_property, getPropertyI64, getPropertyBool, getPropertyString,
} from "./runtime/properties";
export { get_buffer_bytes, set_buffer_bytes, get_buffer_status, BufferStatusResult } from "./runtime/buffers";
export {
  Counter, Gauge, Histogram, define_metric, defineMetric, increment_metric, record_metric, get_metric,
} from "./runtime/metrics";
export {
  send_local_response, sendLocalResponseBytes, continue_request, continue_response, clear_route_cache,
  proxy_set_effective_context, done,
} from "./runtime/stream-control";
export { get_shared_data, set_shared_data, SharedData } from "./runtime/shared-data";
export { get_current_time_nanoseconds, set_tick_period_milliseconds } from "./runtime/time";
export {
  register_shared_queue, resolve_shared_queue, enqueue_shared_queue, dequeue_shared_queue, SharedQueueResult, DequeueSharedQueueResult,
} from "./runtime/queues";
