import assert from "node:assert/strict";
import { lovenseConnectService } from "../../../../server/devices/protocols/lovense_connect_service.ts";
import { ProtocolDeviceSource } from "../../../../server/devices/pipeline.ts";
import { FakePeripheral, FakePeripheralManager } from "../../../../hardware/fake_peripheral.ts";
import { defaultDeviceConfiguration } from "../../../../server/devices/config.ts";
import { defaultProtocolRegistry } from "../../../../server/devices/protocol_registry.ts";
import type { ProtocolDevice } from "../../../../server/devices/device.ts";
import { definition, harness, texts } from "./_harness.ts";

const opts = (address: string) => ({ transport: "lovense_connect_service" as const, address });

Deno.test("lovense-connect-service: paths per output type, toy id from the address", async () => {
  using h = await harness("lovense-connect-service", "Nora", opts("ab12"));
  const nora = definition("lovense-connect-service", "Nora");
  const handler = await lovenseConnectService.initialize(h.ctx, nora);
  assert.equal(h.peripheral.history.length, 0, "no init traffic");
  const [vib, rot] = nora.features;
  assert.deepEqual(texts(handler.vibrate!(vib, 12)), ["Vibrate1?v=12&t=ab12"]);
  assert.deepEqual(texts(handler.rotate!(rot, 5)), ["RotateClockwise?v=5&t=ab12"]);
  assert.deepEqual(texts(handler.rotate!(rot, -7)), ["RotateAntiClockwise?v=7&t=ab12"]);

  const edge = definition("lovense-connect-service", "Edge");
  const e = await lovenseConnectService.initialize(h.ctx, edge);
  assert.deepEqual(texts(e.vibrate!(edge.features[1], 3)), ["Vibrate2?v=3&t=ab12"]);

  const gravity = definition("lovense-connect-service", "Gravity");
  const g = await lovenseConnectService.initialize(h.ctx, gravity);
  assert.deepEqual(texts(g.oscillate!(gravity.features[1], 4)), ["Thrusting?v=4&t=ab12"]);

  const max = definition("lovense-connect-service", "Max");
  const m = await lovenseConnectService.initialize(h.ctx, max);
  assert.deepEqual(texts(m.constrict!(max.features[1], 3)), ["AirAuto?v=3&t=ab12"]);

  const xm = definition("lovense-connect-service", "XMachine");
  const x = await lovenseConnectService.initialize(h.ctx, xm);
  assert.deepEqual(texts(x.oscillate!(xm.features[0], 9)), ["Vibrate1?v=9&t=ab12"]);

  h.peripheral.queueRead("rx", [64]);
  assert.equal(await handler.readInput!(nora.features[2], "Battery", h.ctx), 64);
});

Deno.test("lovense-connect-service: Solace gets Depth first and thrusts", async () => {
  using h = await harness("lovense-connect-service", "Solace", opts("s0"));
  const solace = definition("lovense-connect-service", "Solace");
  const handler = await lovenseConnectService.initialize(h.ctx, solace);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) =>
      c.kind === "write" ? new TextDecoder().decode(c.data) : c.kind
    ),
    ["Depth?v=3&t=s0"],
  );
  assert.deepEqual(texts(handler.oscillate!(solace.features[0], 20)), ["Thrusting?v=20&t=s0"]);
});

Deno.test("lovense-connect-service: a whole device through the pipeline (no batching window)", async () => {
  const peripheral = new FakePeripheral({
    name: "Lush",
    address: "toy42",
    transport: "lovense_connect_service",
    messageGapMs: 0,
  });
  await using source = new ProtocolDeviceSource({
    managers: [new FakePeripheralManager([peripheral])],
    config: defaultDeviceConfiguration(),
    protocols: defaultProtocolRegistry(),
  });
  const found = new Promise<ProtocolDevice>((resolve) =>
    source.addEventListener("device", (e) => resolve(e.detail.device as ProtocolDevice), {
      once: true,
    })
  );
  await source.startScanning();
  const device = await found;
  assert.equal(device.name, "Lovense Lush");
  await device.output(0, "Vibrate", { Value: 20 });
  await device.stop({ outputs: true, inputs: true });
  await device.idle();
  assert.deepEqual(
    peripheral.takeCommands().map((c) =>
      c.kind === "write" ? new TextDecoder().decode(c.data) : c.kind
    ),
    ["Vibrate1?v=20&t=toy42", "Vibrate1?v=0&t=toy42"],
  );
  peripheral.queueRead("rx", [91]);
  assert.equal(await device.readInput(1, "Battery"), 91);
});
