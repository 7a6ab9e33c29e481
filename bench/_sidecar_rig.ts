/**
 * A Lovense toy behind the real Node sidecar, without hardware, in one of two ways:
 *
 * - `fake`: the sidecar's own router and serial transport (`_sidecar_fake_serial.mjs`, same
 *   stdio wiring as `main.mjs`) with an in-memory port injected through the transport's existing
 *   `SerialPort` option; the port plays the toy. No npm packages needed, no kernel I/O.
 * - `pty`: the real sidecar (`main.mjs` with `serialport`) opens one end of a socat pty pair as
 *   a serial port, and the benchmark plays the toy on the other end (answers `DeviceType;`,
 *   counts every other command).
 *
 * The device layer sees an ordinary `Hardware` and runs the usual pipeline: identify →
 * `lovense` protocol → `ProtocolDevice`. Counters: `acked` (the sidecar replied to a write: the
 * bytes were handed to the port) and, for `pty`, `received` (the toy read the command).
 *
 * @module
 */
import { SidecarProcess } from "../hardware/sidecar.ts";
import { ensureSidecar } from "../hardware/sidecar_setup.ts";
import type {
  Advertisement,
  Hardware,
  HardwareConnector,
  HardwareEventMap,
  HardwareManager,
  HardwareManagerEventMap,
} from "../hardware/mod.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import { connectThroughPipeline, LOVENSE_NAME, type LovenseDevices } from "./_lovense_rig.ts";
import { PtyPair } from "../tests/hardware/_pty_pair.ts";
import { DeviceSignal } from "./_signal.ts";

/** A hardware wrapper that counts every completed write. */
class AckingHardware extends TypedEventTarget<HardwareEventMap> implements Hardware {
  readonly #inner: Hardware;
  readonly #acked: DeviceSignal;

  constructor(inner: Hardware, acked: DeviceSignal) {
    super();
    this.#inner = inner;
    this.#acked = acked;
    inner.addEventListener("notification", (e) => {
      this.dispatchEvent(new CustomEvent("notification", { detail: e.detail }));
    });
    inner.addEventListener("disconnected", () => this.dispatchEvent(new Event("disconnected")));
  }

  get name(): string {
    return this.#inner.name;
  }
  get address(): string {
    return this.#inner.address;
  }
  get endpoints(): readonly string[] {
    return this.#inner.endpoints;
  }
  get messageGapMs(): number {
    return this.#inner.messageGapMs;
  }
  get requiresKeepalive(): boolean {
    return this.#inner.requiresKeepalive;
  }
  async write(endpoint: string, data: Uint8Array, withResponse: boolean): Promise<void> {
    await this.#inner.write(endpoint, data, withResponse);
    this.#acked.record();
  }
  read(endpoint: string, length: number, timeoutMs: number): Promise<Uint8Array> {
    return this.#inner.read(endpoint, length, timeoutMs);
  }
  subscribe(endpoint: string): Promise<void> {
    return this.#inner.subscribe(endpoint);
  }
  unsubscribe(endpoint: string): Promise<void> {
    return this.#inner.unsubscribe(endpoint);
  }
  disconnect(): Promise<void> {
    return this.#inner.disconnect();
  }
}

/** Announces one connector when scanning starts, then finishes the scan. */
class OneDeviceManager extends TypedEventTarget<HardwareManagerEventMap>
  implements HardwareManager {
  readonly name = "bench-sidecar";
  scanning = false;
  readonly #connector: HardwareConnector;

  constructor(connector: HardwareConnector) {
    super();
    this.#connector = connector;
  }

  startScanning(): Promise<void> {
    this.scanning = true;
    queueMicrotask(() => {
      this.dispatchEvent(new CustomEvent("found", { detail: this.#connector }));
      this.scanning = false;
      this.dispatchEvent(new Event("scanningfinished"));
    });
    return Promise.resolve();
  }

  stopScanning(): Promise<void> {
    this.scanning = false;
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return Promise.resolve();
  }
}

/** The toy on the far end of the pty: answers `DeviceType;`, records every other command. */
async function playToy(file: Deno.FsFile, received: DeviceSignal): Promise<void> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const buf = new Uint8Array(4096);
  let text = "";
  while (true) {
    let n: number | null;
    try {
      n = await file.read(buf);
    } catch {
      return; // closed
    }
    if (n === null) return;
    text += decoder.decode(buf.subarray(0, n), { stream: true });
    let end: number;
    while ((end = text.indexOf(";")) >= 0) {
      const command = text.slice(0, end);
      text = text.slice(end + 1);
      if (command === "DeviceType") {
        await file.write(encoder.encode("Z:11:0082059AD3BD;"));
      } else {
        received.record();
      }
    }
  }
}

/** A Lovense behind the sidecar, in a device manager. */
export interface SidecarToy extends AsyncDisposable {
  /** The device manager (the toy is index 0). */
  readonly devices: LovenseDevices;
  /** Writes the sidecar acknowledged. */
  readonly acked: DeviceSignal;
  /** Commands the toy read on the far end of the pty (`pty` only). */
  readonly received?: DeviceSignal;
}

/** Where the sidecar writes: an in-memory port inside Node, or a real pty. */
export type SidecarToyTransport = "fake" | "pty";

/** Path the fake port is opened under (any path: the fake transport says it exists). */
const FAKE_PORT = "/dev/bench-fake-lovense";

/**
 * Starts the sidecar (and for `pty` socat; the real sidecar runs `npm ci` on first use) and
 * connects a Lovense Hush behind it through the device pipeline.
 */
export async function startSidecarToy(transport: SidecarToyTransport): Promise<SidecarToy> {
  const stack = new AsyncDisposableStack();
  try {
    const acked = new DeviceSignal();
    let received: DeviceSignal | undefined;
    let portPath = FAKE_PORT;
    let script = new URL("./_sidecar_fake_serial.mjs", import.meta.url).pathname;
    if (transport === "pty") {
      const pair = stack.use(await PtyPair.open());
      const far = await Deno.open(pair.b, { read: true, write: true });
      const counter = received = new DeviceSignal();
      const toy = playToy(far, counter);
      stack.defer(async () => {
        far.close();
        await toy;
      });
      portPath = pair.a;
      script = (await ensureSidecar()).script;
    }
    const sidecar = stack.use(await SidecarProcess.start({ script, transports: ["serial"] }));
    const serial = sidecar.manager("serial");
    const found = new Promise<HardwareConnector>((resolve) => {
      const onFound = (e: CustomEvent<HardwareConnector>): void => {
        if (e.detail.advertisement.address !== portPath) return;
        serial.removeEventListener("found", onFound);
        resolve(e.detail);
      };
      serial.addEventListener("found", onFound);
    });
    await serial.watchPorts([portPath]);
    await serial.startScanning();
    const port = await found;
    await serial.stopScanning();
    const advertisement: Advertisement = {
      transport: "btle",
      name: LOVENSE_NAME,
      address: portPath,
    };
    const connector: HardwareConnector = {
      advertisement,
      async connect(): Promise<Hardware> {
        const hw = await port.connect({
          serial: { port: portPath, baud_rate: 115200, data_bits: 8, parity: "N", stop_bits: 1 },
        });
        return new AckingHardware(hw, acked);
      },
    };
    const devices = stack.use(
      await connectThroughPipeline(new OneDeviceManager(connector), 1, received ?? acked),
    );
    const moved = stack.move();
    return {
      devices,
      acked,
      ...(received ? { received } : {}),
      [Symbol.asyncDispose]: () => moved.disposeAsync(),
    };
  } catch (err) {
    await stack.disposeAsync();
    throw err;
  }
}
