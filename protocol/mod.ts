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
/** Message types of the older spec versions, one namespace each (`v3.ScalarCmd`, ...). */
export * as v0 from "./v0.ts";
export * as v1 from "./v1.ts";
export * as v2 from "./v2.ts";
export * as v3 from "./v3.ts";
export {
  type AnyClientMessageName,
  type AnyRequestServerInfo,
  type ClientMessageBodies,
  negotiateSpecVersion,
  type Negotiation,
  type ParsedMessage,
  parseFrame,
  parseMessage,
  type ParseResult,
} from "./parse.ts";
