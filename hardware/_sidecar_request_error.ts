/**
 * The error of a failed sidecar request ({@linkcode SidecarRequestError}). Re-exported by
 * `hardware/sidecar.ts`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../protocol/errors.ts";

/**
 * A failed sidecar request. `reason` is the sidecar's error code (`timeout`, `not_found`,
 * `disconnected`, `unavailable`, `bad_request`, `io`, ...) or a bridge code: `exited` (the
 * process died during the request), `not_running` (restarting), `invalid_reply`.
 */
export class SidecarRequestError extends ButtplugDeviceError {
  /** Machine-readable reason. */
  readonly reason: string;
  /** Creates the error. */
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, 0, options);
    this.reason = reason;
  }
}
