/**
 * What the parts of the sidecar bridge share: the process options with their defaults applied,
 * and the {@linkcode SidecarLink} through which managers, connectors and hardware objects reach
 * the process that owns them.
 *
 * @module
 */
import { type Clock, systemClock } from "../protocol/clock.ts";
import { type Logger, silentLogger } from "../server/log.ts";
import { type ReconnectOptions, resolveReconnectOptions } from "./reconnect_tracker.ts";
import type { SidecarHardware } from "./_sidecar_hardware.ts";
import {
  SIDECAR_TRANSPORTS,
  type SidecarProcessOptions,
  type SidecarTransport,
  type TransportStatus,
} from "./_sidecar_types.ts";
import type { Json } from "./_sidecar_wire.ts";

/** Internal link used by managers, connectors and hardware objects. */
export interface SidecarLink {
  /** The process options, defaults applied. */
  readonly options: ResolvedOptions;
  /** Sends a request; `handle` ties it to a device (failed when that device disconnects). */
  request(
    method: string,
    params: Json,
    timeoutMs: number,
    handle?: string,
  ): Promise<unknown>;
  /** A device was connected: route its notifications and disconnect events to it. */
  register(hw: SidecarHardware): void;
  /** A device is gone: stop routing to it. */
  unregister(hw: SidecarHardware): void;
  /** Whether a sidecar process is up and has said hello. */
  running(): boolean;
  /** Availability of one transport. */
  status(transport: SidecarTransport): TransportStatus;
}

/** {@linkcode SidecarProcessOptions} with the defaults applied (each field as documented there). */
export interface ResolvedOptions {
  readonly script: string;
  readonly nodePath: string;
  readonly transports: readonly SidecarTransport[];
  readonly bleAdapter?: string;
  readonly bleRequiresKeepalive: boolean;
  readonly bleReconnect?: Readonly<Required<ReconnectOptions>>;
  readonly env: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly helloTimeoutMs: number;
  readonly restart: boolean;
  readonly restartDelayMs: number;
  readonly restartMaxDelayMs: number;
  readonly restartResetAfterMs: number;
  readonly shutdownGraceMs: number;
}

/** Applies the defaults of {@linkcode SidecarProcessOptions}; `script` is the `main.mjs` to run. */
export function resolveOptions(
  options: SidecarProcessOptions,
  script: string,
): ResolvedOptions {
  return {
    script,
    nodePath: options.nodePath ?? "node",
    transports: options.transports ?? SIDECAR_TRANSPORTS,
    bleAdapter: options.bleAdapter,
    bleRequiresKeepalive: options.bleRequiresKeepalive ?? false,
    bleReconnect: options.bleReconnect === false
      ? undefined
      : resolveReconnectOptions(options.bleReconnect),
    env: options.env ?? {},
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    helloTimeoutMs: options.helloTimeoutMs ?? 20_000,
    restart: options.restart ?? true,
    restartDelayMs: options.restartDelayMs ?? 500,
    restartMaxDelayMs: options.restartMaxDelayMs ?? 30_000,
    restartResetAfterMs: options.restartResetAfterMs ?? 60_000,
    shutdownGraceMs: options.shutdownGraceMs ?? 3000,
  };
}
