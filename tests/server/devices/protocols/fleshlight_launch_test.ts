import assert from "node:assert/strict";
import {
  launchSpeed,
  launchSpeedByte,
  LaunchTracker,
  saturatingU8,
} from "../../../../server/devices/protocols/fleshlight_launch.ts";

Deno.test("launch speed curve: worked examples and edge cases", () => {
  assert.equal(launchSpeedByte(0, 50, 500), 19);
  assert.equal(launchSpeedByte(0, 99, 500), 40);
  assert.equal(launchSpeedByte(99, 0, 250), 83);
  assert.equal(launchSpeedByte(0, 99, 100), 219);
  assert.equal(launchSpeedByte(40, 40, 500), 0, "no movement");
  assert.equal(launchSpeedByte(0, 99, 0), 255, "zero duration saturates");
  assert.equal(launchSpeedByte(0, 0, 0), 0, "0/0 is NaN, which casts to 0");
  assert.equal(launchSpeed(-1, 100), 0);
  assert.equal(launchSpeed(2, 500), launchSpeed(1, 500), "distance capped at 1");
  assert.equal(saturatingU8(-3.5), 0);
  assert.equal(saturatingU8(300), 255);
  assert.equal(saturatingU8(Number.NaN), 0);
});

Deno.test("launch tracker remembers the previous position", () => {
  const t = new LaunchTracker();
  assert.equal(t.move(99, 500), 40);
  assert.equal(t.move(0, 250), 83);
  assert.equal(t.move(0, 250), 0);
});
