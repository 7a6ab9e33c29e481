/**
 * A connector over the standard `WebSocket` (Deno and browsers): one JSON text frame per batch.
 *
 * @module
 */
import { type Clock, systemClock } from "../protocol/clock.ts";
import { ButtplugClientConnectorError, ButtplugMessageError } from "../protocol/errors.ts";
import type { RawMessage } from "../protocol/messages.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import type { ButtplugConnector, ButtplugConnectorEventMap } from "./connector.ts";
import { ButtplugDisconnectEvent, ButtplugErrorEvent } from "./events.ts";

/** Options of a {@linkcode WebSocketConnector}. */
export interface WebSocketConnectorOptions {
  /** Milliseconds to wait for the connection to open (default 10000). */
  readonly connectTimeout?: number;
  /** WebSocket sub-protocols to offer. */
  readonly protocols?: string | string[];
  /** Timer source for the connect timeout (default: the system clock). */
  readonly clock?: Clock;
}

/** Default Intiface Engine address. */
export const DEFAULT_SERVER_URL = "ws://127.0.0.1:12345";

/**
 * Connects to a Buttplug server (Intiface Engine, or ours) over a WebSocket.
 *
 * @example
 * ```ts ignore
 * import { ButtplugClient, WebSocketConnector } from "./mod.ts";
 * await using client = new ButtplugClient("my app");
 * await client.connect(new WebSocketConnector("ws://127.0.0.1:12345"));
 * ```
 */
export class WebSocketConnector extends TypedEventTarget<ButtplugConnectorEventMap>
  implements ButtplugConnector {
  /** The server address. */
  readonly url: string;
  readonly #connectTimeout: number;
  readonly #protocols?: string | string[];
  readonly #clock: Clock;
  #socket?: WebSocket;
  #open = false;
  #closeReason?: string;
  #closed?: Promise<void>;

  /** Creates a connector for `url` (default `ws://127.0.0.1:12345`). */
  constructor(url: string | URL = DEFAULT_SERVER_URL, options: WebSocketConnectorOptions = {}) {
    super();
    this.url = String(url);
    this.#connectTimeout = options.connectTimeout ?? 10_000;
    this.#protocols = options.protocols;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether the socket is open. */
  get connected(): boolean {
    return this.#open;
  }

  /**
   * Opens the socket. Rejects with a `ButtplugClientConnectorError` when nothing listens, the
   * server refuses the upgrade, or the connect timeout passes.
   */
  connect(): Promise<void> {
    if (this.#socket) {
      return Promise.reject(new ButtplugClientConnectorError(`already connected to ${this.url}`));
    }
    let socket: WebSocket;
    try {
      socket = this.#protocols === undefined
        ? new WebSocket(this.url)
        : new WebSocket(this.url, this.#protocols);
    } catch (err) {
      return Promise.reject(
        new ButtplugClientConnectorError(`cannot connect to ${this.url}: ${describe(err)}`, {
          cause: err,
        }),
      );
    }
    this.#socket = socket;
    this.#closeReason = undefined;
    let markClosed!: () => void;
    this.#closed = new Promise((resolve) => markClosed = resolve);

    return new Promise<void>((resolve, reject) => {
      let failure: ButtplugClientConnectorError | undefined;
      let settled = false;
      const timer = this.#clock.setTimeout(() => {
        failure = new ButtplugClientConnectorError(
          `connecting to ${this.url} timed out after ${this.#connectTimeout} ms`,
        );
        socket.close();
      }, this.#connectTimeout);

      socket.addEventListener("open", () => {
        this.#clock.clearTimeout(timer);
        if (failure) return; // Timed out at the same moment; the close handler rejects.
        settled = true;
        this.#open = true;
        resolve();
      });
      socket.addEventListener("error", (event) => {
        if (settled || failure) return;
        const detail = (event as ErrorEvent).message;
        failure = new ButtplugClientConnectorError(
          `cannot connect to ${this.url}: ${
            detail || "connection refused"
          } (is a Buttplug server running there?)`,
        );
      });
      socket.addEventListener("message", (event) => this.#onMessage(event));
      socket.addEventListener("close", (event) => {
        this.#clock.clearTimeout(timer);
        this.#socket = undefined;
        const wasOpen = this.#open;
        this.#open = false;
        markClosed();
        if (!settled) {
          settled = true;
          reject(
            failure ??
              new ButtplugClientConnectorError(
                `cannot connect to ${this.url}: closed before opening (code ${event.code}${
                  event.reason ? `, ${event.reason}` : ""
                })`,
              ),
          );
          return;
        }
        if (wasOpen) {
          const reason = this.#closeReason ?? (event.reason ||
            `connection closed (code ${event.code})`);
          this.dispatchEvent(new ButtplugDisconnectEvent(reason));
        }
      });
    });
  }

  /** Sends one frame as JSON text. Throws when the socket is not open. */
  send(messages: RawMessage[]): void {
    const socket = this.#socket;
    if (!socket || !this.#open || socket.readyState !== WebSocket.OPEN) {
      throw new ButtplugClientConnectorError(`not connected to ${this.url}`);
    }
    socket.send(JSON.stringify(messages));
  }

  /** Closes the socket (code 1000) and waits for it to close. */
  async disconnect(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    this.#closeReason ??= "client disconnected";
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
      socket.close(1000, "client disconnected");
    }
    // A server that never answers the close handshake must not hang the caller forever.
    let timer: unknown;
    const gaveUp = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(resolve, this.#connectTimeout);
    });
    await Promise.race([this.#closed, gaveUp]);
    this.#clock.clearTimeout(timer);
  }

  /** Same as {@linkcode WebSocketConnector.disconnect}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disconnect();
  }

  #onMessage(event: MessageEvent): void {
    if (typeof event.data !== "string") {
      this.#error("binary frame from server ignored (Buttplug uses text frames)");
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(event.data);
    } catch (err) {
      this.#error(`invalid JSON from server: ${describe(err)}`);
      return;
    }
    if (!Array.isArray(frame) || frame.length === 0) {
      this.#error("invalid frame from server: not a non-empty JSON array");
      return;
    }
    this.dispatchEvent(new CustomEvent("message", { detail: frame as RawMessage[] }));
  }

  #error(message: string): void {
    this.dispatchEvent(new ButtplugErrorEvent(new ButtplugMessageError(message)));
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
