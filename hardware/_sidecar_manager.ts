/**
 * One transport of the sidecar as a {@linkcode HardwareManager} ({@linkcode SidecarHardwareManager}):
 * scanning that survives sidecar restarts, and for Bluetooth LE the reconnect of known devices
 * that dropped. Re-exported by `hardware/sidecar.ts`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../protocol/errors.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import type { HardwareManager, HardwareManagerEventMap, SerialSpecifier } from "./mod.ts";
import { ReconnectTracker } from "./reconnect_tracker.ts";
import { SidecarConnector } from "./_sidecar_connector.ts";
import type { SidecarHardware } from "./_sidecar_hardware.ts";
import type { SidecarLink } from "./_sidecar_link.ts";
import { SidecarRequestError } from "./_sidecar_request_error.ts";
import { scanStartParams } from "./_sidecar_scan_options.ts";
import type { SidecarScanOptions, SidecarTransport } from "./_sidecar_types.ts";
import type { FoundParams } from "./_sidecar_wire.ts";

/**
 * One transport of the sidecar as a {@linkcode HardwareManager}. `found` events carry
 * {@linkcode HardwareConnector}s; scans survive sidecar restarts (they are re-sent after the new
 * process says hello).
 *
 * The btle manager also reconnects known devices (unless
 * {@linkcode SidecarProcessOptions.bleReconnect} is `false`): every BLE device connected through
 * it is remembered, and when one drops without {@linkcode SidecarHardware.disconnect} being called
 * its address joins the sidecar's reconnect watch, which looks for it independently of client
 * scans. When it advertises again, `found` is emitted for it (also while not scanning) with a
 * connector whose {@linkcode SidecarConnector.reconnect} is true. A failed connect backs off
 * ({@linkcode ReconnectTracker}); a device that nobody connects from that `found` event (denied by
 * the user config, no protocol) is forgotten, so listeners take a reconnect by calling
 * `connect()` from their `found` listener, as the device layer does.
 */
export class SidecarHardwareManager extends TypedEventTarget<HardwareManagerEventMap>
  implements HardwareManager {
  /** The transport (`btle`, `serial`, `hid`, `usb`). */
  readonly name: SidecarTransport;
  readonly #link: SidecarLink;
  #wanted = false;
  #options: SidecarScanOptions = {};
  #disposed = false;
  /** btle: known devices that dropped unexpectedly. */
  readonly #reconnect?: ReconnectTracker;
  /** Whether the sidecar understands `watch` (an older one does not). */
  #watchSupported = true;

  /** @internal Created by {@linkcode SidecarProcess}. */
  constructor(transport: SidecarTransport, link: SidecarLink) {
    super();
    this.name = transport;
    this.#link = link;
    const policy = link.options.bleReconnect;
    if (transport === "btle" && policy) {
      this.#reconnect = new ReconnectTracker({
        clock: link.options.clock,
        logger: link.options.logger,
        options: policy,
        label: "sidecar: btle",
        onWatchChange: () => this.#sendWatch(),
      });
    }
  }

  /**
   * btle: addresses of known devices that dropped unexpectedly and are being watched for, to be
   * reconnected when they advertise again (empty for other transports).
   */
  get reconnecting(): readonly string[] {
    return this.#reconnect?.addresses ?? [];
  }

  /** btle: the reconnect bookkeeping (attempts, backoff), for diagnostics and tests. */
  get reconnectTracker(): ReconnectTracker | undefined {
    return this.#reconnect;
  }

  /** Whether a scan was started and not stopped (also while the sidecar restarts). */
  get scanning(): boolean {
    return this.#wanted;
  }

  /** Whether the transport works on this machine. */
  get available(): boolean {
    return this.#link.status(this.name).available;
  }

  /** Why the transport is unavailable or limited (from the sidecar's hello). */
  get reason(): string | undefined {
    return this.#link.status(this.name).reason;
  }

  /** Current scan options. */
  get scanOptions(): SidecarScanOptions {
    return this.#options;
  }

  /**
   * Sets scan options (see {@linkcode SidecarScanOptions}); a running scan restarts with them.
   */
  configure(options: SidecarScanOptions): Promise<void> {
    this.#options = { ...options };
    return this.#wanted && this.#link.running() ? this.#sendStart() : Promise.resolve();
  }

  /**
   * Serial only: the ports named by user-config specifiers (`port` values other than
   * `"default"`), reported whenever they exist even if port listing cannot see them.
   */
  watchPorts(ports: readonly (SerialSpecifier | string)[]): Promise<void> {
    if (this.name !== "serial") {
      return Promise.reject(
        new ButtplugDeviceError(
          `watchPorts is for the serial manager, not ${this.name}`,
        ),
      );
    }
    const paths = [
      ...new Set(
        ports.map((p) => typeof p === "string" ? p : p.port).filter((p) => p && p !== "default"),
      ),
    ];
    return this.configure({ ...this.#options, ports: paths });
  }

  /**
   * Starts scanning. An unavailable transport does not throw: it logs the reason and reports
   * `scanningfinished` right away, so the device layer's "all managers finished" logic holds.
   * While the sidecar is restarting, the scan starts as soon as it is back.
   */
  async startScanning(): Promise<void> {
    if (this.#disposed) {
      throw new ButtplugDeviceError(`the ${this.name} manager is disposed`);
    }
    if (this.#wanted) return;
    const status = this.#link.status(this.name);
    if (!status.available) {
      this.#link.options.logger.warn(
        `sidecar: cannot scan ${this.name}: ${status.reason ?? "unavailable"}`,
      );
      queueMicrotask(() => this.dispatchEvent(new Event("scanningfinished")));
      return;
    }
    this.#wanted = true;
    // While the sidecar restarts the scan stays wanted and is sent once it says hello again.
    if (!this.#link.running()) return;
    try {
      await this.#sendStart();
    } catch (err) {
      this.#wanted = false;
      throw err;
    }
  }

  /** Stops scanning. */
  async stopScanning(): Promise<void> {
    if (!this.#wanted) return;
    this.#wanted = false;
    if (!this.#link.running()) return;
    try {
      await this.#link.request(
        "scan.stop",
        { transport: this.name },
        this.#link.options.requestTimeoutMs,
      );
    } catch (err) {
      if (
        !(err instanceof SidecarRequestError &&
          (err.reason === "not_running" || err.reason === "exited"))
      ) {
        throw err;
      }
    }
  }

  /**
   * Stops scanning and the reconnect watch; the sidecar process itself is owned by
   * {@linkcode SidecarProcess}.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopScanning().catch(() => {});
    this.#disposed = true;
    const watched = this.#reconnect?.addresses.length ?? 0;
    this.#reconnect?.[Symbol.dispose]();
    if (watched > 0 && this.#watchSupported && this.#link.running()) {
      await this.#link.request(
        "watch",
        { transport: this.name, addresses: [] },
        this.#link.options.requestTimeoutMs,
      ).catch(() => {});
    }
  }

  /** Sends the reconnect watch list (the whole list: the sidecar replaces its own). */
  #sendWatch(): void {
    const tracker = this.#reconnect;
    if (!tracker || this.#disposed || !this.#watchSupported || !this.#link.running()) return;
    this.#link.request(
      "watch",
      { transport: this.name, addresses: [...tracker.addresses] },
      this.#link.options.requestTimeoutMs,
    ).catch((err: Error) => {
      const log = this.#link.options.logger;
      const reason = err instanceof SidecarRequestError ? err.reason : "";
      if (reason === "unknown_method") {
        this.#watchSupported = false;
        log.warn(
          `sidecar: this sidecar has no BLE reconnect watch (an older version); dropped devices come back only by scanning`,
        );
      } else if (reason === "not_running" || reason === "exited") {
        log.debug(`sidecar: btle watch not sent (${err.message}); it is re-sent on restart`);
      } else {
        log.warn(`sidecar: updating the btle reconnect watch failed: ${err.message}`);
      }
    });
  }

  /** A btle device was connected through this manager: remember it (known device). */
  #track(address: string, hw: SidecarHardware): void {
    const tracker = this.#reconnect;
    if (!tracker) return;
    tracker.connected(address);
    hw.addEventListener("disconnected", () => {
      if (hw.disconnectRequested) tracker.forget(address, "disconnected on request");
      else tracker.lost(address, hw.name);
    }, { once: true });
  }

  /** The reconnect watch saw a known device that dropped: announce it unless backing off. */
  #onSighting(found: FoundParams): void {
    const tracker = this.#reconnect;
    if (!tracker) return;
    const { address } = found.advertisement;
    if (tracker.sighted(address) !== "attempt") return;
    let claimed = false;
    const connector = new SidecarConnector(found, this.#link, {
      reconnect: true,
      onConnecting: () => claimed = true,
      onFailed: (err) => tracker.failed(address, err),
      onConnected: (hw) => this.#track(address, hw),
    });
    this.dispatchEvent(new CustomEvent("found", { detail: connector }));
    if (!claimed) tracker.unclaimed(address);
  }

  #sendStart(): Promise<void> {
    return this.#link.request(
      "scan.start",
      scanStartParams(this.name, this.#options),
      this.#link.options.requestTimeoutMs,
    ).then(
      () => {},
    );
  }

  /** @internal A `found` event for this transport. */
  _found(found: FoundParams): void {
    if (this.#disposed) return;
    if (found.watched) return this.#onSighting(found); // the reconnect watch, scanning or not
    if (!this.#wanted) return; // late reports after stopScanning

    this.dispatchEvent(
      new CustomEvent("found", {
        detail: new SidecarConnector(
          found,
          this.#link,
          this.#reconnect
            ? { onConnected: (hw) => this.#track(found.advertisement.address, hw) }
            : undefined,
        ),
      }),
    );
  }

  /** @internal The sidecar ended a scan by itself (adapter off). */
  _scanFinished(): void {
    if (!this.#wanted) return;
    this.#wanted = false;
    this.dispatchEvent(new Event("scanningfinished"));
  }

  /** @internal A new process said hello: resume the reconnect watch and a wanted scan. */
  _resume(): void {
    if (this.#disposed) return;
    this.#watchSupported = true;
    if (this.reconnecting.length > 0) this.#sendWatch();
    if (!this.#wanted) return;
    if (!this.#link.status(this.name).available) {
      this._scanFinished();
      return;
    }
    this.#sendStart().catch((err: Error) => {
      this.#link.options.logger.warn(
        `sidecar: resuming the ${this.name} scan failed: ${err.message}`,
      );
    });
  }

  /** @internal The owning process is being disposed. */
  _disposed(): void {
    this.#wanted = false;
    this.#disposed = true;
    this.#reconnect?.[Symbol.dispose]();
  }
}
