// Envoy's inline headers: names its header maps keep in a slot of their own
// (O(1) access). Adding a second value to one appends it to the first with ","
// (HeaderMapImpl::appendToHeader; an empty value appends nothing) instead of
// adding an entry, whoever adds it: the HTTP codec parsing a request or
// response, or a filter's proxy_add_header_map_value. Which names are inline
// depends on the binary (core names plus those its extensions register); Envoy
// prints them at startup ("request header map: 648 bytes: :authority,..."), and
// these are the lists Envoy 1.40.0 (the pinned release) prints.
// tests/fidelity/inline-headers.test.ts reads them off a real Envoy's log; the
// differential run sends names twice and compares what filters see
// (fidelity/modules/visible.wat). Names not listed keep one entry per value.

const list = (names: string) => new Set(names.split(","));

export const REQUEST_INLINE_HEADERS: ReadonlySet<string> = list(
  ":authority,:method,:path,:protocol,:scheme,accept,accept-encoding,access-control-request-headers,access-control-request-method," +
  "access-control-request-private-network,authentication,authorization,cache-control,cdn-loop,connection,content-encoding," +
  "content-length,content-type,expect,grpc-accept-encoding,grpc-timeout,if-match,if-modified-since,if-none-match,if-range," +
  "if-unmodified-since,keep-alive,origin,pragma,proxy-connection,proxy-status,referer,te,transfer-encoding,upgrade,user-agent,via," +
  "x-client-trace-id,x-envoy-attempt-count,x-envoy-decorator-operation,x-envoy-downstream-service-cluster," +
  "x-envoy-downstream-service-node,x-envoy-expected-rq-timeout-ms,x-envoy-external-address,x-envoy-force-trace," +
  "x-envoy-hedge-on-per-try-timeout,x-envoy-internal,x-envoy-ip-tags,x-envoy-is-timeout-retry,x-envoy-max-retries," +
  "x-envoy-original-host,x-envoy-original-path,x-envoy-original-url,x-envoy-retriable-header-names," +
  "x-envoy-retriable-status-codes,x-envoy-retry-grpc-on,x-envoy-retry-on,x-envoy-upstream-alt-stat-name," +
  "x-envoy-upstream-rq-per-try-timeout-ms,x-envoy-upstream-rq-timeout-alt-response,x-envoy-upstream-rq-timeout-ms," +
  "x-envoy-upstream-stream-duration-ms,x-forwarded-client-cert,x-forwarded-for,x-forwarded-host,x-forwarded-port," +
  "x-forwarded-proto,x-request-id",
);

export const RESPONSE_INLINE_HEADERS: ReadonlySet<string> = list(
  ":status,access-control-allow-credentials,access-control-allow-headers,access-control-allow-methods," +
  "access-control-allow-origin,access-control-allow-private-network,access-control-expose-headers,access-control-max-age,age," +
  "cache-control,connection,content-encoding,content-length,content-type,date,etag,expires,grpc-message,grpc-status,keep-alive," +
  "last-modified,location,proxy-connection,proxy-status,server,transfer-encoding,upgrade,vary,via,x-envoy-attempt-count," +
  "x-envoy-decorator-operation,x-envoy-degraded,x-envoy-immediate-health-check-fail,x-envoy-ratelimited,x-envoy-upstream-canary," +
  "x-envoy-upstream-healthchecked-cluster,x-envoy-upstream-service-time,x-request-id",
);

/** Request trailers have none. */
export const RESPONSE_TRAILER_INLINE_HEADERS: ReadonlySet<string> = list("grpc-message,grpc-status");

/** The maps as Envoy names them in its startup log. */
export const INLINE_HEADER_MAPS = {
  "request header map": REQUEST_INLINE_HEADERS,
  "request trailer map": new Set<string>(),
  "response header map": RESPONSE_INLINE_HEADERS,
  "response trailer map": RESPONSE_TRAILER_INLINE_HEADERS,
} as const;
