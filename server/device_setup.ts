/**
 * Builds the server's device side from command-line choices: the device configuration (embedded
 * or from files), the shared {@linkcode DeviceManager} with stable indexes persisted to the user
 * config, simulated devices (`--simulate`), and real hardware through the Node sidecar.
 *
 * The sidecar starts in the background: the WebSocket port is open while Node (and, on first use,
 * `npm ci`) is still starting, and a scan requested meanwhile reaches the hardware as soon as it
 * is up. A sidecar that cannot start (no `node`, npm failure) is logged with its reason and the
 * server keeps serving simulated devices.
 *
 * @module
 */
import type { HardwareManager } from "../hardware/mod.ts";
import { createTestDevice } from "../hardware/simulated.ts";
import { LovenseConnectManager } from "../hardware/lovense_connect.ts";
import { LovenseDongleManager } from "../hardware/lovense_dongle.ts";
import { scanOptionsFor, SidecarProcess } from "../hardware/sidecar.ts";
import { WebSocketDeviceManager } from "../hardware/websocket_devices.ts";
import { createSimulatedPeripheralManager } from "../hardware/simulated_peripherals/mod.ts";
import type { HardwareTransport } from "./cli.ts";
import {
  createIndexPersister,
  type DeviceConfiguration,
  type IndexPersister,
} from "./devices/config.ts";
import { DeviceManager } from "./devices/manager.ts";
import { ProtocolDeviceSource } from "./devices/pipeline.ts";
import type { Logger } from "./log.ts";

/** The simulated fixture device of the conformance vectors, as `--simulate test-device`. */
export const TEST_DEVICE_NAME = "test-device";

/** What {@linkcode setUpDevices} needs. */
export interface DeviceSetupOptions {
  /** The loaded device configuration (see `loadDeviceConfiguration`). */
  readonly config: DeviceConfiguration;
  /** User device config file the configuration came from; new indexes are saved to it. */
  readonly userDeviceConfigFile?: string;
  /** Hardware transports to drive through the sidecar (empty: none). */
  readonly hardware: readonly HardwareTransport[];
  /** `--simulate` names: `test-device` or advertised names of configured devices. */
  readonly simulate: readonly string[];
  /** Node executable for the sidecar (default `node` from PATH). */
  readonly nodePath?: string;
  /** Bluetooth adapter (e.g. `hci1`). */
  readonly bleAdapter?: string;
  /** Port of the WebSocket server for simulated/DIY devices; undefined = off. */
  readonly deviceWebSocketPort?: number;
  /** Listen on every interface (device WebSocket server too). */
  readonly hostname?: string;
  /** Find toys through the Lovense Connect app. */
  readonly lovenseConnect?: boolean;
  /** Lovense Connect app addresses (no Internet lookup when given). */
  readonly lovenseConnectHosts?: readonly string[];
  /** Find Lovense toys through the Lovense USB dongle (needs the sidecar's HID transport). */
  readonly lovenseDongleHid?: boolean;
  /** Where life-cycle lines go. */
  readonly logger: Logger;
  /** How long to wait for simulated peripherals to finish connecting (default 5000 ms). */
  readonly simulateTimeoutMs?: number;
}

/** The device side of a running server. */
export interface DeviceSetup extends AsyncDisposable {
  /** The loaded configuration. */
  readonly config: DeviceConfiguration;
  /** The shared registry the WebSocket sessions use. */
  readonly deviceManager: DeviceManager;
  /** Resolves when the hardware sidecar is up (or failed and was logged). */
  readonly hardwareReady: Promise<void>;
}

/**
 * Names given to `--simulate` that neither are `test-device` nor match any configured device,
 * so the CLI can refuse them before starting.
 */
export function unknownSimulatedNames(
  names: readonly string[],
  config: DeviceConfiguration,
): string[] {
  return names.filter((name) =>
    name !== TEST_DEVICE_NAME &&
    config.candidates({ transport: "btle", name, address: `sim-${name}` }).length === 0
  );
}

/**
 * Builds the device side: registry, simulated devices (connected before this resolves) and the
 * hardware sidecar (started in the background, see {@linkcode DeviceSetup.hardwareReady}).
 */
export async function setUpDevices(options: DeviceSetupOptions): Promise<DeviceSetup> {
  const { logger, config } = options;
  const persister: IndexPersister | undefined = options.userDeviceConfigFile === undefined
    ? undefined
    : createIndexPersister(config, options.userDeviceConfigFile, logger);
  const deviceManager = new DeviceManager({
    reservedIndexes: config.reservedIndexes(),
    onIndexAssigned: persister?.onIndexAssigned,
  });
  deviceManager.addEventListener("deviceadded", ({ detail }) => {
    const shown = detail.device.displayName ? ` (${detail.device.displayName})` : "";
    logger.info(`device ${detail.index} "${detail.device.name}"${shown} connected`);
  });
  deviceManager.addEventListener("deviceremoved", ({ detail }) => {
    logger.info(`device ${detail.index} "${detail.device.name}" disconnected`);
  });

  await connectSimulated(options, config, deviceManager);
  const network = networkManagers(options);
  if (network.length > 0) {
    deviceManager.addSource(
      new ProtocolDeviceSource({ managers: network, config, logger, name: "network devices" }),
    );
  }

  let sidecar: SidecarProcess | undefined;
  const hardwareReady = options.hardware.length === 0 && !options.lovenseDongleHid
    ? Promise.resolve()
    : startHardware(options, config, deviceManager).then(
      (started) => {
        sidecar = started;
      },
      (err) => {
        logger.error(
          `hardware unavailable: ${(err as Error).message}; ` +
            "serving simulated devices only",
        );
      },
    );

  return {
    config,
    deviceManager,
    hardwareReady,
    async [Symbol.asyncDispose]() {
      await deviceManager[Symbol.asyncDispose]();
      await hardwareReady;
      await sidecar?.[Symbol.asyncDispose]();
      await persister?.flush();
    },
  };
}

async function connectSimulated(
  options: DeviceSetupOptions,
  config: DeviceConfiguration,
  deviceManager: DeviceManager,
): Promise<void> {
  let fixtures = 0;
  const peripherals: string[] = [];
  for (const name of options.simulate) {
    if (name === TEST_DEVICE_NAME) {
      fixtures++;
      deviceManager.add(createTestDevice({ address: `SIM-${String(fixtures).padStart(4, "0")}` }));
    } else {
      peripherals.push(name);
    }
  }
  if (peripherals.length === 0) return;
  // Repeated names get distinct addresses so they become distinct devices.
  const seen = new Map<string, number>();
  const managers = peripherals.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return createSimulatedPeripheralManager([name], {
      address: `sim-${name}-${n}`,
      log: (line) => options.logger.info(`simulated ${line}`),
    });
  });
  const source = new ProtocolDeviceSource({
    managers,
    config,
    logger: options.logger,
    name: "simulated peripherals",
  });
  const before = deviceManager.devices.size;
  const connected = new Promise<void>((resolve) => {
    const check = () => {
      if (deviceManager.devices.size - before >= peripherals.length) {
        deviceManager.removeEventListener("deviceadded", check);
        resolve();
      }
    };
    deviceManager.addEventListener("deviceadded", check);
  });
  deviceManager.addSource(source);
  await source.startScanning();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.simulateTimeoutMs ?? 5000);
  });
  await Promise.race([connected, timeout]);
  clearTimeout(timer);
  await source.stopScanning();
  const missing = peripherals.length - (deviceManager.devices.size - before);
  if (missing > 0) {
    options.logger.warn(`${missing} simulated device(s) did not finish connecting in time`);
  }
}

/** Managers that need no sidecar: the device WebSocket server and Lovense Connect. */
function networkManagers(options: DeviceSetupOptions): HardwareManager[] {
  const managers: HardwareManager[] = [];
  if (options.deviceWebSocketPort !== undefined) {
    managers.push(
      new WebSocketDeviceManager({
        port: options.deviceWebSocketPort,
        allInterfaces: options.hostname === "0.0.0.0",
        logger: options.logger,
      }),
    );
  }
  if (options.lovenseConnect) {
    const hosts = options.lovenseConnectHosts ?? [];
    managers.push(
      new LovenseConnectManager({ ...(hosts.length > 0 ? { hosts } : {}), logger: options.logger }),
    );
    options.logger.info(
      `Lovense Connect: ${hosts.length > 0 ? hosts.join(", ") : "looking the app up online"}`,
    );
  }
  return managers;
}

async function startHardware(
  options: DeviceSetupOptions,
  config: DeviceConfiguration,
  deviceManager: DeviceManager,
): Promise<SidecarProcess> {
  const { logger } = options;
  // The dongle is a HID device: it needs the HID transport even when HID toys were not asked for.
  const transports = options.lovenseDongleHid && !options.hardware.includes("hid")
    ? [...options.hardware, "hid" as const]
    : options.hardware;
  const sidecar = await SidecarProcess.start({
    transports,
    nodePath: options.nodePath,
    bleAdapter: options.bleAdapter,
    logger,
    installProgress: (line) => logger.info(line),
  });
  const managers: HardwareManager[] = options.hardware.map((t) => sidecar.manager(t));
  if (options.hardware.includes("serial")) {
    const ports = config.specifiers().flatMap((s) => "serial" in s ? [s.serial] : []);
    await sidecar.manager("serial").watchPorts(ports);
  }
  if (options.hardware.includes("usb")) {
    // Raw USB: only the vendor/product pairs of the config's `usb` specifiers are reported.
    await sidecar.manager("usb").configure(scanOptionsFor("usb", config.specifiers()));
  }
  if (options.lovenseDongleHid) {
    managers.push(
      new LovenseDongleManager({
        hid: sidecar.manager("hid"),
        // With HID toys on, that manager's own scans also report the dongle.
        manageHidScan: !options.hardware.includes("hid"),
        logger,
      }),
    );
  }
  deviceManager.addSource(
    new ProtocolDeviceSource({ managers, config, logger, name: "hardware" }),
  );
  return sidecar;
}
