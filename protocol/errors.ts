/**
 * Buttplug errors. Every error that can reach a peer is a {@linkcode ButtplugError} subclass
 * carrying its wire `ErrorCode`.
 *
 * @module
 */

/** Wire error codes (spec `ErrorCode`). */
export const ErrorCode = {
  /** Anything else; internal failures. */
  Unknown: 0,
  /** Handshake problems: version mismatch, message before handshake, second handshake. */
  Init: 1,
  /** Ping timeout. */
  Ping: 2,
  /** Parse/validation failure, message not in this spec version, untranslatable message. */
  Message: 3,
  /** Bad device/feature index, value out of range, unsupported command, device failure. */
  Device: 4,
} as const;

/** One of the wire error codes. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/**
 * Base class of every Buttplug error.
 *
 * @example
 * ```ts
 * import { ButtplugDeviceError, ButtplugError, ErrorCode } from "./errors.ts";
 * const err: ButtplugError = new ButtplugDeviceError("no device 5");
 * console.assert(err.code === ErrorCode.Device);
 * ```
 */
export class ButtplugError extends Error {
  /** The wire error code. */
  readonly code: ErrorCode;
  /** Id of the request this error answers (0 for events or unparseable input). */
  id: number;

  /** Creates an error with the given code, message and request id. */
  constructor(code: ErrorCode, message: string, id = 0, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.id = id;
    this.name = new.target.name;
  }

  /** Turns a wire `Error` message body into the matching error subclass. */
  static fromWire(body: { Id: number; ErrorCode: number; ErrorMessage: string }): ButtplugError {
    const ctor = ERROR_CLASSES[body.ErrorCode as ErrorCode] ?? ButtplugUnknownError;
    return new ctor(body.ErrorMessage, body.Id);
  }

  /** The wire `Error` message for this error. */
  toWire(): { Error: { Id: number; ErrorCode: number; ErrorMessage: string } } {
    return { Error: { Id: this.id, ErrorCode: this.code, ErrorMessage: this.message } };
  }
}

/** ERROR_UNKNOWN (0): internal failures. */
export class ButtplugUnknownError extends ButtplugError {
  /** Creates the error. */
  constructor(message: string, id = 0, options?: ErrorOptions) {
    super(ErrorCode.Unknown, message, id, options);
  }
}

/** ERROR_INIT (1): handshake problems. */
export class ButtplugInitError extends ButtplugError {
  /** Creates the error. */
  constructor(message: string, id = 0, options?: ErrorOptions) {
    super(ErrorCode.Init, message, id, options);
  }
}

/** ERROR_PING (2): the ping timer ran out. */
export class ButtplugPingError extends ButtplugError {
  /** Creates the error. */
  constructor(message: string, id = 0, options?: ErrorOptions) {
    super(ErrorCode.Ping, message, id, options);
  }
}

/** ERROR_MSG (3): a malformed or unsupported message. */
export class ButtplugMessageError extends ButtplugError {
  /** Creates the error. */
  constructor(message: string, id = 0, options?: ErrorOptions) {
    super(ErrorCode.Message, message, id, options);
  }
}

/** ERROR_DEVICE (4): a device-level failure or a command the device cannot do. */
export class ButtplugDeviceError extends ButtplugError {
  /** Creates the error. */
  constructor(message: string, id = 0, options?: ErrorOptions) {
    super(ErrorCode.Device, message, id, options);
  }
}

/**
 * A client-side failure that never came from the wire: connection lost, request timed out,
 * connector refused. Carries ERROR_UNKNOWN.
 */
export class ButtplugClientConnectorError extends ButtplugError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Unknown, message, 0, options);
  }
}

const ERROR_CLASSES: Record<ErrorCode, new (message: string, id: number) => ButtplugError> = {
  [ErrorCode.Unknown]: ButtplugUnknownError,
  [ErrorCode.Init]: ButtplugInitError,
  [ErrorCode.Ping]: ButtplugPingError,
  [ErrorCode.Message]: ButtplugMessageError,
  [ErrorCode.Device]: ButtplugDeviceError,
};
