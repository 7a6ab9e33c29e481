/**
 * The Buttplug wire format shared by client and server.
 *
 * @module
 */
export * from "./messages.ts";
export * from "./errors.ts";
export type { Clock, TimerHandle } from "./clock.ts";
export { systemClock } from "./clock.ts";
export { TypedEventTarget, type TypedListener } from "./typed_event_target.ts";
