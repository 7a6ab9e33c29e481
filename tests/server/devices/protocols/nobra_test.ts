import assert from "node:assert/strict";
import { FakeClock } from "../../../_helpers/fake_clock.ts";
import { FakePeripheral } from "../../../../hardware/fake_peripheral.ts";
import { DeviceContext } from "../../../../server/devices/context.ts";
import { defaultDeviceConfiguration } from "../../../../server/devices/config.ts";
import { nobra } from "../../../../server/devices/protocols/nobra.ts";
import { bytes, definition } from "./_harness.ts";

Deno.test("nobra: init writes 70; s=0 → 70, else 60+s, over BLE and serial alike", async () => {
  const specs = defaultDeviceConfiguration().protocol("nobra")!.communication;
  assert.deepEqual(specs.map((s) => Object.keys(s)[0]), ["btle", "serial"]);
  for (const spec of specs) {
    const clock = new FakeClock();
    const p = new FakePeripheral({ name: "NobraControl 1", clock });
    await p.connect(spec);
    using ctx = new DeviceContext(p, clock);
    const def = definition("nobra");
    const handler = await nobra.initialize(ctx, def);
    const [init] = p.takeCommands();
    assert.ok(init.kind === "write" && init.endpoint === "tx" && !init.withResponse);
    assert.deepEqual([...init.data], [0x70]);
    assert.deepEqual(bytes(handler.vibrate!(def.features[0], 15)), [[0x6f]]);
    assert.deepEqual(bytes(handler.vibrate!(def.features[0], 1)), [[0x61]]);
    assert.deepEqual(bytes(handler.vibrate!(def.features[0], 0)), [[0x70]]);
    p[Symbol.dispose]();
  }
});
