/**
 * The public vocabulary of the hardware sidecar bridge: its transports, the `hello` and `exit`
 * details, the events of a {@linkcode SidecarProcess}, and the options of
 * {@linkcode SidecarProcess.start} and of a manager's scan. Re-exported by `hardware/sidecar.ts`.
 *
 * @module
 */
import type { Clock } from "../protocol/clock.ts";
import type { Logger } from "../server/log.ts";
import type { ReconnectOptions } from "./reconnect_tracker.ts";

/** The transports the sidecar serves. */
export type SidecarTransport = "btle" | "serial" | "hid" | "usb";

/** Every sidecar transport, in a stable order. */
export const SIDECAR_TRANSPORTS: readonly SidecarTransport[] = [
  "btle",
  "serial",
  "hid",
  "usb",
];

/** Wire protocol version this bridge speaks (must equal the sidecar's `hello.protocol`). */
export const SIDECAR_PROTOCOL_VERSION = 1;

/** Availability of one transport, with the reason when it is unavailable or limited. */
export interface TransportStatus {
  /** Whether the transport can be used. */
  readonly available: boolean;
  /** Why not (or what is limited, e.g. serial listing without udevadm). */
  readonly reason?: string;
}

/** The sidecar's `hello` event. */
export interface SidecarHello {
  /** Wire protocol version. */
  readonly protocol: number;
  /** Sidecar package version. */
  readonly version: string;
  /** Node.js version running it. */
  readonly node: string;
  /** `process.platform` of Node. */
  readonly platform: string;
  /** Process id. */
  readonly pid: number;
  /** Availability of each transport. */
  readonly transports: Readonly<Record<SidecarTransport, TransportStatus>>;
}

/** Detail of the `exit` event. */
export interface SidecarExit {
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  /** Signal that ended it, if any. */
  readonly signal: string | null;
  /** True when the exit was requested (dispose); false for a crash. */
  readonly expected: boolean;
  /** When a restart is scheduled: its delay in ms. */
  readonly restartInMs?: number;
}

/** Detail of the `transport` event: a transport's availability changed. */
export interface TransportStatusChange extends TransportStatus {
  /** Which transport. */
  readonly transport: SidecarTransport;
}

/** Events of a {@linkcode SidecarProcess}. */
export interface SidecarProcessEventMap {
  /** The sidecar said hello (first start and every restart). */
  ready: CustomEvent<SidecarHello>;
  /** The sidecar process ended. */
  exit: CustomEvent<SidecarExit>;
  /** A restart attempt failed to spawn or to say hello (the next one is scheduled). */
  restartfailed: CustomEvent<
    { readonly error: Error; readonly restartInMs?: number }
  >;
  /** A transport's availability changed (e.g. Bluetooth adapter powered on/off). */
  transport: CustomEvent<TransportStatusChange>;
}

/** Options of {@linkcode SidecarProcess.start}. */
export interface SidecarProcessOptions {
  /** Path of `main.mjs`; default: installed on first use by {@linkcode ensureSidecar}. */
  readonly script?: string;
  /** Node executable (default `node` from PATH). */
  readonly nodePath?: string;
  /** Transports to load (default all; the others report "not enabled"). */
  readonly transports?: readonly SidecarTransport[];
  /** Bluetooth adapter, e.g. `hci1` (default: noble's default adapter). */
  readonly bleAdapter?: string;
  /** Whether BLE hardware asks the device task for keepalive traffic (default false). */
  readonly bleRequiresKeepalive?: boolean;
  /**
   * Automatic reconnect of BLE devices that drop unexpectedly: backoff settings (defaults: first
   * retry after 1 s, doubling up to 30 s, give up after 10 minutes), or `false` to turn it off.
   */
  readonly bleReconnect?: ReconnectOptions | false;
  /** Extra environment for the Node process. */
  readonly env?: Readonly<Record<string, string>>;
  /** Time source for timeouts and restart backoff (default: the system clock). */
  readonly clock?: Clock;
  /** Where bridge and sidecar logs go (default: silent). */
  readonly logger?: Logger;
  /** Deadline of a request beyond its own operation timeout, in ms (default 10000). */
  readonly requestTimeoutMs?: number;
  /** Connect deadline handed to the sidecar, in ms (default 10000). */
  readonly connectTimeoutMs?: number;
  /** How long to wait for `hello` after spawning, in ms (default 20000). */
  readonly helloTimeoutMs?: number;
  /** Restart the sidecar when it dies (default true). */
  readonly restart?: boolean;
  /** First restart delay in ms (default 500); doubles per failed attempt. */
  readonly restartDelayMs?: number;
  /** Longest restart delay in ms (default 30000). */
  readonly restartMaxDelayMs?: number;
  /** A process that ran this long (ms) before dying restarts with the first delay again (default 60000). */
  readonly restartResetAfterMs?: number;
  /** Grace period between closing stdin and killing the process on dispose, in ms (default 3000). */
  readonly shutdownGraceMs?: number;
  /** Disposes the process when aborted. */
  readonly signal?: AbortSignal;
  /** Progress line sink for the first-use npm install (default stderr). */
  readonly installProgress?: (line: string) => void;
}

/** Scan options of a {@linkcode SidecarHardwareManager} (each field applies to one transport). */
export interface SidecarScanOptions {
  /** btle: report only advertisements whose name matches one of these (trailing `*` = prefix)... */
  readonly names?: readonly string[];
  /** btle: ...or that advertise one of these services... */
  readonly services?: readonly string[];
  /** btle: ...or carry manufacturer data of one of these companies. No filter: everything. */
  readonly companies?: readonly number[];
  /** serial: port paths to report whenever they exist, even if port listing cannot see them. */
  readonly ports?: readonly string[];
  /**
   * hid/usb: report only these vendor/product ids (none: hid every device with a serial number,
   * usb every device that is not a hub).
   */
  readonly pairs?: readonly {
    readonly vendorId: number;
    readonly productId: number;
  }[];
  /** serial/hid: pause between polls in ms (defaults 5000 / 1000, as upstream). */
  readonly intervalMs?: number;
}
