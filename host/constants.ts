// Proxy-Wasm ABI 0.2.x enumerations (spec v0.2.1, cpp-sdk proxy_wasm_common.h).
export const enum WasmResult {
  Ok = 0, NotFound = 1, BadArgument = 2, SerializationFailure = 3, ParseFailure = 4,
  BadExpression = 5, InvalidMemoryAccess = 6, Empty = 7, CasMismatch = 8, ResultMismatch = 9,
  InternalFailure = 10, BrokenConnection = 11, Unimplemented = 12,
}

export const enum MapType {
  RequestHeaders = 0, RequestTrailers = 1, ResponseHeaders = 2, ResponseTrailers = 3,
  GrpcInitialMetadata = 4, GrpcTrailingMetadata = 5, HttpCallResponseHeaders = 6, HttpCallResponseTrailers = 7,
}

export const enum BufferType {
  HttpRequestBody = 0, HttpResponseBody = 1, DownstreamData = 2, UpstreamData = 3,
  HttpCallResponseBody = 4, GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7, CallData = 8,
}

export const enum StreamType { Request = 0, Response = 1, Downstream = 2, Upstream = 3 }

export const enum MetricType { Counter = 0, Gauge = 1, Histogram = 2 }

/** FilterHeadersStatus / FilterDataStatus / FilterTrailersStatus values a callback may return. */
export const enum Status {
  Continue = 0,
  StopIteration = 1, // headers/trailers; for body: StopIterationAndBuffer
  ContinueAndEndStream = 2, // headers; for body: StopIterationAndWatermark
  StopAllIterationAndBuffer = 3, // headers; for body: StopIterationNoBuffer
  StopAllIterationAndWatermark = 4,
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "critical"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";
