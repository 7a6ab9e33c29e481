/**
 * `deno task start`: the Intiface-Engine-compatible server command line.
 *
 * Parses the flags (server/cli.ts), connects the simulated devices asked for, serves Buttplug
 * over WebSocket (server/websocket.ts) and, on SIGINT/SIGTERM, stops every device, closes the
 * client with a reason and exits 0. Exit codes: 0 done, 1 cannot start (port in use, unreadable
 * file), 2 bad command line.
 *
 * @example
 * ```sh
 * deno task start --websocket-port 12345 --simulate test-device --log debug
 * ```
 *
 * @module
 */
import { ALL_HARDWARE_TRANSPORTS, type CliOptions, helpText, parseArgs } from "./cli.ts";
import { DeviceManager } from "./devices/manager.ts";
import { createLogger, type Logger } from "./log.ts";
import { SERVER_VERSION } from "./status.ts";
import { type ButtplugWebSocketServer, serveWebSocket } from "./websocket.ts";
import { createTestDevice, SimulatedDevice } from "../hardware/simulated.ts";
import type { DeviceBackend } from "../hardware/mod.ts";

/**
 * Simulated devices `--simulate` knows, by name. The factory gets the ordinal of the device
 * among those of the same name, so repeated names give distinct devices (own address and index).
 */
export const SIMULATED_DEVICES: Readonly<Record<string, (ordinal: number) => DeviceBackend>> = {
  // The conformance fixture: "Test Device" at address SIM-0001 (then SIM-0002, ...).
  "test-device": (ordinal) =>
    createTestDevice({ address: `SIM-${String(ordinal + 1).padStart(4, "0")}` }),
};

/** Where {@linkcode main} writes; defaults to the process's stdout/stderr. */
export interface MainIo {
  /** One line of normal output (help, version). */
  readonly out: (line: string) => void;
  /** One line of diagnostics (errors, logs). */
  readonly err: (line: string) => void;
  /**
   * Resolves with a signal name when the server should stop (default: the first SIGINT or
   * SIGTERM received by the process).
   */
  readonly stopSignal?: () => { promise: Promise<string>; dispose(): void };
}

const defaultIo: MainIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/**
 * Runs the server command line and resolves with the process exit code.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--websocket-port", "0", "--simulate", "test-device"]));
 * ```
 */
export async function main(args: readonly string[], io: MainIo = defaultIo): Promise<number> {
  const parsed = parseArgs(args);
  if ("error" in parsed) {
    io.err(`error: ${parsed.error}`);
    return 2;
  }
  if (parsed.help) {
    io.out(helpText());
    return 0;
  }
  if (parsed.version) {
    io.out(`deno-buttplug ${SERVER_VERSION} (Buttplug spec v0-v4)`);
    return 0;
  }
  const unknown = parsed.simulate.filter((name) => !(name in SIMULATED_DEVICES));
  if (unknown.length > 0) {
    io.err(
      `error: --simulate: unknown simulated device '${unknown[0]}' (known: ${
        Object.keys(SIMULATED_DEVICES).join(", ")
      })`,
    );
    return 2;
  }
  for (const [flag, path] of configFiles(parsed)) {
    const problem = await unreadable(path);
    if (problem) {
      io.err(`error: --${flag} ${path}: ${problem}`);
      return 1;
    }
  }

  const logger = createLogger(parsed.logLevel, io.err);
  const deviceManager = new DeviceManager();
  reportUnwiredOptions(parsed, logger);
  const ordinals = new Map<string, number>();
  for (const name of parsed.simulate) {
    const ordinal = ordinals.get(name) ?? 0;
    ordinals.set(name, ordinal + 1);
    const device = SIMULATED_DEVICES[name](ordinal);
    const index = deviceManager.add(device);
    logger.info(`simulated device ${index} "${device.name}" connected (${name})`);
  }

  // Listen for signals before announcing the address, so a signal right after is handled.
  const stop = (io.stopSignal ?? processStopSignal)();
  let server: ButtplugWebSocketServer;
  try {
    server = serveWebSocket({
      deviceManager,
      hostname: parsed.hostname,
      port: parsed.port,
      ...(parsed.serverName === undefined ? {} : { serverName: parsed.serverName }),
      maxPingTime: parsed.maxPingTime,
      ...(parsed.handshakeTimeout === undefined
        ? {}
        : { handshakeTimeout: parsed.handshakeTimeout }),
      logger,
    });
  } catch (err) {
    stop.dispose();
    await deviceManager[Symbol.asyncDispose]();
    if (err instanceof Deno.errors.AddrInUse) {
      io.err(`error: port ${parsed.port} on ${parsed.hostname} is already in use`);
    } else if (err instanceof Deno.errors.PermissionDenied) {
      io.err(`error: not allowed to listen on ${parsed.hostname}:${parsed.port}: ${message(err)}`);
    } else {
      io.err(`error: cannot listen on ${parsed.hostname}:${parsed.port}: ${message(err)}`);
    }
    return 1;
  }
  logger.info(`deno-buttplug ${SERVER_VERSION} listening on ${server.url}`);

  const signal = await stop.promise;
  stop.dispose();
  logger.info(`received ${signal}: stopping every device and disconnecting the client`);
  logSimulatedOutputs(deviceManager, logger, "before stop");
  await server.shutdown(`server shutting down (${signal})`);
  try {
    await deviceManager.stopAll();
    logger.info("every device stopped");
  } catch (err) {
    logger.error(`some devices failed to stop: ${message(err)}`);
  }
  logSimulatedOutputs(deviceManager, logger, "after stop");
  await deviceManager[Symbol.asyncDispose]();
  logger.info("server stopped");
  return 0;
}

function configFiles(options: CliOptions): [string, string][] {
  const files: [string, string][] = [];
  if (options.deviceConfigFile !== undefined) {
    files.push(["device-config-file", options.deviceConfigFile]);
  }
  if (options.userDeviceConfigFile !== undefined) {
    files.push(["user-device-config-file", options.userDeviceConfigFile]);
  }
  return files;
}

/** Why `path` cannot be read as a file, or undefined when it can. */
async function unreadable(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return "not a file";
    using _file = await Deno.open(path, { read: true });
    return undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "no such file";
    if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
    return message(err);
  }
}

/** Says which accepted options have no effect yet in this build. */
function reportUnwiredOptions(options: CliOptions, logger: Logger): void {
  for (const [flag, path] of configFiles(options)) {
    logger.warn(
      `--${flag} ${path}: file is readable; it will be used once the device configuration ` +
        "loader is wired in (this build uses the built-in configuration)",
    );
  }
  if (options.hardware.length === 0) {
    logger.info("hardware transports: none (--no-hardware)");
  } else {
    const all = options.hardware.length === ALL_HARDWARE_TRANSPORTS.length;
    logger.warn(
      `hardware transports ${options.hardware.join(", ")}${all ? " (default: all)" : ""} ` +
        "requested, but the hardware sidecar is not wired into this build yet: only simulated " +
        "devices (--simulate) are available",
    );
  }
}

/** Logs the output values of every simulated device (what a real toy would be doing). */
function logSimulatedOutputs(manager: DeviceManager, logger: Logger, when: string): void {
  for (const [index, device] of manager.devices) {
    if (!(device instanceof SimulatedDevice)) continue;
    const values: string[] = [];
    for (const [featureIndex, byType] of device.outputs) {
      for (const [type, value] of byType) values.push(`${featureIndex}.${type}=${value.Value}`);
    }
    logger.info(
      `simulated device ${index} "${device.name}" outputs ${when}: ${
        values.join(" ") || "none set"
      }`,
    );
  }
}

/** The first SIGINT or SIGTERM of the process. */
function processStopSignal(): { promise: Promise<string>; dispose(): void } {
  const { promise, resolve } = Promise.withResolvers<string>();
  const listeners: [Deno.Signal, () => void][] = [];
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  for (const sig of signals) {
    const listener = () => resolve(sig);
    Deno.addSignalListener(sig, listener);
    listeners.push([sig, listener]);
  }
  return {
    promise,
    dispose() {
      for (const [sig, listener] of listeners) Deno.removeSignalListener(sig, listener);
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
