// deno-lint-ignore-file require-await explicit-module-boundary-types -- fakes of async driver APIs, plain JavaScript
/**
 * In-memory stand-ins for noble, serialport and node-hid, shaped like the parts of their APIs
 * the sidecar uses, so the transports run under `node --test` without hardware.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";

/** A promise that never settles (a hung driver call). */
export const never = () => new Promise(() => {});

/** Fake noble characteristic: records writes, serves reads, emits notifications. */
export class FakeCharacteristic extends EventEmitter {
  /** @param {string} uuid noble style (lowercase, no dashes, 16-bit short form for SIG UUIDs) @param {string[]} properties */
  constructor(
    uuid,
    properties = ["read", "write", "writeWithoutResponse", "notify"],
  ) {
    super();
    this.uuid = uuid;
    this.properties = properties;
    /** @type {{ data: number[], withoutResponse: boolean }[]} */
    this.writes = [];
    this.value = Buffer.from([]);
    this.subscribed = false;
    /** Set to make writes hang. */
    this.hang = false;
    /** Number of write calls (including hanging ones). */
    this.writeCalls = 0;
  }

  async writeAsync(data, withoutResponse) {
    this.writeCalls++;
    if (this.hang) return never();
    this.writes.push({ data: Array.from(data), withoutResponse });
  }

  async readAsync() {
    this.emit("data", this.value, false);
    return this.value;
  }

  async subscribeAsync() {
    this.subscribed = true;
  }

  async unsubscribeAsync() {
    this.subscribed = false;
  }

  /** Sends a notification. @param {number[]} bytes */
  notify(bytes) {
    this.emit("data", Buffer.from(bytes), true);
  }
}

/** Fake noble peripheral. */
export class FakePeripheral extends EventEmitter {
  /**
   * @param {{ id: string, address?: string, localName?: string, serviceUuids?: string[],
   *   manufacturerData?: Buffer, services?: { uuid: string, characteristics: FakeCharacteristic[] }[] }} o
   */
  constructor(o) {
    super();
    this.id = o.id;
    this.address = o.address ?? "";
    this.advertisement = {
      localName: o.localName,
      serviceUuids: o.serviceUuids ?? [],
      manufacturerData: o.manufacturerData,
    };
    this.services = o.services ?? [];
    this.state = "disconnected";
    this.rssi = -50;
    this.connectHangs = false;
    this.cancelled = false;
    this.disconnects = 0;
  }

  async connectAsync() {
    if (this.connectHangs) return never();
    this.state = "connected";
  }

  cancelConnect() {
    this.cancelled = true;
  }

  async discoverAllServicesAndCharacteristicsAsync() {
    return {
      services: this.services,
      characteristics: this.services.flatMap((s) => s.characteristics),
    };
  }

  async disconnectAsync() {
    this.disconnects++;
    this.state = "disconnected";
    this.emit("disconnect");
  }

  /** The device drops the link. */
  drop() {
    this.state = "disconnected";
    this.emit("disconnect", 0x08);
  }
}

/** Fake noble module object. */
export class FakeNoble extends EventEmitter {
  /** @param {string} [state] adapter state reported right away */
  constructor(state = "poweredOn") {
    super();
    this._state = state;
    this.scanCalls = [];
    this.scanningNow = false;
  }

  get state() {
    return this._state;
  }

  async startScanningAsync(uuids, allowDuplicates) {
    this.scanCalls.push({ uuids, allowDuplicates });
    this.scanningNow = true;
  }

  async stopScanningAsync() {
    this.scanningNow = false;
    this.emit("scanStop"); // as noble does, also for a requested stop
  }

  /** The adapter stops scanning by itself (another program, a controller reset). */
  stopByItself() {
    this.scanningNow = false;
    this.emit("scanStop");
  }

  /** @param {FakePeripheral} p */
  discover(p) {
    this.emit("discover", p);
  }

  /** @param {string} state */
  setState(state) {
    this._state = state;
    this.emit("stateChange", state);
  }
}

/**
 * A fake `SerialPort` class with a static port list.
 * @param {{ ports?: object[], listError?: Error }} [o]
 */
export function fakeSerialPort(o = {}) {
  return class FakeSerialPort extends EventEmitter {
    /** @type {FakeSerialPort[]} */
    static instances = [];

    static async list() {
      if (o.listError) throw o.listError;
      return o.ports ?? [];
    }

    constructor(options) {
      super();
      this.options = options;
      this.isOpen = false;
      /** @type {number[]} */
      this.written = [];
      this.writeHangs = false;
      FakeSerialPort.instances.push(this);
    }

    open(cb) {
      if (this.options.path.includes("missing")) {
        setImmediate(() =>
          cb(
            new Error(
              `Error: No such file or directory, cannot open ${this.options.path}`,
            ),
          )
        );
        return;
      }
      this.isOpen = true;
      setImmediate(() => cb(null));
    }

    write(data, cb) {
      if (this.writeHangs) return;
      this.written.push(...data);
      setImmediate(() => cb?.(null));
    }

    drain(cb) {
      if (this.writeHangs) return;
      setImmediate(() => cb(null));
    }

    close(cb) {
      this.isOpen = false;
      setImmediate(() => {
        cb?.(null);
        this.emit("close", null);
      });
    }

    /** Bytes arrive from the device. @param {number[]} bytes */
    receive(bytes) {
      this.emit("data", Buffer.from(bytes));
    }

    /** The device is unplugged. */
    unplug() {
      this.isOpen = false;
      const err = Object.assign(new Error("bad file descriptor"), {
        disconnected: true,
      });
      this.emit("close", err);
    }
  };
}

/** Fake node-hid device (HIDAsync). */
export class FakeHidDevice extends EventEmitter {
  /** @param {string} path */
  constructor(path) {
    super();
    this.path = path;
    /** @type {number[][]} */
    this.writes = [];
    this.closed = false;
    /** @type {Buffer[]} */
    this.reports = [];
  }

  async write(values) {
    this.writes.push(values);
    return values.length;
  }

  async read() {
    return this.reports.shift();
  }

  async getDeviceInfo() {
    return { product: "Fake Product" };
  }

  async close() {
    this.closed = true;
  }

  /** An input report arrives. @param {number[]} bytes */
  input(bytes) {
    this.emit("data", Buffer.from(bytes));
  }
}

/**
 * A fake node-hid module.
 * @param {object[]} devices what `devicesAsync()` returns
 */
export function fakeHid(devices) {
  const opened = [];
  return {
    opened,
    devicesAsync: async () => devices,
    HIDAsync: {
      open: async (...args) => {
        const d = new FakeHidDevice(String(args[0]));
        opened.push(d);
        return d;
      },
    },
  };
}

/**
 * Collects everything a transport or router emits/sends.
 * @returns {{ messages: any[], send: (m: object) => void, events: (name: string) => any[], replies: (id: number | string) => any[] }}
 */
export function collector() {
  const messages = [];
  return {
    messages,
    send: (m) => messages.push(JSON.parse(JSON.stringify(m))),
    events: (name) => messages.filter((m) => m.event === name).map((m) => m.params),
    replies: (id) => messages.filter((m) => m.id === id),
  };
}

/** Waits until `fn()` is truthy (polling every 2 ms, up to `ms`). */
export async function until(fn, ms = 2000) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) {
      throw new Error(`condition not met within ${ms} ms: ${fn}`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}
