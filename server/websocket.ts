/**
 * The WebSocket listener: Intiface-Engine-compatible transport for {@linkcode ButtplugServer}.
 *
 * - {@linkcode ButtplugWebSocketHandler}: a request handler `(req: Request) => Response` that
 *   upgrades WebSocket requests, runs one {@linkcode ButtplugServer} session per connection and
 *   answers plain HTTP `GET` with a short JSON status. Usable with any `Deno.serve`-style server.
 * - {@linkcode serveWebSocket}: a thin `Deno.serve` wrapper binding 127.0.0.1 by default.
 *
 * Like Intiface Engine it serves **one client at a time**: a second connection gets one Buttplug
 * `Error` frame (Id 0, ERROR_INIT, "a client is already connected") and is closed. When the
 * client leaves (close, network loss, ping timeout, missed WebSocket pong) its session is closed,
 * which stops every device, and the next client is accepted. Devices stay connected and keep their
 * indexes because the {@linkcode DeviceManager} is shared by every session.
 *
 * @module
 */
import { ButtplugServer } from "./server.ts";
import type { ServerOutput } from "./server.ts";
import type { DeviceManager } from "./devices/manager.ts";
import { type Logger, silentLogger } from "./log.ts";
import { buildStatus, type ClientStatus, type ServerStatus } from "./status.ts";
import type { Clock } from "../protocol/clock.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { RawMessage } from "../protocol/messages.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";

/** Default port of Intiface Engine's WebSocket server. */
export const DEFAULT_WEBSOCKET_PORT = 12345;
/** Default bind address (loopback only). */
export const DEFAULT_HOSTNAME = "127.0.0.1";
/** Default `ServerName` sent in `ServerInfo`. */
export const DEFAULT_SERVER_NAME = "deno-buttplug";
/** Default largest accepted text frame, in bytes (1 MiB). */
export const DEFAULT_MAX_FRAME_BYTES: number = 1024 * 1024;
/** Default WebSocket-level keepalive: a ping after this many idle milliseconds. */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 10_000;
/** Error message sent to a connection refused because another client is connected. */
export const CLIENT_ALREADY_CONNECTED = "a client is already connected";

/** WebSocket close code sent when the session ends normally. */
const CLOSE_NORMAL = 1000;
/** WebSocket close code sent when the server shuts down. */
const CLOSE_GOING_AWAY = 1001;
/** WebSocket close code sent to a refused second client ("try again later"). */
const CLOSE_TRY_AGAIN_LATER = 1013;
/** Longest close reason a WebSocket close frame can carry, in bytes. */
const MAX_CLOSE_REASON_BYTES = 123;
/** How long a shutdown waits for each socket's closing handshake. */
const CLOSE_WAIT_MS = 1000;

/** Options of a {@linkcode ButtplugWebSocketHandler}. */
export interface WebSocketHandlerOptions {
  /** The device registry shared by every session. */
  readonly deviceManager: DeviceManager;
  /** `ServerName` sent in `ServerInfo` (default {@linkcode DEFAULT_SERVER_NAME}). */
  readonly serverName?: string;
  /** Buttplug `MaxPingTime` in ms (default 0: no ping required). */
  readonly maxPingTime?: number;
  /** Close a client that has not completed the handshake after this many ms. */
  readonly handshakeTimeout?: number;
  /** Clock for the sessions' timers (default: the system clock). */
  readonly clock?: Clock;
  /** Where log lines go (default: nowhere). */
  readonly logger?: Logger;
  /**
   * WebSocket keepalive, in ms: after this long without traffic the server sends a ping frame
   * and drops the socket if nothing (not even a pong) arrives within the same time again.
   * Default {@linkcode DEFAULT_KEEPALIVE_INTERVAL_MS}; 0 disables it.
   */
  readonly keepaliveInterval?: number;
  /** Largest accepted text frame in bytes (default {@linkcode DEFAULT_MAX_FRAME_BYTES}). */
  readonly maxFrameBytes?: number;
}

/** Detail of the `clientconnected` event. */
export interface ClientConnectedDetail {
  /** `host:port` of the client socket. */
  readonly remoteAddress: string;
}

/** Detail of the `clientdisconnected` event. */
export interface ClientDisconnectedDetail {
  /** `ClientName` from the handshake, if it happened. */
  readonly clientName: string | undefined;
  /** `host:port` of the client socket. */
  readonly remoteAddress: string;
  /** Why the client left. */
  readonly reason: string;
}

/** Events of a {@linkcode ButtplugWebSocketHandler}. */
export interface WebSocketHandlerEventMap {
  /** A client's socket opened and it owns the session slot. */
  clientconnected: CustomEvent<ClientConnectedDetail>;
  /** The client left and its session is closed (every device stopped); the slot is free. */
  clientdisconnected: CustomEvent<ClientDisconnectedDetail>;
  /** A connection was refused because another client is connected. */
  clientrefused: CustomEvent<ClientConnectedDetail>;
}

/**
 * Request handler serving Buttplug over WebSocket, one client at a time.
 *
 * @example
 * ```ts ignore
 * import { ButtplugWebSocketHandler } from "./websocket.ts";
 * import { DeviceManager } from "./devices/manager.ts";
 * await using handler = new ButtplugWebSocketHandler({ deviceManager: new DeviceManager() });
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0 }, handler.handle);
 * // ... later
 * await handler.close("bye");
 * await server.shutdown();
 * ```
 */
export class ButtplugWebSocketHandler extends TypedEventTarget<WebSocketHandlerEventMap> {
  readonly #deviceManager: DeviceManager;
  readonly #serverName: string;
  readonly #maxPingTime?: number;
  readonly #handshakeTimeout?: number;
  readonly #clock?: Clock;
  readonly #logger: Logger;
  readonly #idleTimeoutSeconds: number;
  readonly #maxFrameBytes: number;
  #active: Connection | undefined;
  readonly #connections = new Set<TrackedConnection>();
  #closed = false;

  /** Creates a handler; nothing listens until it is given to a server. */
  constructor(options: WebSocketHandlerOptions) {
    super();
    this.#deviceManager = options.deviceManager;
    this.#serverName = options.serverName ?? DEFAULT_SERVER_NAME;
    this.#maxPingTime = checkMs("maxPingTime", options.maxPingTime);
    this.#handshakeTimeout = checkMs("handshakeTimeout", options.handshakeTimeout);
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    const keepalive = checkMs("keepaliveInterval", options.keepaliveInterval) ??
      DEFAULT_KEEPALIVE_INTERVAL_MS;
    // Deno pings after idleTimeout/2 of silence and drops the socket idleTimeout/2 later.
    this.#idleTimeoutSeconds = keepalive > 0 ? (2 * keepalive) / 1000 : 0;
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1) {
      throw new RangeError(`maxFrameBytes must be a positive integer, got ${maxFrameBytes}`);
    }
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** The session of the connected client, if any. */
  get session(): ButtplugServer | undefined {
    return this.#active?.session;
  }

  /** Whether a client currently owns the session slot. */
  get clientConnected(): boolean {
    return this.#active !== undefined && !this.#active.leaving;
  }

  /** The status a plain HTTP `GET` answers with. */
  status(): ServerStatus {
    const conn = this.#active;
    let client: ClientStatus | null = null;
    if (conn && !conn.leaving) {
      const session = conn.session;
      client = {
        ...(session.clientName === undefined ? {} : { name: session.clientName }),
        ...(session.specVersion === undefined ? {} : { specVersion: session.specVersion }),
        state: session.state,
        remoteAddress: conn.remoteAddress,
      };
    }
    return buildStatus(this.#serverName, client, this.#deviceManager);
  }

  /**
   * Handles one HTTP request: upgrades WebSocket requests (any path), answers `GET /` and
   * `GET /status` with the JSON status, other paths with 404 and other methods with 405.
   */
  readonly handle = (req: Request, info?: Deno.ServeHandlerInfo): Response => {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return this.#http(req);
    if (this.#closed) return jsonResponse({ error: "server is shutting down" }, 503);
    // Read the peer address before upgrading: the request is consumed by the upgrade.
    const remoteAddress = formatAddress(info?.remoteAddr);
    const offered = req.headers.get("sec-websocket-protocol");
    const protocol = offered?.split(",")[0].trim() || undefined;
    let upgrade: { socket: WebSocket; response: Response };
    try {
      upgrade = Deno.upgradeWebSocket(req, { protocol, idleTimeout: this.#idleTimeoutSeconds });
    } catch (err) {
      this.#logger.debug(`bad WebSocket upgrade request: ${errorText(err)}`);
      return jsonResponse({ error: `bad WebSocket upgrade request: ${errorText(err)}` }, 400);
    }
    if (this.#active && !this.#active.leaving) {
      this.#refuse(upgrade.socket, remoteAddress);
    } else {
      this.#accept(upgrade.socket, remoteAddress);
    }
    return upgrade.response;
  };

  /**
   * Disconnects the current client with `reason` (its session stops every device) and refuses
   * every later connection. Resolves once the session is closed.
   */
  async close(reason = "server shutting down"): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#connections].map((conn) => conn.disconnect(reason)));
  }

  /** Same as {@linkcode ButtplugWebSocketHandler.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #http(req: Request): Response {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return jsonResponse({ error: `method ${req.method} not allowed` }, 405, {
        allow: "GET, HEAD",
      });
    }
    const path = new URL(req.url).pathname;
    if (path !== "/" && path !== "/status") return jsonResponse({ error: "not found" }, 404);
    return jsonResponse(this.status(), 200);
  }

  #refuse(socket: WebSocket, remoteAddress: string): void {
    this.#logger.warn(`refused client from ${remoteAddress}: ${CLIENT_ALREADY_CONNECTED}`);
    const conn = new RefusedConnection(socket, this.#connections);
    this.#connections.add(conn);
    this.dispatchEvent(new CustomEvent("clientrefused", { detail: { remoteAddress } }));
  }

  #accept(socket: WebSocket, remoteAddress: string): void {
    const previous = this.#active;
    const session = new ButtplugServer(
      {
        send: (messages: RawMessage[]) => conn.send(messages),
        close: (reason: string) => conn.endSession(reason),
      } satisfies ServerOutput,
      {
        deviceManager: this.#deviceManager,
        serverName: this.#serverName,
        ...(this.#maxPingTime === undefined ? {} : { maxPingTime: this.#maxPingTime }),
        ...(this.#handshakeTimeout === undefined
          ? {}
          : { handshakeTimeout: this.#handshakeTimeout }),
        ...(this.#clock === undefined ? {} : { clock: this.#clock }),
        logger: this.#logger,
      },
    );
    const conn: Connection = new Connection(socket, session, remoteAddress, {
      maxFrameBytes: this.#maxFrameBytes,
      logger: this.#logger,
      // A client arriving while the previous one is still being stopped waits for that stop.
      ready: previous?.left,
      onOpen: () => {
        this.#logger.info(`client connected from ${remoteAddress}`);
        this.dispatchEvent(new CustomEvent("clientconnected", { detail: { remoteAddress } }));
      },
      onLeft: (reason) => {
        this.#connections.delete(conn);
        if (this.#active === conn) this.#active = undefined;
        const name = session.clientName;
        if (name === undefined) {
          this.#logger.info(`client from ${remoteAddress} left before the handshake: ${reason}`);
        } else {
          // The session already logged the departure at info level.
          this.#logger.debug(`client "${name}" from ${remoteAddress} left: ${reason}`);
        }
        this.dispatchEvent(
          new CustomEvent("clientdisconnected", {
            detail: { clientName: name, remoteAddress, reason },
          }),
        );
      },
    });
    this.#active = conn;
    this.#connections.add(conn);
  }
}

/** What the handler needs from each tracked socket. */
interface TrackedConnection {
  disconnect(reason: string): Promise<void>;
}

/** A refused second client: one Error frame, then a close. */
class RefusedConnection implements TrackedConnection {
  readonly #socket: WebSocket;
  readonly #closed: Promise<void>;

  constructor(socket: WebSocket, registry: Set<TrackedConnection>) {
    this.#socket = socket;
    this.#closed = new Promise((resolve) => {
      socket.addEventListener("close", () => {
        registry.delete(this);
        resolve();
      }, { once: true });
    });
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify([{
        Error: { Id: 0, ErrorCode: ErrorCode.Init, ErrorMessage: CLIENT_ALREADY_CONNECTED },
      }]));
      socket.close(CLOSE_TRY_AGAIN_LATER, CLIENT_ALREADY_CONNECTED);
    });
    // Frames the refused client manages to send before the close are ignored.
    socket.addEventListener("message", () => {});
  }

  async disconnect(): Promise<void> {
    closeSocket(this.#socket, CLOSE_GOING_AWAY, "server shutting down");
    await withTimeout(this.#closed, CLOSE_WAIT_MS);
  }
}

interface ConnectionHooks {
  readonly maxFrameBytes: number;
  readonly logger: Logger;
  /** Resolves when the previous client's session is fully closed. */
  readonly ready: Promise<void> | undefined;
  readonly onOpen: () => void;
  readonly onLeft: (reason: string) => void;
}

/** One accepted client: its socket, its session and the bookkeeping between them. */
class Connection implements TrackedConnection {
  readonly socket: WebSocket;
  readonly session: ButtplugServer;
  readonly remoteAddress: string;
  /** Set once the client is leaving; resolves when its session is closed. */
  left: Promise<void> | undefined;
  readonly #hooks: ConnectionHooks;
  /** Frames received while waiting for the previous client's session to close. */
  #queued: string[] | undefined;
  /** Why the server ended the connection, when it did. */
  #serverReason: string | undefined;
  /** Last error reported by the socket (e.g. the keepalive failure). */
  #socketError: string | undefined;
  readonly #socketClosed: Promise<void>;

  constructor(
    socket: WebSocket,
    session: ButtplugServer,
    remoteAddress: string,
    hooks: ConnectionHooks,
  ) {
    this.socket = socket;
    this.session = session;
    this.remoteAddress = remoteAddress;
    this.#hooks = hooks;
    if (hooks.ready) {
      this.#queued = [];
      hooks.ready.then(() => this.#flushQueue());
    }
    this.#socketClosed = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        resolve();
        this.#leave(this.#closeReason(event));
      }, { once: true });
    });
    socket.addEventListener("open", () => hooks.onOpen(), { once: true });
    socket.addEventListener("error", (event) => {
      this.#socketError = (event as ErrorEvent).message || "socket error";
    });
    socket.addEventListener("message", (event) => this.#onMessage(event.data));
    session.addEventListener("close", (event) => this.endSession(event.detail.reason));
  }

  /** Whether the client is leaving or gone. */
  get leaving(): boolean {
    return this.left !== undefined;
  }

  /** Sends one frame (one `JSON.stringify`) if the socket is open. */
  send(messages: RawMessage[]): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify(messages));
  }

  /** The session ended on its own (ping timeout, handshake failure...): close the socket. */
  endSession(reason: string): void {
    this.#serverReason ??= reason;
    closeSocket(this.socket, CLOSE_NORMAL, reason);
    // Free the slot now: the client may reconnect as soon as it sees our close frame.
    void this.#leave(reason);
  }

  /** Closes the socket with `reason` and the session (stopping every device). */
  async disconnect(reason: string): Promise<void> {
    this.#serverReason ??= reason;
    closeSocket(this.socket, CLOSE_GOING_AWAY, reason);
    const left = this.#leave(reason);
    await Promise.all([left, withTimeout(this.#socketClosed, CLOSE_WAIT_MS)]);
  }

  #onMessage(data: unknown): void {
    if (typeof data !== "string") {
      this.#sendError(
        ErrorCode.Message,
        "binary frames are not supported: send each Buttplug message batch as a JSON text frame",
      );
      return;
    }
    const max = this.#hooks.maxFrameBytes;
    if (data.length > max || (data.length * 3 > max && utf8Length(data) > max)) {
      this.#sendError(
        ErrorCode.Message,
        `frame too large: ${utf8Length(data)} bytes, the limit is ${max} bytes`,
      );
      return;
    }
    if (this.#queued) {
      this.#queued.push(data);
      return;
    }
    this.#receive(data);
  }

  #receive(frame: string): void {
    if (this.left) return;
    this.session.receive(frame).catch(this.#onReceiveError);
  }

  /** The session promises never to reject; should it, the client still gets an answer. */
  readonly #onReceiveError = (err: unknown): void => {
    this.#hooks.logger.error(`session failed on a frame: ${errorText(err)}`);
    this.#sendError(ErrorCode.Unknown, `internal server error: ${errorText(err)}`);
  };

  #flushQueue(): void {
    const queued = this.#queued ?? [];
    this.#queued = undefined;
    for (const frame of queued) this.#receive(frame);
  }

  #sendError(code: number, message: string): void {
    this.send([{ Error: { Id: 0, ErrorCode: code, ErrorMessage: message } }]);
  }

  #closeReason(event: CloseEvent): string {
    if (this.#serverReason !== undefined) return this.#serverReason;
    if (this.#socketError === "No response from ping frame.") {
      return "no response to WebSocket keepalive ping (connection lost)";
    }
    if (event.wasClean) {
      const detail = event.reason ? `: ${event.reason}` : "";
      return `client closed the connection (code ${event.code}${detail})`;
    }
    const detail = this.#socketError ? `: ${this.#socketError}` : "";
    return `connection lost (code ${event.code}${detail})`;
  }

  #leave(reason: string): Promise<void> {
    if (this.left) return this.left;
    this.#queued = undefined;
    this.left = (async () => {
      // Wait for the previous client's stop before ours, so stops never interleave.
      await this.#hooks.ready;
      try {
        await this.session.close(reason);
      } catch (err) {
        this.#hooks.logger.error(`closing the session failed: ${errorText(err)}`);
      }
      this.#hooks.onLeft(reason);
    })();
    return this.left;
  }
}

/** Options of {@linkcode serveWebSocket}. */
export interface ServeWebSocketOptions extends WebSocketHandlerOptions {
  /** Address to bind (default {@linkcode DEFAULT_HOSTNAME}; `0.0.0.0` for all interfaces). */
  readonly hostname?: string;
  /** Port to bind (default {@linkcode DEFAULT_WEBSOCKET_PORT}; 0 picks a free port). */
  readonly port?: number;
  /** Aborting it shuts the server down (as {@linkcode ButtplugWebSocketServer.shutdown}). */
  readonly signal?: AbortSignal;
  /** Called once listening, with the real address. */
  readonly onListen?: (addr: Deno.NetAddr) => void;
}

/** A running WebSocket server; see {@linkcode serveWebSocket}. */
export interface ButtplugWebSocketServer extends AsyncDisposable {
  /** The bound address (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** The bound port. */
  readonly port: number;
  /** `ws://host:port` to give to clients. */
  readonly url: string;
  /** The request handler (sessions, status, events). */
  readonly handler: ButtplugWebSocketHandler;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
  /**
   * Disconnects the client with `reason` (stopping every device) and stops listening.
   * Idempotent.
   */
  shutdown(reason?: string): Promise<void>;
}

/**
 * Serves Buttplug over WebSocket with `Deno.serve`, on 127.0.0.1:12345 by default.
 * Throws `Deno.errors.AddrInUse` when the port is taken.
 *
 * @example
 * ```ts ignore
 * import { serveWebSocket } from "./websocket.ts";
 * import { DeviceManager } from "./devices/manager.ts";
 * await using server = serveWebSocket({ deviceManager: new DeviceManager(), port: 0 });
 * console.log(`listening on ${server.url}`);
 * ```
 */
export function serveWebSocket(options: ServeWebSocketOptions): ButtplugWebSocketServer {
  const handler = new ButtplugWebSocketHandler(options);
  const logger = options.logger ?? silentLogger;
  const httpServer = Deno.serve({
    hostname: options.hostname ?? DEFAULT_HOSTNAME,
    port: options.port ?? DEFAULT_WEBSOCKET_PORT,
    onListen: (addr) => options.onListen?.(addr as Deno.NetAddr),
    onError: (err) => {
      logger.error(`HTTP handler failed: ${errorText(err)}`);
      return jsonResponse({ error: "internal server error" }, 500);
    },
  }, handler.handle);
  const addr = httpServer.addr as Deno.NetAddr;
  let stopping: Promise<void> | undefined;
  const shutdown = (reason = "server shutting down"): Promise<void> => {
    stopping ??= (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      await handler.close(reason);
      await httpServer.shutdown();
    })();
    return stopping;
  };
  const onAbort = () => void shutdown("server shutting down (aborted)");
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    addr,
    port: addr.port,
    url: `ws://${host}:${addr.port}`,
    handler,
    finished: httpServer.finished,
    shutdown,
    [Symbol.asyncDispose]: () => shutdown(),
  };
}

function jsonResponse(
  body: unknown,
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function formatAddress(addr: Deno.Addr | undefined): string {
  if (!addr || !("hostname" in addr)) return "unknown";
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.CLOSING || socket.readyState === WebSocket.CLOSED) return;
  try {
    socket.close(code, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES));
  } catch {
    // Already closing: nothing to do.
  }
}

/** Number of bytes of `text` in UTF-8, without allocating. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let out = "";
  for (const ch of text) {
    if (utf8Length(out + ch) > maxBytes - 3) break;
    out += ch;
  }
  return out + "...";
}

/** Validates an optional millisecond option (integer in 0..2^32-1). */
function checkMs(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`${name} must be an integer number of ms in 0..4294967295, got ${value}`);
  }
  return value;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise,
    new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}
