/**
 * A small spec v4 server session for client unit tests (behaves as PROTOCOL.md §2–§5.9 says for
 * the messages a v4 client sends). Records every frame it receives.
 *
 * @module
 */
import type { Clock } from "../../protocol/clock.ts";
import type { DeviceInfo, RawMessage } from "../../protocol/messages.ts";
import type {
  ServerSession,
  ServerSessionFactory,
  ServerSessionOutput,
} from "../../client/in_process_connector.ts";

/** The fixture device of the conformance vectors (PROTOCOL.md §6.1). */
export const TEST_DEVICE: DeviceInfo = {
  DeviceIndex: 0,
  DeviceName: "Test Device",
  DeviceMessageTimingGap: 100,
  DeviceFeatures: {
    "0": {
      FeatureIndex: 0,
      FeatureDescription: "Vibrator 1",
      Output: { Vibrate: { Value: [0, 20] } },
    },
    "1": {
      FeatureIndex: 1,
      FeatureDescription: "Vibrator 2",
      Output: { Vibrate: { Value: [0, 10] } },
    },
    "2": {
      FeatureIndex: 2,
      FeatureDescription: "Rotator",
      Output: { Rotate: { Value: [-20, 20] } },
    },
    "3": {
      FeatureIndex: 3,
      FeatureDescription: "Stroker",
      Output: { HwPositionWithDuration: { Value: [0, 100], Duration: [0, 10000] } },
    },
    "4": {
      FeatureIndex: 4,
      FeatureDescription: "Battery",
      Input: { Battery: { Value: [[0, 100]], Command: ["Read"] } },
    },
  },
};

/** A device with a subscribable pressure sensor, an oscillator, a constrictor and a servo. */
export const SENSOR_DEVICE: DeviceInfo = {
  DeviceIndex: 3,
  DeviceName: "Sensor Device",
  DeviceDisplayName: "My Sensor",
  DeviceMessageTimingGap: 0,
  DeviceFeatures: {
    "0": {
      FeatureIndex: 0,
      FeatureDescription: "Oscillator",
      Output: { Oscillate: { Value: [0, 15] } },
    },
    "1": { FeatureIndex: 1, FeatureDescription: "Pump", Output: { Constrict: { Value: [0, 5] } } },
    "2": {
      FeatureIndex: 2,
      FeatureDescription: "Pressure",
      Input: { Pressure: { Value: [[0, 4000]], Command: ["Read", "Subscribe"] } },
    },
    "5": { FeatureIndex: 5, FeatureDescription: "Servo", Output: { Position: { Value: [0, 50] } } },
  },
};

/** Options of a {@linkcode FakeServer}. */
export interface FakeServerOptions {
  readonly serverName?: string;
  readonly maxPingTime?: number;
  readonly clock?: Clock;
  readonly devices?: readonly DeviceInfo[];
  /** Replaces the ServerInfo reply (e.g. an old-shaped one). */
  readonly serverInfoReply?: (id: number) => RawMessage;
  /** Message names that get no reply at all (like the reference's silent drops). */
  readonly silent?: readonly string[];
  readonly batteryLevel?: number;
}

type Body = Record<string, unknown>;

/** One session of the fake server. */
export class FakeSession implements ServerSession {
  state: "awaiting" | "connected" | "pingedout" | "closed" = "awaiting";
  closeReason?: string;
  readonly subscriptions = new Set<string>();
  #pingTimer?: unknown;

  constructor(readonly server: FakeServer, readonly output: ServerSessionOutput) {}

  receive(frame: unknown): Promise<void> {
    this.server.frames.push(frame as RawMessage[]);
    for (const message of frame as RawMessage[]) {
      this.server.received.push(message);
      const name = Object.keys(message)[0];
      const body = message[name];
      if (this.server.silent.has(name)) continue;
      this.#handle(name, body);
    }
    return Promise.resolve();
  }

  close(reason?: string): Promise<void> {
    if (this.state !== "closed") {
      this.state = "closed";
      this.closeReason = reason;
      this.#stopPing();
      this.subscriptions.clear();
      this.server.stops.push({ all: true, reason: "disconnect" });
    }
    return Promise.resolve();
  }

  send(message: RawMessage): void {
    if (this.state === "closed") return;
    this.output.send([message]);
  }

  #reply(name: string, body: Body): void {
    this.send({ [name]: body });
  }

  #error(id: number, code: number, message: string): void {
    this.#reply("Error", { Id: id, ErrorCode: code, ErrorMessage: message });
  }

  #handle(name: string, body: Body): void {
    const id = body.Id as number;
    if (this.state === "pingedout") return this.#error(id, 2, "PingedOut");
    if (this.state === "closed") return this.#error(id, 1, "ReconnectDenied");
    if (this.state === "awaiting" && name !== "RequestServerInfo") {
      return this.#error(id, 1, "RequestServerInfoExpected");
    }
    const devices = this.server.devices;
    switch (name) {
      case "RequestServerInfo":
        if (this.state !== "awaiting") return this.#error(id, 1, "HandshakeAlreadyHappened");
        this.state = "connected";
        this.send(
          this.server.options.serverInfoReply?.(id) ?? {
            ServerInfo: {
              Id: id,
              ProtocolVersionMajor: 4,
              ProtocolVersionMinor: 0,
              MaxPingTime: this.server.maxPingTime,
              ServerName: this.server.options.serverName ?? "fake",
            },
          },
        );
        this.#restartPing();
        return;
      case "Ping":
        this.#restartPing();
        return this.#reply("Ok", { Id: id });
      case "RequestDeviceList":
        return this.#reply("DeviceList", { Id: id, Devices: this.server.deviceMap() });
      case "StartScanning":
      case "StopScanning":
        return this.#reply("Ok", { Id: id });
      case "StopCmd": {
        if (body.DeviceIndex !== undefined && !devices.has(body.DeviceIndex as number)) {
          return this.#error(id, 4, "DeviceNotAvailable");
        }
        this.server.stops.push({ all: body.DeviceIndex === undefined, body });
        if (body.Inputs !== false) this.subscriptions.clear();
        return this.#reply("Ok", { Id: id });
      }
      case "OutputCmd": {
        const device = devices.get(body.DeviceIndex as number);
        if (!device) return this.#error(id, 4, "DeviceNotAvailable");
        const feature = device.DeviceFeatures[String(body.FeatureIndex)];
        if (!feature) return this.#error(id, 4, "DeviceFeatureIndexError");
        const command = body.Command as Record<string, { Value: number; Duration?: number }>;
        const type = Object.keys(command)[0] as keyof NonNullable<typeof feature.Output>;
        const props = feature.Output?.[type];
        const value = command[type]?.Value;
        if (
          !props || !Number.isInteger(value) || value < props.Value[0] || value > props.Value[1]
        ) {
          return this.#error(id, 4, "DeviceStepRangeError");
        }
        this.server.outputs.push({
          device: device.DeviceIndex,
          feature: feature.FeatureIndex,
          type,
          value,
          duration: command[type].Duration,
        });
        return this.#reply("Ok", { Id: id });
      }
      case "InputCmd": {
        const device = devices.get(body.DeviceIndex as number);
        if (!device) return this.#error(id, 4, "DeviceNotAvailable");
        const feature = device.DeviceFeatures[String(body.FeatureIndex)];
        const type = body.Type as "Battery";
        const inputs = feature?.Input as Record<string, { Command: readonly string[] }> | undefined;
        const input = inputs?.[type] ?? (type === ("Rssi" as string) ? inputs?.RSSI : undefined);
        if (!input) return this.#error(id, 4, "MessageNotSupported");
        const key = `${device.DeviceIndex}:${feature.FeatureIndex}:${type}`;
        if (body.Command === "Read") {
          return this.#reply("InputReading", {
            Id: id,
            DeviceIndex: device.DeviceIndex,
            FeatureIndex: feature.FeatureIndex,
            Reading: { [type]: { Value: type === "Battery" ? this.server.batteryLevel : 1234 } },
          });
        }
        if (!input.Command.includes("Subscribe")) return this.#error(id, 4, "UnhandledCommand");
        if (body.Command === "Subscribe") this.subscriptions.add(key);
        else this.subscriptions.delete(key);
        return this.#reply("Ok", { Id: id });
      }
      default:
        return this.#error(id, 3, `unknown message ${name}`);
    }
  }

  #restartPing(): void {
    this.#stopPing();
    const clock = this.server.options.clock;
    if (this.server.maxPingTime <= 0 || !clock) return;
    this.#pingTimer = clock.setTimeout(() => {
      this.#pingTimer = undefined;
      if (this.state !== "connected") return;
      this.state = "pingedout";
      this.subscriptions.clear();
      this.server.stops.push({ all: true, reason: "ping" });
      this.output.send([{ Error: { Id: 0, ErrorCode: 2, ErrorMessage: "PingedOut" } }]);
    }, this.server.maxPingTime);
  }

  #stopPing(): void {
    if (this.#pingTimer !== undefined) this.server.options.clock?.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
  }
}

/** An output command the fake server accepted. */
export interface RecordedOutput {
  device: number;
  feature: number;
  type: string;
  value: number;
  duration?: number;
}

/** A fake server: `factory` goes into an `InProcessConnector`. */
export class FakeServer {
  readonly devices = new Map<number, DeviceInfo>();
  readonly received: RawMessage[] = [];
  readonly frames: RawMessage[][] = [];
  readonly outputs: RecordedOutput[] = [];
  readonly stops: { all: boolean; body?: Body; reason?: string }[] = [];
  readonly sessions: FakeSession[] = [];
  readonly silent: Set<string>;
  maxPingTime: number;
  batteryLevel: number;

  constructor(readonly options: FakeServerOptions = {}) {
    for (const device of options.devices ?? []) this.devices.set(device.DeviceIndex, device);
    this.silent = new Set(options.silent ?? []);
    this.maxPingTime = options.maxPingTime ?? 0;
    this.batteryLevel = options.batteryLevel ?? 75;
  }

  /** Session factory for `InProcessConnector`. */
  readonly factory: ServerSessionFactory = (output) => {
    const session = new FakeSession(this, output);
    this.sessions.push(session);
    return session;
  };

  /** The live session (the last one created). */
  get session(): FakeSession {
    return this.sessions[this.sessions.length - 1];
  }

  /** Messages received with this name. */
  messages(name: string): Body[] {
    return this.received.filter((m) => name in m).map((m) => m[name]);
  }

  deviceMap(): Record<string, DeviceInfo> {
    return Object.fromEntries([...this.devices].map(([i, d]) => [String(i), d]));
  }

  /** Adds (or replaces) a device and sends the DeviceList event. */
  addDevice(device: DeviceInfo): void {
    this.devices.set(device.DeviceIndex, device);
    this.#listEvent();
  }

  /** Removes a device and sends the DeviceList event. */
  removeDevice(index: number): void {
    this.devices.delete(index);
    this.#listEvent();
  }

  #listEvent(): void {
    for (const s of this.sessions) {
      if (s.state === "connected") s.send({ DeviceList: { Id: 0, Devices: this.deviceMap() } });
    }
  }
}
