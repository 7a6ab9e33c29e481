/**
 * The short JSON status a plain HTTP `GET` on the WebSocket port answers with: server name and
 * version, the connected client (if any) and the connected devices.
 *
 * @module
 */
import denoConfig from "../deno.json" with { type: "json" };
import type { DeviceManager } from "./devices/manager.ts";
import type { SpecVersion } from "../protocol/messages.ts";

/** Version of this package (from deno.json). */
export const SERVER_VERSION: string = denoConfig.version;

/** Buttplug spec versions the server can serve. */
export const SUPPORTED_SPEC_VERSIONS: readonly SpecVersion[] = [0, 1, 2, 3, 4];

/** The connected client, as shown in the status. */
export interface ClientStatus {
  /** `ClientName` from the handshake; absent before the handshake. */
  readonly name?: string;
  /** Negotiated spec version; absent before the handshake. */
  readonly specVersion?: SpecVersion;
  /** Session state (`awaiting-handshake`, `connected`, ...). */
  readonly state: string;
  /** Remote address of the client's socket (`host:port`). */
  readonly remoteAddress: string;
}

/** One connected device, as shown in the status. */
export interface DeviceStatus {
  /** Device index. */
  readonly index: number;
  /** Name from the device configuration. */
  readonly name: string;
  /** User-assigned display name, when set. */
  readonly displayName?: string;
}

/** The JSON body of a status response. */
export interface ServerStatus {
  /** Always `"deno-buttplug"`: identifies the implementation. */
  readonly server: "deno-buttplug";
  /** Implementation version. */
  readonly version: string;
  /** The `ServerName` sent to clients in `ServerInfo`. */
  readonly name: string;
  /** Spec versions served. */
  readonly specVersions: readonly SpecVersion[];
  /** The connected client, or `null`. */
  readonly client: ClientStatus | null;
  /** Connected devices, by ascending index. */
  readonly devices: readonly DeviceStatus[];
  /** Whether a device scan is running. */
  readonly scanning: boolean;
}

/**
 * Builds the status object.
 *
 * @example
 * ```ts
 * import { buildStatus } from "./status.ts";
 * import { DeviceManager } from "./devices/manager.ts";
 * const status = buildStatus("My server", null, new DeviceManager());
 * console.assert(status.devices.length === 0 && status.client === null);
 * ```
 */
export function buildStatus(
  name: string,
  client: ClientStatus | null,
  deviceManager: DeviceManager,
): ServerStatus {
  const devices: DeviceStatus[] = [];
  for (const [index, device] of deviceManager.devices) {
    devices.push(
      device.displayName === undefined
        ? { index, name: device.name }
        : { index, name: device.name, displayName: device.displayName },
    );
  }
  return {
    server: "deno-buttplug",
    version: SERVER_VERSION,
    name,
    specVersions: SUPPORTED_SPEC_VERSIONS,
    client,
    devices,
    scanning: deviceManager.scanning,
  };
}
