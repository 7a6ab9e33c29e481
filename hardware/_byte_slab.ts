/**
 * Small byte arrays carved from shared slabs, for the per-command hot path (protocol encoders,
 * simulated peripherals).
 *
 * Why: in Deno every `new Uint8Array(n)` / `Uint8Array.from(...)` / `.slice()` allocates its own
 * `ArrayBuffer`, which costs ~0.4 µs (measured on the project VM; a view on an existing buffer
 * costs ~0.05 µs). A device command used to allocate two (encoder + peripheral copy): the
 * largest single cost of the byte-level device path. This is the same idea as Node's
 * `Buffer.allocUnsafe` pool, but every view gets fresh, zero-filled bytes that are never handed
 * out again, so callers may keep and modify what they get.
 *
 * The one difference from a plain `Uint8Array`: `.buffer` is shared with other views (and
 * `.byteOffset` is not 0). Never transfer (`postMessage(..., [view.buffer])`) or re-wrap the
 * `.buffer` of these views; use the view itself.
 *
 * @module
 */

/** Size of one slab. Small, so a view kept for long (a keepalive packet) pins little memory. */
const SLAB_BYTES = 2048;
/** Larger arrays get their own buffer (the allocation cost no longer dominates). */
const MAX_SLAB_ALLOCATION = 128;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/**
 * A new zero-filled `Uint8Array` of `length` bytes (a view into a shared slab when small).
 *
 * @example
 * ```ts
 * import { allocBytes } from "./_byte_slab.ts";
 * const bytes = allocBytes(3);
 * bytes[0] = 0xa0;
 * console.assert(bytes.length === 3 && bytes[1] === 0);
 * ```
 */
export function allocBytes(length: number): Uint8Array {
  if (length > MAX_SLAB_ALLOCATION) return new Uint8Array(length);
  if (used + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const view = new Uint8Array(slab, used, length);
  used += length;
  return view;
}

/**
 * A copy of `data` (numbers are converted as `Uint8Array.from` does: modulo 256) in a new
 * `Uint8Array` from {@linkcode allocBytes}.
 *
 * @example
 * ```ts
 * import { copyBytes } from "./_byte_slab.ts";
 * const source = [1, 2, 300];
 * const bytes = copyBytes(source);
 * console.assert(bytes.join() === "1,2,44");
 * ```
 */
export function copyBytes(data: ArrayLike<number>): Uint8Array {
  const bytes = allocBytes(data.length);
  bytes.set(data);
  return bytes;
}
