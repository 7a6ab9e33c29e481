/**
 * The requests sent to one sidecar that await their reply: ids, deadlines on the injected
 * {@linkcode Clock}, settling them from reply lines, and failing them when their device or the
 * process goes away.
 *
 * @module
 */
import type { Clock, TimerHandle } from "../protocol/clock.ts";
import type { Logger } from "../server/log.ts";
import { SidecarRequestError } from "./_sidecar_request_error.ts";
import { isRecord, type Json } from "./_sidecar_wire.ts";

interface Pending {
  readonly method: string;
  readonly handle?: string;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: TimerHandle;
}

/**
 * Outstanding requests, by id. Every request settles exactly once: by its reply, its deadline,
 * a failed write, or one of the `fail*` calls.
 *
 * @example
 * ```ts
 * import { PendingRequests } from "./_sidecar_requests.ts";
 * import { systemClock } from "../protocol/clock.ts";
 * import { silentLogger } from "../server/log.ts";
 * const requests = new PendingRequests(systemClock, silentLogger);
 * const reply = requests.send("list", {}, 1000, undefined, () => {
 *   queueMicrotask(() => requests.reply({ id: 1, ok: true, result: { ports: [] } }, console.warn));
 *   return Promise.resolve();
 * });
 * console.assert(JSON.stringify(await reply) === '{"ports":[]}');
 * ```
 */
export class PendingRequests {
  readonly #pending = new Map<number, Pending>();
  readonly #clock: Clock;
  readonly #logger: Logger;
  #nextId = 1;

  /** Deadlines run on `clock`; replies to unknown ids are logged to `logger` (debug). */
  constructor(clock: Clock, logger: Logger) {
    this.#clock = clock;
    this.#logger = logger;
  }

  /**
   * Writes one request line with `write` and resolves with the reply's `result`. Rejects with a
   * {@linkcode SidecarRequestError}: the sidecar's error code, `timeout` after `timeoutMs`,
   * `exited` when the line cannot be written. `handle` ties the request to a device
   * (see {@linkcode PendingRequests.failHandle}).
   */
  send(
    method: string,
    params: Json,
    timeoutMs: number,
    handle: string | undefined,
    write: (line: Uint8Array) => Promise<void>,
  ): Promise<unknown> {
    const id = this.#nextId++;
    const line = `${JSON.stringify({ id, method, params })}\n`;
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
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
      write(new TextEncoder().encode(line)).catch((err) => {
        this.#settle(id)?.reject(
          new SidecarRequestError(
            "exited",
            `cannot send ${method} to the sidecar: ${(err as Error).message}`,
          ),
        );
      });
    });
  }

  /**
   * Settles the request a reply line (an object with an `id`) answers. A malformed reply is
   * reported to `bad` with the reason (a malformed error reply still fails its request, with
   * `invalid_reply`).
   */
  reply(msg: Json, bad: (why: string) => void): void {
    const { id, ok } = msg;
    if (typeof id !== "number" || typeof ok !== "boolean") {
      return bad("bad reply id/ok");
    }
    const p = this.#pending.get(id);
    if (!p) {
      this.#logger.debug(
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
      bad("bad error reply");
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

  /** Fails every pending request of one device handle (it disconnected). */
  failHandle(handle: string, reason: string): void {
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

  /** Fails every pending request with the error `error` makes for its method. */
  failAll(error: (method: string) => Error): void {
    for (const [id, p] of [...this.#pending]) {
      this.#settle(id)?.reject(error(p.method));
    }
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    this.#clock.clearTimeout(p.timer);
    return p;
  }
}
