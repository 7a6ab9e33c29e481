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

// ---------------------------------------------------------------------------------------------
// Own extensions
// ---------------------------------------------------------------------------------------------

const BOOST = `
devices:
  - identifier:
      name: "Boost"
    expected_name: "KGoal Boost"
`;

/** A KGoal Boost case: subscribe #0 expecting `readings`, feed `notes`, then unsubscribe. */
const boost = (readings: string, notes: number[][], unsubscribe = true) =>
  BOOST + `
device_commands:
  - !Messages
      device_index: 0
      messages:
        - !Subscribe
            feature_index: 0
            input_type: Pressure
            expected_readings: ${readings}
  - !Commands
      device_index: 0
      commands:
        - !Subscribe
            endpoint: rxpressure
  - !Events
      device_index: 0
      events:
        - !Notifications
${
    notes.map((n) => `          - endpoint: rxpressure\n            data: [${n.join(", ")}]`).join(
      "\n",
    )
  }
` + (unsubscribe
    ? `
  - !Messages
      device_index: 0
      messages:
        - !Unsubscribe
            feature_index: 0
            input_type: pressure
  - !Commands
      device_index: 0
      commands:
        - !Unsubscribe
            endpoint: rxpressure
`
    : "");

const P5 = [0, 1, 4, 0, 5, 5, 0xd3];
const P300 = [0, 1, 4, 1, 0x2c, 5, 0xd3];

Deno.test("!Subscribe: readings are checked in order, exactly, at !Unsubscribe or the end", async () => {
  let r = await runCase(parseCase(boost("[5, 300]", [P5, P5, P300]), "/tmp/s.yaml"), {
    versions: [4],
  });
  assert.equal(r.status, "passed", r.reason);

  r = await runCase(parseCase(boost("[5, 301]", [P5, P300]), "/tmp/s.yaml"), { versions: [4] });
  assert.match(
    r.reason!,
    /step 1 \(!Messages #1\): readings of feature 0 Pressure: expected \[5, 301\], got \[5, 300\]/,
  );

  r = await runCase(parseCase(boost("[5]", [P5, P300]), "/tmp/s.yaml"), { versions: [4] });
  assert.match(r.reason!, /expected \[5\], got \[5, 300\]/, "an extra reading fails");

  r = await runCase(parseCase(boost("[5, 300]", [P5], false), "/tmp/s.yaml"), { versions: [4] });
  assert.match(r.reason!, /expected \[5, 300\], got \[5\] \(nothing more within 500 ms\)/);

  r = await runCase(parseCase(boost("[5]", [P5]), "/tmp/s.yaml"), { versions: [3] });
  assert.match(r.reason!, /!Subscribe needs spec v4 .*!VersionGated/);
});

const HUSH_PREFIX = (extra: string) =>
  HUSH_INIT + `
device_commands:
  - !Messages
      device_index: 0
      messages:
        - !Vibrate
          - Index: 0
            Speed: 0.5
  - !Commands
      device_index: 0
      commands:
        - !Write
            endpoint: tx
${extra}
            write_with_response: false
`;

Deno.test("!Write patterns: data: !Any, data_prefix, data_length", async () => {
  const run = async (extra: string) =>
    await runCase(parseCase(HUSH_PREFIX(extra), "/tmp/w.yaml"), { versions: [4] });
  // "Vibrate:10;" is 11 bytes.
  assert.equal((await run("            data: !Any")).status, "passed");
  assert.equal((await run("            data_length: 11")).status, "passed");
  assert.equal((await run("            data_prefix: [86, 105, 98]")).status, "passed");
  assert.equal(
    (await run(
      "            data: !Any\n            data_prefix: [86]\n            data_length: 11",
    ))
      .status,
    "passed",
  );
  const short = await run("            data: !Any\n            data_length: 12");
  assert.match(short.reason!, /expected Write tx any bytes, 12 bytes long, got Write tx/);
  const prefix = await run("            data_prefix: [82, 111]");
  assert.match(prefix.reason!, /expected Write tx starting \[52 6f\] "Ro", got Write tx/);
});

const DODGE = `
devices:
  - identifier:
      name: "J-Dodge"
    expected_name: "JoyHub Dodge"
device_commands:
  - !Messages
      device_index: 0
      messages:
        - !Scalar
          - Index: INDEX
            Scalar: 1.0
            ActuatorType: Spray
  - !Commands
      device_index: 0
      commands:
        - !Write
            endpoint: tx
            data: [0xa0, 0x24, 0x01, 0x00, 0x01, 0xff]
            write_with_response: false
  - !Commands
      device_index: 0
      TIMEOUT
      commands:
        - !Write
            endpoint: tx
            data: [0xa0, 0x24, 0x00, 0x00, 0x00, 0x00]
            write_with_response: false
`;

Deno.test("!Scalar Spray: v4 i-th spray feature, v3 ScalarCmd position; timeout_ms waits longer", async () => {
  const dodge = (index: number, timeout: string) =>
    parseCase(DODGE.replace("INDEX", String(index)).replace("TIMEOUT", timeout), "/tmp/d.yaml");
  const started = performance.now();
  let r = await runCase(dodge(0, "timeout_ms: 1100"), { versions: [4] });
  assert.equal(r.status, "passed", r.reason);
  assert.ok(performance.now() - started < 900, "the 1 s auto-off costs no real time");
  r = await runCase(dodge(2, "timeout_ms: 1100"), { versions: [3] });
  assert.equal(r.status, "passed", r.reason);
  r = await runCase(dodge(0, "timeout_ms: 1100"), { versions: [3] });
  assert.match(r.reason!, /ScalarCmd entry 0 \(feature 0\) cannot be driven as Spray/);
  r = await runCase(dodge(1, "timeout_ms: 1100"), { versions: [4] });
  assert.match(r.reason!, /the device has no Spray feature #1/);
  // The off comes 1 s after the on: more than the default 500 ms wait.
  r = await runCase(dodge(0, ""), { versions: [4] });
  assert.match(r.reason!, /step 3 \(!Commands #1\).*got nothing within 500 ms/);
});

const TITAN = `
devices:
  - identifier:
      name: "Titan1.1"
    expected_name: "Kiiroo Titan 1.1"
device_commands:
  - !VersionGated
      max_spec_version: 3
      commands:
        - !Messages
            device_index: 0
            messages:
              - !Linear
                - Index: INDEX
                  Position: 1.0
                  Duration: 500
        - !Commands
            device_index: 0
            commands:
              - !Write
                  endpoint: tx
                  data: [0x03, 0x00, 0x28, 0x63]
                  write_with_response: false
`;

Deno.test("v3 !Linear: config index → LinearCmd list position; max_spec_version gates v4 out", async () => {
  const titan = (index: number) => parseCase(TITAN.replace("INDEX", String(index)), "/tmp/t.yaml");
  let r = await runCase(titan(1));
  assert.equal(r.status, "passed", r.reason);
  assert.deepEqual(r.versions.map((v) => [v.version, v.passed]), [[4, true], [3, true]]);
  r = await runCase(titan(0), { versions: [3] });
  assert.match(r.reason!, /feature 0 is not a linear \(HwPositionWithDuration\) feature .*: 1\)/);
});

Deno.test("real-time mode runs the same case on the system clock", async () => {
  const r = await runCase(parseCase(HUSH_INIT + vibrate(0.5, "Vibrate:10;"), "/tmp/rt.yaml"), {
    realTime: true,
    versions: [4],
  });
  assert.equal(r.status, "passed", r.reason);
});
