// The host clock and the root context's timer (proxy-runtime's names; its
// wrappers trapped on a non-Ok result, these return it).
import * as imports from "../imports";
import { WasmResultValues } from "./enums";
import { u64Slot } from "./host-memory";

/** The host's wall-clock time in nanoseconds since the epoch (Envoy: the dispatcher's time source). */
export function get_current_time_nanoseconds(): u64 {
  store<u64>(u64Slot(), 0);
  imports.proxy_get_current_time_nanoseconds(u64Slot());
  return load<u64>(u64Slot());
}

/**
 * Asks for onTick() on the current root context every `period` milliseconds (0
 * stops it). Call it from the root context (onStart / onConfigure / onTick):
 * Envoy ties the timer to the context the call is made in.
 */
export function set_tick_period_milliseconds(period: u32): WasmResultValues {
  return imports.proxy_set_tick_period_milliseconds(period);
}
