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
