/**
 * A device the sidecar found, as a {@linkcode HardwareConnector} ({@linkcode SidecarConnector}):
 * turns the chosen protocol's specifier into `connect` params. Re-exported by
 * `hardware/sidecar.ts`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../protocol/errors.ts";
import type { Advertisement, CommunicationSpecifier, Hardware, HardwareConnector } from "./mod.ts";
import { SidecarHardware } from "./_sidecar_hardware.ts";
import type { SidecarLink } from "./_sidecar_link.ts";
import { SidecarRequestError } from "./_sidecar_request_error.ts";
import type { SidecarTransport } from "./_sidecar_types.ts";
import { vendorControlSetup } from "./_sidecar_usb_control.ts";
import { type FoundParams, type Json, parseConnectResult } from "./_sidecar_wire.ts";

/** @internal What a manager wants to hear about a connector's connects. */
export interface ConnectorHooks {
  /** Whether the connector is a reconnect of a known device. */
  readonly reconnect?: boolean;
  /** `connect()` was called. */
  readonly onConnecting?: () => void;
  /** A connect failed. */
  readonly onFailed?: (err: unknown) => void;
  /** A connect succeeded. */
  readonly onConnected?: (hw: SidecarHardware) => void;
}

/** A device the sidecar found; {@linkcode SidecarConnector.connect} opens it. */
export class SidecarConnector implements HardwareConnector {
  /** What the transport saw. */
  readonly advertisement: Advertisement;
  /** Whether this is a known BLE device that dropped and is being reconnected. */
  readonly reconnect: boolean;
  readonly #path?: string;
  readonly #link: SidecarLink;
  readonly #hooks?: ConnectorHooks;

  /** @internal Created by {@linkcode SidecarHardwareManager}. */
  constructor(found: FoundParams, link: SidecarLink, hooks?: ConnectorHooks) {
    this.advertisement = found.advertisement;
    this.reconnect = hooks?.reconnect ?? false;
    this.#path = found.path;
    this.#link = link;
    this.#hooks = hooks;
  }

  /**
   * Connects using the chosen protocol's specifier: `btle` (binds its services' endpoints),
   * `serial` (opens the port with its baud rate, data bits, parity and stop bits),
   * `hid`/`usb` for HID devices, or `usb` for raw USB devices (endpoint `txvendorcontrol`; the
   * sidecar sends `txvendorcontrol` 0 before it closes such a device).
   */
  async connect(specifier: CommunicationSpecifier): Promise<Hardware> {
    this.#hooks?.onConnecting?.();
    try {
      return await this.#open(specifier);
    } catch (err) {
      this.#hooks?.onFailed?.(err);
      throw err;
    }
  }

  async #open(specifier: CommunicationSpecifier): Promise<SidecarHardware> {
    const { transport, address } = this.advertisement;
    const o = this.#link.options;
    const params: Json = { transport, address, timeoutMs: o.connectTimeoutMs };
    if (transport === "btle" && "btle" in specifier) {
      params.services = specifier.btle.services;
    } else if (transport === "serial" && "serial" in specifier) {
      const s = specifier.serial;
      if (s.port !== address && s.port !== "default") {
        o.logger.warn(
          `sidecar: connecting ${address} with the settings of port ${s.port}`,
        );
      }
      Object.assign(params, {
        baudRate: s.baud_rate,
        dataBits: s.data_bits,
        parity: s.parity,
        stopBits: s.stop_bits,
      });
    } else if (
      transport === "hid" && ("hid" in specifier || "usb" in specifier)
    ) {
      if (this.#path) params.path = this.#path;
      if (this.advertisement.vendorId !== undefined) {
        params.vendorId = this.advertisement.vendorId;
      }
      if (this.advertisement.productId !== undefined) {
        params.productId = this.advertisement.productId;
      }
    } else if (transport === "usb" && "usb" in specifier) {
      if (this.advertisement.vendorId !== undefined) {
        params.vendorId = this.advertisement.vendorId;
      }
      if (this.advertisement.productId !== undefined) {
        params.productId = this.advertisement.productId;
      }
      // Safety net: the sidecar writes `txvendorcontrol` 0 (the Trance Vibrator's "off") before it
      // closes the device, so the toy stops even when this process dies without stopping it.
      params.closeControl = { ...vendorControlSetup(new Uint8Array([0])) };
    } else {
      const kind = Object.keys(specifier)[0] ?? "empty";
      throw new ButtplugDeviceError(
        `cannot connect a ${transport} device with a ${kind} specifier`,
      );
    }
    const raw = await this.#link.request(
      "connect",
      params,
      o.connectTimeoutMs + o.requestTimeoutMs,
    );
    const result = parseConnectResult(raw);
    if (!result) {
      throw new SidecarRequestError(
        "invalid_reply",
        `the sidecar sent an invalid connect reply for ${address}`,
      );
    }
    const hw = new SidecarHardware(
      transport as SidecarTransport,
      result,
      this.#link,
    );
    this.#link.register(hw);
    this.#hooks?.onConnected?.(hw);
    return hw;
  }
}
