/**
 * Event classes raised by the client, its devices and its connectors. Each one is a
 * `CustomEvent` (so `detail` works as usual) with a named property for readability.
 *
 * @module
 */
import type { ButtplugError } from "../protocol/errors.ts";
import type { InputType } from "../protocol/messages.ts";
import type { ButtplugClientDevice } from "./device.ts";

/**
 * `deviceadded` / `deviceremoved`: `device` (also `detail`) is the
 * {@linkcode ButtplugClientDevice}.
 */
export class ButtplugDeviceEvent extends CustomEvent<ButtplugClientDevice> {
  /** Creates the event. */
  constructor(type: "deviceadded" | "deviceremoved", device: ButtplugClientDevice) {
    super(type, { detail: device });
  }

  /** The device that was added or removed. */
  get device(): ButtplugClientDevice {
    return this.detail;
  }
}

/** `disconnect`: the connection ended; `reason` (also `detail`) says why. */
export class ButtplugDisconnectEvent extends CustomEvent<string> {
  /** Creates the event. */
  constructor(reason: string) {
    super("disconnect", { detail: reason });
  }

  /** Why the connection ended ("client disconnected", a close reason, "ping timeout"...). */
  get reason(): string {
    return this.detail;
  }
}

/** `error`: an asynchronous problem, e.g. the server's ping-timeout event. */
export class ButtplugErrorEvent extends CustomEvent<ButtplugError> {
  /** Creates the event. */
  constructor(error: ButtplugError) {
    super("error", { detail: error });
  }

  /** The error. */
  get error(): ButtplugError {
    return this.detail;
  }
}

/** One sensor value reported by a device. */
export interface ClientInputReading {
  /** Feature index of the input. */
  readonly featureIndex: number;
  /** Input type that produced the value. */
  readonly type: InputType;
  /** The raw value, in the input's advertised range (battery: 0..100). */
  readonly value: number;
}

/** `reading` (on a {@linkcode ButtplugClientDevice}): subscription data from an input. */
export class ButtplugReadingEvent extends CustomEvent<ClientInputReading> {
  /** Creates the event. */
  constructor(reading: ClientInputReading) {
    super("reading", { detail: reading });
  }

  /** The reading. */
  get reading(): ClientInputReading {
    return this.detail;
  }
}
