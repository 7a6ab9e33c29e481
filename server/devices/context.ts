/**
 * The {@linkcode ProtocolContext} the device layer hands to protocols: the hardware, the clock,
 * an abort signal tied to the device's life, waits for notifications and a sink for readings.
 *
 * @module
 */
import type { Clock, TimerHandle } from "../../protocol/clock.ts";
import { systemClock } from "../../protocol/clock.ts";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import type { InputType, OutputType } from "../../protocol/messages.ts";
import type { Hardware } from "../../hardware/mod.ts";
import type { NotificationListener, ProtocolContext } from "./protocol.ts";

/** A notification as protocols see it. */
export interface Notification {
  /** Endpoint name. */
  readonly endpoint: string;
  /** Bytes received. */
  readonly data: Uint8Array;
}

/**
 * Where a context forwards a protocol's corrections of the de-dup cache
 * ({@linkcode DeviceContext.forgetOutput}, {@linkcode DeviceContext.noteOutput}); the device
 * installs it.
 */
export interface OutputCacheSink {
  /** Drops the cached value of a feature (only if it holds `type`, when given). */
  forget(featureIndex: number, type?: OutputType): void;
  /** Caches `value` (device units) as the feature's current `type` output. */
  note(featureIndex: number, type: OutputType, value: number): void;
}

/** Buffered notifications kept per listener before the oldest are dropped. */
const LISTENER_BUFFER_LIMIT = 256;

class Listener implements NotificationListener {
  readonly #owner: DeviceContext;
  readonly #endpoint?: string;
  readonly #buffer: Notification[] = [];
  #waiter?: {
    resolve: (n: Notification | undefined) => void;
    reject: (e: unknown) => void;
    timer: TimerHandle;
  };
  #closed = false;

  constructor(owner: DeviceContext, endpoint?: string) {
    this.#owner = owner;
    this.#endpoint = endpoint;
  }

  push(n: Notification): void {
    if (this.#endpoint !== undefined && n.endpoint !== this.#endpoint) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.#owner.clock.clearTimeout(waiter.timer);
      waiter.resolve(n);
      return;
    }
    this.#buffer.push(n);
    if (this.#buffer.length > LISTENER_BUFFER_LIMIT) this.#buffer.shift();
  }

  fail(err: unknown): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    this.#owner.clock.clearTimeout(waiter.timer);
    waiter.reject(err);
  }

  next(timeoutMs: number): Promise<Notification | undefined> {
    const buffered = this.#buffer.shift();
    if (buffered) return Promise.resolve(buffered);
    if (this.#closed) return Promise.resolve(undefined);
    if (this.#owner.signal.aborted) return Promise.reject(this.#owner.signal.reason);
    if (this.#waiter) {
      return Promise.reject(new ButtplugDeviceError("notification listener is already waiting"));
    }
    return new Promise((resolve, reject) => {
      const timer = this.#owner.clock.setTimeout(() => {
        this.#waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.#waiter = { resolve, reject, timer };
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.#owner.clock.clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
    this.#owner.removeListener(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The device layer's {@linkcode ProtocolContext}. Created by the pipeline when the hardware is
 * connected and owned by the device afterwards; aborted (and its waits rejected) when the
 * hardware disconnects or the device is closed.
 *
 * @example
 * ```ts ignore
 * using ctx = new DeviceContext(hardware, clock);
 * using replies = ctx.listenNotifications("rx");
 * await hardware.write("tx", bytes, false);
 * const reply = await replies.next(500);
 * ```
 */
export class DeviceContext implements ProtocolContext, Disposable {
  /** The connected hardware. */
  readonly hardware: Hardware;
  /** Clock for waits and loops. */
  readonly clock: Clock;
  readonly #controller = new AbortController();
  readonly #listeners = new Set<Listener>();
  #readingSink?: (featureIndex: number, type: InputType, value: number) => void;
  #outputCache?: OutputCacheSink;
  readonly #onNotification = (e: CustomEvent<Notification>): void => {
    for (const l of [...this.#listeners]) l.push(e.detail);
  };
  readonly #onDisconnected = (): void => {
    this.abort(new ButtplugDeviceError(`Device ${this.hardware.name} disconnected`));
  };

  /** Wraps `hardware`; listens to its notifications until disposed. */
  constructor(hardware: Hardware, clock: Clock = systemClock) {
    this.hardware = hardware;
    this.clock = clock;
    hardware.addEventListener("notification", this.#onNotification);
    hardware.addEventListener("disconnected", this.#onDisconnected);
  }

  /** Aborted when the device goes away. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Sleeps on the context clock; rejects with the abort reason when aborted. */
  sleep(ms: number): Promise<void> {
    const signal = this.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.clock.clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = this.clock.setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Waits for the next notification arriving after this call. */
  async nextNotification(
    timeoutMs: number,
    endpoint?: string,
  ): Promise<Notification | undefined> {
    const listener = this.listenNotifications(endpoint);
    try {
      return await listener.next(timeoutMs);
    } finally {
      listener.close();
    }
  }

  /** Buffers notifications from now on (see {@linkcode ProtocolContext.listenNotifications}). */
  listenNotifications(endpoint?: string): NotificationListener {
    const listener = new Listener(this, endpoint);
    this.#listeners.add(listener);
    return listener;
  }

  /** @internal Called by a closing listener. */
  removeListener(listener: NotificationListener): void {
    this.#listeners.delete(listener as Listener);
  }

  /** Reports a reading to the device (which forwards it only for subscribed inputs). */
  emitReading(featureIndex: number, type: InputType, value: number): void {
    this.#readingSink?.(featureIndex, type, value);
  }

  /** Sets where {@linkcode DeviceContext.emitReading} goes (the device does this). */
  setReadingSink(sink: (featureIndex: number, type: InputType, value: number) => void): void {
    this.#readingSink = sink;
  }

  /** Drops a feature's de-dup cache entry (see {@linkcode ProtocolContext.forgetOutput}). */
  forgetOutput(featureIndex: number, type?: OutputType): void {
    this.#outputCache?.forget(featureIndex, type);
  }

  /** Caches an output value set by the protocol (see {@linkcode ProtocolContext.noteOutput}). */
  noteOutput(featureIndex: number, type: OutputType, value: number): void {
    this.#outputCache?.note(featureIndex, type, value);
  }

  /** Sets where cache corrections go (the device does this). */
  setOutputCacheSink(sink: OutputCacheSink): void {
    this.#outputCache = sink;
  }

  /** Aborts the signal and rejects pending notification waits. Idempotent. */
  abort(reason: unknown = new ButtplugDeviceError("Device closed")): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    for (const l of this.#listeners) l.fail(reason);
  }

  /** Stops listening to the hardware and aborts. */
  [Symbol.dispose](): void {
    this.hardware.removeEventListener("notification", this.#onNotification);
    this.hardware.removeEventListener("disconnected", this.#onDisconnected);
    this.abort();
    for (const l of [...this.#listeners]) l.close();
  }
}
