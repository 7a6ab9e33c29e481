/**
 * Message Id allocation for the client (spec §1.3 / §9): a counter starting at 1 that wraps to 1
 * after 4294967295, never returns 0 (reserved for events) and skips Ids still in use.
 *
 * @module
 */

/** Largest valid message Id (unsigned 32-bit). */
export const MAX_MESSAGE_ID = 0xFFFF_FFFF;

/**
 * Hands out request Ids.
 *
 * @example
 * ```ts
 * import { IdAllocator } from "./_id_allocator.ts";
 * const ids = new IdAllocator();
 * console.assert(ids.next() === 1 && ids.next() === 2);
 * ```
 */
export class IdAllocator {
  #next: number;

  /** Creates an allocator whose first Id is `first` (1 by default; 0 is mapped to 1). */
  constructor(first = 1) {
    this.#next = IdAllocator.#valid(first);
  }

  /** Returns the next Id, skipping any for which `inUse` answers true. */
  next(inUse: (id: number) => boolean = () => false): number {
    for (let attempts = 0; attempts < MAX_MESSAGE_ID; attempts++) {
      const id = this.#next;
      this.#next = id >= MAX_MESSAGE_ID ? 1 : id + 1;
      if (!inUse(id)) return id;
    }
    throw new RangeError("every message Id is in use");
  }

  static #valid(id: number): number {
    return Number.isInteger(id) && id >= 1 && id <= MAX_MESSAGE_ID ? id : 1;
  }
}
