/**
 * {@linkcode ProtocolDeviceSource}: the discovery pipeline from hardware managers to ready
 * devices (DEVICES.md §1.6): found → allow/deny → already connected/connecting? → protocol
 * candidates → connect → identify → definition lookup → initialize → {@linkcode ProtocolDevice}
 * announced to the {@linkcode DeviceManager}.
 *
 * @module
 */
import type { Clock } from "../../protocol/clock.ts";
import { systemClock } from "../../protocol/clock.ts";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import { TypedEventTarget } from "../../protocol/typed_event_target.ts";
import type { Hardware, HardwareConnector, HardwareManager } from "../../hardware/mod.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import {
  defaultDeviceConfiguration,
  type DeviceConfiguration,
  type ProtocolCandidate,
} from "./config.ts";
import { DeviceContext } from "./context.ts";
import { ProtocolDevice } from "./device.ts";
import type { DeviceSource, DeviceSourceEventMap } from "./manager.ts";
import type { Identification } from "./protocol.ts";
import { defaultProtocolRegistry, type ProtocolRegistry } from "./protocol_registry.ts";

/** Options of a {@linkcode ProtocolDeviceSource}. */
export interface ProtocolDeviceSourceOptions {
  /** Transports to find hardware on; the source owns (and disposes) them. */
  readonly managers: readonly HardwareManager[];
  /** Device configuration (default: embedded base config only). */
  readonly config?: DeviceConfiguration;
  /** Protocol implementations (default: everything in `protocols/mod.ts`). */
  readonly protocols?: ProtocolRegistry;
  /** Clock for identify/initialize waits, pacing and keepalives. */
  readonly clock?: Clock;
  /** Log sink. */
  readonly logger?: Logger;
  /** Name for logs (default `protocol devices`). */
  readonly name?: string;
}

/**
 * Turns hardware found by {@linkcode HardwareManager}s into {@linkcode ProtocolDevice}s.
 *
 * @example
 * ```ts ignore
 * const source = new ProtocolDeviceSource({ managers: [bleManager], config, logger });
 * const manager = new DeviceManager({ reservedIndexes: config.reservedIndexes() });
 * manager.addSource(source);
 * await manager.startScanning();
 * ```
 */
export class ProtocolDeviceSource extends TypedEventTarget<DeviceSourceEventMap>
  implements DeviceSource, AsyncDisposable {
  /** Name for logs. */
  readonly name: string;
  readonly #managers: readonly HardwareManager[];
  readonly #config: DeviceConfiguration;
  readonly #protocols: ProtocolRegistry;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #connecting = new Map<string, DeviceContext | undefined>();
  readonly #connected = new Map<string, ProtocolDevice>();
  readonly #attempts = new Set<Promise<void>>();
  readonly #warnedUnimplemented = new Set<string>();
  readonly #detach: (() => void)[] = [];
  #closed = false;

  /** Creates the source and listens to every manager. */
  constructor(options: ProtocolDeviceSourceOptions) {
    super();
    this.name = options.name ?? "protocol devices";
    this.#managers = options.managers;
    this.#config = options.config ?? defaultDeviceConfiguration();
    this.#protocols = options.protocols ?? defaultProtocolRegistry();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    for (const m of this.#managers) {
      const onFound = (e: CustomEvent<HardwareConnector>) => this.#onFound(e.detail);
      const onFinished = () => {
        if (!this.scanning) this.dispatchEvent(new Event("scanningfinished"));
      };
      m.addEventListener("found", onFound);
      m.addEventListener("scanningfinished", onFinished);
      this.#detach.push(() => {
        m.removeEventListener("found", onFound);
        m.removeEventListener("scanningfinished", onFinished);
      });
    }
  }

  /** Whether any manager is scanning. */
  get scanning(): boolean {
    return this.#managers.some((m) => m.scanning);
  }

  /** Connected devices by hardware address. */
  get devices(): ReadonlyMap<string, ProtocolDevice> {
    return this.#connected;
  }

  /** Starts scanning on every manager. */
  async startScanning(): Promise<void> {
    if (this.#closed) return;
    await Promise.all(this.#managers.map((m) => m.startScanning()));
  }

  /** Stops scanning on every manager. */
  async stopScanning(): Promise<void> {
    await Promise.all(this.#managers.map((m) => m.stopScanning()));
  }

  /** Resolves when no connection attempt is in progress (tests). */
  async settled(): Promise<void> {
    while (this.#attempts.size > 0) await Promise.allSettled([...this.#attempts]);
  }

  #onFound(connector: HardwareConnector): void {
    if (this.#closed) return;
    const adv = connector.advertisement;
    const address = adv.address;
    if (!this.#config.isAllowed(address)) {
      this.#logger.debug(`${adv.transport} ${adv.name} (${address}) ignored by allow/deny list`);
      return;
    }
    if (this.#connected.has(address) || this.#connecting.has(address)) return;
    const candidates = this.#config.candidates(adv).filter((c) => {
      if (this.#protocols.has(c.protocol)) return true;
      if (!this.#warnedUnimplemented.has(c.protocol)) {
        this.#warnedUnimplemented.add(c.protocol);
        this.#logger.warn(
          `${adv.name} (${address}) matches protocol "${c.protocol}", which has no implementation`,
        );
      }
      return false;
    });
    if (candidates.length === 0) return;
    this.#connecting.set(address, undefined);
    const attempt = this.#connect(connector, candidates)
      .catch((err) => this.#logger.warn(`${adv.name} (${address}): ${(err as Error).message}`))
      .finally(() => {
        this.#connecting.delete(address);
        this.#attempts.delete(attempt);
      });
    this.#attempts.add(attempt);
  }

  async #connect(connector: HardwareConnector, candidates: ProtocolCandidate[]): Promise<void> {
    const adv = connector.advertisement;
    let hardware: Hardware | undefined;
    let candidate: ProtocolCandidate | undefined;
    let lastError: unknown;
    for (const c of candidates) {
      try {
        hardware = await connector.connect(c.specifier);
        candidate = c;
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (!hardware || !candidate) {
      throw new ButtplugDeviceError(
        `cannot connect: ${(lastError as Error)?.message ?? "no candidate connected"}`,
      );
    }
    const context = new DeviceContext(hardware, this.#clock);
    this.#connecting.set(adv.address, context);
    try {
      if (this.#closed) throw new ButtplugDeviceError("device source closed");
      const impl = this.#protocols.get(candidate.protocol)!;
      const identification: Identification = impl.identify
        ? await impl.identify(context, adv)
        : { identifier: hardware.name };
      const protocol = identification.protocol ?? impl.id;
      const ident = {
        address: hardware.address,
        protocol,
        ...(identification.identifier !== undefined
          ? { identifier: identification.identifier }
          : {}),
      };
      const resolved = this.#config.resolve(ident);
      if (!resolved) {
        throw new ButtplugDeviceError(
          `no device definition for protocol "${protocol}" identifier ${
            JSON.stringify(identification.identifier ?? null)
          }`,
        );
      }
      const handler = identification.initialize
        ? await identification.initialize(context, resolved.definition)
        : await (this.#protocols.get(protocol) ?? impl).initialize(context, resolved.definition);
      if (this.#closed || context.signal.aborted) {
        throw new ButtplugDeviceError("device went away during initialization");
      }
      const device = new ProtocolDevice({
        definition: resolved.definition,
        handler,
        context,
        identity: resolved.identity,
        logger: this.#logger,
      });
      this.#connected.set(adv.address, device);
      device.addEventListener("disconnected", () => {
        if (this.#connected.get(adv.address) === device) this.#connected.delete(adv.address);
      }, { once: true });
      // The registry logs the arrival (with its index) at info; this adds how it was reached.
      this.#logger.debug(
        `device connected: ${device.name} (${protocol}, ${hardware.address}) via ${adv.transport}`,
      );
      this.dispatchEvent(
        new CustomEvent("device", {
          detail: {
            device,
            ...(resolved.reservedIndex !== undefined
              ? { reservedIndex: resolved.reservedIndex }
              : {}),
          },
        }),
      );
    } catch (err) {
      context[Symbol.dispose]();
      await hardware.disconnect().catch(() => {});
      throw err;
    }
  }

  /** Stops scanning, aborts connection attempts, disconnects devices and disposes managers. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.stopScanning().catch(() => {});
    for (const ctx of this.#connecting.values()) ctx?.abort();
    await this.settled();
    for (const device of [...this.#connected.values()]) await device.disconnect().catch(() => {});
    this.#connected.clear();
    for (const d of this.#detach) d();
    for (const m of this.#managers) await m[Symbol.asyncDispose]().catch(() => {});
  }
}
