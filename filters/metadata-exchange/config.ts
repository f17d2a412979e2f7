// metadata-exchange configuration: parsed and validated once in onConfigure.
import { ConfigReader } from "../../assembly/config-reader";
import { ExchangeKeys } from "../../assembly/peer-metadata";

/** Traffic direction, as Envoy's xds.listener_direction numbers it. */
export const DIRECTION_UNSPECIFIED: i32 = 0;
export const DIRECTION_INBOUND: i32 = 1;
export const DIRECTION_OUTBOUND: i32 = 2;
/** Read the direction per stream from xds.listener_direction (then listener_direction). */
export const DIRECTION_AUTO: i32 = -1;

export const DEFAULT_MAX_PEER_CACHE_SIZE: i64 = 500;
export const MAX_MAX_PEER_CACHE_SIZE: i64 = 100000;

export class MxConfig {
  maxPeerCacheSize: i32 = <i32>DEFAULT_MAX_PEER_CACHE_SIZE;
  direction: i32 = DIRECTION_AUTO;
  keys: ExchangeKeys = ExchangeKeys.Full;
}

/** Reads the configuration; errors are left in `reader.errors`. */
export function readConfig(reader: ConfigReader): MxConfig {
  const c = new MxConfig();
  c.maxPeerCacheSize = <i32>reader.integer("max_peer_cache_size", DEFAULT_MAX_PEER_CACHE_SIZE, 0, MAX_MAX_PEER_CACHE_SIZE);
  const direction = reader.stringOneOf("direction", "auto", ["auto", "inbound", "outbound", "unspecified"]);
  if (direction == "inbound") c.direction = DIRECTION_INBOUND;
  else if (direction == "outbound") c.direction = DIRECTION_OUTBOUND;
  else if (direction == "unspecified") c.direction = DIRECTION_UNSPECIFIED;
  else c.direction = DIRECTION_AUTO;
  const keys = reader.stringOneOf("key_set", "full", ["full", "compact"]);
  if (keys == "compact") c.keys = ExchangeKeys.Compact;
  else c.keys = ExchangeKeys.Full;
  reader.rejectUnknown();
  return c;
}
