/**
 * A raw WebSocket peer for server tests: sends frames verbatim and waits for messages, so tests
 * see exactly what the server puts on the wire.
 *
 * @module
 */

/** One message object of a frame: `{ Name: { ...fields } }`. */
export type WireMessage = Record<string, Record<string, unknown>>;

/** A WebSocket client that queues every incoming message for the test to consume. */
export class RawWsClient implements AsyncDisposable {
  readonly socket: WebSocket;
  /** Every message received so far, in order (frames flattened). */
  readonly received: WireMessage[] = [];
  /** Text frames that were not JSON arrays. */
  readonly garbage: string[] = [];
  /** Resolves with the close event. */
  readonly closed: Promise<CloseEvent>;
  #waiters: (() => void)[] = [];
  #nextId = 1;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (e) => {
        resolve(e);
        this.#wake();
      });
    });
    socket.addEventListener("message", (e) => {
      if (typeof e.data !== "string") {
        this.garbage.push("<binary>");
      } else {
        try {
          const frame = JSON.parse(e.data);
          if (Array.isArray(frame)) this.received.push(...frame);
          else this.garbage.push(e.data);
        } catch {
          this.garbage.push(e.data);
        }
      }
      this.#wake();
    });
  }

  /** Opens a connection to `url`, optionally offering sub-protocols. */
  static async connect(url: string, protocols?: string[]): Promise<RawWsClient> {
    const socket = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    const client = new RawWsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), {
        once: true,
      });
    });
    return client;
  }

  /** Whether the socket is open. */
  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a text frame verbatim (a string) or serialized (anything else). */
  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** A fresh message Id. */
  id(): number {
    return this.#nextId++;
  }

  /**
   * Waits for the first not yet consumed message matching `match` and consumes it (messages
   * before it stay available). Rejects after `ms` or when the socket closes first.
   */
  async next(match: (m: WireMessage) => boolean = () => true, ms = 3000): Promise<WireMessage> {
    const deadline = Date.now() + ms;
    while (true) {
      const index = this.received.findIndex(match);
      if (index !== -1) {
        const [message] = this.received.splice(index, 1);
        return message;
      }
      if (this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(`socket closed while waiting; got ${JSON.stringify(this.received)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for a message; got ${JSON.stringify(this.received)}`);
      }
      await this.#wait(left);
    }
  }

  /**
   * Waits until `count` messages were received in total, the socket closed, or `ms` passed.
   * Returns whether the count was reached.
   */
  async waitForCount(count: number, ms = 3000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.readyState === WebSocket.CLOSED) return false;
      await this.#wait(left);
    }
    return true;
  }

  /** Sends one message with a fresh Id and waits for the reply carrying that Id. */
  async request(name: string, fields: Record<string, unknown> = {}): Promise<WireMessage> {
    const id = this.id();
    this.send([{ [name]: { Id: id, ...fields } }]);
    return await this.next((m) => bodyOf(m).Id === id);
  }

  /** Performs a v4 handshake and returns the ServerInfo body. */
  async handshake(clientName = "raw test client"): Promise<Record<string, unknown>> {
    const reply = await this.request("RequestServerInfo", {
      ClientName: clientName,
      ProtocolVersionMajor: 4,
      ProtocolVersionMinor: 0,
    });
    if (!reply.ServerInfo) throw new Error(`handshake failed: ${JSON.stringify(reply)}`);
    return reply.ServerInfo;
  }

  /** Closes the socket and waits for the close to complete. */
  async close(code = 1000, reason = ""): Promise<CloseEvent> {
    if (this.socket.readyState < WebSocket.CLOSING) this.socket.close(code, reason);
    return await this.closed;
  }

  /** Same as {@linkcode RawWsClient.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** The message name (single key). */
export function nameOf(message: WireMessage): string {
  return Object.keys(message)[0] ?? "";
}

/** The message fields. */
export function bodyOf(message: WireMessage): Record<string, unknown> {
  return message[nameOf(message)] ?? {};
}
