// Envoy's response flags (StreamInfo::CoreResponseFlag): bit i of the
// `response.flags` attribute, short code i in the access log (%RESPONSE_FLAGS%).
// The ones the host raises, where Envoy raises them.
export const ResponseFlag = {
  /** UR: the upstream reset the stream before answering. */
  UpstreamRemoteReset: 1 << 4,
  /** SI: the stream idle timeout answered. */
  StreamIdleTimeout: 1 << 16,
  /** DPE: the downstream codec refused the request. */
  DownstreamProtocolError: 1 << 18,
  /** UPE: the upstream codec refused the answer. */
  UpstreamProtocolError: 1 << 23,
} as const;
