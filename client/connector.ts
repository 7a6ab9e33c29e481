/**
 * The seam between {@linkcode ButtplugClient} and a transport. A connector moves frames (arrays
 * of spec v4 message objects) in both directions and reports when the connection ends.
 *
 * @module
 */
import type { RawMessage } from "../protocol/messages.ts";
import type { TypedEventTarget } from "../protocol/typed_event_target.ts";
import type { ButtplugDisconnectEvent, ButtplugErrorEvent } from "./events.ts";

/** Events of a {@linkcode ButtplugConnector}. */
export interface ButtplugConnectorEventMap {
  /** A frame arrived from the server: `detail` is its array of message objects. */
  message: CustomEvent<RawMessage[]>;
  /**
   * The connection ended (raised exactly once per successful `connect()`, whoever closed it);
   * `reason` says why.
   */
  disconnect: ButtplugDisconnectEvent;
  /** Something arrived that is not a frame (bad JSON, binary data); the connection stays up. */
  error: ButtplugErrorEvent;
}

/**
 * A transport for {@linkcode ButtplugClient}: {@linkcode WebSocketConnector},
 * {@linkcode InProcessConnector}, or your own.
 *
 * Contract: `connect()` resolves once frames can be sent and rejects with a
 * `ButtplugClientConnectorError` otherwise; `send()` throws when not connected; incoming frames
 * are `message` events; the end of the connection is one `disconnect` event; `disconnect()` is
 * idempotent. A connector can be connected again after it was disconnected.
 */
export interface ButtplugConnector extends TypedEventTarget<ButtplugConnectorEventMap> {
  /** Whether frames can be sent now. */
  readonly connected: boolean;
  /** Opens the connection. */
  connect(): Promise<void>;
  /** Sends one frame (an array of message objects). Throws when not connected. */
  send(messages: RawMessage[]): void;
  /** Closes the connection; resolves once it is closed. Does nothing when not connected. */
  disconnect(): Promise<void>;
}
