/**
 * The supervisor of the sidecar's Node process ({@linkcode SidecarProcess}): spawns it, validates
 * and routes every line it writes, restarts it with backoff when it dies, and shuts it down.
 * Re-exported by `hardware/sidecar.ts`.
 *
 * @module
 */
import { ButtplugDeviceError, ButtplugUnknownError } from "../protocol/errors.ts";
import type { TimerHandle } from "../protocol/clock.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import { ensureSidecar } from "./sidecar_setup.ts";
import type { SidecarHardware } from "./_sidecar_hardware.ts";
import { MAX_LINE_CHARS, readLines } from "./_sidecar_lines.ts";
import { type ResolvedOptions, resolveOptions, type SidecarLink } from "./_sidecar_link.ts";
import { SidecarHardwareManager } from "./_sidecar_manager.ts";
import { SidecarRequestError } from "./_sidecar_request_error.ts";
import { PendingRequests } from "./_sidecar_requests.ts";
import { spawnSidecar } from "./_sidecar_spawn.ts";
import {
  SIDECAR_PROTOCOL_VERSION,
  SIDECAR_TRANSPORTS,
  type SidecarExit,
  type SidecarHello,
  type SidecarProcessEventMap,
  type SidecarProcessOptions,
  type SidecarTransport,
  type TransportStatus,
} from "./_sidecar_types.ts";
import {
  clip,
  isByteArray,
  isRecord,
  isTransport,
  type Json,
  parseFound,
  parseHello,
  parseStatus,
} from "./_sidecar_wire.ts";

interface Incarnation {
  readonly child: Deno.ChildProcess;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly done: Promise<void>;
  readonly generation: number;
  hello?: SidecarHello;
  helloAt?: number;
  stdinClosed: boolean;
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
  readonly #requests: PendingRequests;
  readonly #hardware = new Map<string, SidecarHardware>();
  readonly #managers = new Map<SidecarTransport, SidecarHardwareManager>();
  readonly #link: SidecarLink;
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
    this.#requests = new PendingRequests(o.clock, o.logger);
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
    const o = resolveOptions(options, script);
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

  /** Spawns a process and waits for its hello. */
  async #launch(): Promise<void> {
    const child = spawnSidecar(this.#o);
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
    const stdout = readLines(
      child.stdout,
      (line) => this.#onLine(line, generation),
      () => this.#tooLong(true),
      this.#o.logger,
    );
    const stderr = readLines(
      child.stderr,
      (line) => {
        if (line.trim() !== "") {
          this.#o.logger.debug(`sidecar stderr: ${clip(line)}`);
        }
      },
      () => this.#tooLong(false),
      this.#o.logger,
    );
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

  /** An overlong line was dropped; on stdout (`protocol`) it counts as malformed. */
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
    if ("id" in msg) return this.#requests.reply(msg, (why) => this.#bad(why, line));
    if (typeof msg.event !== "string") {
      return this.#bad("neither a reply nor an event", line);
    }
    const params = msg.params ?? {};
    if (!isRecord(params)) return this.#bad("params is not an object", line);
    this.#onEvent(msg.event, params, line);
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
        this.#requests.failHandle(handle, why);
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
    return this.#requests.send(
      method,
      params,
      timeoutMs,
      handle,
      (line) => inc.writer.write(line),
    );
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
    this.#requests.failAll((method) =>
      new SidecarRequestError(
        "exited",
        `the hardware sidecar exited (${what}) during ${method}`,
      )
    );
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
    this.#requests.failAll((method) =>
      new SidecarRequestError(
        "not_running",
        `the sidecar is shutting down (${method})`,
      )
    );
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
