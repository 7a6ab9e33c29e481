/**
 * The Buttplug client (spec v4): {@linkcode ButtplugClient}, {@linkcode ButtplugClientDevice}
 * and the connectors. Depends only on `protocol/` and web-standard APIs, so it runs unchanged in
 * Deno and browsers.
 *
 * @example
 * ```ts ignore
 * import { ButtplugClient, WebSocketConnector } from "./mod.ts";
 *
 * await using client = new ButtplugClient("my app");
 * client.addEventListener("deviceadded", ({ device }) => device.vibrate(0.5));
 * await client.connect(new WebSocketConnector("ws://127.0.0.1:12345"));
 * await client.startScanning();
 * ```
 *
 * @module
 */
export {
  ButtplugClient,
  type ButtplugClientEventMap,
  type ButtplugClientOptions,
} from "./client.ts";
export {
  ButtplugClientDevice,
  type ButtplugClientDeviceEventMap,
  type DeviceMessageSender,
  type DeviceStopOptions,
  type InputListener,
  type OutputAmount,
  type OutputRequest,
  percentToSteps,
} from "./device.ts";
export type { ButtplugConnector, ButtplugConnectorEventMap } from "./connector.ts";
export {
  InProcessConnector,
  type ServerSession,
  type ServerSessionFactory,
  type ServerSessionOutput,
} from "./in_process_connector.ts";
export {
  DEFAULT_SERVER_URL,
  WebSocketConnector,
  type WebSocketConnectorOptions,
} from "./websocket_connector.ts";
export {
  ButtplugDeviceEvent,
  ButtplugDisconnectEvent,
  ButtplugErrorEvent,
  ButtplugReadingEvent,
  type ClientInputReading,
} from "./events.ts";
