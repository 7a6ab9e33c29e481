import assert from "node:assert/strict";
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import { stepRange, stepsToDeviceValue } from "../../../server/devices/features.ts";

Deno.test("step ranges: base high end, user sub-range, bidirectional", () => {
  assert.deepEqual(stepRange({ value: [0, 20] }), [0, 20]);
  assert.deepEqual(stepRange({ value: [0, 20], userValue: [5, 15] }), [0, 10]);
  assert.deepEqual(stepRange({ value: [-20, 20] }), [-20, 20]);
  assert.deepEqual(stepRange({ value: [-20, 20], userValue: [2, 12] }), [-10, 10]);
});

Deno.test("value outputs: 0 stops, user low end offsets, sign kept", () => {
  const out = { value: [0, 20] as [number, number], userValue: [5, 15] as [number, number] };
  assert.equal(stepsToDeviceValue("Vibrate", out, 0), 0);
  assert.equal(stepsToDeviceValue("Vibrate", out, 1), 6);
  assert.equal(stepsToDeviceValue("Vibrate", out, 10), 15);
  const rot = { value: [-20, 20] as [number, number], userValue: [2, 12] as [number, number] };
  assert.equal(stepsToDeviceValue("Rotate", rot, -3), -5);
  assert.equal(stepsToDeviceValue("Rotate", { value: [-20, 20] }, -20), -20);
});

Deno.test("position outputs: offset or reversed, 0 not special", () => {
  const pos = { value: [0, 1000] as [number, number], userValue: [100, 900] as [number, number] };
  assert.equal(stepsToDeviceValue("Position", pos, 0), 100);
  assert.equal(stepsToDeviceValue("Position", { ...pos, reverse: true }, 0), 900);
  assert.equal(stepsToDeviceValue("HwPositionWithDuration", pos, 800), 900);
  assert.equal(stepsToDeviceValue("HwPositionWithDuration", { ...pos, reverse: true }, 800), 100);
  assert.equal(stepsToDeviceValue("HwPositionWithDuration", { value: [0, 100] }, 51), 51);
});

Deno.test("out-of-range and fractional steps are device errors", () => {
  const out = { value: [0, 20] as [number, number] };
  for (const bad of [21, -1, 1.5, Number.NaN]) {
    assert.throws(() => stepsToDeviceValue("Vibrate", out, bad), ButtplugDeviceError);
  }
  assert.throws(
    () => stepsToDeviceValue("Rotate", { value: [-5, 5] }, -6),
    /outside the step range/,
  );
});
