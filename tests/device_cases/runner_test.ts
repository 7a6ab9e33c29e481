import assert from "node:assert/strict";
import { parseCase } from "./case.ts";
import { floatToSteps, runCase, UPSTREAM_DISABLED } from "./runner.ts";

const HUSH_INIT = `
devices:
  - identifier:
      name: "LVS-Test"
    expected_name: "Lovense Hush"
device_init:
  - !Commands
      device_index: 0
      commands:
        - !Subscribe
            endpoint: rx
        - !Write
            endpoint: tx
            data: [68, 101, 118, 105, 99, 101, 84, 121, 112, 101, 59]
            write_with_response: false
  - !Events
      device_index: 0
      events:
        - !Notifications
          - endpoint: rx
            data: [90, 58, 49, 49, 58, 48, 48, 56, 50, 48, 53, 57, 65, 68, 51, 66, 68, 59]
`;

const vibrate = (speed: number, expected: string) => `
device_commands:
  - !Messages
      device_index: 0
      messages:
        - !Vibrate
          - Index: 0
            Speed: ${speed}
  - !Commands
      device_index: 0
      commands:
        - !Write
            endpoint: tx
            data: [${[...new TextEncoder().encode(expected)].join(", ")}]
            write_with_response: false
`;

Deno.test("a passing case passes under v4 and v3", async () => {
  const result = await runCase(parseCase(HUSH_INIT + vibrate(0.5, "Vibrate:10;"), "/tmp/ok.yaml"));
  assert.equal(result.status, "passed", result.reason);
  assert.deepEqual(result.versions.map((v) => v.version), [4, 3]);
});

Deno.test("a wrong byte fails with the step, the expected and the received bytes", async () => {
  const result = await runCase(
    parseCase(HUSH_INIT + vibrate(0.5, "Vibrate:11;"), "/tmp/bad.yaml"),
    { versions: [4] },
  );
  assert.equal(result.status, "failed");
  assert.match(result.reason!, /device_commands step 2 \(!Commands #1\)/);
  assert.match(result.reason!, /expected Write tx .*"Vibrate:11;", got Write tx .*"Vibrate:10;"/);
});

Deno.test("a wrong name, a missing write and a wrong battery level all fail", async () => {
  const wrongName = HUSH_INIT.replace("Lovense Hush", "Lovense Lush") + "device_commands: []\n";
  let r = await runCase(parseCase(wrongName, "/tmp/name.yaml"), { versions: [4] });
  assert.match(r.reason!, /expected name "Lovense Lush", got "Lovense Hush"/);

  const twice = HUSH_INIT + vibrate(0.5, "Vibrate:10;") +
    vibrate(0.5, "Vibrate:10;").replace("device_commands:\n", "");
  r = await runCase(parseCase(twice, "/tmp/twice.yaml"), { versions: [4] });
  assert.match(r.reason!, /step 4 .*got nothing within 500 ms/, "the same value is not re-sent");

  const battery = HUSH_INIT + `
device_commands:
  - !Messages
      device_index: 0
      messages:
        - !Battery
          expected_power: 0.5
          run_async: true
  - !Events
      device_index: 0
      events:
        - !Notifications
          - endpoint: rx
            data: [57, 48, 59]
`;
  r = await runCase(parseCase(battery, "/tmp/battery.yaml"), { versions: [4] });
  assert.equal(r.status, "failed");
  assert.match(r.reason!, /battery: expected 0\.5, got 0\.9/);
});

Deno.test("unimplemented protocols and upstream-disabled cases are reported, not run", async () => {
  const empty = new (await import("../../server/devices/protocol_registry.ts")).ProtocolRegistry(
    [],
  );
  const r = await runCase(parseCase(HUSH_INIT + "device_commands: []\n", "/tmp/x.yaml"), {
    protocols: empty,
  });
  assert.equal(r.status, "not-implemented");
  assert.match(r.reason!, /protocol not implemented: lovense/);
  const file = Object.keys(UPSTREAM_DISABLED)[0];
  const skipped = await runCase(parseCase(HUSH_INIT + "device_commands: []\n", `/tmp/${file}`));
  assert.equal(skipped.status, "skipped");
});

Deno.test("client float → steps rule: ceil above 1e-6, floor otherwise", () => {
  assert.equal(floatToSteps(0.5, 20), 10);
  assert.equal(floatToSteps(0.25, 15), 4);
  assert.equal(floatToSteps(0.00000001, 20), 0);
  assert.equal(floatToSteps(0.0000001, 20), 1, "the threshold applies to f * steps");
  assert.equal(floatToSteps(-0.5, 99), -50);
  assert.equal(floatToSteps(0.51, 100), 51);
});
