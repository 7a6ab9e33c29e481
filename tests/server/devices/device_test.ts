import assert from "node:assert/strict";
import { FakeClock } from "../../_helpers/fake_clock.ts";
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import type { InputType } from "../../../protocol/messages.ts";
import { FakePeripheral } from "../../../hardware/fake_peripheral.ts";
import { DeviceContext } from "../../../server/devices/context.ts";
import { ProtocolDevice } from "../../../server/devices/device.ts";
import {
  type DeviceDefinition,
  type FeatureDefinition,
  type ProtocolContext,
  type ProtocolHandler,
  write,
  writeText,
} from "../../../server/devices/protocol.ts";

const SPEC = {
  btle: { names: ["dev"], services: { s: { tx: "1", rx: "2", rxblebattery: "3" } } },
};

const DEFINITION: DeviceDefinition = {
  name: "Test Toy",
  id: "def",
  protocol: "test",
  features: [
    {
      index: 0,
      id: "f0",
      description: "motor",
      output: { Vibrate: { value: [0, 20], userValue: [5, 15] }, Oscillate: { value: [0, 20] } },
    },
    { index: 1, id: "f1", description: "rotator", output: { Rotate: { value: [-10, 10] } } },
    { index: 2, id: "f2", description: "stroker", output: { Position: { value: [0, 100] } } },
    {
      index: 3,
      id: "f3",
      description: "off",
      output: { Constrict: { value: [0, 3], disabled: true } },
    },
    {
      index: 5,
      id: "f5",
      description: "battery",
      input: {
        Battery: { value: [[0, 100]], command: ["Read"] },
        Pressure: { value: [[0, 500]], command: ["Subscribe"] },
      },
    },
  ],
};

interface Setup {
  peripheral: FakePeripheral;
  device: ProtocolDevice;
  calls: string[];
  clock: FakeClock;
}

/** A handler that records calls and writes `[fi, s & 0xff]` with the feature id as CID. */
function recordingHandler(calls: string[], extra: Partial<ProtocolHandler> = {}): ProtocolHandler {
  const enc = (type: string) => (f: FeatureDefinition, s: number) => {
    calls.push(`${type} ${f.index} ${s}`);
    return [write("tx", [f.index, s & 0xff], false, f.id)];
  };
  return {
    vibrate: enc("vibrate"),
    oscillate: enc("oscillate"),
    rotate: enc("rotate"),
    position: enc("position"),
    constrict: enc("constrict"),
    ...extra,
  };
}

async function setup(
  options: {
    handler?: (calls: string[]) => ProtocolHandler;
    gapMs?: number;
    definition?: DeviceDefinition;
    requiresKeepalive?: boolean;
  } = {},
): Promise<Setup> {
  const clock = new FakeClock();
  const peripheral = new FakePeripheral({
    name: "dev",
    messageGapMs: options.gapMs ?? 0,
    clock,
    requiresKeepalive: options.requiresKeepalive ?? false,
  });
  await peripheral.connect(SPEC);
  const calls: string[] = [];
  const device = new ProtocolDevice({
    definition: options.definition ?? DEFINITION,
    handler: (options.handler ?? recordingHandler)(calls),
    context: new DeviceContext(peripheral, clock),
    identity: "test-identity",
  });
  return { peripheral, device, calls, clock };
}

const writes = (p: FakePeripheral) =>
  p.takeCommands().map((c) => c.kind === "write" ? [...c.data] : [c.kind, c.endpoint]);

Deno.test("features: client view with user step ranges; disabled and empty features hidden", async () => {
  const { device } = await setup();
  await using _ = device;
  assert.deepEqual(device.features.map((f) => f.FeatureIndex), [0, 1, 2, 5]);
  assert.deepEqual(device.features[0].Output, {
    Vibrate: { Value: [0, 10] },
    Oscillate: { Value: [0, 20] },
  });
  assert.equal(device.messageTimingGap, 0);
  assert.equal(device.identity, "test-identity");
});

Deno.test("output: steps are mapped, same value is de-duplicated, type changes are not", async () => {
  const { device, calls, peripheral } = await setup();
  await using _ = device;
  await device.output(0, "Vibrate", { Value: 1 });
  await device.output(0, "Vibrate", { Value: 1 });
  await device.output(0, "Oscillate", { Value: 6 });
  await device.output(0, "Vibrate", { Value: 1 });
  await device.output(1, "Rotate", { Value: -3 });
  await device.output(2, "Position", { Value: 0 });
  assert.deepEqual(calls, [
    "vibrate 0 6",
    "oscillate 0 6",
    "vibrate 0 6",
    "rotate 1 -3",
    "position 2 0",
  ]);
  await device.idle();
  assert.equal(writes(peripheral).length, 5);
});

Deno.test("output errors: unknown feature, missing type, disabled, out of range, no encoder", async () => {
  const { device } = await setup({
    handler: (calls) => {
      const h = recordingHandler(calls);
      delete h.position;
      return h;
    },
  });
  await using _ = device;
  await assert.rejects(device.output(9, "Vibrate", { Value: 1 }), /no feature 9/);
  await assert.rejects(device.output(1, "Vibrate", { Value: 1 }), /has no Vibrate output/);
  await assert.rejects(device.output(3, "Constrict", { Value: 1 }), /disabled/);
  await assert.rejects(device.output(0, "Vibrate", { Value: 11 }), /outside the step range/);
  await assert.rejects(
    device.output(2, "Position", { Value: 5 }),
    (err: unknown) =>
      err instanceof ButtplugDeviceError && /does not implement Position/.test(err.message),
  );
});

Deno.test("an encoder failure is a device error and the value is not cached", async () => {
  let fail = true;
  const { device, calls } = await setup({
    handler: (calls) =>
      recordingHandler(calls, {
        vibrate(f, s) {
          calls.push(`vibrate ${s}`);
          if (fail) throw new RangeError("boom");
          return [write("tx", [s], false, f.id)];
        },
      }),
  });
  await using _ = device;
  await assert.rejects(
    device.output(0, "Vibrate", { Value: 2 }),
    (err: unknown) => err instanceof ButtplugDeviceError && /boom/.test(err.message),
  );
  fail = false;
  await device.output(0, "Vibrate", { Value: 2 });
  assert.deepEqual(calls, ["vibrate 7", "vibrate 7"]);
});

Deno.test("stop: first output type per feature, value 0, position untouched, de-dup applies", async () => {
  const { device, calls, peripheral } = await setup();
  await using _ = device;
  await device.output(0, "Vibrate", { Value: 3 });
  await device.output(2, "Position", { Value: 50 });
  calls.length = 0;
  await device.stop({ outputs: true, inputs: false });
  // Feature 0 → Vibrate (before Oscillate), 1 → Rotate, 3 → Constrict (disabled, still stopped).
  assert.deepEqual(calls, ["vibrate 0 0", "rotate 1 0", "constrict 3 0"]);
  calls.length = 0;
  await device.stop({ outputs: true, inputs: false });
  assert.deepEqual(calls, [], "already stopped: nothing written");
  await device.output(1, "Rotate", { Value: 4 });
  await device.output(0, "Vibrate", { Value: 4 });
  calls.length = 0;
  await device.stop({ featureIndex: 1, outputs: true, inputs: false });
  assert.deepEqual(calls, ["rotate 1 0"]);
  await assert.rejects(
    device.stop({ featureIndex: 7, outputs: true, inputs: true }),
    /no feature 7/,
  );
  await device.idle();
  assert.ok(writes(peripheral).length > 0);
});

Deno.test("timed keepalive: stop on connect, then the last packet is repeated", async () => {
  const { device, calls, peripheral, clock } = await setup({
    gapMs: 1,
    handler: (calls) => ({
      ...recordingHandler(calls),
      keepalive: { kind: "repeat-last-with-timing", ms: 3000 },
    }),
  });
  await using _ = device;
  assert.deepEqual(calls, ["vibrate 0 0", "rotate 1 0", "constrict 3 0"]);
  await clock.tick(1);
  assert.deepEqual(writes(peripheral), [[0, 0], [1, 0], [3, 0]]);
  calls.length = 0;
  await device.stop({ outputs: true, inputs: true });
  assert.deepEqual(calls, [], "stop-on-connect values are cached");
  await clock.tick(3000);
  assert.deepEqual(writes(peripheral), [[3, 0]], "keepalive repeats the last packet");
});

Deno.test("default keepalive only when the hardware requires it", async () => {
  const plain = await setup({ gapMs: 0 });
  await using _a = plain.device;
  assert.deepEqual(plain.calls, [], "no stop on connect");
  await plain.clock.tick(10_000);
  assert.deepEqual(writes(plain.peripheral), []);

  const ios = await setup({ gapMs: 0, requiresKeepalive: true });
  await using _b = ios.device;
  assert.equal(ios.calls.length, 3, "stop on connect");
  await ios.device.idle();
  assert.equal(writes(ios.peripheral).length, 3);
  await ios.clock.tick(5000);
  assert.deepEqual(writes(ios.peripheral), [[3, 0]]);
});

Deno.test("battery: default read of rxblebattery byte 0, protocol hook wins", async () => {
  const { device, peripheral } = await setup();
  await using _ = device;
  peripheral.queueRead("rxblebattery", [77]);
  assert.equal(await device.readInput(5, "Battery"), 77);
  await assert.rejects(device.readInput(0, "Battery"), /cannot read Battery/);
  await assert.rejects(device.readInput(5, "Pressure"), /cannot read Pressure/);

  const hooked = await setup({
    handler: (calls) => recordingHandler(calls, { readInput: () => Promise.resolve(42) }),
  });
  await using _h = hooked.device;
  assert.equal(await hooked.device.readInput(5, "Battery"), 42);
});

Deno.test("subscriptions: readings only while subscribed; stop with inputs unsubscribes", async () => {
  const log: string[] = [];
  let emit: ((v: number) => void) | undefined;
  const { device } = await setup({
    handler: (calls) =>
      recordingHandler(calls, {
        subscribeInput(f, type, ctx) {
          log.push(`sub ${f.index} ${type}`);
          emit = (v) => ctx.emitReading(f.index, type, v);
          return Promise.resolve();
        },
        unsubscribeInput(f, type) {
          log.push(`unsub ${f.index} ${type}`);
          return Promise.resolve();
        },
      }),
  });
  await using _ = device;
  const readings: [number, InputType, number][] = [];
  device.addEventListener(
    "reading",
    (e) => readings.push([e.detail.featureIndex, e.detail.type, e.detail.value]),
  );
  await assert.rejects(device.subscribeInput(5, "Battery"), /cannot subscribe/);
  await device.subscribeInput(5, "Pressure");
  await device.subscribeInput(5, "Pressure"); // idempotent
  emit!(120);
  await device.stop({ outputs: false, inputs: true });
  emit!(130);
  assert.deepEqual(log, ["sub 5 Pressure", "unsub 5 Pressure"]);
  assert.deepEqual(readings, [[5, "Pressure", 120]]);
  await device.unsubscribeInput(5, "Pressure"); // idempotent, no hook call
  assert.equal(log.length, 2);
});

Deno.test("hardware disconnect: event once, background task aborted, commands refused", async () => {
  let signal: AbortSignal | undefined;
  const { device, peripheral } = await setup({
    handler: (calls) => recordingHandler(calls, { start: (ctx) => (signal = ctx.signal) }),
  });
  let events = 0;
  device.addEventListener("disconnected", () => events++);
  assert.equal(signal?.aborted, false);
  peripheral.simulateDisconnect();
  assert.equal(events, 1);
  assert.equal(device.disconnected, true);
  assert.equal(signal?.aborted, true);
  await assert.rejects(device.output(0, "Vibrate", { Value: 1 }), /disconnected/);
  await device.disconnect();
  assert.equal(events, 1);
});

Deno.test("disconnect() stops the outputs, sends them, then closes the link", async () => {
  const { device, peripheral } = await setup({ gapMs: 50 });
  await device.output(0, "Vibrate", { Value: 10 });
  let events = 0;
  device.addEventListener("disconnected", () => events++);
  await device.disconnect();
  assert.equal(peripheral.connected, false);
  assert.equal(events, 1);
  const sent = peripheral.history.filter((c) => c.kind === "write").map((c) =>
    c.kind === "write" ? [...c.data] : []
  );
  // Inside one window the stop (same CID) replaced the pending 15: only the stop values go out.
  assert.deepEqual(sent, [[0, 0], [1, 0], [3, 0]]);
});

Deno.test("effective gap: the definition's message_gap_ms wins over the hardware's", async () => {
  const { device } = await setup({ gapMs: 75, definition: { ...DEFINITION, messageGapMs: 20 } });
  await using _ = device;
  assert.equal(device.messageTimingGap, 20);
});

Deno.test("latency: with no window the write happens inside output(), before any await", async () => {
  const { device, peripheral, clock } = await setup({ gapMs: 0 });
  await using _ = device;
  const pending = device.output(0, "Vibrate", { Value: 10 });
  assert.equal(peripheral.history.length, 1);
  assert.equal(clock.pending, 0, "no timer involved");
  await pending;
});

/** A setup whose handler hands out the context it was started with. */
async function setupWithContext() {
  let started: ProtocolContext | undefined;
  const s = await setup({
    handler: (calls) =>
      recordingHandler(calls, {
        start(ctx) {
          started = ctx;
        },
      }),
  });
  assert.ok(started, "start(ctx) was called");
  return { ...s, ctx: started };
}

Deno.test("noteOutput: a protocol-side change updates the de-dup cache", async () => {
  const { device, calls, ctx } = await setupWithContext();
  await using _ = device;
  await device.output(1, "Rotate", { Value: 3 });
  await device.output(1, "Rotate", { Value: 3 });
  assert.deepEqual(calls, ["rotate 1 3"], "a repeat is dropped");
  // The protocol switched the rotator off by itself: the same value is a change again.
  ctx.noteOutput(1, "Rotate", 0);
  await device.output(1, "Rotate", { Value: 3 });
  assert.deepEqual(calls, ["rotate 1 3", "rotate 1 3"]);
  // Noted at 0: a Stop has nothing to send for that feature.
  ctx.noteOutput(1, "Rotate", 0);
  calls.length = 0;
  await device.stop({ outputs: true, inputs: false });
  assert.deepEqual(calls, ["vibrate 0 0", "constrict 3 0"]);
  assert.throws(() => ctx.noteOutput(9, "Vibrate", 1), ButtplugDeviceError);
  assert.throws(() => ctx.noteOutput(1, "Vibrate", 1), /has no Vibrate output/);
});

Deno.test("forgetOutput: the next command is sent even if it repeats the last value", async () => {
  const { device, calls, ctx, peripheral } = await setupWithContext();
  await using _ = device;
  await device.output(1, "Rotate", { Value: 3 });
  ctx.forgetOutput(1, "Vibrate"); // the cached entry holds Rotate: kept
  await device.output(1, "Rotate", { Value: 3 });
  assert.deepEqual(calls, ["rotate 1 3"]);
  ctx.forgetOutput(1, "Rotate");
  await device.output(1, "Rotate", { Value: 3 });
  ctx.forgetOutput(1);
  await device.output(1, "Rotate", { Value: 3 });
  assert.deepEqual(calls, ["rotate 1 3", "rotate 1 3", "rotate 1 3"]);
  await device.idle();
  assert.deepEqual(writes(peripheral), [[1, 3], [1, 3], [1, 3]]);
  assert.throws(() => ctx.forgetOutput(7), /has no feature 7/);
});

Deno.test("noteOutput / forgetOutput before the device exists are no-ops", async () => {
  const peripheral = new FakePeripheral({ name: "dev", clock: new FakeClock() });
  await peripheral.connect(SPEC);
  using ctx = new DeviceContext(peripheral, new FakeClock());
  ctx.noteOutput(0, "Vibrate", 1);
  ctx.forgetOutput(0);
  assert.deepEqual(peripheral.takeCommands(), []);
});

Deno.test("writeText: ASCII copied byte for byte, other text UTF-8 encoded", () => {
  assert.deepEqual([...writeText("tx", "Vibrate:10;", false, "f").data], [
    ...new TextEncoder().encode("Vibrate:10;"),
  ]);
  assert.deepEqual([...writeText("tx", "é;", false, "f").data], [0xc3, 0xa9, 0x3b]);
});

// ---------------------------------------------------------------------------------------------
// Review findings: a stop must never be skipped or undone
// ---------------------------------------------------------------------------------------------

/** A peripheral whose next `failWrites` writes fail (a BLE hiccup), later ones work. */
class FlakyPeripheral extends FakePeripheral {
  failWrites = 0;
  override write(endpoint: string, data: Uint8Array, withResponse: boolean): Promise<void> {
    if (this.failWrites > 0) {
      this.failWrites--;
      return Promise.reject(new Error("BLE write failed"));
    }
    return super.write(endpoint, data, withResponse);
  }
}

Deno.test("a failed write is not de-duplicated: the next stop is sent again", async () => {
  const clock = new FakeClock();
  const peripheral = new FlakyPeripheral({ name: "dev", messageGapMs: 0, clock });
  await peripheral.connect(SPEC);
  const calls: string[] = [];
  await using device = new ProtocolDevice({
    definition: DEFINITION,
    handler: recordingHandler(calls),
    context: new DeviceContext(peripheral, clock),
    identity: "flaky",
  });
  await device.output(1, "Rotate", { Value: 4 });
  await device.idle();
  assert.deepEqual(writes(peripheral), [[1, 4]]);
  // The client's StopCmd: the rotator's stop write is lost on the air.
  peripheral.failWrites = 1;
  await device.stop({ featureIndex: 1, outputs: true, inputs: false });
  await device.idle();
  assert.deepEqual(writes(peripheral), [], "the stop never reached the toy");
  // The client leaves: the session stops everything. The rotator must really get its 0 now.
  await device.stop({ outputs: true, inputs: true });
  await device.idle();
  assert.deepEqual(writes(peripheral).filter(([fi]) => fi === 1), [[1, 0]]);
});

Deno.test("a stop or unsubscribe while a subscribe is in flight ends that subscription", async () => {
  const log: string[] = [];
  const gates: (() => void)[] = [];
  let emit: ((v: number) => void) | undefined;
  const { device } = await setup({
    handler: (calls) =>
      recordingHandler(calls, {
        async subscribeInput(f, type, ctx) {
          log.push(`sub ${f.index} ${type}`);
          await new Promise<void>((resolve) => gates.push(resolve)); // BLE round trip
          emit = (v) => ctx.emitReading(f.index, type, v);
        },
        unsubscribeInput(f, type) {
          log.push(`unsub ${f.index} ${type}`);
          emit = undefined;
          return Promise.resolve();
        },
      }),
  });
  await using _ = device;
  const readings: number[] = [];
  device.addEventListener("reading", (e) => readings.push(e.detail.value));

  // The client subscribes and leaves before the subscription is set up.
  const subscribing = device.subscribeInput(5, "Pressure");
  await device.stop({ outputs: true, inputs: true });
  gates.shift()!();
  await subscribing;
  assert.deepEqual(log, ["sub 5 Pressure", "unsub 5 Pressure"], "the late subscription is ended");
  emit?.(42);
  assert.deepEqual(readings, []);

  // Same with an explicit Unsubscribe; a later Subscribe works normally.
  const again = device.subscribeInput(5, "Pressure");
  await device.unsubscribeInput(5, "Pressure");
  gates.shift()!();
  await again;
  assert.equal(log.at(-1), "unsub 5 Pressure");
  const third = device.subscribeInput(5, "Pressure");
  gates.shift()!();
  await third;
  emit!(7);
  assert.deepEqual(readings, [7]);
  // A stop scoped to another feature leaves a pending subscription alone.
  await device.unsubscribeInput(5, "Pressure");
  const fourth = device.subscribeInput(5, "Pressure");
  await device.stop({ featureIndex: 0, outputs: true, inputs: true });
  gates.shift()!();
  await fourth;
  emit!(8);
  assert.deepEqual(readings, [7, 8]);
});
