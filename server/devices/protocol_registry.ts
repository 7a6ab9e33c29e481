/**
 * The protocol registry: protocol implementations by config id, and the report of which config
 * protocols are implemented (`listProtocols`).
 *
 * Implementations are registered by one `export { x } from "./x.ts";` line each in
 * `protocols/mod.ts`; every export of that module that looks like a
 * {@linkcode ProtocolImplementation} is picked up here.
 *
 * @module
 */
import * as registered from "./protocols/mod.ts";
import type { ProtocolImplementation } from "./protocol.ts";
import { defaultDeviceConfiguration, type DeviceConfiguration } from "./config.ts";

/**
 * Config protocols with no upstream implementation (DEVICES.md §3.8): they match devices but
 * can never be driven, so they are reported with this reason instead of "not implemented yet".
 */
export const CONFIG_ONLY_PROTOCOLS: Readonly<Record<string, string>> = {
  "libo-karen":
    "config-only upstream: the config declares no outputs or inputs, and no public encoding of its pressure sensor exists (DEVICES.md §3.8)",
  "realtouch":
    "config-only upstream: no public mapping from positions to RealTouch belt commands exists (DEVICES.md §3.8)",
  "twerkingbutt":
    "config-only upstream: the config declares no features, so there is nothing to command (DEVICES.md §3.8)",
  "xinput":
    "XInput is a Windows-only API: no XInput transport exists on Linux/macOS or in the Node sidecar (DEVICES.md §4.8)",
};

/** Whether a value is a {@linkcode ProtocolImplementation}. */
export function isProtocolImplementation(value: unknown): value is ProtocolImplementation {
  return typeof value === "object" && value !== null &&
    typeof (value as ProtocolImplementation).id === "string" &&
    typeof (value as ProtocolImplementation).initialize === "function";
}

/**
 * Protocol implementations by id.
 *
 * @example
 * ```ts
 * import { defaultProtocolRegistry } from "./protocol_registry.ts";
 * console.assert(defaultProtocolRegistry().has("lovense"));
 * ```
 */
export class ProtocolRegistry {
  readonly #impls = new Map<string, ProtocolImplementation>();

  /**
   * Registers every implementation.
   *
   * @throws {Error} when two implementations share an id (a programming error).
   */
  constructor(implementations: Iterable<ProtocolImplementation>) {
    for (const impl of implementations) {
      if (this.#impls.has(impl.id)) throw new Error(`protocol "${impl.id}" registered twice`);
      this.#impls.set(impl.id, impl);
    }
  }

  /** The implementation for `id`. */
  get(id: string): ProtocolImplementation | undefined {
    return this.#impls.get(id);
  }

  /** Whether `id` is implemented. */
  has(id: string): boolean {
    return this.#impls.has(id);
  }

  /** Implemented ids, sorted. */
  get ids(): string[] {
    return [...this.#impls.keys()].sort();
  }
}

let cached: ProtocolRegistry | undefined;

/** The registry of everything exported by `protocols/mod.ts`. */
export function defaultProtocolRegistry(): ProtocolRegistry {
  cached ??= new ProtocolRegistry(Object.values(registered).filter(isProtocolImplementation));
  return cached;
}

/** One row of {@linkcode listProtocols}. */
export interface ProtocolInfo {
  /** Protocol id. */
  readonly id: string;
  /** Transports the config lists for it (`btle`, `serial`, ...). */
  readonly transports: readonly string[];
  /** Whether an implementation is registered. */
  readonly implemented: boolean;
  /** Why not, when not implemented. */
  readonly reason?: string;
}

/**
 * Every protocol of the configuration (and every registered one), with whether it is
 * implemented and, if not, why. Sorted by id.
 *
 * @example
 * ```ts
 * import { listProtocols } from "./protocol_registry.ts";
 * const rows = listProtocols();
 * console.assert(rows.find((r) => r.id === "lovense")?.implemented === true);
 * console.assert(rows.find((r) => r.id === "muse")?.reason !== undefined);
 * ```
 */
export function listProtocols(
  config: DeviceConfiguration = defaultDeviceConfiguration(),
  registry: ProtocolRegistry = defaultProtocolRegistry(),
): ProtocolInfo[] {
  const ids = new Set([...config.protocolIds, ...registry.ids]);
  return [...ids].sort().map((id) => {
    const transports = config.transports(id);
    if (registry.has(id)) return { id, transports, implemented: true };
    return {
      id,
      transports,
      implemented: false,
      reason: CONFIG_ONLY_PROTOCOLS[id] ?? "not implemented yet",
    };
  });
}
