/**
 * A device connected through the sidecar as a byte-level {@linkcode Hardware}
 * ({@linkcode SidecarHardware}). Re-exported by `hardware/sidecar.ts`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../protocol/errors.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import type { Hardware, HardwareEventMap } from "./mod.ts";
import type { SidecarLink } from "./_sidecar_link.ts";
import { SidecarRequestError } from "./_sidecar_request_error.ts";
import type { SidecarTransport } from "./_sidecar_types.ts";
import { USB_VENDOR_CONTROL_ENDPOINT, vendorControlSetup } from "./_sidecar_usb_control.ts";
import { type ConnectResult, isByteArray, isRecord, type Json } from "./_sidecar_wire.ts";

/** A device connected through the sidecar, as a byte-level {@linkcode Hardware}. */
export class SidecarHardware extends TypedEventTarget<HardwareEventMap> implements Hardware {
  /** Advertised/product name. */
  readonly name: string;
  /** Unique id on its transport. */
  readonly address: string;
  /** Endpoint names actually bound. */
  readonly endpoints: readonly string[];
  /** Batching window (BLE 75 ms, others 0). */
  readonly messageGapMs: number;
  /** Whether the device task should send keepalive traffic. */
  readonly requiresKeepalive: boolean;
  /** The sidecar's handle of this connection. */
  readonly handle: string;
  /** The transport. */
  readonly transport: SidecarTransport;
  readonly #link: SidecarLink;
  #connected = true;
  #requested = false;

  /** @internal Created by {@linkcode SidecarConnector}. */
  constructor(
    transport: SidecarTransport,
    r: ConnectResult,
    link: SidecarLink,
  ) {
    super();
    this.transport = transport;
    this.handle = r.handle;
    this.name = r.name;
    this.address = r.address;
    // A raw USB device has only its control pipe; `txvendorcontrol` writes go through it.
    this.endpoints = transport === "usb"
      ? (r.endpoints.includes("control") ? [USB_VENDOR_CONTROL_ENDPOINT] : [])
      : r.endpoints;
    this.messageGapMs = r.messageGapMs;
    this.requiresKeepalive = transport === "btle" &&
      link.options.bleRequiresKeepalive;
    this.#link = link;
  }

  /** Whether the connection is up. */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Whether {@linkcode SidecarHardware.disconnect} was called (a requested disconnect, as opposed
   * to the device dropping or the sidecar dying). Requested disconnects are never reconnected.
   */
  get disconnectRequested(): boolean {
    return this.#requested;
  }

  #check(endpoint: string): void {
    if (!this.#connected) {
      throw new ButtplugDeviceError(
        `${this.name} (${this.address}) is disconnected`,
      );
    }
    if (!this.endpoints.includes(endpoint)) {
      throw new ButtplugDeviceError(
        `${this.name} (${this.address}) has no endpoint ${endpoint}`,
      );
    }
  }

  #writeOnly(endpoint: string, what: string): void {
    if (this.transport === "usb") {
      throw new ButtplugDeviceError(
        `${this.name} (${this.address}): cannot ${what} ${endpoint}, raw USB endpoints are write-only`,
      );
    }
  }

  #call(method: string, params: Json, timeoutMs: number): Promise<unknown> {
    return this.#link.request(
      method,
      { handle: this.handle, ...params },
      timeoutMs,
      this.handle,
    );
  }

  /**
   * Writes bytes to an endpoint. On a raw USB device the one endpoint is `txvendorcontrol`: the
   * bytes become one vendor control transfer (see {@linkcode vendorControlSetup}).
   */
  async write(
    endpoint: string,
    data: Uint8Array,
    withResponse: boolean,
  ): Promise<void> {
    this.#check(endpoint);
    if (this.transport === "usb") {
      await this.#call(
        "control",
        { ...vendorControlSetup(data) },
        this.#link.options.requestTimeoutMs,
      );
      return;
    }
    await this.#call(
      "write",
      { endpoint, data: Array.from(data), withResponse },
      this.#link.options.requestTimeoutMs,
    );
  }

  /** Reads from an endpoint (serial: buffered bytes, waiting up to `timeoutMs` for some). */
  async read(
    endpoint: string,
    length: number,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    this.#check(endpoint);
    this.#writeOnly(endpoint, "read");
    const result = await this.#call(
      "read",
      { endpoint, length, timeoutMs },
      timeoutMs + this.#link.options.requestTimeoutMs,
    );
    if (!isRecord(result) || !isByteArray(result.data)) {
      throw new SidecarRequestError(
        "invalid_reply",
        `the sidecar sent an invalid read reply for ${this.address}`,
      );
    }
    return new Uint8Array(result.data);
  }

  /** Starts notifications on an endpoint. */
  async subscribe(endpoint: string): Promise<void> {
    this.#check(endpoint);
    this.#writeOnly(endpoint, "subscribe to");
    await this.#call(
      "subscribe",
      { endpoint },
      this.#link.options.requestTimeoutMs,
    );
  }

  /** Ends notifications on an endpoint. */
  async unsubscribe(endpoint: string): Promise<void> {
    this.#check(endpoint);
    this.#writeOnly(endpoint, "unsubscribe from");
    await this.#call(
      "unsubscribe",
      { endpoint },
      this.#link.options.requestTimeoutMs,
    );
  }

  /** Closes the connection and emits `disconnected`. Idempotent. */
  async disconnect(): Promise<void> {
    if (!this.#connected) return;
    this.#requested = true;
    try {
      await this.#call("disconnect", {}, this.#link.options.requestTimeoutMs);
    } catch (err) {
      // Already gone on the sidecar side (or the sidecar is gone): nothing left to close.
      const gone = err instanceof SidecarRequestError &&
        ["not_found", "not_running", "exited", "disconnected"].includes(
          err.reason,
        );
      if (!gone) {
        this.#link.options.logger.warn(
          `sidecar: disconnecting ${this.address}: ${(err as Error).message}`,
        );
      }
    } finally {
      this._gone("disconnect requested");
    }
  }

  /** @internal Notification from the sidecar. */
  _notify(endpoint: string, data: Uint8Array): void {
    if (!this.#connected) return;
    this.dispatchEvent(
      new CustomEvent("notification", { detail: { endpoint, data } }),
    );
  }

  /** @internal The device went away (or the sidecar died). Emits `disconnected` once. */
  _gone(reason: string): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#link.unregister(this);
    this.#link.options.logger.info(
      `sidecar: ${this.transport} ${this.address} disconnected (${reason})`,
    );
    this.dispatchEvent(new Event("disconnected"));
  }
}
