import assert from "node:assert/strict";
import { allocBytes, copyBytes } from "../../hardware/_byte_slab.ts";

Deno.test("allocBytes: zero-filled views that never share bytes, across slab boundaries", () => {
  const views: Uint8Array[] = [];
  // Enough small arrays to fill several slabs, with odd sizes so boundaries fall anywhere.
  for (let i = 0; i < 2000; i++) {
    const bytes = allocBytes(1 + (i % 13));
    assert.equal(bytes.length, 1 + (i % 13));
    assert.ok(bytes.every((b) => b === 0), "fresh bytes are zero");
    bytes.fill(i % 251);
    views.push(bytes);
  }
  // Writing every view did not disturb any other one.
  views.forEach((bytes, i) => assert.ok(bytes.every((b) => b === i % 251), `view ${i} intact`));
});

Deno.test("allocBytes: empty and large arrays", () => {
  assert.equal(allocBytes(0).length, 0);
  const large = allocBytes(4096);
  assert.equal(large.length, 4096);
  assert.equal(large.byteOffset, 0, "a large array gets its own buffer");
  assert.equal(large.buffer.byteLength, 4096);
});

Deno.test("copyBytes: converts like Uint8Array.from and copies", () => {
  const source = [1, 255, 256, 300, -1, 1.7, Number.NaN];
  assert.deepEqual([...copyBytes(source)], [...Uint8Array.from(source)]);
  const original = Uint8Array.of(1, 2, 3);
  const copy = copyBytes(original);
  original[0] = 9;
  assert.deepEqual([...copy], [1, 2, 3], "the copy does not follow the source");
});
