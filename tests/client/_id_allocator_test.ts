import assert from "node:assert/strict";
import { IdAllocator, MAX_MESSAGE_ID } from "../../client/_id_allocator.ts";

Deno.test("IdAllocator counts from 1", () => {
  const ids = new IdAllocator();
  assert.deepEqual([ids.next(), ids.next(), ids.next()], [1, 2, 3]);
});

Deno.test("IdAllocator wraps to 1 after 2^32-1 and never returns 0", () => {
  const ids = new IdAllocator(MAX_MESSAGE_ID - 1);
  assert.deepEqual([ids.next(), ids.next(), ids.next()], [MAX_MESSAGE_ID - 1, MAX_MESSAGE_ID, 1]);
  assert.equal(new IdAllocator(0).next(), 1);
});

Deno.test("IdAllocator skips Ids still in use", () => {
  const ids = new IdAllocator(MAX_MESSAGE_ID);
  const busy = new Set([1, 2]);
  assert.equal(ids.next((id) => busy.has(id)), MAX_MESSAGE_ID);
  assert.equal(ids.next((id) => busy.has(id)), 3);
});
