/**
 * deno-buttplug: a Buttplug protocol client and server for Deno and browsers.
 *
 * - Client: {@linkcode ButtplugClient} with {@linkcode WebSocketConnector} or
 *   {@linkcode InProcessConnector} (browser-safe; `client/mod.ts` is the client-only entry).
 * - Server: {@linkcode ButtplugServer} sessions over {@linkcode serveWebSocket}, sharing a
 *   {@linkcode DeviceManager}.
 * - Protocol: spec v0..v4 message types, parser and errors.
 *
 * @example
 * ```ts
 * import {
 *   ButtplugClient,
 *   ButtplugServer,
 *   createTestDevice,
 *   DeviceManager,
 *   InProcessConnector,
 * } from "./mod.ts";
 *
 * const deviceManager = new DeviceManager();
 * const device = createTestDevice();
 * deviceManager.add(device);
 * const client = new ButtplugClient("example");
 * await client.connect(new InProcessConnector(ButtplugServer.factory({ deviceManager })));
 * const [toy] = client.devices.values();
 * await toy.vibrate(0.5);
 * await client.disconnect();
 * ```
 *
 * @module
 */
export * from "./protocol/mod.ts";
export * from "./client/mod.ts";
export * from "./server/mod.ts";
export type * from "./hardware/mod.ts";
export {
  createTestDevice,
  SimulatedDevice,
  type SimulatedDeviceOptions,
  SimulatedDeviceSource,
  type SimulatedDeviceSourceOptions,
  type SimulatedHistoryEntry,
  TEST_DEVICE_FEATURES,
  type TestDeviceOptions,
} from "./hardware/simulated.ts";
