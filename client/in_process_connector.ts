/**
 * A connector wired straight to a server session in the same process: no sockets, no JSON.
 *
 * @module
 */
import { ButtplugClientConnectorError, ButtplugMessageError } from "../protocol/errors.ts";
import type { RawMessage } from "../protocol/messages.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import type { ButtplugConnector, ButtplugConnectorEventMap } from "./connector.ts";
import { ButtplugDisconnectEvent, ButtplugErrorEvent } from "./events.ts";

/** What a server session is given to talk back to its client. */
export interface ServerSessionOutput {
  /** Delivers one frame (an array of message objects) to the client. */
  send(messages: RawMessage[]): void;
  /** Ends the connection from the server side (e.g. after a ping timeout). */
  close(reason: string): void;
}

/** One server session, as the connector drives it. */
export interface ServerSession {
  /** Handles one frame from the client (an array of message objects, as parsed JSON would be). */
  receive(frame: unknown): Promise<void>;
  /** Ends the session (the server stops every device). */
  close(reason?: string): Promise<void>;
}

/**
 * Creates a fresh server session for each connection, e.g.
 * `ButtplugServer.factory({ deviceManager })`.
 */
export type ServerSessionFactory = (output: ServerSessionOutput) => ServerSession;

interface Link {
  session?: ServerSession;
  open: boolean;
  /** Set by the client's `disconnect()`: frames still in flight are dropped. */
  discard?: boolean;
}

/**
 * Connects a client to a server session in the same process. Frames are passed as objects
 * (deep-copied with `structuredClone` in both directions, so neither side can corrupt the other),
 * and server → client frames are delivered asynchronously, in order, like a real transport.
 *
 * The connector never imports server code: it takes a {@linkcode ServerSessionFactory}.
 *
 * @example
 * ```ts ignore
 * import { ButtplugClient, InProcessConnector } from "./mod.ts";
 * import { ButtplugServer } from "../server/server.ts";
 * import { DeviceManager } from "../server/devices/manager.ts";
 *
 * const deviceManager = new DeviceManager();
 * await using client = new ButtplugClient("my app");
 * await client.connect(new InProcessConnector(ButtplugServer.factory({ deviceManager })));
 * ```
 */
export class InProcessConnector extends TypedEventTarget<ButtplugConnectorEventMap>
  implements ButtplugConnector {
  readonly #factory: ServerSessionFactory;
  #link?: Link;

  /** Creates a connector that calls `factory` on every `connect()`. */
  constructor(factory: ServerSessionFactory) {
    super();
    this.#factory = factory;
  }

  /** Whether a session is open. */
  get connected(): boolean {
    return this.#link?.open ?? false;
  }

  /** Creates a new server session. */
  connect(): Promise<void> {
    if (this.#link) {
      return Promise.reject(
        new ButtplugClientConnectorError("in-process connector already connected"),
      );
    }
    const link: Link = { open: true };
    this.#link = link;
    const output: ServerSessionOutput = {
      send: (messages) => this.#fromServer(link, messages),
      close: (reason) => {
        if (!link.open) return;
        link.open = false;
        // Queued behind the frames already sent, so the client sees them first.
        queueMicrotask(() => this.#ended(link, String(reason)));
      },
    };
    try {
      link.session = this.#factory(output);
    } catch (err) {
      this.#link = undefined;
      link.open = false;
      return Promise.reject(
        new ButtplugClientConnectorError(`server session factory failed: ${describe(err)}`, {
          cause: err,
        }),
      );
    }
    return Promise.resolve();
  }

  /** Hands a copy of the frame to the server session. */
  send(messages: RawMessage[]): void {
    const link = this.#link;
    if (!link?.open || !link.session) {
      throw new ButtplugClientConnectorError("in-process connector is not connected");
    }
    let frame: RawMessage[];
    try {
      frame = structuredClone(messages);
    } catch (err) {
      throw new ButtplugMessageError(`message cannot be sent: ${describe(err)}`, 0, { cause: err });
    }
    link.session.receive(frame).catch((err) => {
      if (link.open) {
        this.dispatchEvent(
          new ButtplugErrorEvent(
            new ButtplugClientConnectorError(`server session failed: ${describe(err)}`, {
              cause: err,
            }),
          ),
        );
      }
    });
  }

  /** Closes the server session (which stops every device). */
  async disconnect(): Promise<void> {
    const link = this.#link;
    if (!link) return;
    const wasOpen = link.open;
    link.open = false;
    link.discard = true;
    try {
      await link.session?.close("client disconnected");
    } catch {
      // The session is gone either way.
    }
    if (wasOpen) this.#ended(link, "client disconnected");
  }

  /** Same as {@linkcode InProcessConnector.disconnect}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disconnect();
  }

  #fromServer(link: Link, messages: RawMessage[]): void {
    if (!link.open) return;
    let copy: unknown;
    try {
      copy = structuredClone(messages);
    } catch (err) {
      copy = err;
    }
    queueMicrotask(() => {
      if (this.#link !== link || link.discard) return;
      if (Array.isArray(copy)) {
        this.dispatchEvent(new CustomEvent("message", { detail: copy as RawMessage[] }));
      } else {
        const why = copy instanceof Error ? copy.message : "not an array";
        this.dispatchEvent(
          new ButtplugErrorEvent(new ButtplugMessageError(`invalid frame from server: ${why}`)),
        );
      }
    });
  }

  #ended(link: Link, reason: string): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    this.dispatchEvent(new ButtplugDisconnectEvent(reason));
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
