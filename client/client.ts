/**
 * {@linkcode ButtplugClient}: the spec v4 client. Connects through a
 * {@linkcode ButtplugConnector}, performs the handshake, keeps the session alive with Ping,
 * tracks devices and matches replies to requests by Id.
 *
 * @module
 */
import { type Clock, systemClock } from "../protocol/clock.ts";
import {
  ButtplugClientConnectorError,
  ButtplugError,
  ButtplugInitError,
  ButtplugMessageError,
  ButtplugPingError,
  ButtplugUnknownError,
  ErrorCode,
} from "../protocol/errors.ts";
import {
  type ClientMessageV4,
  messageBody,
  messageName,
  type RawMessage,
  type ServerMessageName,
  type ServerMessageV4,
  SPEC_VERSION_MAJOR,
  SPEC_VERSION_MINOR,
} from "../protocol/messages.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import type { ButtplugConnector } from "./connector.ts";
import { ButtplugClientDevice, deviceControl } from "./device.ts";
import { ButtplugDeviceEvent, ButtplugDisconnectEvent, ButtplugErrorEvent } from "./events.ts";
import { isRecord, type ParsedDeviceInfo, parseDeviceInfo } from "./_device_info.ts";
import { IdAllocator } from "./_id_allocator.ts";

/** Options of a {@linkcode ButtplugClient}. */
export interface ButtplugClientOptions {
  /** Timer source for ping and request timeouts (default: the system clock). */
  readonly clock?: Clock;
  /** Milliseconds a request may wait for its reply (default 10000). */
  readonly requestTimeout?: number;
  /** Send `Ping` every round(MaxPingTime / 2) ms when the server asks for it (default true). */
  readonly autoPing?: boolean;
}

/** Events of a {@linkcode ButtplugClient}. */
export interface ButtplugClientEventMap {
  /** A device is available (also raised during `connect()` for devices already connected). */
  deviceadded: ButtplugDeviceEvent;
  /** A device left (also raised for every device when the connection ends). */
  deviceremoved: ButtplugDeviceEvent;
  /** The server finished scanning by itself. */
  scanningfinished: Event;
  /** The connection ended; `reason` says why. Only raised after a successful `connect()`. */
  disconnect: ButtplugDisconnectEvent;
  /** An asynchronous error: ping timeout, failed ping, malformed data from the server. */
  error: ButtplugErrorEvent;
}

/** One request awaiting its reply. */
interface Pending {
  readonly name: string;
  readonly expect: ServerMessageName;
  /** The frame it was sent in, and its position there. */
  readonly batch: Batch;
  readonly slot: number;
  /** Clock time at which the request times out. */
  readonly deadline: number;
}

/**
 * The requests of one frame: resolves with every reply in order once all arrived, rejects with
 * the first failure (what `Promise.all` over one promise per request did, one promise hop
 * sooner: the hops are a visible part of a round trip).
 */
interface Batch {
  readonly replies: ServerMessageV4[];
  waiting: number;
  readonly resolve: (replies: ServerMessageV4[]) => void;
  readonly reject: (error: ButtplugError) => void;
}

interface Tracked {
  readonly device: ButtplugClientDevice;
  readonly signature: string;
}

type State = "disconnected" | "connecting" | "connected" | "disconnecting";

/**
 * A Buttplug client speaking spec v4.
 *
 * @example
 * ```ts ignore
 * import { ButtplugClient, WebSocketConnector } from "./mod.ts";
 *
 * await using client = new ButtplugClient("my app");
 * client.addEventListener("deviceadded", async ({ device }) => {
 *   console.log(`found ${device.name}`);
 *   if (device.hasOutput("Vibrate")) await device.vibrate(0.3);
 * });
 * client.addEventListener("disconnect", ({ reason }) => console.log(`gone: ${reason}`));
 * await client.connect(new WebSocketConnector("ws://127.0.0.1:12345"));
 * await client.startScanning();
 * ```
 */
export class ButtplugClient extends TypedEventTarget<ButtplugClientEventMap> {
  /** Name sent to the server in the handshake. */
  readonly name: string;
  readonly #clock: Clock;
  readonly #requestTimeout: number;
  readonly #autoPing: boolean;
  readonly #ids = new IdAllocator();
  /** Requests awaiting their reply, in the order they were sent (so by deadline). */
  readonly #pending = new Map<number, Pending>();
  /**
   * The one timer behind every request timeout (a per-request `setTimeout`/`clearTimeout` pair
   * cost more than the rest of a request). Armed when a request is sent and none is armed; when
   * it fires it rejects the requests past their deadline and re-arms for the earliest remaining
   * one, or stays off if none is left. While nothing is pending it stays armed but does not keep
   * the process alive (`Clock.unref`), as no per-request timer would. Cleared when the
   * connection ends.
   */
  #deadlineTimer?: unknown;
  /** Whether {@linkcode ButtplugClient.#deadlineTimer} keeps the process alive. */
  #deadlineTimerRef = false;
  readonly #devices = new Map<number, Tracked>();
  #state: State = "disconnected";
  #connector?: ButtplugConnector;
  #detach?: () => void;
  #handshakeDone = false;
  #serverName?: string;
  #maxPingTime?: number;
  #pingTimer?: unknown;
  #closing?: Promise<void>;
  #closeReason?: string;

  /** Creates a disconnected client. */
  constructor(name = "deno-buttplug client", options: ButtplugClientOptions = {}) {
    super();
    this.name = name;
    this.#clock = options.clock ?? systemClock;
    this.#requestTimeout = options.requestTimeout ?? 10_000;
    this.#autoPing = options.autoPing ?? true;
  }

  /** Whether the handshake succeeded and the connection is up. */
  get connected(): boolean {
    return this.#state === "connected";
  }

  /** The server's name (from ServerInfo) while connected. */
  get serverName(): string | undefined {
    return this.#serverName;
  }

  /** The server's MaxPingTime in ms (0 = no ping needed) while connected. */
  get maxPingTime(): number | undefined {
    return this.#maxPingTime;
  }

  /** Connected devices by index, in ascending index order (a snapshot). */
  get devices(): ReadonlyMap<number, ButtplugClientDevice> {
    return new Map(
      [...this.#devices].sort((a, b) => a[0] - b[0]).map(([index, t]) => [index, t.device]),
    );
  }

  /**
   * Connects: opens the connector, performs the v4 handshake (an older server is refused with a
   * {@linkcode ButtplugInitError} "server too old"), starts the automatic Ping, then asks for the
   * device list and raises `deviceadded` for every device already connected.
   */
  async connect(connector: ButtplugConnector): Promise<void> {
    if (this.#connector) {
      throw new ButtplugClientConnectorError("client is already connected (or connecting)");
    }
    this.#connector = connector;
    this.#state = "connecting";
    const onMessage = (event: CustomEvent<RawMessage[]>): void => this.#onFrame(event.detail);
    const onDisconnect = (event: ButtplugDisconnectEvent): void =>
      this.#teardown(this.#closeReason ?? event.reason);
    const onError = (event: ButtplugErrorEvent): void => this.#emitError(event.error);
    connector.addEventListener("message", onMessage);
    connector.addEventListener("disconnect", onDisconnect);
    connector.addEventListener("error", onError);
    this.#detach = () => {
      connector.removeEventListener("message", onMessage);
      connector.removeEventListener("disconnect", onDisconnect);
      connector.removeEventListener("error", onError);
    };

    try {
      await connector.connect();
    } catch (err) {
      this.#teardown("connect failed");
      throw err instanceof ButtplugError
        ? err
        : new ButtplugClientConnectorError(`connect failed: ${describe(err)}`, { cause: err });
    }
    if (this.#connector !== connector) {
      throw new ButtplugClientConnectorError("connection closed during connect");
    }

    try {
      const reply = await this.#request({
        RequestServerInfo: {
          Id: 0,
          ClientName: this.name,
          ProtocolVersionMajor: SPEC_VERSION_MAJOR,
          ProtocolVersionMinor: SPEC_VERSION_MINOR,
        },
      });
      this.#acceptServerInfo(messageBody(reply));
    } catch (err) {
      await this.#close("handshake failed", false);
      if (err instanceof ButtplugInitError && err.id !== 0) {
        throw new ButtplugInitError(
          `server too old: it refused the spec v${SPEC_VERSION_MAJOR} handshake (${err.message}); update the server`,
          err.id,
          { cause: err },
        );
      }
      throw err;
    }

    this.#handshakeDone = true;
    this.#state = "connected";
    if (this.#autoPing && (this.#maxPingTime ?? 0) > 0) this.#schedulePing();

    try {
      // The reply is applied as it arrives (#onReply), in order with DeviceList events.
      await this.#request({ RequestDeviceList: { Id: 0 } });
    } catch (err) {
      await this.#close(`device list failed: ${describe(err)}`, false);
      throw err;
    }
  }

  /**
   * Disconnects politely: sends `StopCmd` for every device, then closes the connection. Pending
   * requests are rejected; every device gets `deviceremoved`, then `disconnect` is raised.
   */
  disconnect(): Promise<void> {
    return this.#close("client disconnected", true);
  }

  /** Same as {@linkcode ButtplugClient.disconnect}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disconnect();
  }

  /** Asks the server to look for devices; new ones arrive as `deviceadded`. */
  async startScanning(): Promise<void> {
    this.#requireConnected();
    await this.#request({ StartScanning: { Id: 0 } });
  }

  /** Asks the server to stop looking for devices. */
  async stopScanning(): Promise<void> {
    this.#requireConnected();
    await this.#request({ StopScanning: { Id: 0 } });
  }

  /** Stops every output and input subscription of every device (`StopCmd{}`). */
  async stopAllDevices(): Promise<void> {
    this.#requireConnected();
    await this.#request({ StopCmd: { Id: 0 } });
    for (const { device } of this.#devices.values()) deviceControl(device).clearSubscriptions();
  }

  // -------------------------------------------------------------------------------------------
  // Requests and replies
  // -------------------------------------------------------------------------------------------

  #requireConnected(): void {
    if (this.#state !== "connected") {
      throw new ButtplugClientConnectorError("client is not connected");
    }
  }

  #request(message: ClientMessageV4): Promise<ServerMessageV4> {
    return this.#requestBatch([message]).then(([reply]) => reply);
  }

  /** Sends messages in one frame; resolves with their replies in order. */
  #requestBatch(messages: ClientMessageV4[]): Promise<ServerMessageV4[]> {
    const connector = this.#connector;
    if (!connector) {
      return Promise.reject(new ButtplugClientConnectorError("client is not connected"));
    }
    let batch!: Batch;
    const replies = new Promise<ServerMessageV4[]>((resolve, reject) => {
      batch = { replies: new Array(messages.length), waiting: messages.length, resolve, reject };
    });
    const frame: RawMessage[] = [];
    const deadline = this.#clock.now() + this.#requestTimeout;
    for (let slot = 0; slot < messages.length; slot++) {
      const name = messageName(messages[slot]);
      const id = this.#ids.next(this.#idInUse);
      const body = { ...messageBody<Record<string, unknown>>(messages[slot]), Id: id };
      frame.push({ [name]: body });
      this.#pending.set(id, { name, expect: expectedReply(name, body), batch, slot, deadline });
    }
    this.#holdDeadlineTimer();
    try {
      connector.send(frame);
    } catch (err) {
      const error = err instanceof ButtplugError
        ? err
        : new ButtplugClientConnectorError(`send failed: ${describe(err)}`, { cause: err });
      for (const message of frame) {
        const id = messageBody<{ Id: number }>(message).Id;
        const pending = this.#pending.get(id);
        if (!pending) continue;
        this.#pending.delete(id);
        pending.batch.reject(error);
      }
      this.#releaseDeadlineTimer();
    }
    if (messages.length === 0) batch.resolve([]);
    return replies;
  }

  readonly #idInUse = (id: number): boolean => this.#pending.has(id);

  /** A request is pending: the deadline timer must run and keep the process alive. */
  #holdDeadlineTimer(): void {
    if (this.#deadlineTimer === undefined) {
      this.#deadlineTimer = this.#clock.setTimeout(this.#onDeadline, this.#requestTimeout);
    } else if (!this.#deadlineTimerRef) {
      this.#clock.ref?.(this.#deadlineTimer);
    }
    this.#deadlineTimerRef = true;
  }

  /** Once nothing is pending, the armed deadline timer no longer keeps the process alive. */
  #releaseDeadlineTimer(): void {
    if (this.#pending.size > 0 || this.#deadlineTimer === undefined || !this.#deadlineTimerRef) {
      return;
    }
    this.#clock.unref?.(this.#deadlineTimer);
    this.#deadlineTimerRef = false;
  }

  /** Rejects every request past its deadline, then re-arms for the earliest remaining one. */
  readonly #onDeadline = (): void => {
    this.#deadlineTimer = undefined;
    const now = this.#clock.now();
    let next = Infinity;
    for (const [id, pending] of this.#pending) {
      if (pending.deadline > now) {
        next = Math.min(next, pending.deadline);
        continue;
      }
      this.#pending.delete(id);
      pending.batch.reject(
        new ButtplugClientConnectorError(
          `${pending.name} (Id ${id}) got no reply within ${this.#requestTimeout} ms`,
        ),
      );
    }
    if (next !== Infinity) {
      this.#deadlineTimer = this.#clock.setTimeout(this.#onDeadline, next - now);
      this.#deadlineTimerRef = true;
    }
  };

  #deviceSender = (messages: ClientMessageV4[]): Promise<ServerMessageV4[]> => {
    if (this.#state !== "connected") {
      return Promise.reject(new ButtplugClientConnectorError("client is not connected"));
    }
    return this.#requestBatch(messages);
  };

  #onFrame(messages: unknown): void {
    if (!Array.isArray(messages)) {
      this.#emitError(new ButtplugMessageError("frame from server is not an array"));
      return;
    }
    for (const message of messages) {
      try {
        this.#onMessage(message);
      } catch (err) {
        this.#emitError(
          err instanceof ButtplugError
            ? err
            : new ButtplugUnknownError(`handling a server message failed: ${describe(err)}`, 0, {
              cause: err,
            }),
        );
      }
    }
  }

  #onMessage(message: unknown): void {
    const name = isRecord(message) ? soleKey(message) : undefined;
    if (name === undefined) {
      throw new ButtplugMessageError(
        `malformed message from server: ${preview(message)}`,
      );
    }
    const body = (message as Record<string, unknown>)[name];
    if (!isRecord(body) || typeof body.Id !== "number") {
      throw new ButtplugMessageError(`malformed ${name} message from server: ${preview(message)}`);
    }
    if (body.Id !== 0) {
      this.#onReply(body.Id, name, body, message as ServerMessageV4);
      return;
    }
    switch (name) {
      case "DeviceList":
        this.#applyDeviceList(body.Devices);
        break;
      case "ScanningFinished":
        this.dispatchEvent(new Event("scanningfinished"));
        break;
      case "InputReading": {
        const tracked = typeof body.DeviceIndex === "number"
          ? this.#devices.get(body.DeviceIndex)
          : undefined;
        if (tracked && typeof body.FeatureIndex === "number") {
          deviceControl(tracked.device).deliverReading(body.FeatureIndex, body.Reading);
        }
        break;
      }
      case "Error": {
        const error = ButtplugError.fromWire({
          Id: 0,
          ErrorCode: typeof body.ErrorCode === "number" ? body.ErrorCode : ErrorCode.Unknown,
          ErrorMessage: typeof body.ErrorMessage === "string" ? body.ErrorMessage : "",
        });
        this.#emitError(error);
        if (error.code === ErrorCode.Ping) {
          this.#close(`ping timeout: the server stopped all devices (${error.message})`, false)
            .catch(() => {});
        }
        break;
      }
      default:
        // Unknown events are ignored (forward compatibility).
        break;
    }
  }

  /** `message` is `{ [name]: body }`. */
  #onReply(
    id: number,
    name: string,
    body: Record<string, unknown>,
    message: ServerMessageV4,
  ): void {
    const pending = this.#pending.get(id);
    if (!pending) return; // Late reply to a request that already timed out.
    this.#pending.delete(id);
    this.#releaseDeadlineTimer();
    const batch = pending.batch;
    if (name === "Error") {
      batch.reject(
        ButtplugError.fromWire({
          Id: id,
          ErrorCode: typeof body.ErrorCode === "number" ? body.ErrorCode : ErrorCode.Unknown,
          ErrorMessage: typeof body.ErrorMessage === "string" ? body.ErrorMessage : "",
        }),
      );
    } else if (name !== pending.expect) {
      batch.reject(
        new ButtplugMessageError(
          `server answered ${pending.name} (Id ${id}) with ${name}, expected ${pending.expect}`,
          id,
        ),
      );
    } else {
      // A device list is applied now, not when the requester resumes: an event that arrives
      // right after it (a device connecting meanwhile) is newer and must not be undone.
      if (name === "DeviceList") this.#applyDeviceList(body.Devices);
      batch.replies[pending.slot] = message;
      if (--batch.waiting === 0) batch.resolve(batch.replies);
    }
  }

  #acceptServerInfo(info: Record<string, unknown>): void {
    const major = info.ProtocolVersionMajor;
    if (typeof major !== "number") {
      const old = typeof info.MessageVersion === "number" ? ` v${info.MessageVersion}` : "";
      throw new ButtplugInitError(
        `server too old: it speaks spec${old}, this client needs spec v${SPEC_VERSION_MAJOR}; update the server`,
      );
    }
    if (major < SPEC_VERSION_MAJOR) {
      throw new ButtplugInitError(
        `server too old: it speaks spec v${major}, this client needs spec v${SPEC_VERSION_MAJOR}; update the server`,
      );
    }
    const maxPing = info.MaxPingTime;
    this.#maxPingTime = typeof maxPing === "number" && Number.isFinite(maxPing) && maxPing > 0
      ? maxPing
      : 0;
    this.#serverName = typeof info.ServerName === "string" ? info.ServerName : "";
  }

  // -------------------------------------------------------------------------------------------
  // Ping
  // -------------------------------------------------------------------------------------------

  #schedulePing(): void {
    const interval = Math.max(1, Math.round((this.#maxPingTime ?? 0) / 2));
    this.#pingTimer = this.#clock.setTimeout(() => {
      this.#pingTimer = undefined;
      if (this.#state !== "connected") return;
      this.#schedulePing();
      const connector = this.#connector;
      this.#request({ Ping: { Id: 0 } }).catch((err) => {
        if (this.#connector !== connector || this.#state !== "connected") return;
        const error = err instanceof ButtplugPingError ? err : new ButtplugPingError(
          `ping failed: ${describe(err)}`,
          0,
          { cause: err },
        );
        this.#emitError(error);
        this.#close(`ping failed: ${describe(err)}`, false).catch(() => {});
      });
    }, interval);
  }

  // -------------------------------------------------------------------------------------------
  // Devices
  // -------------------------------------------------------------------------------------------

  #applyDeviceList(devices: unknown): void {
    if (!isRecord(devices)) {
      this.#emitError(new ButtplugMessageError("DeviceList from server has no Devices object"));
      return;
    }
    const next = new Map<number, ParsedDeviceInfo>();
    const unreadable = new Set<string>();
    for (const [key, raw] of Object.entries(devices)) {
      try {
        const parsed = parseDeviceInfo(key, raw);
        next.set(parsed.info.DeviceIndex, parsed);
      } catch (err) {
        unreadable.add(key);
        this.#emitError(err instanceof ButtplugError ? err : new ButtplugMessageError(String(err)));
      }
    }
    const gone = [...this.#devices].filter(([index, tracked]) => {
      const now = next.get(index);
      if (!now) return !unreadable.has(String(index)); // Keep a device whose entry was unreadable.
      return now.signature !== tracked.signature;
    }).sort((a, b) => a[0] - b[0]);
    for (const [index, tracked] of gone) {
      this.#devices.delete(index);
      this.#removeDevice(tracked.device);
    }
    const added = [...next].filter(([index]) => !this.#devices.has(index))
      .sort((a, b) => a[0] - b[0]);
    for (const [index, parsed] of added) {
      const device = new ButtplugClientDevice(parsed.info, this.#deviceSender);
      this.#devices.set(index, { device, signature: parsed.signature });
      this.dispatchEvent(new ButtplugDeviceEvent("deviceadded", device));
    }
  }

  #removeDevice(device: ButtplugClientDevice): void {
    deviceControl(device).markRemoved();
    this.dispatchEvent(new ButtplugDeviceEvent("deviceremoved", device));
  }

  // -------------------------------------------------------------------------------------------
  // Closing
  // -------------------------------------------------------------------------------------------

  #emitError(error: ButtplugError): void {
    this.dispatchEvent(new ButtplugErrorEvent(error));
  }

  /** Closes the connection once; `polite` sends StopCmd first. */
  #close(reason: string, polite: boolean): Promise<void> {
    if (this.#closing) return this.#closing;
    const connector = this.#connector;
    if (!connector) return Promise.resolve();
    const wasConnected = this.#state === "connected";
    this.#state = "disconnecting";
    this.#closeReason = reason;
    this.#closing = (async () => {
      this.#stopPing();
      if (polite && wasConnected) {
        try {
          await this.#request({ StopCmd: { Id: 0 } });
        } catch {
          // The server stops every device when the client leaves anyway.
        }
      }
      if (this.#connector === connector) {
        try {
          await connector.disconnect();
        } catch {
          // Closed either way.
        }
      }
      this.#teardown(reason);
    })();
    return this.#closing.finally(() => this.#closing = undefined);
  }

  #stopPing(): void {
    if (this.#pingTimer !== undefined) this.#clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  /** Forgets the connection: rejects pending requests, removes devices, raises `disconnect`. */
  #teardown(reason: string): void {
    if (!this.#connector) return;
    const wasUp = this.#handshakeDone;
    this.#closeReason = undefined;
    this.#detach?.();
    this.#detach = undefined;
    this.#connector = undefined;
    this.#state = "disconnected";
    this.#handshakeDone = false;
    this.#serverName = undefined;
    this.#maxPingTime = undefined;
    this.#stopPing();
    if (this.#deadlineTimer !== undefined) this.#clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [id, request] of pending) {
      request.batch.reject(
        new ButtplugClientConnectorError(
          `connection closed (${reason}) before ${request.name} (Id ${id}) got a reply`,
        ),
      );
    }
    const devices = [...this.#devices.values()].map((t) => t.device);
    this.#devices.clear();
    for (const device of devices) this.#removeDevice(device);
    if (wasUp) this.dispatchEvent(new ButtplugDisconnectEvent(reason));
  }
}

function expectedReply(name: string, body: Record<string, unknown>): ServerMessageName {
  switch (name) {
    case "RequestServerInfo":
      return "ServerInfo";
    case "RequestDeviceList":
      return "DeviceList";
    case "InputCmd":
      return body.Command === "Read" ? "InputReading" : "Ok";
    default:
      return "Ok";
  }
}

/** The only own key of `record` (as `Object.keys` lists them), or undefined for none or several. */
function soleKey(record: Record<string, unknown>): string | undefined {
  let found: string | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (found !== undefined) return undefined;
    found = key;
  }
  return found;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
