/**
 * Command-line flags of `deno task start` (Intiface-Engine compatible), parsed by a pure
 * function so they can be tested without starting anything.
 *
 * @module
 */
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import { DEFAULT_DEVICE_WEBSOCKET_PORT } from "../hardware/websocket_devices.ts";
import { DEFAULT_HOSTNAME, DEFAULT_WEBSOCKET_PORT } from "./websocket.ts";

/** Hardware transports the server can drive. */
export type HardwareTransport = "btle" | "serial" | "hid" | "usb";

/** Every hardware transport, enabled when no `--use-*` flag is given. */
export const ALL_HARDWARE_TRANSPORTS: readonly HardwareTransport[] = [
  "btle",
  "serial",
  "hid",
  "usb",
];

/** Options of the server command line, after parsing. */
export interface CliOptions {
  /** `--help`: print the usage and exit. */
  readonly help: boolean;
  /** `--version`: print the version and exit. */
  readonly version: boolean;
  /** `--websocket-port` (default 12345; 0 picks a free port). */
  readonly port: number;
  /** `127.0.0.1`, or `0.0.0.0` with `--websocket-use-all-interfaces`. */
  readonly hostname: string;
  /** `--server-name` (undefined: the server default). */
  readonly serverName?: string;
  /** `--max-ping-time` in ms (default 0: off). */
  readonly maxPingTime: number;
  /** `--handshake-timeout` in ms (undefined: the session default). */
  readonly handshakeTimeout?: number;
  /** `--device-config-file`. */
  readonly deviceConfigFile?: string;
  /** `--user-device-config-file`. */
  readonly userDeviceConfigFile?: string;
  /** Hardware transports to use (all unless `--use-*` picks some; none with `--no-hardware`). */
  readonly hardware: readonly HardwareTransport[];
  /** `--simulate`: simulated device names to connect at start. */
  readonly simulate: readonly string[];
  /** `--log` level (default `info`). */
  readonly logLevel: LogLevel;
  /** `--node-path`: Node executable for the hardware sidecar (default `node` from PATH). */
  readonly nodePath?: string;
  /** `--ble-adapter`: Bluetooth adapter for the sidecar, e.g. `hci1`. */
  readonly bleAdapter?: string;
  /** `--list-protocols`: print every protocol and whether it is implemented, then exit. */
  readonly listProtocols: boolean;
  /** `--json`: machine-readable output for `--list-protocols`. */
  readonly json: boolean;
  /**
   * `--use-device-websocket-server`: port of the WebSocket server for simulated/DIY devices
   * (`--device-websocket-server-port`, default 54817); undefined when off.
   */
  readonly deviceWebSocketPort?: number;
  /** `--use-lovense-connect`: find toys through the Lovense Connect app (opt-in: network). */
  readonly lovenseConnect: boolean;
  /** `--lovense-connect-host` (repeatable): Lovense Connect app addresses, skipping the lookup. */
  readonly lovenseConnectHosts: readonly string[];
  /** `--use-lovense-dongle-hid`: find Lovense toys through Lovense's USB Bluetooth dongle. */
  readonly lovenseDongleHid: boolean;
}

/** A command-line error: one line for stderr (exit code 2). */
export interface CliError {
  /** What was wrong, e.g. `unknown flag --foo`. */
  readonly error: string;
}

/** Name and one-line help of each flag, in help order. */
interface FlagSpec {
  readonly name: string;
  readonly value?: string;
  readonly help: string;
}

const FLAGS: readonly FlagSpec[] = [
  { name: "websocket-port", value: "N", help: "WebSocket port to listen on (default 12345)." },
  {
    name: "websocket-use-all-interfaces",
    help: "Listen on every interface (0.0.0.0) instead of 127.0.0.1 only.",
  },
  {
    name: "server-name",
    value: "NAME",
    help: "ServerName sent to clients (default deno-buttplug).",
  },
  {
    name: "max-ping-time",
    value: "MS",
    help: "Clients must Ping within MS milliseconds or every device stops (default 0 = off).",
  },
  {
    name: "handshake-timeout",
    value: "MS",
    help: "Drop a client that has not sent RequestServerInfo after MS milliseconds.",
  },
  {
    name: "device-config-file",
    value: "PATH",
    help: "Device configuration (v4 JSON) to use instead of the built-in one.",
  },
  {
    name: "user-device-config-file",
    value: "PATH",
    help: "User device configuration (v4 JSON): reserved indexes, display names, allow/deny.",
  },
  {
    name: "use-bluetooth-le",
    help: "Use Bluetooth LE devices. With none of the --use-* flags every transport is on.",
  },
  { name: "use-serial", help: "Use serial port devices." },
  { name: "use-hid", help: "Use HID devices." },
  { name: "use-usb", help: "Use raw (non-HID) USB devices, such as the Rez TranceVibrator." },
  {
    name: "use-lovense-dongle-hid",
    help: "Find Lovense toys through Lovense's USB Bluetooth dongle (HID 1915:520A).",
  },
  { name: "no-hardware", help: "Use no hardware transport at all (simulated devices only)." },
  {
    name: "node-path",
    value: "PATH",
    help: "Node.js executable for the hardware sidecar (default: node from PATH).",
  },
  { name: "ble-adapter", value: "NAME", help: "Bluetooth adapter to use, e.g. hci1." },
  {
    name: "use-device-websocket-server",
    help: "Accept simulated/DIY devices over WebSocket (ws://127.0.0.1:54817 by default).",
  },
  {
    name: "device-websocket-server-port",
    value: "N",
    help: "Port of the device WebSocket server (default 54817; implies the flag above).",
  },
  {
    name: "use-lovense-connect",
    help: "Find toys through the Lovense Connect app (asks api.lovense.com for its address).",
  },
  {
    name: "lovense-connect-host",
    value: "URL",
    help: "Lovense Connect app address, e.g. http://192.168.1.5:20010 (repeatable; implies " +
      "--use-lovense-connect, no Internet lookup).",
  },
  {
    name: "simulate",
    value: "LIST",
    help: "Comma-separated simulated devices connected at start: test-device (the test " +
      "fixture) or an advertised name such as LVS-Edge, 4plus, SF Double Desire, CycSA.",
  },
  {
    name: "list-protocols",
    help: "Print every device protocol, its transports and whether it is supported, then exit.",
  },
  { name: "json", help: "With --list-protocols: print a JSON array instead of a table." },
  {
    name: "log",
    value: "LEVEL",
    help: `Log level: ${LOG_LEVELS.join(", ")} (default info). Logs go to stderr.`,
  },
  { name: "help", help: "Print this help and exit." },
  { name: "version", help: "Print the version and exit." },
];

/**
 * The `--help` text.
 *
 * @example
 * ```ts
 * import { helpText } from "./cli.ts";
 * console.assert(helpText().includes("--websocket-port"));
 * ```
 */
export function helpText(): string {
  const lines = [
    "deno-buttplug server: an Intiface-Engine-compatible Buttplug server (spec v0..v4).",
    "",
    "Usage: deno task start [flags]",
    "",
    "Flags (--flag VALUE and --flag=VALUE both work):",
  ];
  const width = Math.max(...FLAGS.map((f) => flagLabel(f).length)) + 2;
  for (const flag of FLAGS) lines.push(`  ${flagLabel(flag).padEnd(width)}${flag.help}`);
  lines.push(
    "",
    "Exit codes: 0 after SIGINT/SIGTERM (every device stopped), 1 when the server cannot start",
    "(port in use, unreadable file), 2 for a bad command line.",
  );
  return lines.join("\n");
}

function flagLabel(flag: FlagSpec): string {
  return flag.value ? `--${flag.name} ${flag.value}` : `--${flag.name}`;
}

/**
 * Parses the command line. Pure: never touches the file system or the network.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./cli.ts";
 * const parsed = parseArgs(["--websocket-port", "0", "--simulate", "test-device"]);
 * console.assert(!("error" in parsed) && parsed.port === 0);
 * ```
 */
export function parseArgs(argv: readonly string[]): CliOptions | CliError {
  let help = false;
  let version = false;
  let port = DEFAULT_WEBSOCKET_PORT;
  let hostname = DEFAULT_HOSTNAME;
  let serverName: string | undefined;
  let maxPingTime = 0;
  let handshakeTimeout: number | undefined;
  let deviceConfigFile: string | undefined;
  let userDeviceConfigFile: string | undefined;
  const chosen = new Set<HardwareTransport>();
  let noHardware = false;
  const simulate: string[] = [];
  let logLevel: LogLevel = "info";
  let nodePath: string | undefined;
  let bleAdapter: string | undefined;
  let listProtocols = false;
  let json = false;
  let deviceWebSocketPort: number | undefined;
  let lovenseConnect = false;
  const lovenseConnectHosts: string[] = [];
  let lovenseDongleHid = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--") || arg === "--") {
      return { error: `unexpected argument '${arg}' (flags start with --; see --help)` };
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = FLAGS.find((f) => f.name === name);
    if (!spec) return { error: `unknown flag --${name} (see --help)` };
    let value: string | undefined;
    if (spec.value) {
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else return { error: `--${name} needs a value (${spec.value})` };
    } else if (eq !== -1) {
      return { error: `--${name} takes no value` };
    }
    const v = value ?? "";
    switch (name) {
      case "help":
        help = true;
        break;
      case "version":
        version = true;
        break;
      case "websocket-port": {
        const n = parseInteger(v);
        if (n === undefined || n > 65535) {
          return { error: `--websocket-port must be an integer from 0 to 65535, got '${v}'` };
        }
        port = n;
        break;
      }
      case "websocket-use-all-interfaces":
        hostname = "0.0.0.0";
        break;
      case "server-name":
        serverName = v;
        break;
      case "max-ping-time": {
        const n = parseInteger(v);
        if (n === undefined) {
          return { error: `--max-ping-time must be a whole number of milliseconds, got '${v}'` };
        }
        maxPingTime = n;
        break;
      }
      case "handshake-timeout": {
        const n = parseInteger(v);
        if (n === undefined) {
          return {
            error: `--handshake-timeout must be a whole number of milliseconds, got '${v}'`,
          };
        }
        handshakeTimeout = n;
        break;
      }
      case "device-config-file":
        if (v === "") return { error: "--device-config-file needs a path" };
        deviceConfigFile = v;
        break;
      case "user-device-config-file":
        if (v === "") return { error: "--user-device-config-file needs a path" };
        userDeviceConfigFile = v;
        break;
      case "use-bluetooth-le":
        chosen.add("btle");
        break;
      case "use-serial":
        chosen.add("serial");
        break;
      case "use-hid":
        chosen.add("hid");
        break;
      case "use-usb":
        chosen.add("usb");
        break;
      case "no-hardware":
        noHardware = true;
        break;
      case "node-path":
        if (v === "") return { error: "--node-path needs a path" };
        nodePath = v;
        break;
      case "ble-adapter":
        if (!/^hci\d+$/.test(v)) return { error: `--ble-adapter must look like hci0, got '${v}'` };
        bleAdapter = v;
        break;
      case "list-protocols":
        listProtocols = true;
        break;
      case "json":
        json = true;
        break;
      case "use-device-websocket-server":
        deviceWebSocketPort ??= DEFAULT_DEVICE_WEBSOCKET_PORT;
        break;
      case "device-websocket-server-port": {
        const n = parseInteger(v);
        if (n === undefined || n > 65535) {
          return {
            error: `--device-websocket-server-port must be an integer from 0 to 65535, got '${v}'`,
          };
        }
        deviceWebSocketPort = n;
        break;
      }
      case "use-lovense-connect":
        lovenseConnect = true;
        break;
      case "use-lovense-dongle-hid":
        lovenseDongleHid = true;
        break;
      case "lovense-connect-host":
        if (!/^(https?:\/\/)?[\w.-]+:\d{1,5}\/?$/.test(v)) {
          return { error: `--lovense-connect-host must look like http://IP:PORT, got '${v}'` };
        }
        lovenseConnect = true;
        lovenseConnectHosts.push(v);
        break;
      case "simulate": {
        const names = v.split(",").map((s) => s.trim());
        if (names.some((s) => s === "")) {
          return { error: `--simulate needs a comma-separated list of device names, got '${v}'` };
        }
        simulate.push(...names);
        break;
      }
      case "log": {
        const level = v.toLowerCase();
        if (!(LOG_LEVELS as readonly string[]).includes(level)) {
          return { error: `--log must be one of ${LOG_LEVELS.join(", ")}, got '${v}'` };
        }
        logLevel = level as LogLevel;
        break;
      }
    }
  }
  if (noHardware && chosen.size > 0) {
    return {
      error:
        "--no-hardware cannot be combined with --use-bluetooth-le/--use-serial/--use-hid/--use-usb",
    };
  }
  if (noHardware && lovenseDongleHid) {
    return { error: "--no-hardware cannot be combined with --use-lovense-dongle-hid" };
  }
  if (json && !listProtocols) return { error: "--json only goes with --list-protocols" };
  const hardware = noHardware
    ? []
    : chosen.size === 0
    ? [...ALL_HARDWARE_TRANSPORTS]
    : ALL_HARDWARE_TRANSPORTS.filter((t) => chosen.has(t));
  return {
    help,
    version,
    port,
    hostname,
    ...(serverName === undefined ? {} : { serverName }),
    maxPingTime,
    ...(handshakeTimeout === undefined ? {} : { handshakeTimeout }),
    ...(deviceConfigFile === undefined ? {} : { deviceConfigFile }),
    ...(userDeviceConfigFile === undefined ? {} : { userDeviceConfigFile }),
    hardware,
    simulate,
    logLevel,
    ...(nodePath === undefined ? {} : { nodePath }),
    ...(bleAdapter === undefined ? {} : { bleAdapter }),
    listProtocols,
    json,
    ...(deviceWebSocketPort === undefined ? {} : { deviceWebSocketPort }),
    lovenseConnect,
    lovenseConnectHosts,
    lovenseDongleHid,
  };
}

/** A non-negative decimal integer (no sign, no exponent, at most 2^31-1), else undefined. */
function parseInteger(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0x7fff_ffff ? n : undefined;
}
