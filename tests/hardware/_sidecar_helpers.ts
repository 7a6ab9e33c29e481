/**
 * Helpers shared by the sidecar tests: a capturing logger, waiting for events with a deadline,
 * and the path of the scriptable fake sidecar.
 *
 * @module
 */
import type { Logger } from "../../server/log.ts";

/** Path of the scriptable fake sidecar (see _fake_sidecar.mjs). */
export const FAKE_SIDECAR: string = new URL("./_fake_sidecar.mjs", import.meta.url).pathname;

/** A logger that keeps every line as `level message`. */
export function captureLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return {
    lines,
    logger: {
      error: at("error"),
      warn: at("warn"),
      info: at("info"),
      debug: at("debug"),
      trace: at("trace"),
    },
  };
}

/**
 * Resolves with the next `type` event of `target` (optionally the first one passing `filter`),
 * or rejects after `ms` of real time.
 */
export function nextEvent<E extends Event = Event>(
  target: EventTarget,
  type: string,
  ms = 10_000,
  filter: (e: E) => boolean = () => true,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const onEvent = (e: Event) => {
      if (!filter(e as E)) return;
      clearTimeout(timer);
      target.removeEventListener(type, onEvent);
      resolve(e as E);
    };
    const timer = setTimeout(() => {
      target.removeEventListener(type, onEvent);
      reject(new Error(`no ${type} event within ${ms} ms`));
    }, ms);
    target.addEventListener(type, onEvent);
  });
}

/** Polls `fn` until it is truthy or `ms` of real time pass. */
export async function until(
  fn: () => boolean,
  ms = 10_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Settles like `promise`, or rejects after `ms` of real time (so a hang fails instead of stalling). */
export function within<T>(
  promise: Promise<T>,
  ms = 10_000,
  what = "operation",
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
