// The value enums of proxy-runtime's API, kept under the same names so a
// proxy-runtime filter ports by changing its imports. Values follow the
// Proxy-Wasm ABI 0.2.1 spec.

export enum LogLevelValues { trace, debug, info, warn, error, critical }
export enum FilterStatusValues { Continue = 0, StopIteration = 1 }
export enum FilterHeadersStatusValues {
  Continue = 0,
  StopIteration = 1,
  ContinueAndEndStream = 2,
  StopAllIterationAndBuffer = 3,
  StopAllIterationAndWatermark = 4,
}
export enum FilterMetadataStatusValues { Continue = 0 }
export enum FilterTrailersStatusValues { Continue = 0, StopIteration = 1 }
export enum FilterDataStatusValues {
  Continue = 0,
  StopIterationAndBuffer = 1,
  StopIterationAndWatermark = 2,
  StopIterationNoBuffer = 3,
}
export enum GrpcStatusValues {
  Ok = 0, Canceled = 1, Unknown = 2, InvalidArgument = 3, DeadlineExceeded = 4,
  NotFound = 5, AlreadyExists = 6, PermissionDenied = 7, ResourceExhausted = 8,
  FailedPrecondition = 9, Aborted = 10, OutOfRange = 11, Unimplemented = 12,
  Internal = 13, Unavailable = 14, DataLoss = 15, Unauthenticated = 16,
  MaximumValid = 16,
  InvalidCode = -1,
}
export enum MetricTypeValues { Counter = 0, Gauge = 1, Histogram = 2 }
export enum PeerTypeValues { Unknown = 0, Local = 1, Remote = 2 }
export enum WasmResultValues {
  Ok = 0, NotFound = 1, BadArgument = 2, SerializationFailure = 3, ParseFailure = 4,
  BadExpression = 5, InvalidMemoryAccess = 6, Empty = 7, CasMismatch = 8,
  ResultMismatch = 9, InternalFailure = 10, BrokenConnection = 11, Unimplemented = 12,
}
export enum HeaderMapTypeValues {
  RequestHeaders = 0, RequestTrailers = 1, ResponseHeaders = 2, ResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4, GrpcReceiveTrailingMetadata = 5,
  HttpCallResponseHeaders = 6, HttpCallResponseTrailers = 7,
}
export enum BufferTypeValues {
  HttpRequestBody = 0, HttpResponseBody = 1, NetworkDownstreamData = 2, NetworkUpstreamData = 3,
  HttpCallResponseBody = 4, GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7,
  CallData = 8,
}
export enum BufferFlagsValues { EndOfStream = 1 }
export enum StreamTypeValues { Request = 0, Response = 1, Downstream = 2, Upstream = 3 }
