import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  createIndexPersister,
  defaultDeviceConfiguration,
  DeviceConfigError,
  DeviceConfiguration,
  deviceIdentity,
  embeddedDeviceConfig,
  loadDeviceConfiguration,
  parseDeviceConfig,
  parseUserConfig,
} from "../../../server/devices/config.ts";
import { clientFeatures } from "../../../server/devices/features.ts";

const CASE_CONFIG = fileURLToPath(new URL("../../fixtures/device-cases/config/", import.meta.url));

const minimalBase = () => ({
  version: { major: 4, minor: 1 },
  protocols: {
    demo: {
      communication: [{
        btle: {
          names: ["Demo*"],
          services: {
            "0000fff0-0000-1000-8000-00805f9b34fb": { tx: "0000fff1-0000-1000-8000-00805f9b34fb" },
          },
        },
      }],
      defaults: {
        name: "Demo Device",
        id: "00000000-0000-0000-0000-000000000001",
        features: [{
          index: 0,
          id: "00000000-0000-0000-0000-0000000000f1",
          output: { vibrate: { value: [0, 20] } },
        }],
      },
      configurations: [
        { identifier: ["A", "B"], name: "Demo A", id: "00000000-0000-0000-0000-00000000000a" },
        {
          identifier: ["B"],
          name: "Demo B",
          id: "00000000-0000-0000-0000-00000000000b",
          message_gap_ms: 30,
          features: [
            {
              index: 2,
              id: "00000000-0000-0000-0000-0000000000f2",
              output: { rotate: { value: [-10, 10] } },
            },
            {
              index: 0,
              id: "00000000-0000-0000-0000-0000000000f3",
              input: { battery: { value: [[0, 100]], command: ["Read"] } },
            },
          ],
        },
      ],
    },
  },
});

function expectConfigError(fn: () => unknown, location: RegExp, reason: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DeviceConfigError, `got ${err}`);
    assert.match(err.location, location);
    assert.match(err.reason, reason);
    assert.ok(err.message.startsWith("test.json: "), err.message);
    return true;
  });
}

Deno.test("embedded config: 139 protocols, version 4.189, one ignored key reported", () => {
  const base = embeddedDeviceConfig();
  assert.equal(base.protocols.size, 139);
  assert.deepEqual(base.version, { major: 4, minor: 189 });
  assert.equal(base.warnings.length, 1);
  assert.match(base.warnings[0], /sexverse-v5\.configuration: unknown key ignored/);
  const lovense = base.protocols.get("lovense")!;
  assert.equal(lovense.configurations.get("Z")?.name, "Lovense Hush");
  assert.equal(lovense.defaults?.name, "Lovense Device");
});

Deno.test("identifier expansion: every identifier stored, later duplicates win, defaults fill gaps", () => {
  const base = parseDeviceConfig(minimalBase(), "test.json");
  const demo = base.protocols.get("demo")!;
  assert.equal(demo.configurations.get("A")?.name, "Demo A");
  assert.equal(demo.configurations.get("B")?.name, "Demo B", "later configuration wins");
  const a = demo.configurations.get("A")!;
  assert.equal(a.features[0].id, "00000000-0000-0000-0000-0000000000f1", "features from defaults");
  const b = demo.configurations.get("B")!;
  assert.deepEqual(b.features.map((f) => f.index), [0, 2], "sorted by config index");
  assert.equal(b.messageGapMs, 30);
  // Real data: galaku lists G336 in two configurations; the later one wins.
  const galaku = embeddedDeviceConfig().protocols.get("galaku")!;
  assert.ok(galaku.configurations.has("G336"));
});

Deno.test("client features: step ranges, disabled outputs and empty features hidden", () => {
  const b = parseDeviceConfig(minimalBase(), "test.json").protocols.get("demo")!.configurations
    .get("B")!;
  assert.deepEqual(clientFeatures(b), [
    {
      FeatureIndex: 0,
      FeatureDescription: "",
      Input: { Battery: { Value: [[0, 100]], Command: ["Read"] } },
    },
    { FeatureIndex: 2, FeatureDescription: "", Output: { Rotate: { Value: [-10, 10] } } },
  ]);
});

Deno.test("bad base files are rejected with file, location and reason", () => {
  const cases: [unknown, RegExp, RegExp][] = [
    [[], /^$/, /must be an object/],
    [{ protocols: {} }, /^version$/, /is required/],
    [{ version: { major: 3, minor: 0 }, protocols: {} }, /^version\.major$/, /must be 4/],
    [{ version: { major: 4 } }, /^protocols$/, /is required/],
    [
      { version: { major: 4 }, protocols: { x: { communication: [{ btle: { names: [] } }] } } },
      /protocols\.x\.communication\[0\]\.btle\.names/,
      /at least 1/,
    ],
    [
      { version: { major: 4 }, protocols: { x: { communication: [{ carrier_pigeon: {} }] } } },
      /carrier_pigeon/,
      /unknown transport/,
    ],
    [
      {
        version: { major: 4 },
        protocols: { x: { communication: [{ serial: { port: "COM1" } }] } },
      },
      /serial\.baud_rate/,
      /is required/,
    ],
  ];
  for (const [json, location, reason] of cases) {
    expectConfigError(() => parseDeviceConfig(json, "test.json"), location, reason);
  }
  const badFeature = minimalBase();
  (badFeature.protocols.demo.defaults.features[0].output.vibrate.value as unknown) = [5, 1];
  expectConfigError(
    () => parseDeviceConfig(badFeature, "test.json"),
    /defaults\.features\[0\]\.output\.vibrate\.value/,
    /above high end/,
  );
  const badType = minimalBase();
  (badType.protocols.demo.defaults.features[0] as Record<string, unknown>).output = {
    wiggle: { value: [0, 1] },
  };
  expectConfigError(
    () => parseDeviceConfig(badType, "test.json"),
    /output\.wiggle/,
    /unknown output type/,
  );
  const badUuid = minimalBase();
  badUuid.protocols.demo.defaults.id = "not-a-uuid";
  expectConfigError(() => parseDeviceConfig(badUuid, "test.json"), /defaults\.id/, /UUID/);
  assert.doesNotThrow(() =>
    parseDeviceConfig({ version: { major: 5 }, protocols: {} }, "test.json", {
      skipVersionCheck: true,
    })
  );
});

Deno.test("unreadable and non-JSON files are rejected with their path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      loadDeviceConfiguration({ deviceConfigPath: `${dir}/missing.json` }),
      (err: unknown) =>
        err instanceof DeviceConfigError && err.source.endsWith("missing.json") &&
        /cannot read file/.test(err.reason),
    );
    await Deno.writeTextFile(`${dir}/broken.json`, "{ nope");
    await assert.rejects(
      loadDeviceConfiguration({ userConfigPath: `${dir}/broken.json` }),
      (err: unknown) => err instanceof DeviceConfigError && /not valid JSON/.test(err.reason),
    );
    // A missing *user* config is an empty one (it is created when an index is saved).
    const config = await loadDeviceConfiguration({ userConfigPath: `${dir}/new-user.json` });
    assert.equal(config.userDevices.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("user config fixture: device entry, display name, reserved index, inherited features", async () => {
  const config = await loadDeviceConfiguration({
    userConfigPath: `${CASE_CONFIG}lovense_ridge_user_config.json`,
  });
  const ident = { address: "UserConfigTest", protocol: "lovense", identifier: "F" };
  const resolved = config.resolve(ident)!;
  assert.equal(resolved.fromUserConfig, true);
  assert.equal(resolved.reservedIndex, 0);
  assert.equal(resolved.definition.name, "Lovense Sex Machine");
  assert.equal(resolved.definition.displayName, "Lovense Name Test");
  assert.equal(resolved.definition.id, "c8633234-07a4-4ad9-961d-a4d777b32be8");
  assert.deepEqual(resolved.definition.features.map((f) => f.id), [
    "f9506652-c4ac-43b1-b184-cd8016b64623",
    "77d6498b-3707-4ca6-b37d-e0d6f868d302",
  ]);
  assert.deepEqual(resolved.definition.features[1].input?.Battery?.command, ["Read"]);
  assert.deepEqual(config.reservedIndexes(), new Map([[deviceIdentity(ident), 0]]));
  // Another address with the same model falls back to the base definition.
  const other = config.resolve({ ...ident, address: "elsewhere" })!;
  assert.equal(other.fromUserConfig, false);
  assert.equal(other.definition.displayName, undefined);
});

Deno.test("invalid user device entry (upstream invalid_range fixture) is rejected, or dropped when lenient", async () => {
  const path = `${CASE_CONFIG}lovense_ridge_user_config_invalid_range.json`;
  await assert.rejects(
    loadDeviceConfiguration({ userConfigPath: path }),
    (err: unknown) =>
      err instanceof DeviceConfigError && err.source === path &&
      /user_configs\.devices\[0\]/.test(err.location),
  );
  const lenient = await loadDeviceConfiguration({ userConfigPath: path, lenient: true });
  assert.equal(lenient.userDevices.length, 0);
  assert.ok(lenient.warnings.some((w) => /device entry dropped/.test(w)));
});

Deno.test("user overrides: sub-range, out-of-range, disabled, user gap, feature count", () => {
  const base = embeddedDeviceConfig();
  const ridge = base.protocols.get("lovense")!.configurations.get("EL")!;
  const entry = (output: Record<string, unknown>[]) => ({
    version: { major: 4, minor: 0 },
    user_configs: {
      devices: [{
        identifier: { address: "addr", protocol: "lovense", identifier: "EL" },
        config: {
          id: "11111111-1111-1111-1111-111111111111",
          base_id: ridge.id,
          features: ridge.features.map((f, i) => ({
            id: `22222222-2222-2222-2222-22222222222${i}`,
            base_id: f.id,
            ...(output[i] ? { output: output[i] } : {}),
          })),
          user_config: { allow: false, deny: false, index: 7, message_gap_ms: 40 },
        },
      }],
    },
  });
  const config = new DeviceConfiguration(
    base,
    parseUserConfig(
      entry([{ vibrate: { value: [5, 15] } }, { rotate: { disabled: true } }]),
      "u.json",
    ),
  );
  const def =
    config.resolve({ address: "addr", protocol: "lovense", identifier: "EL" })!.definition;
  assert.deepEqual(def.features[0].output?.Vibrate?.userValue, [5, 15]);
  assert.equal(def.features[1].output?.Rotate?.disabled, true);
  assert.equal(def.messageGapMs, 40);
  const features = clientFeatures(def);
  assert.deepEqual(features[0].Output, { Vibrate: { Value: [0, 10] } });
  assert.equal(
    features.find((f) => f.FeatureIndex === 1),
    undefined,
    "disabled-only feature hidden",
  );

  assert.throws(
    () =>
      new DeviceConfiguration(
        base,
        parseUserConfig(entry([{ vibrate: { value: [0, 21] } }]), "u.json"),
      ),
    (err: unknown) =>
      err instanceof DeviceConfigError &&
      /features\[0\]\.output\.vibrate\.value/.test(err.location) &&
      /not within \[0, 20\]/.test(err.reason),
  );
  const short = entry([]);
  short.user_configs.devices[0].config.features.pop();
  assert.throws(
    () => new DeviceConfiguration(base, parseUserConfig(short, "u.json")),
    /has 2 entries but base definition "Lovense Ridge" has 3/,
  );
});

Deno.test("disabled hw position output is hidden (upstream fixture)", async () => {
  const config = await loadDeviceConfiguration({
    userConfigPath: `${CASE_CONFIG}tcode_disabled_hw_position_user_config.json`,
  });
  const def = config.resolve({
    address: "tcode-disabled-test-addr",
    protocol: "tcode-v03",
    identifier: "tcode-v03-disabled-test",
  })!.definition;
  assert.deepEqual(Object.keys(clientFeatures(def)[0].Output ?? {}), ["Position"]);
});

Deno.test("message gap: a user entry without one keeps the base gap (deliberate deviation)", () => {
  const base = embeddedDeviceConfig();
  const tcode = base.protocols.get("tcode-v03")!.defaults!;
  assert.equal(tcode.messageGapMs, 20);
  const user = parseUserConfig({
    version: { major: 4, minor: 0 },
    user_configs: {
      devices: [{
        identifier: { address: "/dev/ttyUSB0", protocol: "tcode-v03" },
        config: {
          id: "33333333-3333-3333-3333-333333333333",
          base_id: tcode.id,
          features: [{
            id: "44444444-4444-4444-4444-444444444444",
            base_id: tcode.features[0].id,
            output: { hw_position_with_duration: { value: [100, 900], reverse: true } },
          }],
          user_config: { allow: false, deny: false, index: 2 },
        },
      }],
    },
  }, "u.json");
  const def = new DeviceConfiguration(base, user).resolve({
    address: "/dev/ttyUSB0",
    protocol: "tcode-v03",
  })!.definition;
  assert.equal(def.messageGapMs, 20, "upstream would drop it to none");
  const hw = def.features[0].output?.HwPositionWithDuration;
  assert.deepEqual(hw?.userValue, [100, 900]);
  assert.equal(hw?.reverse, true);
  assert.deepEqual(def.features[0].output?.Position?.userValue, undefined, "untouched type kept");
});

Deno.test("user protocols: extra specifiers first, configurations replace without defaults", async () => {
  const config = await loadDeviceConfiguration({
    userConfigPath: `${CASE_CONFIG}tcode_linear_and_vibrate_user_config.json`,
  });
  const candidates = config.candidates({
    transport: "btle",
    name: "tcode-v03-linear-vibrate",
    address: "COM7",
  });
  assert.deepEqual(candidates.map((c) => [c.protocol, c.fromUserConfig]), [["tcode-v03", true]]);
  const def = config.resolve({
    address: "other",
    protocol: "tcode-v03",
    identifier: "tcode-v03-linear-vibrate",
  })!.definition;
  assert.equal(def.name, "TCode v0.3 (Single Linear Axis + Single Vibe)");
  assert.equal(def.messageGapMs, undefined, "no inheritance from the defaults' 20 ms");
  assert.deepEqual(config.transports("tcode-v03"), ["btle", "serial"]);
});

Deno.test("allow and deny by address", () => {
  const base = embeddedDeviceConfig();
  const hush = base.protocols.get("lovense")!.configurations.get("Z")!;
  const device = (address: string, allow: boolean, deny: boolean, index: number) => ({
    identifier: { address, protocol: "lovense", identifier: "Z" },
    config: {
      id: crypto.randomUUID(),
      base_id: hush.id,
      features: hush.features.map((f) => ({ id: crypto.randomUUID(), base_id: f.id })),
      user_config: { allow, deny, index },
    },
  });
  const make = (...devices: unknown[]) =>
    new DeviceConfiguration(
      base,
      parseUserConfig({ version: { major: 4, minor: 0 }, user_configs: { devices } }, "u.json"),
    );
  const denyOnly = make(device("bad", false, true, 0));
  assert.equal(denyOnly.isAllowed("bad"), false);
  assert.equal(denyOnly.isAllowed("anyone"), true);
  const allowList = make(device("good", true, false, 0), device("bad", false, true, 1));
  assert.equal(allowList.isAllowed("good"), true);
  assert.equal(allowList.isAllowed("bad"), false);
  assert.equal(allowList.isAllowed("stranger"), false, "an allow list excludes everyone else");
  assert.equal(defaultDeviceConfiguration().isAllowed("anyone"), true);
});

Deno.test("base definitions get stable fresh per-device definitions", () => {
  const config = defaultDeviceConfiguration();
  const ident = { address: "a1", protocol: "lovense", identifier: "Z" };
  const first = config.resolve(ident)!;
  const again = config.resolve(ident)!;
  assert.equal(first.definition, again.definition);
  const base = embeddedDeviceConfig().protocols.get("lovense")!.configurations.get("Z")!;
  assert.notEqual(first.definition.id, base.id);
  assert.notEqual(first.definition.features[0].id, base.features[0].id);
  assert.equal(config.resolve({ ...ident, identifier: "nope" })!.definition.name, "Lovense Device");
  assert.equal(config.resolve({ address: "a1", protocol: "no-such-protocol" }), undefined);
});

Deno.test("index persistence: assigned indexes are written back and reserved after restart", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/user.json`;
  try {
    const config = await loadDeviceConfiguration({ userConfigPath: path });
    const resolved = config.resolve({ address: "a1", protocol: "lovense", identifier: "Z" })!;
    const persister = createIndexPersister(config, path);
    persister.onIndexAssigned(resolved.identity, 3);
    persister.onIndexAssigned("unknown identity", 9); // ignored
    await persister.flush();
    const written = JSON.parse(await Deno.readTextFile(path));
    assert.equal(written.version.major, 4);
    assert.equal(written.user_configs.devices.length, 1);
    assert.equal(written.user_configs.devices[0].config.user_config.index, 3);

    const restarted = await loadDeviceConfiguration({ userConfigPath: path });
    assert.deepEqual(restarted.reservedIndexes(), new Map([[resolved.identity, 3]]));
    const again = restarted.resolve({ address: "a1", protocol: "lovense", identifier: "Z" })!;
    assert.equal(again.reservedIndex, 3);
    assert.equal(again.definition.name, "Lovense Hush");
    assert.equal(again.definition.id, resolved.definition.id, "same per-device definition id");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
