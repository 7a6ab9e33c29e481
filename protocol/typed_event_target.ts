/**
 * A web-standard `EventTarget` with typed `addEventListener` / `removeEventListener`, so users
 * get the right event type for each name in Deno and browsers alike.
 *
 * @module
 */

/** Listener of one typed event. */
export type TypedListener<E extends Event> = ((event: E) => void) | { handleEvent(event: E): void };

/**
 * An `EventTarget` whose event names and event types are described by the map `M`.
 *
 * @example
 * ```ts
 * import { TypedEventTarget } from "./typed_event_target.ts";
 * class Ticker extends TypedEventTarget<{ tick: CustomEvent<number> }> {}
 * const t = new Ticker();
 * t.addEventListener("tick", (e) => console.log(e.detail.toFixed(1)));
 * t.dispatchEvent(new CustomEvent("tick", { detail: 1 }));
 * ```
 */
export class TypedEventTarget<M extends { [K in keyof M]: Event }> extends EventTarget {
  /** Adds a listener for a typed event. */
  override addEventListener<K extends keyof M & string>(
    type: K,
    listener: TypedListener<M[K]> | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /** Adds a listener for any event name. */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options);
  }

  /** Removes a listener for a typed event. */
  override removeEventListener<K extends keyof M & string>(
    type: K,
    listener: TypedListener<M[K]> | null,
    options?: boolean | EventListenerOptions,
  ): void;
  /** Removes a listener for any event name. */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options);
  }
}
