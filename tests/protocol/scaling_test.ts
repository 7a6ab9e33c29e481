import assert from "node:assert/strict";
import {
  isUnitInterval,
  scaleLinear,
  scalePosition,
  scaleSpeed,
  ZERO_THRESHOLD,
} from "../../protocol/scaling.ts";

Deno.test("scaleSpeed: ceil, exact 0 below the 0.000001 threshold", () => {
  const cases: [number, number, number][] = [
    [0.25, 20, 5],
    [0.25, 10, 3],
    [0.31, 20, 7],
    [0.31, 10, 4],
    [0.21, 10, 3],
    [0.55, 100, 56], // 55.00000000000001 in doubles
    [1, 20, 20],
    [0, 20, 0],
    [0.0000005, 20, 0],
    [ZERO_THRESHOLD, 20, 1],
    [0.0000009999, 1_000_000, 0],
  ];
  for (const [f, steps, expected] of cases) {
    assert.equal(scaleSpeed(f, steps), expected, `${f} * ${steps}`);
  }
});

Deno.test("scalePosition: ceil with no threshold", () => {
  assert.equal(scalePosition(0.0000005, 100), 1);
  assert.equal(scalePosition(0, 100), 0);
  assert.equal(scalePosition(0.3, 99), 30);
});

Deno.test("scaleLinear: truncation", () => {
  assert.equal(scaleLinear(0.29, 100), 28); // 28.999999999999996
  assert.equal(scaleLinear(0.3, 99), 29); // 29.7
  assert.equal(scaleLinear(1, 100), 100);
  assert.equal(scaleLinear(0.0000005, 100), 0);
});

Deno.test("isUnitInterval", () => {
  for (const f of [0, 0.5, 1]) assert.ok(isUnitInterval(f));
  for (const f of [-0.0001, 1.0000001, Number.NaN, Infinity]) assert.ok(!isUnitInterval(f));
});
