/**
 * The Buttplug server: {@linkcode ButtplugServer} (one client session over any transport), the
 * shared {@linkcode DeviceManager}, and the Intiface-Engine-compatible WebSocket listener
 * ({@linkcode serveWebSocket} / {@linkcode ButtplugWebSocketHandler}).
 *
 * @example
 * ```ts ignore
 * import { DeviceManager, serveWebSocket } from "./mod.ts";
 * import { createTestDevice } from "../hardware/simulated.ts";
 *
 * const deviceManager = new DeviceManager();
 * deviceManager.add(createTestDevice());
 * await using server = serveWebSocket({ deviceManager, port: 12345 });
 * console.log(`Buttplug server on ${server.url}`);
 * await server.finished;
 * ```
 *
 * @module
 */
export {
  ButtplugServer,
  type ButtplugServerEventMap,
  type ButtplugServerOptions,
  type ServerOutput,
  type ServerSessionState,
} from "./server.ts";
export {
  type DeviceArrival,
  type DeviceEventDetail,
  DeviceManager,
  type DeviceManagerEventMap,
  type DeviceManagerOptions,
  type DeviceSource,
  type DeviceSourceEventMap,
} from "./devices/manager.ts";
export {
  ButtplugWebSocketHandler,
  type ButtplugWebSocketServer,
  CLIENT_ALREADY_CONNECTED,
  type ClientConnectedDetail,
  type ClientDisconnectedDetail,
  DEFAULT_HOSTNAME,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_SERVER_NAME,
  DEFAULT_WEBSOCKET_PORT,
  serveWebSocket,
  type ServeWebSocketOptions,
  type WebSocketHandlerEventMap,
  type WebSocketHandlerOptions,
} from "./websocket.ts";
export {
  buildStatus,
  type ClientStatus,
  type DeviceStatus,
  SERVER_VERSION,
  type ServerStatus,
  SUPPORTED_SPEC_VERSIONS,
} from "./status.ts";
export { createLogger, LOG_LEVELS, type Logger, type LogLevel, silentLogger } from "./log.ts";
export { ProtocolDeviceSource, type ProtocolDeviceSourceOptions } from "./devices/pipeline.ts";
export {
  type BaseDeviceConfig,
  type ConfigParseOptions,
  createIndexPersister,
  DeviceConfigError,
  DeviceConfiguration,
  type DeviceConfigurationOptions,
  type IndexPersister,
  loadDeviceConfiguration,
  type LoadDeviceConfigurationOptions,
  type ProtocolCandidate,
  type ProtocolConfig,
  type ResolvedDevice,
  saveUserDeviceConfig,
  type UserDeviceEntry,
  type UserDeviceIdentifier,
} from "./devices/config.ts";
export {
  defaultProtocolRegistry,
  listProtocols,
  type ProtocolInfo,
  ProtocolRegistry,
} from "./devices/protocol_registry.ts";
export * from "./devices/protocol.ts";
export { ProtocolDevice, type ProtocolDeviceOptions } from "./devices/device.ts";
export { DeviceContext, type Notification, type OutputCacheSink } from "./devices/context.ts";
export {
  createSimulatedPeripheralManager,
  SIMULATED_FAMILIES,
  type SimulatedFamily,
  type SimulatedPeripheralOptions,
} from "../hardware/simulated_peripherals/mod.ts";
export {
  FakePeripheral,
  FakePeripheralManager,
  type FakePeripheralManagerOptions,
  type FakePeripheralOptions,
  type RecordedCommand,
} from "../hardware/fake_peripheral.ts";
export {
  WebSocketDeviceManager,
  type WebSocketDeviceManagerOptions,
} from "../hardware/websocket_devices.ts";
export {
  type LovenseConnectFetch,
  LovenseConnectManager,
  type LovenseConnectManagerOptions,
  type LovenseConnectToy,
} from "../hardware/lovense_connect.ts";
export {
  LOVENSE_DONGLE_PRODUCT_ID,
  LOVENSE_DONGLE_VENDOR_ID,
  type LovenseDongleConnector,
  LovenseDongleManager,
  type LovenseDongleManagerOptions,
  type LovenseDongleState,
  type LovenseDongleToyHardware,
} from "../hardware/lovense_dongle.ts";
