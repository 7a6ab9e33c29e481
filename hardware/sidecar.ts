/**
 * The Deno side of the hardware sidecar: spawns and supervises the Node program in
 * `hardware/sidecar/` (Bluetooth LE via noble, serial via serialport, HID via node-hid, raw USB
 * via usb), talks to
 * it with one JSON object per line over stdio (see `hardware/sidecar/PROTOCOL.md`), and exposes
 * each transport as a {@linkcode HardwareManager} whose devices are ordinary
 * {@linkcode HardwareConnector}s and {@linkcode Hardware} objects, so the device layer cannot tell
 * them apart from simulated hardware.
 *
 * Supervision: every line read from Node is validated (malformed lines are logged and dropped);
 * requests have ids and timeouts; when the process dies every pending request fails, every
 * {@linkcode Hardware} on it emits `disconnected` (a best-effort stop is impossible on a dead
 * process: its ports/links close with it, and toys keep their last command until their own
 * timeout or until reconnected), the process is restarted with exponential backoff (on the
 * injectable {@linkcode Clock}), running scans are resumed, and devices are announced again when
 * found.
 *
 * Bluetooth LE reconnect: a BLE device that was connected through the bridge and drops without
 * being asked to (out of range, battery swap, radio glitch, the sidecar dying) is watched for by
 * the sidecar even while no scan runs; when it advertises again the btle manager emits `found`
 * for it, so the device layer reconnects it like any other (and the device manager gives it its
 * index back). Attempts back off exponentially and stop after a bound; see
 * {@linkcode ReconnectTracker} and {@linkcode SidecarProcessOptions.bleReconnect}. A device
 * disconnected on request is not reconnected.
 *
 * @example
 * ```ts ignore
 * import { SidecarProcess } from "./sidecar.ts";
 * await using sidecar = await SidecarProcess.start({ transports: ["serial"] });
 * const serial = sidecar.manager("serial");
 * serial.watchPorts(["/dev/ttyUSB0"]);
 * serial.addEventListener("found", async (e) => {
 *   const hw = await e.detail.connect({
 *     serial: { port: "/dev/ttyUSB0", baud_rate: 115200, data_bits: 8, parity: "N", stop_bits: 1 },
 *   });
 *   await hw.write("tx", new TextEncoder().encode("L0500\n"), false);
 * });
 * await serial.startScanning();
 * ```
 *
 * @module
 */
import { ButtplugDeviceError, ButtplugUnknownError } from "../protocol/errors.ts";
import { type Clock, systemClock, type TimerHandle } from "../protocol/clock.ts";
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
  ManufacturerData,
  SerialSpecifier,
} from "./mod.ts";
import { ensureSidecar } from "./sidecar_setup.ts";
import {
  type ReconnectOptions,
  ReconnectTracker,
  resolveReconnectOptions,
} from "./reconnect_tracker.ts";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** The transports the sidecar serves. */
export type SidecarTransport = "btle" | "serial" | "hid" | "usb";

/** Every sidecar transport, in a stable order. */
export const SIDECAR_TRANSPORTS: readonly SidecarTransport[] = [
  "btle",
  "serial",
  "hid",
  "usb",
];

/**
 * Transports a sidecar may leave out of its `hello` (added after protocol 1 was fixed): a sidecar
 * that does not report one is taken as not serving it.
 */
const OPTIONAL_TRANSPORTS: ReadonlySet<SidecarTransport> = new Set(["usb"]);

/** Wire protocol version this bridge speaks (must equal the sidecar's `hello.protocol`). */
export const SIDECAR_PROTOCOL_VERSION = 1;

/** Availability of one transport, with the reason when it is unavailable or limited. */
export interface TransportStatus {
  /** Whether the transport can be used. */
  readonly available: boolean;
  /** Why not (or what is limited, e.g. serial listing without udevadm). */
  readonly reason?: string;
}

/** The sidecar's `hello` event. */
export interface SidecarHello {
  /** Wire protocol version. */
  readonly protocol: number;
  /** Sidecar package version. */
  readonly version: string;
  /** Node.js version running it. */
  readonly node: string;
  /** `process.platform` of Node. */
  readonly platform: string;
  /** Process id. */
  readonly pid: number;
  /** Availability of each transport. */
  readonly transports: Readonly<Record<SidecarTransport, TransportStatus>>;
}

/** Detail of the `exit` event. */
export interface SidecarExit {
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  /** Signal that ended it, if any. */
  readonly signal: string | null;
  /** True when the exit was requested (dispose); false for a crash. */
  readonly expected: boolean;
  /** When a restart is scheduled: its delay in ms. */
  readonly restartInMs?: number;
}

/** Detail of the `transport` event: a transport's availability changed. */
export interface TransportStatusChange extends TransportStatus {
  /** Which transport. */
  readonly transport: SidecarTransport;
}

/** Events of a {@linkcode SidecarProcess}. */
export interface SidecarProcessEventMap {
  /** The sidecar said hello (first start and every restart). */
  ready: CustomEvent<SidecarHello>;
  /** The sidecar process ended. */
  exit: CustomEvent<SidecarExit>;
  /** A restart attempt failed to spawn or to say hello (the next one is scheduled). */
  restartfailed: CustomEvent<
    { readonly error: Error; readonly restartInMs?: number }
  >;
  /** A transport's availability changed (e.g. Bluetooth adapter powered on/off). */
  transport: CustomEvent<TransportStatusChange>;
}

/** Options of {@linkcode SidecarProcess.start}. */
export interface SidecarProcessOptions {
  /** Path of `main.mjs`; default: installed on first use by {@linkcode ensureSidecar}. */
  readonly script?: string;
  /** Node executable (default `node` from PATH). */
  readonly nodePath?: string;
  /** Transports to load (default all; the others report "not enabled"). */
  readonly transports?: readonly SidecarTransport[];
  /** Bluetooth adapter, e.g. `hci1` (default: noble's default adapter). */
  readonly bleAdapter?: string;
  /** Whether BLE hardware asks the device task for keepalive traffic (default false). */
  readonly bleRequiresKeepalive?: boolean;
  /**
   * Automatic reconnect of BLE devices that drop unexpectedly: backoff settings (defaults: first
   * retry after 1 s, doubling up to 30 s, give up after 10 minutes), or `false` to turn it off.
   */
  readonly bleReconnect?: ReconnectOptions | false;
  /** Extra environment for the Node process. */
  readonly env?: Readonly<Record<string, string>>;
  /** Time source for timeouts and restart backoff (default: the system clock). */
  readonly clock?: Clock;
  /** Where bridge and sidecar logs go (default: silent). */
  readonly logger?: Logger;
  /** Deadline of a request beyond its own operation timeout, in ms (default 10000). */
  readonly requestTimeoutMs?: number;
  /** Connect deadline handed to the sidecar, in ms (default 10000). */
  readonly connectTimeoutMs?: number;
  /** How long to wait for `hello` after spawning, in ms (default 20000). */
  readonly helloTimeoutMs?: number;
  /** Restart the sidecar when it dies (default true). */
  readonly restart?: boolean;
  /** First restart delay in ms (default 500); doubles per failed attempt. */
  readonly restartDelayMs?: number;
  /** Longest restart delay in ms (default 30000). */
  readonly restartMaxDelayMs?: number;
  /** A process that ran this long (ms) before dying restarts with the first delay again (default 60000). */
  readonly restartResetAfterMs?: number;
  /** Grace period between closing stdin and killing the process on dispose, in ms (default 3000). */
  readonly shutdownGraceMs?: number;
  /** Disposes the process when aborted. */
  readonly signal?: AbortSignal;
  /** Progress line sink for the first-use npm install (default stderr). */
  readonly installProgress?: (line: string) => void;
}

/** Scan options of a {@linkcode SidecarHardwareManager} (each field applies to one transport). */
export interface SidecarScanOptions {
  /** btle: report only advertisements whose name matches one of these (trailing `*` = prefix)... */
  readonly names?: readonly string[];
  /** btle: ...or that advertise one of these services... */
  readonly services?: readonly string[];
  /** btle: ...or carry manufacturer data of one of these companies. No filter: everything. */
  readonly companies?: readonly number[];
  /** serial: port paths to report whenever they exist, even if port listing cannot see them. */
  readonly ports?: readonly string[];
  /**
   * hid/usb: report only these vendor/product ids (none: hid every device with a serial number,
   * usb every device that is not a hub).
   */
  readonly pairs?: readonly {
    readonly vendorId: number;
    readonly productId: number;
  }[];
  /** serial/hid: pause between polls in ms (defaults 5000 / 1000, as upstream). */
  readonly intervalMs?: number;
}

/**
 * A failed sidecar request. `reason` is the sidecar's error code (`timeout`, `not_found`,
 * `disconnected`, `unavailable`, `bad_request`, `io`, ...) or a bridge code: `exited` (the
 * process died during the request), `not_running` (restarting), `invalid_reply`.
 */
export class SidecarRequestError extends ButtplugDeviceError {
  /** Machine-readable reason. */
  readonly reason: string;
  /** Creates the error. */
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, 0, options);
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------------------------
// Line validation (everything read from Node goes through here)
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isTransport(v: unknown): v is SidecarTransport {
  return v === "btle" || v === "serial" || v === "hid" || v === "usb";
}

function isByteArray(v: unknown): v is number[] {
  return Array.isArray(v) &&
    v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function isU16(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
}

function parseStatus(v: unknown): TransportStatus | undefined {
  if (!isRecord(v) || typeof v.available !== "boolean") return undefined;
  if (v.reason !== undefined && typeof v.reason !== "string") return undefined;
  return v.reason === undefined
    ? { available: v.available }
    : { available: v.available, reason: v.reason };
}

function parseHello(v: unknown): SidecarHello | undefined {
  if (
    !isRecord(v) || typeof v.protocol !== "number" || !isRecord(v.transports)
  ) return undefined;
  const transports = {} as Record<SidecarTransport, TransportStatus>;
  for (const t of SIDECAR_TRANSPORTS) {
    const s = v.transports[t] === undefined && OPTIONAL_TRANSPORTS.has(t)
      ? { available: false, reason: "not served by this sidecar (an older version)" }
      : parseStatus(v.transports[t]);
    if (!s) return undefined;
    transports[t] = s;
  }
  return {
    protocol: v.protocol,
    version: String(v.version ?? ""),
    node: String(v.node ?? ""),
    platform: String(v.platform ?? ""),
    pid: typeof v.pid === "number" ? v.pid : 0,
    transports,
  };
}

interface FoundParams {
  readonly advertisement: Advertisement;
  readonly path?: string;
  /** btle: reported by the reconnect watch (a known device that dropped is advertising). */
  readonly watched?: boolean;
}

function parseFound(v: Json): FoundParams | undefined {
  const { transport, address, name } = v;
  if (
    !isTransport(transport) || typeof address !== "string" || address === ""
  ) return undefined;
  if (typeof name !== "string") return undefined;
  const ad: {
    -readonly [K in keyof Advertisement]: Advertisement[K];
  } = { transport, name, address };
  if (v.services !== undefined) {
    if (!isStringArray(v.services)) return undefined;
    ad.services = v.services;
  }
  if (v.manufacturerData !== undefined) {
    if (!Array.isArray(v.manufacturerData)) return undefined;
    const entries: ManufacturerData[] = [];
    for (const m of v.manufacturerData) {
      if (!isRecord(m) || !isU16(m.company)) return undefined;
      if (m.data !== undefined && !isByteArray(m.data)) return undefined;
      entries.push(
        m.data === undefined ? { company: m.company } : { company: m.company, data: m.data },
      );
    }
    ad.manufacturerData = entries;
  }
  if (v.vendorId !== undefined) {
    if (!isU16(v.vendorId)) return undefined;
    ad.vendorId = v.vendorId;
  }
  if (v.productId !== undefined) {
    if (!isU16(v.productId)) return undefined;
    ad.productId = v.productId;
  }
  if (v.path !== undefined && typeof v.path !== "string") return undefined;
  if (v.watched !== undefined && typeof v.watched !== "boolean") return undefined;
  return {
    advertisement: ad,
    path: v.path as string | undefined,
    ...(v.watched === true ? { watched: true } : {}),
  };
}

interface ConnectResult {
  readonly handle: string;
  readonly name: string;
  readonly address: string;
  readonly endpoints: readonly string[];
  readonly messageGapMs: number;
}

function parseConnectResult(v: unknown): ConnectResult | undefined {
  if (!isRecord(v)) return undefined;
  const { handle, name, address, endpoints, messageGapMs } = v;
  if (typeof handle !== "string" || handle === "" || typeof name !== "string") {
    return undefined;
  }
  if (typeof address !== "string" || !isStringArray(endpoints)) {
    return undefined;
  }
  const gap = messageGapMs === undefined ? 0 : messageGapMs;
  if (typeof gap !== "number" || !(gap >= 0)) return undefined;
  return { handle, name, address, endpoints, messageGapMs: gap };
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Longest line accepted from the sidecar (longer ones are dropped and logged). */
const MAX_LINE_CHARS = 1 << 20;

// ---------------------------------------------------------------------------------------------
// The process supervisor
// ---------------------------------------------------------------------------------------------

interface Pending {
  readonly method: string;
  readonly handle?: string;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: TimerHandle;
}

interface Incarnation {
  readonly child: Deno.ChildProcess;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly done: Promise<void>;
  readonly generation: number;
  hello?: SidecarHello;
  helloAt?: number;
  stdinClosed: boolean;
}

/** Internal link used by managers, connectors and hardware objects. */
interface SidecarLink {
  readonly options: ResolvedOptions;
  request(
    method: string,
    params: Json,
    timeoutMs: number,
    handle?: string,
  ): Promise<unknown>;
  register(hw: SidecarHardware): void;
  unregister(hw: SidecarHardware): void;
  running(): boolean;
  status(transport: SidecarTransport): TransportStatus;
}

interface ResolvedOptions {
  readonly script: string;
  readonly nodePath: string;
  readonly transports: readonly SidecarTransport[];
  readonly bleAdapter?: string;
  readonly bleRequiresKeepalive: boolean;
  readonly bleReconnect?: Readonly<Required<ReconnectOptions>>;
  readonly env: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly helloTimeoutMs: number;
  readonly restart: boolean;
  readonly restartDelayMs: number;
  readonly restartMaxDelayMs: number;
  readonly restartResetAfterMs: number;
  readonly shutdownGraceMs: number;
}

/**
 * Spawns and supervises the Node hardware sidecar. Create with {@linkcode SidecarProcess.start};
 * get one {@linkcode SidecarHardwareManager} per transport with {@linkcode SidecarProcess.manager}.
 *
 * @example
 * ```ts ignore
 * import { SidecarProcess } from "./sidecar.ts";
 * await using sidecar = await SidecarProcess.start();
 * for (const [name, s] of Object.entries(sidecar.hello.transports)) {
 *   console.log(name, s.available ? "available" : `unavailable: ${s.reason}`);
 * }
 * ```
 */
export class SidecarProcess extends TypedEventTarget<SidecarProcessEventMap> {
  readonly #o: ResolvedOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #hardware = new Map<string, SidecarHardware>();
  readonly #managers = new Map<SidecarTransport, SidecarHardwareManager>();
  readonly #link: SidecarLink;
  #nextId = 1;
  #generation = 0;
  #current?: Incarnation;
  #lastHello?: SidecarHello;
  #helloWaiter?: {
    resolve: (h: SidecarHello) => void;
    reject: (e: Error) => void;
    timer: TimerHandle;
  };
  #restartTimer?: TimerHandle;
  #restartDelay: number;
  #restarts = 0;
  #malformed = 0;
  #disposing = false;
  #disposed?: Promise<void>;
  #lastExit?: SidecarExit;
  #abort?: () => void;

  private constructor(o: ResolvedOptions) {
    super();
    this.#o = o;
    this.#restartDelay = o.restartDelayMs;
    this.#link = {
      options: o,
      request: (method, params, timeoutMs, handle) =>
        this.#request(method, params, timeoutMs, handle),
      register: (hw) => this.#hardware.set(hw.handle, hw),
      unregister: (hw) => {
        if (this.#hardware.get(hw.handle) === hw) {
          this.#hardware.delete(hw.handle);
        }
      },
      running: () => this.running,
      status: (t) => this.status(t),
    };
    for (const t of SIDECAR_TRANSPORTS) {
      this.#managers.set(t, new SidecarHardwareManager(t, this.#link));
    }
  }

  /**
   * Installs the sidecar's npm packages if needed (unless `script` is given), spawns Node and
   * waits for its `hello`. Throws a {@linkcode ButtplugUnknownError} when `node` is missing, npm
   * fails, or the sidecar does not say hello in time.
   */
  static async start(
    options: SidecarProcessOptions = {},
  ): Promise<SidecarProcess> {
    const script = options.script ??
      (await ensureSidecar({ progress: options.installProgress })).script;
    const o: ResolvedOptions = {
      script,
      nodePath: options.nodePath ?? "node",
      transports: options.transports ?? SIDECAR_TRANSPORTS,
      bleAdapter: options.bleAdapter,
      bleRequiresKeepalive: options.bleRequiresKeepalive ?? false,
      bleReconnect: options.bleReconnect === false
        ? undefined
        : resolveReconnectOptions(options.bleReconnect),
      env: options.env ?? {},
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      helloTimeoutMs: options.helloTimeoutMs ?? 20_000,
      restart: options.restart ?? true,
      restartDelayMs: options.restartDelayMs ?? 500,
      restartMaxDelayMs: options.restartMaxDelayMs ?? 30_000,
      restartResetAfterMs: options.restartResetAfterMs ?? 60_000,
      shutdownGraceMs: options.shutdownGraceMs ?? 3000,
    };
    options.signal?.throwIfAborted();
    const sidecar = new SidecarProcess(o);
    try {
      await sidecar.#launch();
    } catch (err) {
      await sidecar[Symbol.asyncDispose]();
      throw err;
    }
    if (options.signal) {
      const onAbort = () => void sidecar[Symbol.asyncDispose]();
      options.signal.addEventListener("abort", onAbort, { once: true });
      sidecar.#abort = () => options.signal?.removeEventListener("abort", onAbort);
    }
    return sidecar;
  }

  /** The latest `hello` (transport availability with reasons). */
  get hello(): SidecarHello {
    if (!this.#lastHello) {
      throw new ButtplugUnknownError("the sidecar has not said hello yet");
    }
    return this.#lastHello;
  }

  /** Whether a sidecar process is up and has said hello. */
  get running(): boolean {
    return this.#current?.hello !== undefined && !this.#current.stdinClosed;
  }

  /** Process id of the current sidecar (undefined while restarting). */
  get pid(): number | undefined {
    return this.#current?.child.pid;
  }

  /** How many times the sidecar was restarted after dying. */
  get restarts(): number {
    return this.#restarts;
  }

  /** How many malformed lines were read from the sidecar (each was logged and dropped). */
  get malformedLines(): number {
    return this.#malformed;
  }

  /** How the last process ended (undefined while the first one runs). */
  get lastExit(): SidecarExit | undefined {
    return this.#lastExit;
  }

  /** Availability of one transport (from the latest hello / status change). */
  status(transport: SidecarTransport): TransportStatus {
    return this.#lastHello?.transports[transport] ??
      { available: false, reason: "the sidecar is not running" };
  }

  /** The manager of one transport (the same object on every call). */
  manager(transport: SidecarTransport): SidecarHardwareManager {
    const m = this.#managers.get(transport);
    if (!m) {
      throw new ButtplugDeviceError(
        `unknown sidecar transport ${JSON.stringify(transport)}`,
      );
    }
    return m;
  }

  /**
   * Sends a raw request and resolves with its `result` (for diagnostics such as `list` or
   * `devices`; managers and hardware use it internally).
   */
  request(
    method: string,
    params: Readonly<Record<string, unknown>> = {},
    timeoutMs?: number,
  ): Promise<unknown> {
    return this.#request(
      method,
      { ...params },
      timeoutMs ?? this.#o.requestTimeoutMs,
    );
  }

  // ----- spawning ---------------------------------------------------------------------------

  #args(): string[] {
    const args = [
      this.#o.script,
      `--transports=${this.#o.transports.join(",")}`,
    ];
    if (this.#o.bleAdapter !== undefined) {
      args.push(`--ble-adapter=${this.#o.bleAdapter}`);
    }
    return args;
  }

  /** Spawns a process and waits for its hello. */
  async #launch(): Promise<void> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.#o.nodePath, {
        args: this.#args(),
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { ...this.#o.env },
      }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new ButtplugUnknownError(
          `cannot start the hardware sidecar: "${this.#o.nodePath}" was not found; install Node.js 20+ ` +
            `and put node on PATH, or pass nodePath`,
          0,
          { cause: err },
        );
      }
      throw new ButtplugUnknownError(
        `cannot start the hardware sidecar: ${(err as Error).message}`,
        0,
        { cause: err },
      );
    }
    const generation = ++this.#generation;
    const hello = new Promise<SidecarHello>((resolve, reject) => {
      const timer = this.#o.clock.setTimeout(() => {
        this.#helloWaiter = undefined;
        reject(
          new ButtplugUnknownError(
            `the hardware sidecar did not say hello within ${this.#o.helloTimeoutMs} ms`,
          ),
        );
      }, this.#o.helloTimeoutMs);
      this.#helloWaiter = { resolve, reject, timer };
    });
    hello.catch(() => {});
    const stdout = this.#readLines(
      child.stdout,
      (line) => this.#onLine(line, generation),
    );
    const stderr = this.#readLines(child.stderr, (line) => {
      if (line.trim() !== "") {
        this.#o.logger.debug(`sidecar stderr: ${clip(line)}`);
      }
    }, false);
    const inc: Incarnation = {
      child,
      writer: child.stdin.getWriter(),
      generation,
      stdinClosed: false,
      done: Promise.all([child.status, stdout, stderr]).then(([status]) =>
        this.#onExit(inc, status)
      ),
    };
    this.#current = inc;
    try {
      await hello;
    } catch (err) {
      this.#kill(inc);
      await inc.done;
      throw err;
    }
  }

  /** Splits a stream into lines; `protocol` streams count overlong lines as malformed. */
  async #readLines(
    stream: ReadableStream<Uint8Array>,
    onLine: (line: string) => void,
    protocol = true,
  ): Promise<void> {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    let skipping = false;
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (skipping) {
            skipping = false;
          } else if (line.length > MAX_LINE_CHARS) {
            this.#tooLong(protocol);
          } else {
            onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
          }
        }
        if (buf.length > MAX_LINE_CHARS && !skipping) {
          this.#tooLong(protocol);
          skipping = true;
        }
        if (skipping) buf = "";
      }
      if (buf.trim() !== "" && !skipping) onLine(buf);
    } catch (err) {
      this.#o.logger.debug(
        `sidecar: reading its output failed: ${(err as Error).message}`,
      );
    } finally {
      reader.releaseLock();
    }
  }

  #tooLong(protocol: boolean): void {
    if (protocol) this.#malformed++;
    this.#o.logger.warn(
      `sidecar: dropped a line longer than ${MAX_LINE_CHARS} characters`,
    );
  }

  #kill(inc: Incarnation): void {
    try {
      inc.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  // ----- reading ----------------------------------------------------------------------------

  #bad(why: string, line: string): void {
    this.#malformed++;
    this.#o.logger.warn(
      `sidecar: ignored a malformed line (${why}): ${clip(line)}`,
    );
  }

  #onLine(line: string, generation: number): void {
    if (line.trim() === "") return;
    if (this.#current?.generation !== generation) return; // a late line from a dead process
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return this.#bad("not JSON", line);
    }
    if (!isRecord(msg)) return this.#bad("not a JSON object", line);
    if ("id" in msg) return this.#onReply(msg, line);
    if (typeof msg.event !== "string") {
      return this.#bad("neither a reply nor an event", line);
    }
    const params = msg.params ?? {};
    if (!isRecord(params)) return this.#bad("params is not an object", line);
    this.#onEvent(msg.event, params, line);
  }

  #onReply(msg: Json, line: string): void {
    const { id, ok } = msg;
    if (typeof id !== "number" || typeof ok !== "boolean") {
      return this.#bad("bad reply id/ok", line);
    }
    const p = this.#pending.get(id);
    if (!p) {
      this.#o.logger.debug(
        `sidecar: reply to unknown or timed-out request ${id}`,
      );
      return;
    }
    if (ok) {
      this.#settle(id)?.resolve(msg.result ?? {});
      return;
    }
    const e = msg.error;
    if (
      !isRecord(e) || typeof e.code !== "string" ||
      typeof e.message !== "string"
    ) {
      this.#bad("bad error reply", line);
      this.#settle(id)?.reject(
        new SidecarRequestError(
          "invalid_reply",
          `sidecar ${p.method} failed with a malformed error reply`,
        ),
      );
      return;
    }
    this.#settle(id)?.reject(
      new SidecarRequestError(e.code, `sidecar ${p.method}: ${e.message}`),
    );
  }

  #onEvent(event: string, params: Json, line: string): void {
    switch (event) {
      case "hello": {
        const hello = parseHello(params);
        if (!hello) return this.#bad("invalid hello", line);
        return this.#onHello(hello);
      }
      case "log": {
        const level = params.level;
        const message = typeof params.message === "string"
          ? params.message
          : JSON.stringify(params);
        const log = this.#o.logger;
        if (level === "error") log.error(`sidecar: ${message}`);
        else if (level === "warn") log.warn(`sidecar: ${message}`);
        else if (level === "info") log.info(`sidecar: ${message}`);
        else log.debug(`sidecar: ${message}`);
        return;
      }
      case "found": {
        const found = parseFound(params);
        if (!found) return this.#bad("invalid found event", line);
        this.#managers.get(found.advertisement.transport as SidecarTransport)
          ?._found(found);
        return;
      }
      case "notification": {
        const { handle, endpoint, data } = params;
        if (
          typeof handle !== "string" || typeof endpoint !== "string" ||
          !isByteArray(data)
        ) {
          return this.#bad("invalid notification", line);
        }
        this.#hardware.get(handle)?._notify(endpoint, new Uint8Array(data));
        return;
      }
      case "disconnected": {
        const { handle, reason } = params;
        if (typeof handle !== "string") {
          return this.#bad("invalid disconnected event", line);
        }
        const why = typeof reason === "string" ? reason : "disconnected";
        this.#failHandle(handle, why);
        this.#hardware.get(handle)?._gone(why);
        return;
      }
      case "scanFinished": {
        if (!isTransport(params.transport)) {
          return this.#bad("invalid scanFinished event", line);
        }
        this.#managers.get(params.transport)?._scanFinished();
        return;
      }
      case "transport": {
        const status = parseStatus(params);
        if (!isTransport(params.transport) || !status) {
          return this.#bad("invalid transport event", line);
        }
        if (this.#lastHello) {
          this.#lastHello = {
            ...this.#lastHello,
            transports: {
              ...this.#lastHello.transports,
              [params.transport]: status,
            },
          };
        }
        this.dispatchEvent(
          new CustomEvent("transport", {
            detail: { transport: params.transport, ...status },
          }),
        );
        return;
      }
      default:
        this.#o.logger.debug(
          `sidecar: ignored unknown event ${JSON.stringify(event)}`,
        );
    }
  }

  #onHello(hello: SidecarHello): void {
    const inc = this.#current;
    if (!inc) return;
    if (hello.protocol !== SIDECAR_PROTOCOL_VERSION) {
      const err = new ButtplugUnknownError(
        `the hardware sidecar speaks protocol ${hello.protocol}, this bridge speaks ${SIDECAR_PROTOCOL_VERSION}`,
      );
      this.#o.logger.error(`sidecar: ${err.message}`);
      const waiter = this.#helloWaiter;
      this.#helloWaiter = undefined;
      if (waiter) {
        this.#o.clock.clearTimeout(waiter.timer);
        waiter.reject(err);
      }
      return;
    }
    inc.hello = hello;
    inc.helloAt = this.#o.clock.now();
    this.#lastHello = hello;
    const waiter = this.#helloWaiter;
    this.#helloWaiter = undefined;
    if (waiter) {
      this.#o.clock.clearTimeout(waiter.timer);
      waiter.resolve(hello);
    }
    const major = Number(/^v?(\d+)/.exec(hello.node)?.[1] ?? 0);
    if (major > 0 && major < 20) {
      this.#o.logger.warn(
        `sidecar: Node ${hello.node} is older than the supported 20`,
      );
    }
    for (const t of SIDECAR_TRANSPORTS) {
      const s = hello.transports[t];
      const line = `sidecar: ${t} ${s.available ? "available" : "unavailable"}${
        s.reason ? ` (${s.reason})` : ""
      }`;
      this.#o.logger.info(line);
    }
    this.dispatchEvent(new CustomEvent("ready", { detail: hello }));
    for (const m of this.#managers.values()) m._resume();
  }

  // ----- requests ---------------------------------------------------------------------------

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    this.#o.clock.clearTimeout(p.timer);
    return p;
  }

  #request(
    method: string,
    params: Json,
    timeoutMs: number,
    handle?: string,
  ): Promise<unknown> {
    const inc = this.#current;
    if (!inc || !inc.hello || inc.stdinClosed) {
      return Promise.reject(
        new SidecarRequestError(
          "not_running",
          `the hardware sidecar is not running${
            this.#disposing ? "" : " (restarting)"
          }; ${method} failed`,
        ),
      );
    }
    const id = this.#nextId++;
    const line = `${JSON.stringify({ id, method, params })}\n`;
    return new Promise((resolve, reject) => {
      const timer = this.#o.clock.setTimeout(() => {
        if (!this.#pending.has(id)) return;
        this.#settle(id);
        reject(
          new SidecarRequestError(
            "timeout",
            `sidecar ${method} timed out after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, { method, handle, resolve, reject, timer });
      inc.writer.write(new TextEncoder().encode(line)).catch((err) => {
        this.#settle(id)?.reject(
          new SidecarRequestError(
            "exited",
            `cannot send ${method} to the sidecar: ${(err as Error).message}`,
          ),
        );
      });
    });
  }

  /** Fails every pending request of one device handle (it disconnected). */
  #failHandle(handle: string, reason: string): void {
    for (const [id, p] of [...this.#pending]) {
      if (p.handle !== handle) continue;
      this.#settle(id)?.reject(
        new SidecarRequestError(
          "disconnected",
          `sidecar ${p.method}: device disconnected (${reason})`,
        ),
      );
    }
  }

  // ----- exit and restart -------------------------------------------------------------------

  #onExit(inc: Incarnation, status: Deno.CommandStatus): void {
    if (this.#current === inc) this.#current = undefined;
    const expected = this.#disposing;
    const what = status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
    const waiter = this.#helloWaiter;
    if (waiter) {
      this.#helloWaiter = undefined;
      this.#o.clock.clearTimeout(waiter.timer);
      waiter.reject(
        new ButtplugUnknownError(
          `the hardware sidecar exited before saying hello (${what})`,
        ),
      );
    }
    for (const [id, p] of [...this.#pending]) {
      this.#settle(id)?.reject(
        new SidecarRequestError(
          "exited",
          `the hardware sidecar exited (${what}) during ${p.method}`,
        ),
      );
    }
    const devices = [...this.#hardware.values()];
    this.#hardware.clear();
    for (const hw of devices) hw._gone(`the hardware sidecar exited (${what})`);
    const ranLong = inc.helloAt !== undefined &&
      this.#o.clock.now() - inc.helloAt >= this.#o.restartResetAfterMs;
    if (ranLong) this.#restartDelay = this.#o.restartDelayMs;
    const restart = !expected && this.#o.restart && inc.hello !== undefined;
    const exit: SidecarExit = {
      code: status.signal ? null : status.code,
      signal: status.signal,
      expected,
      ...(restart ? { restartInMs: this.#restartDelay } : {}),
    };
    this.#lastExit = exit;
    if (!expected) {
      this.#o.logger.error(
        `sidecar: the hardware sidecar died (${what}); ${devices.length} device(s) lost` +
          (restart ? `, restarting in ${this.#restartDelay} ms` : ""),
      );
    }
    this.dispatchEvent(new CustomEvent("exit", { detail: exit }));
    if (restart) this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const delay = this.#restartDelay;
    this.#restartDelay = Math.min(
      this.#restartDelay * 2,
      this.#o.restartMaxDelayMs,
    );
    this.#restartTimer = this.#o.clock.setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#disposing) return;
      this.#restarts++;
      this.#launch().catch((err: Error) => {
        if (this.#disposing) return;
        const again = this.#o.restart;
        this.#o.logger.error(`sidecar: restart failed: ${err.message}`);
        this.dispatchEvent(
          new CustomEvent("restartfailed", {
            detail: {
              error: err,
              ...(again ? { restartInMs: this.#restartDelay } : {}),
            },
          }),
        );
        if (again) this.#scheduleRestart();
      });
    }, delay);
  }

  // ----- disposal ---------------------------------------------------------------------------

  /**
   * Stops supervising: closes the sidecar's stdin (it stops scans, closes every port and device,
   * and exits), kills it after the grace period, and waits for it to end. Idempotent.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= this.#dispose();
    return this.#disposed;
  }

  async #dispose(): Promise<void> {
    this.#disposing = true;
    this.#abort?.();
    if (this.#restartTimer !== undefined) {
      this.#o.clock.clearTimeout(this.#restartTimer);
      this.#restartTimer = undefined;
    }
    for (const m of this.#managers.values()) m._disposed();
    const inc = this.#current;
    if (!inc) return;
    inc.stdinClosed = true;
    for (const [id, p] of [...this.#pending]) {
      this.#settle(id)?.reject(
        new SidecarRequestError(
          "not_running",
          `the sidecar is shutting down (${p.method})`,
        ),
      );
    }
    await inc.writer.close().catch(() => {});
    let grace: TimerHandle | undefined;
    const killed = new Promise<void>((resolve) => {
      grace = this.#o.clock.setTimeout(() => {
        this.#o.logger.warn(
          `sidecar: did not exit ${this.#o.shutdownGraceMs} ms after stdin closed; killing it`,
        );
        this.#kill(inc);
        resolve();
      }, this.#o.shutdownGraceMs);
    });
    await Promise.race([inc.done, killed]);
    this.#o.clock.clearTimeout(grace);
    await inc.done;
  }
}

// ---------------------------------------------------------------------------------------------
// Managers, connectors, hardware
// ---------------------------------------------------------------------------------------------

/**
 * One transport of the sidecar as a {@linkcode HardwareManager}. `found` events carry
 * {@linkcode HardwareConnector}s; scans survive sidecar restarts (they are re-sent after the new
 * process says hello).
 *
 * The btle manager also reconnects known devices (unless
 * {@linkcode SidecarProcessOptions.bleReconnect} is `false`): every BLE device connected through
 * it is remembered, and when one drops without {@linkcode SidecarHardware.disconnect} being called
 * its address joins the sidecar's reconnect watch, which looks for it independently of client
 * scans. When it advertises again, `found` is emitted for it (also while not scanning) with a
 * connector whose {@linkcode SidecarConnector.reconnect} is true. A failed connect backs off
 * ({@linkcode ReconnectTracker}); a device that nobody connects from that `found` event (denied by
 * the user config, no protocol) is forgotten, so listeners take a reconnect by calling
 * `connect()` from their `found` listener, as the device layer does.
 */
export class SidecarHardwareManager extends TypedEventTarget<HardwareManagerEventMap>
  implements HardwareManager {
  /** The transport (`btle`, `serial`, `hid`, `usb`). */
  readonly name: SidecarTransport;
  readonly #link: SidecarLink;
  #wanted = false;
  #options: SidecarScanOptions = {};
  #disposed = false;
  /** btle: known devices that dropped unexpectedly. */
  readonly #reconnect?: ReconnectTracker;
  /** Whether the sidecar understands `watch` (an older one does not). */
  #watchSupported = true;

  /** @internal Created by {@linkcode SidecarProcess}. */
  constructor(transport: SidecarTransport, link: SidecarLink) {
    super();
    this.name = transport;
    this.#link = link;
    const policy = link.options.bleReconnect;
    if (transport === "btle" && policy) {
      this.#reconnect = new ReconnectTracker({
        clock: link.options.clock,
        logger: link.options.logger,
        options: policy,
        label: "sidecar: btle",
        onWatchChange: () => this.#sendWatch(),
      });
    }
  }

  /**
   * btle: addresses of known devices that dropped unexpectedly and are being watched for, to be
   * reconnected when they advertise again (empty for other transports).
   */
  get reconnecting(): readonly string[] {
    return this.#reconnect?.addresses ?? [];
  }

  /** btle: the reconnect bookkeeping (attempts, backoff), for diagnostics and tests. */
  get reconnectTracker(): ReconnectTracker | undefined {
    return this.#reconnect;
  }

  /** Whether a scan was started and not stopped (also while the sidecar restarts). */
  get scanning(): boolean {
    return this.#wanted;
  }

  /** Whether the transport works on this machine. */
  get available(): boolean {
    return this.#link.status(this.name).available;
  }

  /** Why the transport is unavailable or limited (from the sidecar's hello). */
  get reason(): string | undefined {
    return this.#link.status(this.name).reason;
  }

  /** Current scan options. */
  get scanOptions(): SidecarScanOptions {
    return this.#options;
  }

  /**
   * Sets scan options (see {@linkcode SidecarScanOptions}); a running scan restarts with them.
   */
  configure(options: SidecarScanOptions): Promise<void> {
    this.#options = { ...options };
    return this.#wanted && this.#link.running() ? this.#sendStart() : Promise.resolve();
  }

  /**
   * Serial only: the ports named by user-config specifiers (`port` values other than
   * `"default"`), reported whenever they exist even if port listing cannot see them.
   */
  watchPorts(ports: readonly (SerialSpecifier | string)[]): Promise<void> {
    if (this.name !== "serial") {
      return Promise.reject(
        new ButtplugDeviceError(
          `watchPorts is for the serial manager, not ${this.name}`,
        ),
      );
    }
    const paths = [
      ...new Set(
        ports.map((p) => typeof p === "string" ? p : p.port).filter((p) => p && p !== "default"),
      ),
    ];
    return this.configure({ ...this.#options, ports: paths });
  }

  /**
   * Starts scanning. An unavailable transport does not throw: it logs the reason and reports
   * `scanningfinished` right away, so the device layer's "all managers finished" logic holds.
   * While the sidecar is restarting, the scan starts as soon as it is back.
   */
  async startScanning(): Promise<void> {
    if (this.#disposed) {
      throw new ButtplugDeviceError(`the ${this.name} manager is disposed`);
    }
    if (this.#wanted) return;
    const status = this.#link.status(this.name);
    if (!status.available) {
      this.#link.options.logger.warn(
        `sidecar: cannot scan ${this.name}: ${status.reason ?? "unavailable"}`,
      );
      queueMicrotask(() => this.dispatchEvent(new Event("scanningfinished")));
      return;
    }
    this.#wanted = true;
    // While the sidecar restarts the scan stays wanted and is sent once it says hello again.
    if (!this.#link.running()) return;
    try {
      await this.#sendStart();
    } catch (err) {
      this.#wanted = false;
      throw err;
    }
  }

  /** Stops scanning. */
  async stopScanning(): Promise<void> {
    if (!this.#wanted) return;
    this.#wanted = false;
    if (!this.#link.running()) return;
    try {
      await this.#link.request(
        "scan.stop",
        { transport: this.name },
        this.#link.options.requestTimeoutMs,
      );
    } catch (err) {
      if (
        !(err instanceof SidecarRequestError &&
          (err.reason === "not_running" || err.reason === "exited"))
      ) {
        throw err;
      }
    }
  }

  /**
   * Stops scanning and the reconnect watch; the sidecar process itself is owned by
   * {@linkcode SidecarProcess}.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopScanning().catch(() => {});
    this.#disposed = true;
    const watched = this.#reconnect?.addresses.length ?? 0;
    this.#reconnect?.[Symbol.dispose]();
    if (watched > 0 && this.#watchSupported && this.#link.running()) {
      await this.#link.request(
        "watch",
        { transport: this.name, addresses: [] },
        this.#link.options.requestTimeoutMs,
      ).catch(() => {});
    }
  }

  /** Sends the reconnect watch list (the whole list: the sidecar replaces its own). */
  #sendWatch(): void {
    const tracker = this.#reconnect;
    if (!tracker || this.#disposed || !this.#watchSupported || !this.#link.running()) return;
    this.#link.request(
      "watch",
      { transport: this.name, addresses: [...tracker.addresses] },
      this.#link.options.requestTimeoutMs,
    ).catch((err: Error) => {
      const log = this.#link.options.logger;
      const reason = err instanceof SidecarRequestError ? err.reason : "";
      if (reason === "unknown_method") {
        this.#watchSupported = false;
        log.warn(
          `sidecar: this sidecar has no BLE reconnect watch (an older version); dropped devices come back only by scanning`,
        );
      } else if (reason === "not_running" || reason === "exited") {
        log.debug(`sidecar: btle watch not sent (${err.message}); it is re-sent on restart`);
      } else {
        log.warn(`sidecar: updating the btle reconnect watch failed: ${err.message}`);
      }
    });
  }

  /** A btle device was connected through this manager: remember it (known device). */
  #track(address: string, hw: SidecarHardware): void {
    const tracker = this.#reconnect;
    if (!tracker) return;
    tracker.connected(address);
    hw.addEventListener("disconnected", () => {
      if (hw.disconnectRequested) tracker.forget(address, "disconnected on request");
      else tracker.lost(address, hw.name);
    }, { once: true });
  }

  /** The reconnect watch saw a known device that dropped: announce it unless backing off. */
  #onSighting(found: FoundParams): void {
    const tracker = this.#reconnect;
    if (!tracker) return;
    const { address } = found.advertisement;
    if (tracker.sighted(address) !== "attempt") return;
    let claimed = false;
    const connector = new SidecarConnector(found, this.#link, {
      reconnect: true,
      onConnecting: () => claimed = true,
      onFailed: (err) => tracker.failed(address, err),
      onConnected: (hw) => this.#track(address, hw),
    });
    this.dispatchEvent(new CustomEvent("found", { detail: connector }));
    if (!claimed) tracker.unclaimed(address);
  }

  #sendStart(): Promise<void> {
    const o = this.#options;
    const params: Json = { transport: this.name };
    if (this.name === "btle") {
      if (o.names) params.names = [...o.names];
      if (o.services) params.services = [...o.services];
      if (o.companies) params.companies = [...o.companies];
    } else if (this.name === "serial") {
      params.ports = [...(o.ports ?? [])];
      if (o.intervalMs !== undefined) params.intervalMs = o.intervalMs;
    } else {
      if (o.pairs) {
        params.pairs = o.pairs.map((p) => ({
          vendorId: p.vendorId,
          productId: p.productId,
        }));
      }
      if (o.intervalMs !== undefined) params.intervalMs = o.intervalMs;
    }
    return this.#link.request(
      "scan.start",
      params,
      this.#link.options.requestTimeoutMs,
    ).then(
      () => {},
    );
  }

  /** @internal A `found` event for this transport. */
  _found(found: FoundParams): void {
    if (this.#disposed) return;
    if (found.watched) return this.#onSighting(found); // the reconnect watch, scanning or not
    if (!this.#wanted) return; // late reports after stopScanning

    this.dispatchEvent(
      new CustomEvent("found", {
        detail: new SidecarConnector(
          found,
          this.#link,
          this.#reconnect
            ? { onConnected: (hw) => this.#track(found.advertisement.address, hw) }
            : undefined,
        ),
      }),
    );
  }

  /** @internal The sidecar ended a scan by itself (adapter off). */
  _scanFinished(): void {
    if (!this.#wanted) return;
    this.#wanted = false;
    this.dispatchEvent(new Event("scanningfinished"));
  }

  /** @internal A new process said hello: resume the reconnect watch and a wanted scan. */
  _resume(): void {
    if (this.#disposed) return;
    this.#watchSupported = true;
    if (this.reconnecting.length > 0) this.#sendWatch();
    if (!this.#wanted) return;
    if (!this.#link.status(this.name).available) {
      this._scanFinished();
      return;
    }
    this.#sendStart().catch((err: Error) => {
      this.#link.options.logger.warn(
        `sidecar: resuming the ${this.name} scan failed: ${err.message}`,
      );
    });
  }

  /** @internal The owning process is being disposed. */
  _disposed(): void {
    this.#wanted = false;
    this.#disposed = true;
    this.#reconnect?.[Symbol.dispose]();
  }
}

/** @internal What a manager wants to hear about a connector's connects. */
interface ConnectorHooks {
  /** Whether the connector is a reconnect of a known device. */
  readonly reconnect?: boolean;
  /** `connect()` was called. */
  readonly onConnecting?: () => void;
  /** A connect failed. */
  readonly onFailed?: (err: unknown) => void;
  /** A connect succeeded. */
  readonly onConnected?: (hw: SidecarHardware) => void;
}

/** A device the sidecar found; {@linkcode SidecarConnector.connect} opens it. */
export class SidecarConnector implements HardwareConnector {
  /** What the transport saw. */
  readonly advertisement: Advertisement;
  /** Whether this is a known BLE device that dropped and is being reconnected. */
  readonly reconnect: boolean;
  readonly #path?: string;
  readonly #link: SidecarLink;
  readonly #hooks?: ConnectorHooks;

  /** @internal Created by {@linkcode SidecarHardwareManager}. */
  constructor(found: FoundParams, link: SidecarLink, hooks?: ConnectorHooks) {
    this.advertisement = found.advertisement;
    this.reconnect = hooks?.reconnect ?? false;
    this.#path = found.path;
    this.#link = link;
    this.#hooks = hooks;
  }

  /**
   * Connects using the chosen protocol's specifier: `btle` (binds its services' endpoints),
   * `serial` (opens the port with its baud rate, data bits, parity and stop bits),
   * `hid`/`usb` for HID devices, or `usb` for raw USB devices (endpoint `txvendorcontrol`; the
   * sidecar sends `txvendorcontrol` 0 before it closes such a device).
   */
  async connect(specifier: CommunicationSpecifier): Promise<Hardware> {
    this.#hooks?.onConnecting?.();
    try {
      return await this.#open(specifier);
    } catch (err) {
      this.#hooks?.onFailed?.(err);
      throw err;
    }
  }

  async #open(specifier: CommunicationSpecifier): Promise<SidecarHardware> {
    const { transport, address } = this.advertisement;
    const o = this.#link.options;
    const params: Json = { transport, address, timeoutMs: o.connectTimeoutMs };
    if (transport === "btle" && "btle" in specifier) {
      params.services = specifier.btle.services;
    } else if (transport === "serial" && "serial" in specifier) {
      const s = specifier.serial;
      if (s.port !== address && s.port !== "default") {
        o.logger.warn(
          `sidecar: connecting ${address} with the settings of port ${s.port}`,
        );
      }
      Object.assign(params, {
        baudRate: s.baud_rate,
        dataBits: s.data_bits,
        parity: s.parity,
        stopBits: s.stop_bits,
      });
    } else if (
      transport === "hid" && ("hid" in specifier || "usb" in specifier)
    ) {
      if (this.#path) params.path = this.#path;
      if (this.advertisement.vendorId !== undefined) {
        params.vendorId = this.advertisement.vendorId;
      }
      if (this.advertisement.productId !== undefined) {
        params.productId = this.advertisement.productId;
      }
    } else if (transport === "usb" && "usb" in specifier) {
      if (this.advertisement.vendorId !== undefined) {
        params.vendorId = this.advertisement.vendorId;
      }
      if (this.advertisement.productId !== undefined) {
        params.productId = this.advertisement.productId;
      }
      // Safety net: the sidecar writes `txvendorcontrol` 0 (the Trance Vibrator's "off") before it
      // closes the device, so the toy stops even when this process dies without stopping it.
      params.closeControl = { ...vendorControlSetup(new Uint8Array([0])) };
    } else {
      const kind = Object.keys(specifier)[0] ?? "empty";
      throw new ButtplugDeviceError(
        `cannot connect a ${transport} device with a ${kind} specifier`,
      );
    }
    const raw = await this.#link.request(
      "connect",
      params,
      o.connectTimeoutMs + o.requestTimeoutMs,
    );
    const result = parseConnectResult(raw);
    if (!result) {
      throw new SidecarRequestError(
        "invalid_reply",
        `the sidecar sent an invalid connect reply for ${address}`,
      );
    }
    const hw = new SidecarHardware(
      transport as SidecarTransport,
      result,
      this.#link,
    );
    this.#link.register(hw);
    this.#hooks?.onConnected?.(hw);
    return hw;
  }
}

/** A device connected through the sidecar, as a byte-level {@linkcode Hardware}. */
export class SidecarHardware extends TypedEventTarget<HardwareEventMap> implements Hardware {
  /** Advertised/product name. */
  readonly name: string;
  /** Unique id on its transport. */
  readonly address: string;
  /** Endpoint names actually bound. */
  readonly endpoints: readonly string[];
  /** Batching window (BLE 75 ms, others 0). */
  readonly messageGapMs: number;
  /** Whether the device task should send keepalive traffic. */
  readonly requiresKeepalive: boolean;
  /** The sidecar's handle of this connection. */
  readonly handle: string;
  /** The transport. */
  readonly transport: SidecarTransport;
  readonly #link: SidecarLink;
  #connected = true;
  #requested = false;

  /** @internal Created by {@linkcode SidecarConnector}. */
  constructor(
    transport: SidecarTransport,
    r: ConnectResult,
    link: SidecarLink,
  ) {
    super();
    this.transport = transport;
    this.handle = r.handle;
    this.name = r.name;
    this.address = r.address;
    // A raw USB device has only its control pipe; `txvendorcontrol` writes go through it.
    this.endpoints = transport === "usb"
      ? (r.endpoints.includes("control") ? [USB_VENDOR_CONTROL_ENDPOINT] : [])
      : r.endpoints;
    this.messageGapMs = r.messageGapMs;
    this.requiresKeepalive = transport === "btle" &&
      link.options.bleRequiresKeepalive;
    this.#link = link;
  }

  /** Whether the connection is up. */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Whether {@linkcode SidecarHardware.disconnect} was called (a requested disconnect, as opposed
   * to the device dropping or the sidecar dying). Requested disconnects are never reconnected.
   */
  get disconnectRequested(): boolean {
    return this.#requested;
  }

  #check(endpoint: string): void {
    if (!this.#connected) {
      throw new ButtplugDeviceError(
        `${this.name} (${this.address}) is disconnected`,
      );
    }
    if (!this.endpoints.includes(endpoint)) {
      throw new ButtplugDeviceError(
        `${this.name} (${this.address}) has no endpoint ${endpoint}`,
      );
    }
  }

  #writeOnly(endpoint: string, what: string): void {
    if (this.transport === "usb") {
      throw new ButtplugDeviceError(
        `${this.name} (${this.address}): cannot ${what} ${endpoint}, raw USB endpoints are write-only`,
      );
    }
  }

  #call(method: string, params: Json, timeoutMs: number): Promise<unknown> {
    return this.#link.request(
      method,
      { handle: this.handle, ...params },
      timeoutMs,
      this.handle,
    );
  }

  /**
   * Writes bytes to an endpoint. On a raw USB device the one endpoint is `txvendorcontrol`: the
   * bytes become one vendor control transfer (see {@linkcode vendorControlSetup}).
   */
  async write(
    endpoint: string,
    data: Uint8Array,
    withResponse: boolean,
  ): Promise<void> {
    this.#check(endpoint);
    if (this.transport === "usb") {
      await this.#call(
        "control",
        { ...vendorControlSetup(data) },
        this.#link.options.requestTimeoutMs,
      );
      return;
    }
    await this.#call(
      "write",
      { endpoint, data: Array.from(data), withResponse },
      this.#link.options.requestTimeoutMs,
    );
  }

  /** Reads from an endpoint (serial: buffered bytes, waiting up to `timeoutMs` for some). */
  async read(
    endpoint: string,
    length: number,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    this.#check(endpoint);
    this.#writeOnly(endpoint, "read");
    const result = await this.#call(
      "read",
      { endpoint, length, timeoutMs },
      timeoutMs + this.#link.options.requestTimeoutMs,
    );
    if (!isRecord(result) || !isByteArray(result.data)) {
      throw new SidecarRequestError(
        "invalid_reply",
        `the sidecar sent an invalid read reply for ${this.address}`,
      );
    }
    return new Uint8Array(result.data);
  }

  /** Starts notifications on an endpoint. */
  async subscribe(endpoint: string): Promise<void> {
    this.#check(endpoint);
    this.#writeOnly(endpoint, "subscribe to");
    await this.#call(
      "subscribe",
      { endpoint },
      this.#link.options.requestTimeoutMs,
    );
  }

  /** Ends notifications on an endpoint. */
  async unsubscribe(endpoint: string): Promise<void> {
    this.#check(endpoint);
    this.#writeOnly(endpoint, "unsubscribe from");
    await this.#call(
      "unsubscribe",
      { endpoint },
      this.#link.options.requestTimeoutMs,
    );
  }

  /** Closes the connection and emits `disconnected`. Idempotent. */
  async disconnect(): Promise<void> {
    if (!this.#connected) return;
    this.#requested = true;
    try {
      await this.#call("disconnect", {}, this.#link.options.requestTimeoutMs);
    } catch (err) {
      // Already gone on the sidecar side (or the sidecar is gone): nothing left to close.
      const gone = err instanceof SidecarRequestError &&
        ["not_found", "not_running", "exited", "disconnected"].includes(
          err.reason,
        );
      if (!gone) {
        this.#link.options.logger.warn(
          `sidecar: disconnecting ${this.address}: ${(err as Error).message}`,
        );
      }
    } finally {
      this._gone("disconnect requested");
    }
  }

  /** @internal Notification from the sidecar. */
  _notify(endpoint: string, data: Uint8Array): void {
    if (!this.#connected) return;
    this.dispatchEvent(
      new CustomEvent("notification", { detail: { endpoint, data } }),
    );
  }

  /** @internal The device went away (or the sidecar died). Emits `disconnected` once. */
  _gone(reason: string): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#link.unregister(this);
    this.#link.options.logger.info(
      `sidecar: ${this.transport} ${this.address} disconnected (${reason})`,
    );
    this.dispatchEvent(new Event("disconnected"));
  }
}

/**
 * Scan options derived from device-config specifiers for one transport: BLE names, advertised
 * services and manufacturer companies; serial ports other than `"default"`; HID/USB pairs (for
 * `hid` the pairs of `hid` and `usb` specifiers, for `usb` those of `usb` specifiers only).
 * Handy for narrowing what the sidecar reports (the device layer still matches precisely).
 */
export function scanOptionsFor(
  transport: SidecarTransport,
  specifiers: Iterable<CommunicationSpecifier>,
): SidecarScanOptions {
  const names = new Set<string>();
  const services = new Set<string>();
  const companies = new Set<number>();
  const ports = new Set<string>();
  const pairs = new Map<string, { vendorId: number; productId: number }>();
  const usbPairs = new Map<string, { vendorId: number; productId: number }>();
  for (const s of specifiers) {
    if ("btle" in s) {
      s.btle.names.forEach((n) => names.add(n));
      s.btle.advertised_services?.forEach((u) => services.add(u));
      s.btle.manufacturer_data?.forEach((m) => companies.add(m.company));
    } else if ("serial" in s) {
      if (s.serial.port !== "default") ports.add(s.serial.port);
    } else if ("hid" in s || "usb" in s) {
      const list = "hid" in s ? s.hid.pairs : s.usb.pairs;
      for (const p of list) {
        const pair = { vendorId: p.vendor_id, productId: p.product_id };
        pairs.set(`${p.vendor_id}:${p.product_id}`, pair);
        if ("usb" in s) usbPairs.set(`${p.vendor_id}:${p.product_id}`, pair);
      }
    }
  }
  if (transport === "btle") {
    return {
      names: [...names],
      services: [...services],
      companies: [...companies],
    };
  }
  if (transport === "serial") return { ports: [...ports] };
  if (transport === "usb") return { pairs: [...usbPairs.values()] };
  return { pairs: [...pairs.values()] };
}

/** The endpoint of a raw USB device (device config name): vendor control transfers. */
export const USB_VENDOR_CONTROL_ENDPOINT = "txvendorcontrol";

/** The sidecar `control` params of one raw USB control transfer (OUT). */
export interface UsbControlSetup {
  /** Always `out` for endpoint writes. */
  readonly direction: "out";
  /** `vendor` for `txvendorcontrol`. */
  readonly requestType: "standard" | "class" | "vendor";
  /** `interface` for `txvendorcontrol`. */
  readonly recipient: "device" | "interface" | "endpoint" | "other";
  /** bRequest. */
  readonly request: number;
  /** wValue. */
  readonly value: number;
  /** wIndex. */
  readonly index: number;
  /** Data stage (empty for `txvendorcontrol`). */
  readonly data: readonly number[];
}

/**
 * What a write of `data` to `txvendorcontrol` means on a raw USB device: one vendor control
 * transfer OUT on the default pipe, addressed to interface 0, request 1, wValue = the written
 * value (one byte, or two bytes little-endian), wIndex 0, no data stage. That is the PlayStation 2
 * Trance Vibrator's speed command (request type 0x41, as the Linux `trancevibrator` driver sends
 * it), the only device the config drives through this endpoint.
 *
 * @example
 * ```ts
 * import { vendorControlSetup } from "./sidecar.ts";
 * const setup = vendorControlSetup(new Uint8Array([128]));
 * console.assert(setup.requestType === "vendor" && setup.request === 1 && setup.value === 128);
 * ```
 */
export function vendorControlSetup(data: Uint8Array): UsbControlSetup {
  if (data.length < 1 || data.length > 2) {
    throw new ButtplugDeviceError(
      `a ${USB_VENDOR_CONTROL_ENDPOINT} write carries the 1- or 2-byte wValue, got ${data.length} bytes`,
    );
  }
  return {
    direction: "out",
    requestType: "vendor",
    recipient: "interface",
    request: 1,
    value: data[0] | ((data[1] ?? 0) << 8),
    index: 0,
    data: [],
  };
}
