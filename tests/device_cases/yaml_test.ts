import assert from "node:assert/strict";
import { parseYaml, type Tagged, YamlError } from "./yaml.ts";
import { parseCase } from "./case.ts";

Deno.test("yaml subset: nested mappings, sequences, tags, flow lists, scalars, comments", () => {
  const doc = parseYaml(`
top: # comment
  - !Write
      endpoint: tx
      data: [0x0f, 3, 255]   # trailing
      write_with_response: true
  - !Stop
  - !Vibrate
    - Index: 0
      Speed: 0.5
  - plain
quoted: "a # not a comment"
single: 'it''s'
list:
- 1
- -2.5
nothing: ~
`) as Record<string, unknown>;
  const top = doc.top as Tagged[];
  assert.equal(top[0].tag, "Write");
  assert.deepEqual(top[0].value, { endpoint: "tx", data: [15, 3, 255], write_with_response: true });
  assert.equal(top[1].tag, "Stop");
  assert.equal(top[1].value, null);
  assert.deepEqual(top[2].value, [{ Index: 0, Speed: 0.5 }]);
  assert.equal(top[3], "plain");
  assert.equal(doc.quoted, "a # not a comment");
  assert.equal(doc.single, "it's");
  assert.deepEqual(doc.list, [1, -2.5]);
  assert.equal(doc.nothing, null);
});

Deno.test("yaml subset: unsupported or malformed input is an error with a line number", () => {
  assert.throws(() => parseYaml("a: &anchor 1"), YamlError);
  assert.throws(() => parseYaml("a: |\n  text"), /block scalars/);
  assert.throws(() => parseYaml("a: [1, 2"), /line 1/);
  assert.throws(() => parseYaml("a: 1\na: 2"), /duplicate key/);
  assert.throws(() => parseYaml("a:\n    b: 1\n  c: 2"), /line 3/);
});

Deno.test("case loader names the file and the step of a malformed case", () => {
  assert.throws(
    () => parseCase("devices: []\n", "x.yaml"),
    /x\.yaml: device_commands: is required/,
  );
  assert.throws(
    () => parseCase("devices: []\ndevice_commands:\n  - !Wiggle\n      a: 1\n", "y.yaml"),
    /y\.yaml: device_commands\[0\] \(!Wiggle\): unknown step tag/,
  );
  assert.throws(
    () =>
      parseCase(
        "devices: []\ndevice_init:\n  - !Messages\n      device_index: 0\n      messages: []\ndevice_commands: []\n",
        "z.yaml",
      ),
    /not allowed in device_init/,
  );
  const ok = parseCase(
    "devices:\n  - identifier:\n      name: X\n    expected_name: Y\ndevice_commands: []\n",
    "ok.yaml",
  );
  assert.deepEqual(ok.devices, [{ name: "X", expectedName: "Y" }]);
});

Deno.test("case loader: own extensions parse, and their misuse is a named error", () => {
  const wrap = (commands: string) =>
    `devices: []\ndevice_commands:\n  - !Commands\n      device_index: 0\n${commands}`;
  const write = (data: string) =>
    wrap(
      `      commands:\n        - !Write\n            endpoint: tx\n${data}\n            write_with_response: false\n`,
    );
  const c = parseCase(
    wrap(
      "      timeout_ms: 1500\n      commands:\n        - !Write\n            endpoint: tx\n            data: !Any\n            data_prefix: [1, 2]\n            data_length: 4\n            write_with_response: true\n",
    ),
    "ext.yaml",
  );
  assert.deepEqual(c.deviceCommands[0], {
    kind: "commands",
    deviceIndex: 0,
    timeoutMs: 1500,
    commands: [{
      kind: "write",
      endpoint: "tx",
      dataPrefix: [1, 2],
      dataLength: 4,
      writeWithResponse: true,
    }],
  });
  assert.throws(
    () => parseCase(write("            data: [1]\n            data_length: 1"), "a.yaml"),
    /go with data: !Any/,
  );
  assert.throws(() => parseCase(write("            feature_id: x"), "b.yaml"), /data: is required/);
  assert.throws(
    () => parseCase(write("            data: !Some"), "c.yaml"),
    /byte list or !Any, got !Some/,
  );
  assert.throws(
    () => parseCase(write("            data_prefix: [1, 2]\n            data_length: 1"), "d.yaml"),
    /cannot hold the 2-byte prefix/,
  );
  assert.throws(
    () => parseCase(wrap("      timeout_ms: 0\n      commands: []\n"), "e.yaml"),
    /timeout_ms: must be ≥ 1/,
  );

  const messages = (body: string) =>
    `devices: []\ndevice_commands:\n  - !Messages\n      device_index: 0\n      messages:\n${body}`;
  const sub = parseCase(
    messages(
      "        - !Subscribe\n            feature_index: 1\n            input_type: pressure\n            expected_readings: [1, 2.5]\n        - !Unsubscribe\n            feature_index: 1\n            input_type: Pressure\n",
    ),
    "f.yaml",
  );
  assert.deepEqual(sub.deviceCommands[0], {
    kind: "messages",
    deviceIndex: 0,
    messages: [
      { kind: "subscribe", featureIndex: 1, inputType: "Pressure", expectedReadings: [1, 2.5] },
      { kind: "unsubscribe", featureIndex: 1, inputType: "Pressure" },
    ],
  });
  assert.throws(
    () =>
      parseCase(
        messages(
          "        - !Subscribe\n            feature_index: 0\n            input_type: Heat\n",
        ),
        "g.yaml",
      ),
    /g\.yaml: .*input_type: unknown input type Heat/,
  );

  const gated = (keys: string) =>
    `devices: []\ndevice_commands:\n  - !VersionGated\n${keys}      commands: []\n`;
  assert.deepEqual(parseCase(gated("      max_spec_version: 3\n"), "h.yaml").deviceCommands[0], {
    kind: "versionGated",
    minSpecVersion: 0,
    maxSpecVersion: 3,
    steps: [],
  });
  assert.throws(
    () => parseCase(gated("      min_spec_version: 4\n      max_spec_version: 3\n"), "i.yaml"),
    /max_spec_version 3 is below min_spec_version 4/,
  );
  assert.throws(() => parseCase(gated(""), "j.yaml"), /min_spec_version: expected a number/);
});
