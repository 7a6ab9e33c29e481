/**
 * The device side of the benchmarks: simulated byte-level Lovense toys (hardware/
 * simulated_peripherals) found, identified and initialized through the real device pipeline
 * (`ProtocolDeviceSource` → `lovense` protocol → `ProtocolDevice` → `DeviceTask`), registered
 * in a `DeviceManager`. Every command byte string a toy receives is counted in a
 * {@linkcode DeviceSignal}.
 *
 * @module
 */
import { FakePeripheralManager } from "../hardware/fake_peripheral.ts";
import type { HardwareManager } from "../hardware/mod.ts";
import { createSimulatedPeripheral } from "../hardware/simulated_peripherals/mod.ts";
import { ProtocolDevice } from "../server/devices/device.ts";
import { DeviceManager } from "../server/devices/manager.ts";
import { ProtocolDeviceSource } from "../server/devices/pipeline.ts";
import type { ButtplugWebSocketServer } from "../server/websocket.ts";
import { DeviceSignal } from "./_signal.ts";

/** Advertised name of the benchmark toy: a Lovense Hush (one vibrator, 0..20). */
export const LOVENSE_NAME = "LVS-Z36";

/** Options of {@linkcode createLovenseDevices}. */
export interface LovenseDevicesOptions {
  /** How many toys (default 1). */
  readonly count?: number;
  /** Batching window of the simulated transport in ms (0: every command is written at once). */
  readonly gapMs: number;
  /** Counts the command writes the toys receive (default: a new one). */
  readonly signal?: DeviceSignal;
  /** Longest wait for every toy to connect (default 10 s). */
  readonly timeoutMs?: number;
}

/** Connected simulated toys in a device manager. */
export interface LovenseDevices extends AsyncDisposable {
  /** The registry (indexes 0..count-1). */
  readonly manager: DeviceManager;
  /** Counts command writes received by the toys (identify traffic is not counted). */
  readonly signal: DeviceSignal;
  /** Resolves when no toy has a command pending, in a batching window or in flight. */
  idle(): Promise<void>;
}

/**
 * Connects `count` simulated Lovense Hush toys through the real device pipeline.
 *
 * @example
 * ```ts ignore
 * import { createLovenseDevices } from "./_lovense_rig.ts";
 * await using toys = await createLovenseDevices({ count: 2, gapMs: 0 });
 * await toys.manager.get(0)!.output(0, "Vibrate", { Value: 10 });
 * console.assert(toys.signal.count === 1);
 * ```
 */
export function createLovenseDevices(options: LovenseDevicesOptions): Promise<LovenseDevices> {
  const count = options.count ?? 1;
  const signal = options.signal ?? new DeviceSignal();
  // The simulated Lovense logs every command other than its identify/battery replies.
  const log = (): void => signal.record();
  const peripherals = Array.from(
    { length: count },
    (_, i) =>
      createSimulatedPeripheral(LOVENSE_NAME, {
        address: `bench-lovense-${i}`,
        messageGapMs: options.gapMs,
        log,
      }),
  );
  return connectThroughPipeline(new FakePeripheralManager(peripherals), count, signal, options);
}

/**
 * Runs the device pipeline over `hardware` until `count` devices joined the manager.
 * Shared with the sidecar benchmark (its hardware manager announces a toy behind the sidecar).
 */
export async function connectThroughPipeline(
  hardware: HardwareManager,
  count: number,
  signal: DeviceSignal,
  options: { readonly timeoutMs?: number } = {},
): Promise<LovenseDevices> {
  const manager = new DeviceManager();
  const source = new ProtocolDeviceSource({ managers: [hardware] });
  manager.addSource(source);
  const all = Promise.withResolvers<void>();
  const onAdded = (): void => {
    if (manager.devices.size >= count) all.resolve();
  };
  if (count <= 0) all.resolve();
  manager.addEventListener("deviceadded", onAdded);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timer = setTimeout(
    () => all.reject(new Error(`only ${manager.devices.size} of ${count} toys connected`)),
    timeoutMs,
  );
  try {
    await manager.startScanning();
    await all.promise;
    await source.settled();
  } catch (err) {
    await manager[Symbol.asyncDispose]();
    throw err;
  } finally {
    clearTimeout(timer);
    manager.removeEventListener("deviceadded", onAdded);
  }
  return {
    manager,
    signal,
    async idle() {
      const devices = [...manager.devices.values()];
      await Promise.all(devices.map((d) => d instanceof ProtocolDevice ? d.idle() : undefined));
    },
    [Symbol.asyncDispose]: () => manager[Symbol.asyncDispose](),
  };
}

/**
 * Waits until the previous benchmark client is gone (its session closed, which stops every toy)
 * and every toy wrote what it had pending, so the next job starts from a quiet device counter.
 */
export async function quiesce(
  server: ButtplugWebSocketServer,
  toys?: Pick<LovenseDevices, "idle">,
): Promise<void> {
  const handler = server.handler;
  if (handler.session !== undefined) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        handler.removeEventListener("clientdisconnected", onLeft);
        reject(new Error("the benchmark client did not leave within 5 s"));
      }, 5000);
      const onLeft = (): void => {
        clearTimeout(timer);
        resolve();
      };
      handler.addEventListener("clientdisconnected", onLeft, { once: true });
    });
  }
  await toys?.idle();
}
