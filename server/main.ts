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
import { type CliOptions, helpText, parseArgs } from "./cli.ts";
import {
  DeviceConfigError,
  type DeviceConfiguration,
  loadDeviceConfiguration,
} from "./devices/config.ts";
import type { DeviceManager } from "./devices/manager.ts";
import { listProtocols, type ProtocolInfo } from "./devices/protocol_registry.ts";
import { type DeviceSetup, setUpDevices, unknownSimulatedNames } from "./device_setup.ts";
import { createLogger, type Logger } from "./log.ts";
import { SERVER_VERSION } from "./status.ts";
import { type ButtplugWebSocketServer, serveWebSocket } from "./websocket.ts";
import { SimulatedDevice } from "../hardware/simulated.ts";

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
  for (const [flag, path] of configFiles(parsed)) {
    // The user config file may not exist yet: it is created when indexes are first saved.
    const problem = await unreadable(path, flag === "user-device-config-file");
    if (problem) {
      io.err(`error: --${flag} ${path}: ${problem}`);
      return 1;
    }
  }
  const logger = createLogger(parsed.logLevel, io.err);
  let config: DeviceConfiguration;
  try {
    config = await loadDeviceConfiguration({
      deviceConfigPath: parsed.deviceConfigFile,
      userConfigPath: parsed.userDeviceConfigFile,
      logger,
    });
  } catch (err) {
    if (!(err instanceof DeviceConfigError)) throw err;
    io.err(`error: invalid device configuration: ${err.message}`);
    return 1;
  }
  if (parsed.listProtocols) return printProtocols(listProtocols(config), parsed.json, io);
  const unknown = unknownSimulatedNames(parsed.simulate, config);
  if (unknown.length > 0) {
    io.err(
      `error: --simulate: unknown simulated device '${unknown[0]}' (use test-device or an ` +
        "advertised name of a configured device, e.g. LVS-Edge; see --list-protocols)",
    );
    return 2;
  }
  let devices: DeviceSetup;
  try {
    devices = await setUpDevices({ ...parsed, config, logger });
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    io.err(`error: device WebSocket port ${parsed.deviceWebSocketPort} is already in use`);
    return 1;
  }
  const { deviceManager } = devices;
  const transports = [...parsed.hardware, ...(parsed.lovenseDongleHid ? ["lovense dongle"] : [])];
  if (transports.length === 0) logger.info("hardware transports: none (--no-hardware)");
  else logger.info(`hardware transports: ${transports.join(", ")} (starting the sidecar)`);

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
    await devices[Symbol.asyncDispose]();
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
  await devices[Symbol.asyncDispose]();
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
async function unreadable(path: string, missingOk = false): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return "not a file";
    using _file = await Deno.open(path, { read: true });
    return undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return missingOk ? undefined : "no such file";
    if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
    return message(err);
  }
}

/** `--list-protocols [--json]`: every protocol of the configuration and whether it works here. */
function printProtocols(rows: readonly ProtocolInfo[], json: boolean, io: MainIo): number {
  if (json) {
    io.out(JSON.stringify(rows));
    return 0;
  }
  const width = Math.max(...rows.map((r) => r.id.length)) + 2;
  const transportsWidth = Math.max(...rows.map((r) => r.transports.join(",").length)) + 2;
  for (const row of rows) {
    const status = row.implemented ? "supported" : `unsupported: ${row.reason}`;
    io.out(`${row.id.padEnd(width)}${row.transports.join(",").padEnd(transportsWidth)}${status}`);
  }
  const supported = rows.filter((r) => r.implemented).length;
  io.out(`${supported} of ${rows.length} protocols supported`);
  return 0;
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
