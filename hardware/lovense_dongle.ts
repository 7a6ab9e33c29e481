/**
 * The Lovense USB dongle (DEVICES.md §4.5): a {@linkcode HardwareManager} for toys reached
 * through Lovense's USB Bluetooth bridge (HID vendor 0x1915, product 0x520A) instead of the
 * computer's own Bluetooth.
 *
 * The manager rides on any HID {@linkcode HardwareManager} (in production the Node sidecar's
 * `hid` manager, `sidecar.manager("hid")`): it asks it for the dongle's vendor/product pair,
 * connects the dongle when it is `found`, subscribes to its input reports and speaks the dongle's
 * JSON protocol:
 *
 * - **Writes**: the JSON text plus `\r\n`, split into 63-byte chunks, each sent as one 65-byte
 *   output report (byte 0 = report id 0, bytes 1..63 = the chunk, the rest zero); see
 *   {@linkcode encodeDongleMessage}.
 * - **Reads**: input reports are stripped of their zero padding and appended to a text buffer;
 *   every complete line is parsed as a sequence of JSON objects; see
 *   {@linkcode LovenseDongleDecoder}.
 *
 * State machine (§4.5): wait for the dongle → ask `statuss` and wait 250 ms (the dongle locks up
 * if spoken to sooner; scan requests meanwhile are remembered) → a toy already connected
 * (`status` 202) goes straight to the device loop, otherwise idle or searching. Scanning sends
 * `search`; a toy reported by `toyData` stops the search (`stopSearch`, waiting for the `search`
 * 206 confirmation, at most `stopSearchTimeoutMs`) and enters the device loop. The device loop
 * announces the toy as a `found` whose advertisement is a BLE-style `LVS-DongleDevice` with the
 * toy id as address, so the ordinary `lovense` protocol drives it: its writes travel as
 * `{"type":"toy","func":"command","id":…,"cmd":…}` and the toy's replies (`toyData`) come back as
 * notifications on `rx`. A `status` 403 (toy lost) ends the loop: the toy's hardware reports
 * `disconnected`. The dongle going away returns to waiting for it. One toy at a time: scan
 * requests while a toy is connected just report `scanningfinished`.
 *
 * ScanningFinished: `scanningfinished` is emitted when a scan ends by itself (the search found a
 * toy and was stopped, the dongle ended it with a bare `toyData` result) and, as §4.5 says, on
 * every `stopScanning` (the device layer ignores that one after an explicit stop).
 *
 * Upstream differences (deliberate): text after the first newline of a read is kept for the next
 * message instead of being dropped; a `toyData` that ends a search also ends the scan for the
 * client (upstream leaves it "scanning" forever); a missing `search` 206 after `stopSearch` only
 * delays the device loop by `stopSearchTimeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { SidecarProcess } from "./sidecar.ts";
 * import { LovenseDongleManager } from "./lovense_dongle.ts";
 * import { ProtocolDeviceSource } from "../server/devices/pipeline.ts";
 * await using sidecar = await SidecarProcess.start({ transports: ["hid"] });
 * const dongle = new LovenseDongleManager({ hid: sidecar.manager("hid") });
 * await using source = new ProtocolDeviceSource({ managers: [dongle] });
 * await source.startScanning(); // `search` once the dongle is up
 * ```
 *
 * @module
 */
import type { Clock, TimerHandle } from "../protocol/clock.ts";
import { systemClock } from "../protocol/clock.ts";
import { ButtplugDeviceError } from "../protocol/errors.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import { type Logger, silentLogger } from "../server/log.ts";
import type {
  Advertisement,
  CommunicationSpecifier,
  Hardware,
  HardwareConnector,
  HardwareEventMap,
  HardwareManager,
  HardwareManagerEventMap,
} from "./mod.ts";

/** USB vendor id of the Lovense USB dongle (Nordic Semiconductor). */
export const LOVENSE_DONGLE_VENDOR_ID = 0x1915;
/** USB product id of the Lovense USB dongle (HID variant). */
export const LOVENSE_DONGLE_PRODUCT_ID = 0x520a;
/**
 * Advertised name of a toy found through the dongle: a fake BLE name that the `lovense`
 * protocol's `LVS-*` specifier matches.
 */
export const LOVENSE_DONGLE_TOY_NAME = "LVS-DongleDevice";
/** Hardware name of a toy connected through the dongle (upstream's name). */
export const LOVENSE_DONGLE_HARDWARE_NAME = "Lovense Dongle Device";
/** How long the answer to `statuss` is awaited before the dongle is spoken to again, in ms. */
export const LOVENSE_DONGLE_STATUS_WAIT_MS = 250;
/** Default wait for the `search` 206 confirmation after `stopSearch`, in ms. */
export const LOVENSE_DONGLE_STOP_SEARCH_TIMEOUT_MS = 1000;
/** Batching window of a toy behind the dongle, in ms (as BLE). */
export const LOVENSE_DONGLE_MESSAGE_GAP_MS = 75;
/** Size of one output report: report id + 64 bytes. */
export const LOVENSE_DONGLE_REPORT_SIZE = 65;
/** Bytes of message text per output report. */
export const LOVENSE_DONGLE_CHUNK_SIZE = 63;
/** Longest text kept while waiting for a newline; a longer run is dropped as garbage. */
export const LOVENSE_DONGLE_MAX_LINE = 65536;

/** Result and status codes of dongle messages (§4.5). */
export const LovenseDongleCode = {
  /** Dongle initialized. */
  DongleInitialized: 100,
  /** Success. */
  Success: 200,
  /** Connect in progress. */
  ConnectInProgress: 201,
  /** A toy is connected. */
  ConnectSuccess: 202,
  /** Search started. */
  SearchStarted: 205,
  /** Search stopped. */
  SearchStopped: 206,
  /** Malformed message. */
  Malformed: 400,
  /** Connect failed. */
  ConnectFailed: 402,
  /** The toy disconnected. */
  DeviceDisconnected: 403,
  /** No such toy. */
  DeviceNotFound: 404,
  /** Scanning interrupted. */
  ScanningInterrupted: 501,
} as const;

/** A message to the dongle (keys are sent in this order, absent ones omitted). */
export interface LovenseDongleOutgoing {
  /** `toy` or `usb`. */
  readonly type: "toy" | "usb";
  /** `statuss`, `search`, `stopSearch` or `command`. */
  readonly func: string;
  /** Toy id (commands). */
  readonly id?: string;
  /** The ASCII command a BLE Lovense would get (commands). */
  readonly cmd?: string;
}

/** The `data` object of an incoming dongle message. */
export interface LovenseDongleData {
  /** Toy id. */
  readonly id?: string;
  /** Toy reply text (`toyData`), e.g. `Z:11:0082059AD3BD;`. */
  readonly data?: string;
  /** Status code ({@linkcode LovenseDongleCode}). */
  readonly status?: number;
}

/** A message from the dongle; fields of the wrong type are left out. */
export interface LovenseDongleIncoming {
  /** `toy` or `usb`. */
  readonly type?: string;
  /** `reset`, `init`, `search`, `stopSearch`, `status`, `command`, `toyData`, `connect`, `error`, `statuss`. */
  readonly func?: string;
  /** Toy id. */
  readonly id?: string;
  /** Echoed command. */
  readonly cmd?: string;
  /** Eager flag. */
  readonly eager?: number;
  /** Result code ({@linkcode LovenseDongleCode}). */
  readonly result?: number;
  /** Payload. */
  readonly data?: LovenseDongleData;
  /** Free text. */
  readonly message?: string;
}

/**
 * Encodes one message as the dongle's output reports: JSON text + `\r\n`, split into 63-byte
 * chunks, each in a 65-byte report whose byte 0 is report id 0 and whose tail is zero padding.
 *
 * @example
 * ```ts
 * import { encodeDongleMessage } from "./lovense_dongle.ts";
 * const [report] = encodeDongleMessage({ type: "toy", func: "search" });
 * console.assert(report.length === 65 && report[0] === 0 && report[1] === 0x7b); // "{"
 * ```
 */
export function encodeDongleMessage(message: LovenseDongleOutgoing): Uint8Array[] {
  const ordered: Record<string, string> = { type: message.type, func: message.func };
  if (message.id !== undefined) ordered.id = message.id;
  if (message.cmd !== undefined) ordered.cmd = message.cmd;
  const bytes = new TextEncoder().encode(`${JSON.stringify(ordered)}\r\n`);
  const reports: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += LOVENSE_DONGLE_CHUNK_SIZE) {
    const report = new Uint8Array(LOVENSE_DONGLE_REPORT_SIZE);
    report.set(bytes.subarray(at, at + LOVENSE_DONGLE_CHUNK_SIZE), 1);
    reports.push(report);
  }
  return reports;
}

/**
 * Validates one parsed JSON value as a dongle message, keeping only fields of the right type.
 * Returns `undefined` for anything that is not a JSON object.
 *
 * @example
 * ```ts
 * import { parseDongleMessage } from "./lovense_dongle.ts";
 * const m = parseDongleMessage({ type: "toy", func: "status", data: { id: "a1", status: 202 } });
 * console.assert(m?.data?.status === 202 && m.data.id === "a1");
 * ```
 */
export function parseDongleMessage(value: unknown): LovenseDongleIncoming | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of ["type", "func", "id", "cmd", "message"] as const) {
    if (typeof value[key] === "string") out[key] = value[key];
  }
  for (const key of ["eager", "result"] as const) {
    const n = toCode(value[key]);
    if (n !== undefined) out[key] = n;
  }
  if (isRecord(value.data)) {
    const d = value.data;
    const data: Record<string, unknown> = {};
    if (typeof d.id === "string") data.id = d.id;
    if (typeof d.data === "string") data.data = d.data;
    const status = toCode(d.status);
    if (status !== undefined) data.status = status;
    out.data = data;
  }
  return out as LovenseDongleIncoming;
}

/**
 * Splits text into the top-level JSON objects it holds (`{…}{…}`, with or without separators),
 * honouring strings and escapes. Text outside objects and an unfinished object are returned as
 * `garbage`.
 *
 * @example
 * ```ts
 * import { splitJsonObjects } from "./lovense_dongle.ts";
 * const { objects, garbage } = splitJsonObjects('{"a":"}"}{"b":1}x');
 * console.assert(objects.length === 2 && garbage === "x");
 * ```
 */
export function splitJsonObjects(text: string): { objects: string[]; garbage: string } {
  const objects: string[] = [];
  let garbage = "";
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (depth === 0) {
      if (c === "{") {
        depth = 1;
        start = i;
      } else if (!/\s/.test(c)) {
        garbage += c;
      }
      continue;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === "{") {
      depth++;
    } else if (c === "}" && --depth === 0) {
      objects.push(text.slice(start, i + 1));
    }
  }
  if (depth > 0) garbage += text.slice(start);
  return { objects, garbage };
}

/**
 * Reassembles dongle messages from input reports: zero bytes (padding, terminators, a leading
 * report id) are dropped, the text is buffered until a newline, and each line is parsed as a
 * sequence of JSON objects. Problems are reported through `onProblem`, never thrown.
 *
 * @example
 * ```ts
 * import { LovenseDongleDecoder } from "./lovense_dongle.ts";
 * const decoder = new LovenseDongleDecoder();
 * const bytes = new TextEncoder().encode('{"type":"toy","func":"search","result":205}\n');
 * console.assert(decoder.push(bytes)[0].result === 205);
 * ```
 */
export class LovenseDongleDecoder {
  readonly #decoder = new TextDecoder();
  readonly #onProblem: (problem: string) => void;
  #buffer = "";

  /** Creates a decoder; `onProblem` hears about text that is not a dongle message. */
  constructor(onProblem: (problem: string) => void = () => {}) {
    this.#onProblem = onProblem;
  }

  /** Text waiting for its newline. */
  get pending(): string {
    return this.#buffer;
  }

  /** Adds one input report; returns the messages it completed, in order. */
  push(report: Uint8Array): LovenseDongleIncoming[] {
    const bytes = report.includes(0) ? report.filter((b) => b !== 0) : report;
    this.#buffer += this.#decoder.decode(bytes, { stream: true });
    const messages: LovenseDongleIncoming[] = [];
    let newline: number;
    while ((newline = this.#buffer.indexOf("\n")) >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      messages.push(...this.#parseLine(line));
    }
    if (this.#buffer.length > LOVENSE_DONGLE_MAX_LINE) {
      this.#onProblem(`dropped ${this.#buffer.length} characters without a newline`);
      this.#buffer = "";
    }
    return messages;
  }

  /** Forgets buffered text (a new dongle connection). */
  reset(): void {
    this.#buffer = "";
  }

  #parseLine(line: string): LovenseDongleIncoming[] {
    const { objects, garbage } = splitJsonObjects(line);
    if (garbage.trim() !== "") this.#onProblem(`ignored text ${clip(garbage)}`);
    const messages: LovenseDongleIncoming[] = [];
    for (const text of objects) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        this.#onProblem(`ignored invalid JSON ${clip(text)}`);
        continue;
      }
      const message = parseDongleMessage(value);
      if (message) messages.push(message);
    }
    return messages;
  }
}

/** The optional scan configuration of a HID manager (the sidecar's `configure`). */
export interface HidScanConfigurable {
  /** Restricts what the manager reports to these vendor/product pairs. */
  configure?(options: {
    readonly pairs?: readonly { readonly vendorId: number; readonly productId: number }[];
  }): Promise<void>;
}

/** Options of a {@linkcode LovenseDongleManager}. */
export interface LovenseDongleManagerOptions {
  /**
   * The HID transport the dongle is found and driven through (production:
   * `sidecar.manager("hid")`). Not disposed by the dongle manager.
   */
  readonly hid: HardwareManager & HidScanConfigurable;
  /**
   * Whether the dongle manager runs the HID scan itself (default `true`): it configures the HID
   * manager for the dongle's pair (when it has `configure`), scans until the dongle is found,
   * stops, and scans again when the dongle goes away. Use `false` when the HID manager is
   * shared with other HID devices and scanned by someone else; the dongle is then connected
   * whenever that scan reports it.
   */
  readonly manageHidScan?: boolean;
  /** Vendor/product pairs that are a dongle (default 0x1915:0x520A). */
  readonly pairs?: readonly { readonly vendorId: number; readonly productId: number }[];
  /** Clock for the `statuss` wait and timeouts (default: the system clock). */
  readonly clock?: Clock;
  /** Log sink (default: silent). */
  readonly logger?: Logger;
  /** Wait for the answer to `statuss`, in ms (default {@linkcode LOVENSE_DONGLE_STATUS_WAIT_MS}). */
  readonly statusWaitMs?: number;
  /**
   * Longest wait for the `search` 206 confirmation after `stopSearch` before the found toy is
   * announced anyway, in ms (default {@linkcode LOVENSE_DONGLE_STOP_SEARCH_TIMEOUT_MS}).
   */
  readonly stopSearchTimeoutMs?: number;
  /** Aborting it disposes the manager. */
  readonly signal?: AbortSignal;
}

/** Where the dongle manager is in the §4.5 state machine. */
export type LovenseDongleState =
  | "waiting-for-dongle"
  | "checking-connected"
  | "idle"
  | "scanning"
  | "stopping-to-connect"
  | "device"
  | "disposed";

/** The connector of a `found` event of a {@linkcode LovenseDongleManager}: one toy. */
export interface LovenseDongleConnector extends HardwareConnector {
  /** The toy id (also the advertisement address). */
  readonly toyId: string;
  /** Returns the toy's hardware (endpoints `rx`/`tx`); fails once the toy left the dongle. */
  connect(specifier: CommunicationSpecifier): Promise<LovenseDongleToyHardware>;
}

/** A toy behind the dongle as {@linkcode Hardware}; see the module documentation. */
export interface LovenseDongleToyHardware extends Hardware {
  /** The toy id. */
  readonly toyId: string;
  /** Whether the toy is gone (lost, dongle unplugged, disconnected). */
  readonly disconnected: boolean;
}

type State =
  | { readonly kind: "waiting-for-dongle" }
  | { readonly kind: "checking-connected"; timer?: TimerHandle }
  | { readonly kind: "idle" }
  | { readonly kind: "scanning" }
  | { readonly kind: "stopping-to-connect"; readonly toyId: string; timer?: TimerHandle }
  | { readonly kind: "device"; readonly toyId: string; readonly toy: ToyHardware }
  | { readonly kind: "disposed" };

const DEFAULT_PAIRS = [{
  vendorId: LOVENSE_DONGLE_VENDOR_ID,
  productId: LOVENSE_DONGLE_PRODUCT_ID,
}];

/**
 * Finds toys through the Lovense USB dongle; see the module documentation.
 *
 * Looking for the dongle starts when the manager is created (so a toy the dongle already holds
 * shows up without a scan, as in Intiface); {@linkcode LovenseDongleManager.startScanning} makes
 * the dongle search for toys.
 *
 * @example
 * ```ts ignore
 * await using dongle = new LovenseDongleManager({ hid: sidecar.manager("hid"), logger });
 * dongle.addEventListener("found", (e) => console.log(e.detail.advertisement.address));
 * await dongle.startScanning();
 * ```
 */
export class LovenseDongleManager extends TypedEventTarget<HardwareManagerEventMap>
  implements HardwareManager, AsyncDisposable {
  /** Name for logs. */
  readonly name = "lovense-dongle";
  readonly #hid: HardwareManager & HidScanConfigurable;
  readonly #manageHidScan: boolean;
  readonly #pairs: readonly { readonly vendorId: number; readonly productId: number }[];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #statusWaitMs: number;
  readonly #stopSearchTimeoutMs: number;
  readonly #signal?: AbortSignal;
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #decoder: LovenseDongleDecoder;
  #state: State = { kind: "waiting-for-dongle" };
  /** A scan requested while the dongle was not ready (WaitForDongle / CheckAlreadyConnected). */
  #wantScan = false;
  #scanning = false;
  #dongle?: Hardware;
  #connectingDongle = false;
  #sendChain: Promise<void> = Promise.resolve();
  #disposed?: Promise<void>;

  /** Creates the manager and starts looking for the dongle. */
  constructor(options: LovenseDongleManagerOptions) {
    super();
    this.#hid = options.hid;
    this.#manageHidScan = options.manageHidScan ?? true;
    this.#pairs = options.pairs ?? DEFAULT_PAIRS;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#statusWaitMs = nonNegativeMs("statusWaitMs", options.statusWaitMs) ??
      LOVENSE_DONGLE_STATUS_WAIT_MS;
    this.#stopSearchTimeoutMs = nonNegativeMs("stopSearchTimeoutMs", options.stopSearchTimeoutMs) ??
      LOVENSE_DONGLE_STOP_SEARCH_TIMEOUT_MS;
    this.#decoder = new LovenseDongleDecoder((problem) =>
      this.#logger.warn(`lovense dongle: ${problem}`)
    );
    this.#hid.addEventListener("found", this.#onHidFound);
    this.#hid.addEventListener("scanningfinished", this.#onHidScanEnded);
    this.#signal = options.signal;
    if (this.#signal?.aborted) {
      void this[Symbol.asyncDispose]();
      return;
    }
    this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#lookForDongle();
  }

  /** Whether a scan is running (also while a requested scan waits for the dongle). */
  get scanning(): boolean {
    return this.#scanning;
  }

  /** The state machine's current state (for diagnostics and tests). */
  get state(): LovenseDongleState {
    return this.#state.kind;
  }

  /** Whether the dongle is connected. */
  get dongleConnected(): boolean {
    return this.#dongle !== undefined;
  }

  /** The id of the toy in the device loop, if any. */
  get toyId(): string | undefined {
    return this.#state.kind === "device" ? this.#state.toyId : undefined;
  }

  /**
   * Makes the dongle search for toys. Before the dongle is ready the request is remembered;
   * while a toy is connected it only reports `scanningfinished` (one toy at a time).
   *
   * @throws {ButtplugDeviceError} when the manager is disposed or `search` cannot be sent.
   */
  async startScanning(): Promise<void> {
    const state = this.#state;
    switch (state.kind) {
      case "disposed":
        throw new ButtplugDeviceError("the Lovense dongle manager is disposed");
      case "waiting-for-dongle":
      case "checking-connected":
        this.#wantScan = true;
        this.#scanning = true;
        // A HID scan that ended (transport unavailable) is tried again for this request.
        if (state.kind === "waiting-for-dongle" && !this.#hid.scanning) this.#lookForDongle();
        return;
      case "idle":
        this.#scanning = true;
        this.#state = { kind: "scanning" };
        try {
          await this.#send({ type: "toy", func: "search" });
        } catch (err) {
          if (this.#state.kind === "scanning") {
            this.#state = { kind: "idle" };
            this.#scanning = false;
          }
          throw new ButtplugDeviceError(
            `Lovense dongle: cannot start searching: ${(err as Error).message}`,
            0,
            { cause: err },
          );
        }
        return;
      case "scanning":
      case "stopping-to-connect":
        return;
      case "device":
        this.#logger.info(
          `lovense dongle: toy ${state.toyId} is connected; the dongle holds one toy at a time`,
        );
        this.#finishLater();
        return;
    }
  }

  /** Stops the dongle's search and reports `scanningfinished`. */
  async stopScanning(): Promise<void> {
    const state = this.#state;
    switch (state.kind) {
      case "disposed":
        return;
      case "waiting-for-dongle":
      case "checking-connected":
        this.#wantScan = false;
        this.#scanning = false;
        this.#finishLater();
        return;
      case "idle":
      case "scanning":
        this.#scanning = false;
        this.#state = { kind: "idle" };
        this.#finishLater();
        await this.#send({ type: "usb", func: "stopSearch" }).catch((err: Error) =>
          this.#logger.warn(`lovense dongle: sending stopSearch failed: ${err.message}`)
        );
        return;
      case "stopping-to-connect":
        // stopSearch is already sent; the toy is announced when the dongle confirms.
        if (this.#scanning) {
          this.#scanning = false;
          this.#finishLater();
        }
        return;
      case "device":
        this.#finishLater();
        return;
    }
  }

  /** Resolves when no background work (dongle connect, sends) is in flight (tests). */
  async settled(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  /**
   * Stops the search, disconnects the toy and the dongle, stops the HID scan it started and
   * stops listening to the HID manager (which it does not dispose). Idempotent.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= this.#dispose();
    return this.#disposed;
  }

  readonly #onAbort = (): void => void this[Symbol.asyncDispose]();

  async #dispose(): Promise<void> {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#hid.removeEventListener("found", this.#onHidFound);
    this.#hid.removeEventListener("scanningfinished", this.#onHidScanEnded);
    const state = this.#state;
    this.#clearTimer(state);
    const searching = state.kind === "scanning";
    this.#state = { kind: "disposed" };
    this.#scanning = false;
    this.#wantScan = false;
    if (state.kind === "device") state.toy._gone("the Lovense dongle manager closed");
    const dongle = this.#dongle;
    if (dongle && searching) {
      await this.#send({ type: "usb", func: "stopSearch" }).catch(() => {});
    }
    await this.settled();
    if (dongle) {
      this.#forgetDongle(dongle);
      await dongle.disconnect().catch((err: Error) =>
        this.#logger.warn(`lovense dongle: closing the dongle failed: ${err.message}`)
      );
    }
    if (this.#manageHidScan && this.#hid.scanning) {
      await this.#hid.stopScanning().catch(() => {});
    }
  }

  // ----- the dongle -----------------------------------------------------------------------

  #track<T>(promise: Promise<T>): Promise<T> {
    const tracked = promise.finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
    return tracked;
  }

  /** Starts (or resumes) the HID scan for the dongle when the manager runs it. */
  #lookForDongle(): void {
    if (!this.#manageHidScan) return;
    const hid = this.#hid;
    this.#track(
      (async () => {
        if (hid.configure) await hid.configure({ pairs: this.#pairs });
        if (this.#state.kind !== "waiting-for-dongle" || hid.scanning) return;
        await hid.startScanning();
        this.#logger.debug(`lovense dongle: looking for the dongle on ${hid.name}`);
      })().catch((err: Error) =>
        this.#logger.warn(`lovense dongle: cannot scan ${hid.name} for the dongle: ${err.message}`)
      ),
    );
  }

  /**
   * The HID scan ended by itself (the sidecar reports an unavailable transport this way) while
   * the dongle is still missing: a client scan waiting for the dongle would never end, so it is
   * finished now; the next {@linkcode LovenseDongleManager.startScanning} tries again.
   */
  readonly #onHidScanEnded = (): void => {
    if (!this.#manageHidScan || this.#state.kind !== "waiting-for-dongle") return;
    if (this.#hid.scanning || this.#connectingDongle) return;
    this.#logger.warn(
      `lovense dongle: ${this.#hid.name} stopped scanning; the dongle is not found`,
    );
    this.#wantScan = false;
    if (this.#scanning) this.#finishScan();
  };

  readonly #onHidFound = (e: CustomEvent<HardwareConnector>): void => {
    const connector = e.detail;
    const adv = connector.advertisement;
    const isDongle = this.#pairs.some((p) =>
      p.vendorId === adv.vendorId && p.productId === adv.productId
    );
    if (!isDongle || this.#state.kind !== "waiting-for-dongle" || this.#connectingDongle) return;
    this.#connectingDongle = true;
    this.#track(
      this.#connectDongle(connector).finally(() => this.#connectingDongle = false),
    );
  };

  async #connectDongle(connector: HardwareConnector): Promise<void> {
    const adv = connector.advertisement;
    const specifier: CommunicationSpecifier = {
      hid: { pairs: this.#pairs.map((p) => ({ vendor_id: p.vendorId, product_id: p.productId })) },
    };
    let dongle: Hardware;
    try {
      dongle = await connector.connect(specifier);
    } catch (err) {
      this.#logger.warn(
        `lovense dongle: cannot open the dongle (${adv.address}): ${(err as Error).message}`,
      );
      return;
    }
    if (this.#state.kind !== "waiting-for-dongle") {
      await dongle.disconnect().catch(() => {});
      return;
    }
    dongle.addEventListener("notification", this.#onReport);
    dongle.addEventListener("disconnected", this.#onDongleGone);
    this.#dongle = dongle;
    this.#decoder.reset();
    this.#sendChain = Promise.resolve();
    this.#logger.info(`lovense dongle: connected (${adv.name || "dongle"} ${adv.address})`);
    try {
      await dongle.subscribe("rx");
    } catch (err) {
      this.#logger.warn(`lovense dongle: cannot read from the dongle: ${(err as Error).message}`);
      this.#forgetDongle(dongle);
      await dongle.disconnect().catch(() => {});
      this.#lookForDongle();
      return;
    }
    if (this.#dongle !== dongle || this.#state.kind !== "waiting-for-dongle") return;
    if (this.#manageHidScan && this.#hid.scanning) {
      this.#track(this.#hid.stopScanning()).catch((err: Error) =>
        this.#logger.debug(`lovense dongle: stopping the HID scan failed: ${err.message}`)
      );
    }
    // CheckAlreadyConnected: ask once, then leave the dongle alone for the wait.
    const state: State = { kind: "checking-connected" };
    this.#state = state;
    try {
      await this.#send({ type: "toy", func: "statuss" });
    } catch (err) {
      this.#logger.warn(`lovense dongle: sending statuss failed: ${(err as Error).message}`);
    }
    if (this.#state !== state) return; // a 202 arrived, or the dongle went away
    state.timer = this.#clock.setTimeout(() => {
      if (this.#state !== state) return;
      state.timer = undefined;
      this.#afterCheck();
    }, this.#statusWaitMs);
  }

  /** No toy was connected: search if a scan is wanted, else idle. */
  #afterCheck(): void {
    this.#state = { kind: "idle" };
    if (!this.#wantScan) return;
    this.#wantScan = false;
    this.#track(
      this.startScanning().catch((err: Error) => {
        this.#logger.warn(err.message);
        this.#finishLater();
      }),
    );
  }

  #forgetDongle(dongle: Hardware): void {
    dongle.removeEventListener("notification", this.#onReport);
    dongle.removeEventListener("disconnected", this.#onDongleGone);
    if (this.#dongle === dongle) this.#dongle = undefined;
  }

  readonly #onDongleGone = (): void => {
    const dongle = this.#dongle;
    if (!dongle) return;
    this.#forgetDongle(dongle);
    const state = this.#state;
    if (state.kind === "disposed") return;
    this.#clearTimer(state);
    this.#logger.info("lovense dongle: the dongle went away; waiting for it");
    if (state.kind === "device") state.toy._gone("the dongle went away");
    // A running scan stays wanted and resumes when the dongle is back.
    this.#wantScan = this.#scanning;
    this.#state = { kind: "waiting-for-dongle" };
    this.#lookForDongle();
  };

  /** Sends one message (its reports in order; messages never interleave). */
  #send(message: LovenseDongleOutgoing): Promise<void> {
    const dongle = this.#dongle;
    if (!dongle) {
      return Promise.reject(new ButtplugDeviceError("the Lovense dongle is not connected"));
    }
    const reports = encodeDongleMessage(message);
    this.#logger.trace(`lovense dongle <- ${JSON.stringify(message)}`);
    const run = this.#sendChain.then(async () => {
      for (const report of reports) await dongle.write("tx", report, false);
    });
    this.#sendChain = run.catch(() => {});
    return this.#track(run);
  }

  readonly #onReport = (
    e: CustomEvent<{ readonly endpoint: string; readonly data: Uint8Array }>,
  ) => {
    for (const message of this.#decoder.push(e.detail.data)) {
      this.#logger.trace(`lovense dongle -> ${JSON.stringify(message)}`);
      try {
        this.#onMessage(message);
      } catch (err) {
        this.#logger.warn(`lovense dongle: handling a message failed: ${(err as Error).message}`);
      }
    }
  };

  // ----- the state machine ----------------------------------------------------------------

  #onMessage(m: LovenseDongleIncoming): void {
    const state = this.#state;
    const connectedId = isStatus(m) && m.data?.status === LovenseDongleCode.ConnectSuccess
      ? m.data.id
      : undefined;
    switch (state.kind) {
      case "checking-connected":
        if (connectedId) {
          this.#clearTimer(state);
          this.#enterDevice(connectedId);
        }
        return;
      case "idle":
        if (connectedId) this.#enterDevice(connectedId);
        return;
      case "scanning":
        if (connectedId) {
          this.#enterDevice(connectedId);
        } else if (m.func === "search" && m.result === LovenseDongleCode.SearchStopped) {
          // The search ended by itself: keep searching until told to stop.
          this.#logger.debug("lovense dongle: search stopped by itself; searching again");
          this.#send({ type: "toy", func: "search" }).catch((err: Error) =>
            this.#logger.warn(`lovense dongle: restarting the search failed: ${err.message}`)
          );
        } else if (m.func === "toyData" && m.data?.id) {
          this.#stopToConnect(m.data.id);
        } else if (m.func === "toyData" && m.data === undefined && m.result !== undefined) {
          this.#logger.info(`lovense dongle: search ended (result ${m.result})`);
          this.#state = { kind: "idle" };
          this.#finishScan();
        }
        return;
      case "stopping-to-connect":
        if (
          (m.func === "search" || m.func === "stopSearch") &&
          m.result === LovenseDongleCode.SearchStopped
        ) {
          this.#clearTimer(state);
          this.#enterDevice(state.toyId);
        }
        return;
      case "device":
        this.#deviceMessage(state, m);
        return;
      default:
        return;
    }
  }

  #stopToConnect(toyId: string): void {
    const state: State = { kind: "stopping-to-connect", toyId };
    this.#state = state;
    this.#logger.info(`lovense dongle: found toy ${toyId}; stopping the search`);
    this.#send({ type: "usb", func: "stopSearch" }).catch((err: Error) =>
      this.#logger.warn(`lovense dongle: sending stopSearch failed: ${err.message}`)
    );
    state.timer = this.#clock.setTimeout(() => {
      if (this.#state !== state) return;
      state.timer = undefined;
      this.#logger.warn(
        `lovense dongle: no search-stopped confirmation within ${this.#stopSearchTimeoutMs} ms`,
      );
      this.#enterDevice(toyId);
    }, this.#stopSearchTimeoutMs);
  }

  /** DeviceLoop: announce the toy (a scan in progress ends here: one toy at a time). */
  #enterDevice(toyId: string): void {
    const toy = new ToyHardware(toyId, {
      send: (cmd) => this.#send({ type: "toy", func: "command", id: toyId, cmd }),
      closed: (hw) => this.#onToyClosed(hw),
    });
    this.#state = { kind: "device", toyId, toy };
    this.#wantScan = false;
    if (this.#scanning) this.#finishScan();
    this.#logger.info(`lovense dongle: toy ${toyId} connected`);
    this.dispatchEvent(new CustomEvent("found", { detail: new ToyConnector(toyId, toy) }));
  }

  #deviceMessage(state: Extract<State, { kind: "device" }>, m: LovenseDongleIncoming): void {
    const aboutOther = m.data?.id !== undefined && m.data.id !== state.toyId;
    const lost = (isStatus(m) && m.data?.status === LovenseDongleCode.DeviceDisconnected) ||
      m.result === LovenseDongleCode.DeviceDisconnected;
    if (lost && !aboutOther) {
      this.#logger.info(`lovense dongle: toy ${state.toyId} disconnected`);
      this.#state = { kind: "idle" };
      state.toy._gone("the toy disconnected from the dongle");
      return;
    }
    if (m.func === "toyData" && typeof m.data?.data === "string" && !aboutOther) {
      state.toy._notify(new TextEncoder().encode(m.data.data));
    }
  }

  /** The toy's hardware was disconnected by its user: the loop ends. */
  #onToyClosed(toy: ToyHardware): void {
    const state = this.#state;
    if (state.kind === "device" && state.toy === toy) this.#state = { kind: "idle" };
  }

  #finishScan(): void {
    this.#scanning = false;
    this.dispatchEvent(new Event("scanningfinished"));
  }

  #finishLater(): void {
    queueMicrotask(() => {
      if (this.#state.kind !== "disposed") this.dispatchEvent(new Event("scanningfinished"));
    });
  }

  #clearTimer(state: State): void {
    if ("timer" in state && state.timer !== undefined) {
      this.#clock.clearTimeout(state.timer);
      state.timer = undefined;
    }
  }
}

interface ToyLink {
  /** Sends a `command` with this text. */
  send(cmd: string): Promise<void>;
  /** The hardware was disconnected on request. */
  closed(toy: ToyHardware): void;
}

class ToyConnector implements LovenseDongleConnector {
  readonly advertisement: Advertisement;
  readonly toyId: string;
  readonly #toy: ToyHardware;
  #used = false;

  constructor(toyId: string, toy: ToyHardware) {
    this.toyId = toyId;
    this.#toy = toy;
    this.advertisement = { transport: "btle", name: LOVENSE_DONGLE_TOY_NAME, address: toyId };
  }

  connect(_specifier: CommunicationSpecifier): Promise<LovenseDongleToyHardware> {
    if (this.#toy.disconnected) {
      return Promise.reject(
        new ButtplugDeviceError(`Lovense dongle toy ${this.toyId} is no longer connected`),
      );
    }
    if (this.#used) {
      return Promise.reject(
        new ButtplugDeviceError(`Lovense dongle toy ${this.toyId} is already connected`),
      );
    }
    this.#used = true;
    return Promise.resolve(this.#toy);
  }
}

class ToyHardware extends TypedEventTarget<HardwareEventMap> implements LovenseDongleToyHardware {
  readonly name = LOVENSE_DONGLE_HARDWARE_NAME;
  readonly address: string;
  readonly toyId: string;
  readonly endpoints: readonly string[] = ["rx", "tx"];
  readonly messageGapMs = LOVENSE_DONGLE_MESSAGE_GAP_MS;
  readonly requiresKeepalive = false;
  readonly #link: ToyLink;
  readonly #decoder = new TextDecoder();
  #gone = false;

  constructor(toyId: string, link: ToyLink) {
    super();
    this.toyId = toyId;
    this.address = toyId;
    this.#link = link;
  }

  get disconnected(): boolean {
    return this.#gone;
  }

  #check(endpoint: string): void {
    if (this.#gone) {
      throw new ButtplugDeviceError(`Lovense dongle toy ${this.toyId} is disconnected`);
    }
    if (!this.endpoints.includes(endpoint)) {
      throw new ButtplugDeviceError(
        `Lovense dongle toy ${this.toyId} has endpoints rx and tx, not ${endpoint}`,
      );
    }
  }

  async write(endpoint: string, data: Uint8Array, _withResponse: boolean): Promise<void> {
    this.#check(endpoint);
    await this.#link.send(this.#decoder.decode(data));
  }

  read(endpoint: string, _length: number, _timeoutMs: number): Promise<Uint8Array> {
    try {
      this.#check(endpoint);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.reject(
      new ButtplugDeviceError("reads are not supported on toys behind the Lovense dongle"),
    );
  }

  subscribe(endpoint: string): Promise<void> {
    return this.#noIo(endpoint);
  }

  unsubscribe(endpoint: string): Promise<void> {
    return this.#noIo(endpoint);
  }

  /** Subscriptions need no I/O: the dongle forwards every toy reply. */
  #noIo(endpoint: string): Promise<void> {
    try {
      this.#check(endpoint);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    if (this._gone("disconnect requested")) this.#link.closed(this);
    return Promise.resolve();
  }

  /** @internal A toy reply. */
  _notify(data: Uint8Array): void {
    if (this.#gone) return;
    this.dispatchEvent(new CustomEvent("notification", { detail: { endpoint: "rx", data } }));
  }

  /** @internal The toy is gone; emits `disconnected` once. Returns whether it was connected. */
  _gone(_reason: string): boolean {
    if (this.#gone) return false;
    this.#gone = true;
    this.dispatchEvent(new Event("disconnected"));
    return true;
  }
}

function isStatus(m: LovenseDongleIncoming): boolean {
  return m.func === "status" || m.func === "statuss";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A code: an integer, or a string of digits (some firmware quotes numbers). */
function toCode(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d{1,6}$/.test(value)) return Number(value);
  return undefined;
}

function clip(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function nonNegativeMs(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of ms, got ${value}`);
  }
  return value;
}
