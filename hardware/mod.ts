/**
 * The hardware seam: transport-neutral interfaces between the server and the things it drives.
 *
 * Two levels live here:
 *
 * - {@linkcode DeviceBackend}: one device as the server session sees it: v4 features with
 *   client-visible step ranges, "set output", "read/subscribe input", "stop". Implemented by the
 *   in-process {@linkcode SimulatedDevice} (hardware/simulated.ts) and by the protocol-driven device
 *   of the device layer (server/devices/device.ts). The session never sees bytes.
 * - {@linkcode HardwareManager} / {@linkcode HardwareConnector} / {@linkcode Hardware}: byte level
 *   transports (Bluetooth LE, serial, HID, simulated peripherals). Implemented by the Node sidecar
 *   bridge (hardware/sidecar.ts) and the simulated peripherals. Protocol handlers write bytes to
 *   endpoints through {@linkcode Hardware}; they never see JSON or sockets.
 *
 * This module has no dependency above `protocol/` types.
 *
 * @module
 */
import type { DeviceFeature, InputType, OutputType, OutputValue } from "../protocol/messages.ts";
import type { TypedEventTarget } from "../protocol/typed_event_target.ts";

// ---------------------------------------------------------------------------------------------
// Device level (what the server session drives)
// ---------------------------------------------------------------------------------------------

/** Which part of a device a stop applies to. */
export interface StopScope {
  /** Only this feature; all features when omitted. */
  readonly featureIndex?: number;
  /** Set outputs to their stop value (Position / HwPositionWithDuration are left alone). */
  readonly outputs: boolean;
  /** End input subscriptions. */
  readonly inputs: boolean;
}

/** Subscription data from a device input. */
export interface InputReadingDetail {
  /** Feature index of the input. */
  readonly featureIndex: number;
  /** Input type that produced the value. */
  readonly type: InputType;
  /** The reading. */
  readonly value: number;
}

/** Events of a {@linkcode DeviceBackend}. */
export interface DeviceBackendEventMap {
  /** Subscription data (only for subscribed inputs). */
  reading: CustomEvent<InputReadingDetail>;
  /** The device went away; the manager removes it. */
  disconnected: Event;
}

/**
 * One connected device, as the server session drives it. All values are in client-visible
 * steps (the ranges advertised in {@linkcode DeviceBackend.features}); the session validates
 * indexes, types and ranges before calling, and the backend maps steps to hardware values.
 */
export interface DeviceBackend extends TypedEventTarget<DeviceBackendEventMap> {
  /** Name from the device configuration (`DeviceName`). */
  readonly name: string;
  /** User-assigned display name, if any. */
  readonly displayName?: string;
  /** Minimum gap between commands, in ms (`DeviceMessageTimingGap`). */
  readonly messageTimingGap: number;
  /**
   * Stable identity (protocol + identifier + hardware address); the manager keys device indexes
   * on it so the same device keeps its index across reconnects.
   */
  readonly identity: string;
  /** v4 features, as advertised to clients (`FeatureIndex` keys them). */
  readonly features: readonly DeviceFeature[];
  /** Sets one output of one feature. Resolves once the command is queued to the device. */
  output(featureIndex: number, type: OutputType, value: OutputValue): Promise<void>;
  /** Reads one input once. */
  readInput(featureIndex: number, type: InputType): Promise<number>;
  /** Starts subscription data (`reading` events) for one input. Idempotent. */
  subscribeInput(featureIndex: number, type: InputType): Promise<void>;
  /** Ends subscription data for one input. Idempotent. */
  unsubscribeInput(featureIndex: number, type: InputType): Promise<void>;
  /** Stops outputs and/or subscriptions in scope. */
  stop(scope: StopScope): Promise<void>;
  /** Disconnects the device (after stopping it where the transport allows). */
  disconnect(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Byte level (what protocol handlers and transports exchange)
// ---------------------------------------------------------------------------------------------

/** A transport kind, as named in device configuration communication specifiers. */
export type TransportKind =
  | "btle"
  | "serial"
  | "hid"
  | "usb"
  | "websocket"
  | "xinput"
  | "lovense_connect_service";

/** Manufacturer data of a BLE advertisement or a config specifier. */
export interface ManufacturerData {
  /** Company identifier. */
  readonly company: number;
  /** Data bytes after the company id (absent: the company alone matches). */
  readonly data?: readonly number[];
}

/** What a transport reports about a device it found (before connecting). */
export interface Advertisement {
  /** Transport that found it. */
  readonly transport: TransportKind;
  /** Advertised/product name (BLE local name, serial port name, HID product string...). */
  readonly name: string;
  /** Unique id on that transport (BLE peripheral id, port path, HID serial...). */
  readonly address: string;
  /** BLE manufacturer data entries. */
  readonly manufacturerData?: readonly ManufacturerData[];
  /** BLE advertised service UUIDs (full 128-bit lowercase with dashes). */
  readonly services?: readonly string[];
  /** HID/USB vendor id. */
  readonly vendorId?: number;
  /** HID/USB product id. */
  readonly productId?: number;
}

/** BLE communication specifier (device config `btle`). */
export interface BtleSpecifier {
  /** Advertised names; a trailing `*` is a prefix wildcard. */
  readonly names: readonly string[];
  /** Manufacturer data that identifies the device. */
  readonly manufacturer_data?: readonly ManufacturerData[];
  /** Advertised service UUIDs that identify the device. */
  readonly advertised_services?: readonly string[];
  /** service UUID → endpoint name → characteristic UUID. */
  readonly services: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Serial communication specifier (device config `serial`). */
export interface SerialSpecifier {
  /** Port name (`/dev/ttyUSB0`, `COM7`; `default` in the base config). */
  readonly port: string;
  /** Baud rate. */
  readonly baud_rate: number;
  /** Data bits. */
  readonly data_bits: number;
  /** Parity (`N`, `E`, `O`). */
  readonly parity: string;
  /** Stop bits. */
  readonly stop_bits: number;
}

/** HID/USB communication specifier (device config `hid` / `usb`). */
export interface HidSpecifier {
  /** Vendor/product id pairs. */
  readonly pairs: readonly { readonly vendor_id: number; readonly product_id: number }[];
}

/** One element of a protocol's `communication` list (exactly one key). */
export type CommunicationSpecifier =
  | { readonly btle: BtleSpecifier }
  | { readonly serial: SerialSpecifier }
  | { readonly hid: HidSpecifier }
  | { readonly usb: HidSpecifier }
  | { readonly websocket: { readonly name: string } }
  | { readonly xinput: { readonly exists: boolean } }
  | { readonly lovense_connect_service: { readonly exists: boolean } };

/** Events of a connected {@linkcode Hardware}. */
export interface HardwareEventMap {
  /** Data arrived on a subscribed endpoint. */
  notification: CustomEvent<{ readonly endpoint: string; readonly data: Uint8Array }>;
  /** The device went away. */
  disconnected: Event;
}

/** A connected piece of hardware with named endpoints (`tx`, `rx`, `rxblebattery`, ...). */
export interface Hardware extends TypedEventTarget<HardwareEventMap> {
  /** Advertised/product name (the generic protocol identifier). */
  readonly name: string;
  /** Unique id on its transport. */
  readonly address: string;
  /** Endpoint names actually bound. */
  readonly endpoints: readonly string[];
  /** Batching window for the device task in ms (BLE 75, test peripherals 1, others 0). */
  readonly messageGapMs: number;
  /** Whether the transport needs periodic traffic to keep the link. */
  readonly requiresKeepalive: boolean;
  /** Writes bytes to an endpoint. */
  write(endpoint: string, data: Uint8Array, withResponse: boolean): Promise<void>;
  /** Reads from an endpoint. */
  read(endpoint: string, length: number, timeoutMs: number): Promise<Uint8Array>;
  /** Starts notifications on an endpoint. */
  subscribe(endpoint: string): Promise<void>;
  /** Ends notifications on an endpoint. */
  unsubscribe(endpoint: string): Promise<void>;
  /** Closes the connection. Idempotent. */
  disconnect(): Promise<void>;
}

/** A device a {@linkcode HardwareManager} found, ready to be connected. */
export interface HardwareConnector {
  /** What the transport saw. */
  readonly advertisement: Advertisement;
  /**
   * Connects and binds endpoints for the chosen protocol's specifier (for BLE its first `btle`
   * specifier's services; for serial the port settings).
   */
  connect(specifier: CommunicationSpecifier): Promise<Hardware>;
}

/** Events of a {@linkcode HardwareManager}. */
export interface HardwareManagerEventMap {
  /** A device was found. */
  found: CustomEvent<HardwareConnector>;
  /** The manager stopped scanning on its own. */
  scanningfinished: Event;
}

/** A transport that finds devices (one per transport kind). */
export interface HardwareManager extends TypedEventTarget<HardwareManagerEventMap> {
  /** Short name for logs (`btle`, `serial`, `hid`, `simulated`...). */
  readonly name: string;
  /** Whether a scan is running. */
  readonly scanning: boolean;
  /** Starts looking for devices. */
  startScanning(): Promise<void>;
  /** Stops looking for devices. */
  stopScanning(): Promise<void>;
  /** Releases everything the manager holds. */
  [Symbol.asyncDispose](): Promise<void>;
}
