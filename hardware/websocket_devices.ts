/**
 * The WebSocket device server (DEVICES.md §4.7): a {@linkcode HardwareManager} that lets
 * simulated and DIY devices connect over a WebSocket, the way Intiface Engine's
 * `--use-device-websocket-server` does.
 *
 * A device (the *peer*) connects to `ws://127.0.0.1:54817` (any path) and sends, as its first
 * frame, a text frame with JSON `{"identifier": "<name>", "address": "<unique id>", "version":
 * <int>}`. Anything else closes the connection with a reason (close code 1008, or 1003 for a
 * binary first frame). The manager then emits `found` with the advertisement name
 * `Websocket Device <identifier>`; a protocol matches it only through a `websocket` specifier
 * with that identifier, added in a user config:
 *
 * ```json
 * { "user_configs": { "protocols": { "lovense": {
 *     "communication": [{ "websocket": { "name": "LVS-Test" } }] } } } }
 * ```
 *
 * The {@linkcode Hardware} it connects to:
 *
 * - name = identifier (generic protocols use it as the config identifier), address = address,
 *   endpoints `rx` and `tx`, no batching window, no keepalive requirement;
 * - every write (to `tx` or `rx`) goes to the peer as one **binary** frame holding the raw
 *   protocol bytes;
 * - every frame the peer sends (text as UTF-8, or binary) is delivered as **one** notification
 *   while an endpoint is subscribed. It is labelled **`rx`** when `rx` is subscribed, otherwise
 *   `tx` when only `tx` is. Upstream labels everything `tx` (DEVICES.md §5.6), which breaks the
 *   many protocols that wait for replies on `rx` specifically (fluffer, fredorch, thehandy,
 *   honeyplaybox, vibcrafter...); with the rule above those work, Lovense (which subscribes `rx`
 *   and listens on any endpoint) works, and a protocol written against upstream's label that
 *   subscribes `tx` still gets its data. Unsubscribing an endpoint that is not subscribed is an
 *   error, like upstream;
 * - reads are not supported (a clear {@linkcode ButtplugDeviceError});
 * - `disconnect()` closes the socket (code 1000); the peer closing, a socket error or a missed
 *   liveness pong emits `disconnected`.
 *
 * Liveness: after `pingIntervalMs` (default 10 s) without traffic from the peer the server sends
 * a WebSocket ping; if nothing (not even the pong) arrives within the same time again the socket
 * is closed and the device disconnected. Deno's WebSocket API cannot send pings itself, so this
 * uses `Deno.upgradeWebSocket`'s `idleTimeout` (real time; the interval is the injectable part).
 * The identification deadline (`handshakeTimeoutMs`) runs on the injectable {@linkcode Clock}.
 *
 * Start/StopScanning are no-ops: peers may connect at any time while the manager lives, and
 * {@linkcode WebSocketDeviceManager.scanning} is always false (so it never holds back the
 * clients' `ScanningFinished`).
 *
 * @example
 * ```ts ignore
 * import { WebSocketDeviceManager } from "./websocket_devices.ts";
 * import { ProtocolDeviceSource } from "../server/devices/pipeline.ts";
 * await using ws = new WebSocketDeviceManager({ port: 0 });
 * const source = new ProtocolDeviceSource({ managers: [ws], config });
 * console.log(`DIY devices connect to ${ws.url}`);
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

/** Default port of the device WebSocket server (Intiface Engine's). */
export const DEFAULT_DEVICE_WEBSOCKET_PORT = 54817;
/** Default liveness ping interval in ms. */
export const DEFAULT_DEVICE_PING_INTERVAL_MS = 10_000;
/** Default time a peer has to send its identification frame, in ms. */
export const DEFAULT_DEVICE_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default largest frame accepted from a peer, in bytes. */
export const DEFAULT_DEVICE_MAX_FRAME_BYTES = 64 * 1024;
/** Prefix of the advertisement name (stripped again by specifier matching). */
export const WEBSOCKET_DEVICE_NAME_PREFIX = "Websocket Device ";

/** Close code: normal closure (the server disconnected the device). */
const CLOSE_NORMAL = 1000;
/** Close code: the server is going away. */
const CLOSE_GOING_AWAY = 1001;
/** Close code: unsupported data (a binary identification frame). */
const CLOSE_UNSUPPORTED_DATA = 1003;
/** Close code: policy violation (a bad identification frame, a timeout, a duplicate). */
const CLOSE_POLICY = 1008;
/** Longest close reason a close frame can carry, in bytes. */
const MAX_CLOSE_REASON_BYTES = 123;
/** How long a shutdown waits for each socket's closing handshake. */
const CLOSE_WAIT_MS = 1000;
/** What the identification frame must look like (for close reasons and logs). */
const IDENT_SHAPE = '{"identifier","address","version"}';

/** Options of a {@linkcode WebSocketDeviceManager}. */
export interface WebSocketDeviceManagerOptions {
  /** Port to listen on (default {@linkcode DEFAULT_DEVICE_WEBSOCKET_PORT}; 0 picks a free one). */
  readonly port?: number;
  /** Listen on every interface (`0.0.0.0`) instead of `127.0.0.1`. */
  readonly allInterfaces?: boolean;
  /** Explicit address to bind (overrides `allInterfaces`). */
  readonly hostname?: string;
  /**
   * Liveness: a ping after this many ms without traffic; the peer is dropped when nothing
   * answers within the same time again. Default {@linkcode DEFAULT_DEVICE_PING_INTERVAL_MS};
   * 0 disables it.
   */
  readonly pingIntervalMs?: number;
  /**
   * Close a peer that has not sent its identification frame after this many ms (on `clock`).
   * Default {@linkcode DEFAULT_DEVICE_HANDSHAKE_TIMEOUT_MS}; 0 disables it.
   */
  readonly handshakeTimeoutMs?: number;
  /** Largest accepted frame in bytes (default {@linkcode DEFAULT_DEVICE_MAX_FRAME_BYTES}). */
  readonly maxFrameBytes?: number;
  /** Clock for the identification deadline (default: the system clock). */
  readonly clock?: Clock;
  /** Log sink (default: silent). */
  readonly logger?: Logger;
  /** Aborting it shuts the manager down, as `[Symbol.asyncDispose]` does. */
  readonly signal?: AbortSignal;
  /** Called once listening, with the real address. */
  readonly onListen?: (addr: Deno.NetAddr) => void;
}

/** What a peer announced in its identification frame. */
export interface WebSocketDeviceIdentification {
  /** Device identifier (the config name a `websocket` specifier must list). */
  readonly identifier: string;
  /** Unique address of the device. */
  readonly address: string;
  /** Peer protocol version (informational). */
  readonly version: number;
}

/**
 * Parses and validates an identification frame.
 *
 * @example
 * ```ts
 * import { parseIdentification } from "./websocket_devices.ts";
 * const id = parseIdentification('{"identifier":"LVS-Test","address":"abc","version":1}');
 * console.assert(id.identifier === "LVS-Test" && id.address === "abc");
 * ```
 *
 * @throws {ButtplugDeviceError} with a one-line reason when the frame is not valid.
 */
export function parseIdentification(frame: string): WebSocketDeviceIdentification {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    throw new ButtplugDeviceError(`first frame is not JSON; expected ${IDENT_SHAPE}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ButtplugDeviceError(`first frame must be a JSON object ${IDENT_SHAPE}`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of ["identifier", "address"] as const) {
    if (typeof obj[key] !== "string" || (obj[key] as string).length === 0) {
      throw new ButtplugDeviceError(`"${key}" must be a non-empty string`);
    }
  }
  const version = obj.version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 0) {
    throw new ButtplugDeviceError(`"version" must be a non-negative integer`);
  }
  return { identifier: obj.identifier as string, address: obj.address as string, version };
}

/**
 * A {@linkcode HardwareManager} running a WebSocket server that simulated and DIY devices
 * connect to. It starts listening when constructed (throws `Deno.errors.AddrInUse` when the port
 * is taken) and stops on `[Symbol.asyncDispose]` or when `signal` aborts.
 *
 * @example
 * ```ts ignore
 * await using ws = new WebSocketDeviceManager({ port: 0, pingIntervalMs: 10_000 });
 * ws.addEventListener("found", (e) => console.log(e.detail.advertisement.name));
 * ```
 */
export class WebSocketDeviceManager extends TypedEventTarget<HardwareManagerEventMap>
  implements HardwareManager, AsyncDisposable {
  /** Name for logs. */
  readonly name = "websocket";
  /** The bound address (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #idleTimeoutSeconds: number;
  readonly #handshakeTimeoutMs: number;
  readonly #maxFrameBytes: number;
  readonly #signal?: AbortSignal;
  readonly #peers = new Set<Peer>();
  readonly #byAddress = new Map<string, Peer>();
  #closing?: Promise<void>;

  /** Starts listening. */
  constructor(options: WebSocketDeviceManagerOptions = {}) {
    super();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    const ping = checkMs("pingIntervalMs", options.pingIntervalMs) ??
      DEFAULT_DEVICE_PING_INTERVAL_MS;
    this.#idleTimeoutSeconds = ping > 0 ? (2 * ping) / 1000 : 0;
    this.#handshakeTimeoutMs = checkMs("handshakeTimeoutMs", options.handshakeTimeoutMs) ??
      DEFAULT_DEVICE_HANDSHAKE_TIMEOUT_MS;
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_DEVICE_MAX_FRAME_BYTES;
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 64) {
      throw new RangeError(`maxFrameBytes must be an integer ≥ 64, got ${maxFrameBytes}`);
    }
    this.#maxFrameBytes = maxFrameBytes;
    const port = options.port ?? DEFAULT_DEVICE_WEBSOCKET_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
    }
    this.#server = Deno.serve({
      hostname: options.hostname ?? (options.allInterfaces ? "0.0.0.0" : "127.0.0.1"),
      port,
      onListen: (addr) => options.onListen?.(addr),
      onError: (err) => {
        this.#logger.warn(`device websocket server: request failed: ${errorText(err)}`);
        return new Response("internal server error", { status: 500 });
      },
    }, this.#handle);
    this.addr = this.#server.addr;
    this.#logger.info(`device websocket server listening on ${this.url}`);
    this.#signal = options.signal;
    if (this.#signal?.aborted) this.#onAbort();
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The bound port. */
  get port(): number {
    return this.addr.port;
  }

  /** `ws://host:port` for devices to connect to. */
  get url(): string {
    const host = this.addr.hostname.includes(":") ? `[${this.addr.hostname}]` : this.addr.hostname;
    return `ws://${host}:${this.addr.port}`;
  }

  /** Always false: the server accepts devices whether or not a scan runs. */
  get scanning(): boolean {
    return false;
  }

  /** Identified devices currently connected, by address. */
  get connectedAddresses(): string[] {
    return [...this.#byAddress.keys()];
  }

  /** No-op (devices may connect at any time). */
  startScanning(): Promise<void> {
    return Promise.resolve();
  }

  /** No-op. */
  stopScanning(): Promise<void> {
    return Promise.resolve();
  }

  readonly #onAbort = (): void => {
    this[Symbol.asyncDispose]().catch((err) =>
      this.#logger.warn(`device websocket server: shutdown failed: ${errorText(err)}`)
    );
  };

  readonly #handle = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response => {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response(
        "This is the Buttplug device WebSocket server: devices connect with a WebSocket and " +
          `send ${IDENT_SHAPE} as their first frame.\n`,
        { status: 426, headers: { upgrade: "websocket", "content-type": "text/plain" } },
      );
    }
    if (this.#closing) return new Response("server is shutting down\n", { status: 503 });
    // Read before upgrading: the request (and its address) is closed by the upgrade.
    const remote = `${info.remoteAddr.hostname}:${info.remoteAddr.port}`;
    let upgrade: { socket: WebSocket; response: Response };
    try {
      upgrade = Deno.upgradeWebSocket(req, { idleTimeout: this.#idleTimeoutSeconds });
    } catch (err) {
      return new Response(`bad WebSocket upgrade request: ${errorText(err)}\n`, { status: 400 });
    }
    const peer = new Peer(upgrade.socket, remote, {
      clock: this.#clock,
      logger: this.#logger,
      handshakeTimeoutMs: this.#handshakeTimeoutMs,
      maxFrameBytes: this.#maxFrameBytes,
      onIdentified: (p) => this.#onIdentified(p),
      onClosed: (p) => {
        this.#peers.delete(p);
        if (p.identification && this.#byAddress.get(p.identification.address) === p) {
          this.#byAddress.delete(p.identification.address);
        }
      },
    });
    this.#peers.add(peer);
    return upgrade.response;
  };

  /** An identified peer: refused when its address is taken, else announced. */
  #onIdentified(peer: Peer): void {
    const ident = peer.identification!;
    if (this.#closing) return;
    if (this.#byAddress.has(ident.address)) {
      peer.close(CLOSE_POLICY, `a device with address "${ident.address}" is already connected`);
      return;
    }
    this.#byAddress.set(ident.address, peer);
    peer.announced = true;
    this.#logger.info(
      `websocket device "${ident.identifier}" (${ident.address}, version ${ident.version}) ` +
        `connected from ${peer.remote}`,
    );
    this.dispatchEvent(new CustomEvent("found", { detail: new Connector(peer) }));
  }

  /** Closes every device connection (code 1001) and stops listening. Idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#closing ??= (async () => {
      this.#signal?.removeEventListener("abort", this.#onAbort);
      await Promise.all([...this.#peers].map((p) => {
        p.close(CLOSE_GOING_AWAY, "server shutting down");
        return withTimeout(p.closed, CLOSE_WAIT_MS);
      }));
      await this.#server.shutdown();
    })();
    return this.#closing;
  }
}

interface PeerHooks {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly handshakeTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly onIdentified: (peer: Peer) => void;
  readonly onClosed: (peer: Peer) => void;
}

/** One device connection: identification, then frames to and from its hardware. */
class Peer {
  readonly socket: WebSocket;
  readonly remote: string;
  readonly closed: Promise<void>;
  identification?: WebSocketDeviceIdentification;
  /** Whether the manager announced it (`found`); refused duplicates are not. */
  announced = false;
  /** The hardware once connected (at most one per connection). */
  hardware?: DeviceHardware;
  readonly #hooks: PeerHooks;
  #handshakeTimer?: TimerHandle;
  #closeReason?: string;
  #socketError?: string;
  #gone = false;

  constructor(socket: WebSocket, remote: string, hooks: PeerHooks) {
    this.socket = socket;
    this.remote = remote;
    this.#hooks = hooks;
    socket.binaryType = "arraybuffer";
    if (hooks.handshakeTimeoutMs > 0) {
      this.#handshakeTimer = hooks.clock.setTimeout(() => {
        this.#handshakeTimer = undefined;
        this.close(
          CLOSE_POLICY,
          `no identification frame ${IDENT_SHAPE} within ${hooks.handshakeTimeoutMs} ms`,
        );
      }, hooks.handshakeTimeoutMs);
    }
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (e) => {
        this.#onClose(e);
        resolve();
      }, { once: true });
    });
    socket.addEventListener("error", (e) => {
      this.#socketError = (e as ErrorEvent).message || "socket error";
    });
    socket.addEventListener("message", (e) => this.#onMessage(e.data));
  }

  /** Whether the socket can still carry frames. */
  get open(): boolean {
    return !this.#gone && this.socket.readyState === WebSocket.OPEN;
  }

  /** Why the connection ended (after `closed`). */
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  #onMessage(data: unknown): void {
    if (this.#gone) return;
    const size = typeof data === "string" ? data.length : (data as ArrayBuffer).byteLength;
    if (!this.identification) {
      this.#clearHandshakeTimer();
      if (typeof data !== "string") {
        this.close(CLOSE_UNSUPPORTED_DATA, `first frame must be a text frame ${IDENT_SHAPE}`);
        return;
      }
      if (size > this.#hooks.maxFrameBytes) {
        this.close(CLOSE_POLICY, `first frame too large (${size} bytes)`);
        return;
      }
      try {
        this.identification = parseIdentification(data);
      } catch (err) {
        this.close(CLOSE_POLICY, `bad identification frame: ${(err as Error).message}`);
        return;
      }
      this.#hooks.onIdentified(this);
      return;
    }
    if (size > this.#hooks.maxFrameBytes) {
      this.#hooks.logger.warn(
        `websocket device ${this.identification.address}: dropped a ${size}-byte frame ` +
          `(limit ${this.#hooks.maxFrameBytes})`,
      );
      return;
    }
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : new Uint8Array(data as ArrayBuffer);
    this.hardware?.deliver(bytes);
  }

  /** Closes the socket with a (truncated) reason. */
  close(code: number, reason: string): void {
    this.#clearHandshakeTimer();
    this.#closeReason ??= reason;
    if (
      this.socket.readyState === WebSocket.CLOSING || this.socket.readyState === WebSocket.CLOSED
    ) {
      return;
    }
    if (!this.identification || code !== CLOSE_NORMAL) {
      this.#hooks.logger.debug(`websocket device connection from ${this.remote}: ${reason}`);
    }
    try {
      this.socket.close(code, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES));
    } catch {
      // Already closing.
    }
  }

  #onClose(event: CloseEvent): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#clearHandshakeTimer();
    this.#closeReason ??= this.#socketError === "No response from ping frame."
      ? "no response to the liveness ping (connection lost)"
      : event.wasClean
      ? `device closed the connection (code ${event.code}${
        event.reason ? `: ${event.reason}` : ""
      })`
      : `connection lost (code ${event.code}${this.#socketError ? `: ${this.#socketError}` : ""})`;
    this.#hooks.onClosed(this);
    if (this.identification && this.announced) {
      this.#hooks.logger.info(
        `websocket device "${this.identification.identifier}" (${this.identification.address}) ` +
          `disconnected: ${this.#closeReason}`,
      );
    }
    this.hardware?.gone();
  }

  #clearHandshakeTimer(): void {
    if (this.#handshakeTimer === undefined) return;
    this.#hooks.clock.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
  }
}

/** The connector a `found` event of a {@linkcode WebSocketDeviceManager} carries. */
export interface WebSocketDeviceConnector extends HardwareConnector {
  /** What the peer announced in its identification frame. */
  readonly identification: WebSocketDeviceIdentification;
  /**
   * Binds `rx` and `tx` on the peer's connection (any specifier kind is accepted: the matching
   * was done by the pipeline). Rejects with a {@linkcode ButtplugDeviceError} when the peer went
   * away or its hardware is already connected.
   */
  connect(specifier: CommunicationSpecifier): Promise<WebSocketDeviceHardware>;
}

/** A connected WebSocket device; see the module documentation for its semantics. */
export interface WebSocketDeviceHardware extends Hardware {
  /** Whether the device went away or was disconnected. */
  readonly disconnected: boolean;
  /** Endpoints currently subscribed. */
  readonly subscribed: ReadonlySet<string>;
  /** Why the connection ended, once it has. */
  readonly closeReason: string | undefined;
}

class Connector implements WebSocketDeviceConnector {
  readonly advertisement: Advertisement;
  readonly #peer: Peer;

  constructor(peer: Peer) {
    this.#peer = peer;
    const ident = peer.identification!;
    this.advertisement = {
      transport: "websocket",
      name: `${WEBSOCKET_DEVICE_NAME_PREFIX}${ident.identifier}`,
      address: ident.address,
    };
  }

  get identification(): WebSocketDeviceIdentification {
    return this.#peer.identification!;
  }

  connect(_specifier: CommunicationSpecifier): Promise<WebSocketDeviceHardware> {
    const peer = this.#peer;
    if (!peer.open) {
      return Promise.reject(
        new ButtplugDeviceError(`websocket device ${this.advertisement.address} went away`),
      );
    }
    if (peer.hardware && !peer.hardware.disconnected) {
      return Promise.reject(
        new ButtplugDeviceError(`websocket device ${this.advertisement.address} is in use`),
      );
    }
    peer.hardware = new DeviceHardware(peer);
    return Promise.resolve(peer.hardware);
  }
}

/** Endpoints of a WebSocket device. */
const ENDPOINTS: readonly string[] = ["rx", "tx"];

class DeviceHardware extends TypedEventTarget<HardwareEventMap> implements WebSocketDeviceHardware {
  /** The device identifier. */
  readonly name: string;
  /** The device address. */
  readonly address: string;
  /** `rx` and `tx`. */
  readonly endpoints: readonly string[] = ENDPOINTS;
  /** No batching window. */
  readonly messageGapMs = 0;
  /** The liveness ping keeps the link; protocols need not. */
  readonly requiresKeepalive = false;
  readonly #peer: Peer;
  readonly #subscribed = new Set<string>();
  #disconnected = false;

  constructor(peer: Peer) {
    super();
    this.#peer = peer;
    this.name = peer.identification!.identifier;
    this.address = peer.identification!.address;
  }

  /** Whether the device went away or was disconnected. */
  get disconnected(): boolean {
    return this.#disconnected;
  }

  /** Endpoints currently subscribed. */
  get subscribed(): ReadonlySet<string> {
    return this.#subscribed;
  }

  /** Why the connection ended, once it has. */
  get closeReason(): string | undefined {
    return this.#peer.closeReason;
  }

  #check(endpoint: string, op: string): void {
    if (this.#disconnected || !this.#peer.open) {
      throw new ButtplugDeviceError(`websocket device ${this.name} is disconnected`);
    }
    if (!ENDPOINTS.includes(endpoint)) {
      throw new ButtplugDeviceError(
        `websocket device ${this.name} has no endpoint "${endpoint}" (${op}; it has rx, tx)`,
      );
    }
  }

  /** Sends `data` to the peer as one binary frame. */
  write(endpoint: string, data: Uint8Array, _withResponse: boolean): Promise<void> {
    try {
      this.#check(endpoint, "write");
      this.#peer.socket.send(data.slice());
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(asDeviceError(err, `write to websocket device ${this.name} failed`));
    }
  }

  /** Not supported: always rejects with a {@linkcode ButtplugDeviceError}. */
  read(endpoint: string, _length: number, _timeoutMs: number): Promise<Uint8Array> {
    return Promise.reject(
      new ButtplugDeviceError(
        `websocket device ${this.name} does not support reads (endpoint "${endpoint}"); ` +
          "the device must send data on its own, delivered as notifications",
      ),
    );
  }

  /** Starts delivering the peer's frames as notifications (see the module docs for labels). */
  subscribe(endpoint: string): Promise<void> {
    try {
      this.#check(endpoint, "subscribe");
    } catch (err) {
      return Promise.reject(err);
    }
    this.#subscribed.add(endpoint);
    return Promise.resolve();
  }

  /** Stops delivering on `endpoint`; rejects when it was not subscribed. */
  unsubscribe(endpoint: string): Promise<void> {
    try {
      this.#check(endpoint, "unsubscribe");
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#subscribed.delete(endpoint)) {
      return Promise.reject(
        new ButtplugDeviceError(`websocket device ${this.name}: "${endpoint}" is not subscribed`),
      );
    }
    return Promise.resolve();
  }

  /** Closes the connection (code 1000) and emits `disconnected` once. Idempotent. */
  disconnect(): Promise<void> {
    this.#peer.close(CLOSE_NORMAL, "disconnected by server");
    this.gone();
    return Promise.resolve();
  }

  /** A frame from the peer. */
  deliver(data: Uint8Array): void {
    if (this.#disconnected) return;
    const endpoint = this.#subscribed.has("rx")
      ? "rx"
      : this.#subscribed.has("tx")
      ? "tx"
      : undefined;
    if (endpoint === undefined) return;
    this.dispatchEvent(new CustomEvent("notification", { detail: { endpoint, data } }));
  }

  /** The connection ended. */
  gone(): void {
    if (this.#disconnected) return;
    this.#disconnected = true;
    this.#subscribed.clear();
    this.dispatchEvent(new Event("disconnected"));
  }
}

function checkMs(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of ms, got ${value}`);
  }
  return value;
}

function asDeviceError(err: unknown, context: string): ButtplugDeviceError {
  if (err instanceof ButtplugDeviceError) return err;
  return new ButtplugDeviceError(`${context}: ${errorText(err)}`, 0, { cause: err });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let out = "";
  let used = 0;
  for (const ch of text) {
    const n = new TextEncoder().encode(ch).length;
    if (used + n > maxBytes - 3) break;
    out += ch;
    used += n;
  }
  return out + "...";
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}
