/**
 * Runs every conformance vector of tests/fixtures/vectors.jsonl (PROTOCOL.md §11) against a
 * ButtplugServer session with the fixture device, following the harness conventions on line 1:
 * frames sent in order (each once the previous one's replies are out), `$wait_ms` through a
 * FakeClock, `$device_connect` / `$device_disconnect` / `$close`, a ~150 ms quiet window after
 * the last step, multiset matching with `"*"` wildcards, `$outputs` checked on the simulated
 * device. Every frame the server sends is validated against the upstream schema for the
 * vector's spec version (patched as §10.19 says).
 */
import assert from "node:assert/strict";
import type { OutputType, OutputValue, SpecVersion } from "../../protocol/messages.ts";
import { createSession, multisetMismatch, type Session } from "../_helpers/session_harness.ts";

interface Vector {
  name: string;
  spec_version: SpecVersion;
  send: unknown[];
  expect: Record<string, unknown>[];
  notes?: string;
  server?: { MaxPingTime?: number; ServerName?: string; device_connected_at_start?: boolean };
}

interface Fixture {
  server: { ServerName: string; MaxPingTime: number; device_connected_at_start: boolean };
  device: unknown;
  device_as_seen_by_version: Record<string, unknown>;
  simulated: { battery_level: number; address: string };
}

const lines = (await Deno.readTextFile(new URL("../fixtures/vectors.jsonl", import.meta.url)))
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line));
const fixture = lines[0] as Fixture;
const vectors = lines.slice(1) as Vector[];

/**
 * Extra assertions beyond the vector's own expectations (things the message stream cannot
 * show: transport closes and session state).
 */
const EXTRA_CHECKS: Record<string, (s: Session) => void> = {
  handshake_client_major_newer_than_server: (s) => {
    assert.equal(s.closes.length, 1, "the server asks the transport to close");
    assert.equal(s.server.state, "disconnected");
  },
  handshake_old_shape_claiming_v4_rejected: (s) => {
    assert.deepEqual(s.closes, [], "a malformed handshake does not close the session");
    assert.equal(s.server.state, "awaiting-handshake");
  },
  message_before_handshake: (s) => assert.equal(s.server.state, "connected"),
  ping_timeout_stops_devices: (s) => {
    assert.equal(s.server.state, "pinged-out");
    assert.deepEqual(s.closes, ["ping timeout"]);
  },
  ping_keeps_session_alive: (s) => {
    assert.equal(s.server.state, "connected");
    assert.deepEqual(s.closes, []);
  },
  client_disconnect_stops_devices: (s) => assert.equal(s.server.state, "disconnected"),
};

Deno.test("vectors file: fixture line and 88 vectors", () => {
  assert.equal(lines[0].name, "fixture");
  assert.equal(vectors.length, 88);
  assert.equal(new Set(vectors.map((v) => v.name)).size, 88, "vector names are unique");
});

for (const vector of vectors) {
  Deno.test(`vector ${vector.name} (v${vector.spec_version})`, async () => {
    const settings = { ...fixture.server, ...vector.server };
    await using s = await createSession({
      deviceConnected: settings.device_connected_at_start,
      maxPingTime: settings.MaxPingTime,
      serverName: settings.ServerName,
      schemaVersion: vector.spec_version,
    });
    for (const step of vector.send) {
      if (Array.isArray(step) || typeof step === "string") {
        await s.send(step);
        continue;
      }
      const action = step as Record<string, unknown>;
      if ("$wait_ms" in action) {
        await s.clock.tick(action.$wait_ms as number);
      } else if ("$device_connect" in action) {
        const device = s.connectDevice();
        assert.equal(s.manager.get(action.$device_connect as number), device);
      } else if ("$device_disconnect" in action) {
        const device = s.manager.get(action.$device_disconnect as number);
        assert.ok(device, "a device to disconnect");
        await device.disconnect();
      } else if ("$close" in action) {
        await s.server.close();
      } else {
        throw new Error(`unknown harness action ${JSON.stringify(action)}`);
      }
    }
    // Quiet window: anything arriving here (e.g. a ping timeout) must be expected too.
    await s.clock.tick(150);

    const expected = vector.expect.filter((e) => !("$outputs" in e));
    const mismatch = multisetMismatch(s.received, expected);
    assert.equal(mismatch, null, `${vector.name}: ${mismatch}\nnotes: ${vector.notes}`);
    assert.deepEqual(s.schemaErrors, [], "every frame validates against the schema");
    for (const frame of s.frames) assert.ok(frame.length >= 1, "no empty frames");

    for (const entry of vector.expect) {
      if (!("$outputs" in entry)) continue;
      const device = s.device;
      assert.ok(device, "a simulated device for $outputs");
      const outputs = entry.$outputs as Record<string, Record<string, unknown>>;
      for (const [featureKey, byType] of Object.entries(outputs)) {
        for (const [type, value] of Object.entries(byType)) {
          const state: OutputValue | undefined = device.outputs.get(Number(featureKey))
            ?.get(type as OutputType);
          if (typeof value === "object" && value !== null) {
            assert.deepEqual(
              state ?? { Value: 0, Duration: 0 },
              value,
              `$outputs feature ${featureKey} ${type}`,
            );
          } else {
            assert.equal(state?.Value ?? 0, value, `$outputs feature ${featureKey} ${type}`);
          }
        }
      }
    }
    EXTRA_CHECKS[vector.name]?.(s);
  });
}

Deno.test("fixture: createTestDevice matches the fixture device in every version", async () => {
  await using s = await createSession();
  const expectations: [SpecVersion, unknown][] = [
    [4, { [0]: fixture.device }],
    [3, [fixture.device_as_seen_by_version.v3]],
    [2, [fixture.device_as_seen_by_version.v2]],
    [1, [fixture.device_as_seen_by_version.v1]],
    [0, [fixture.device_as_seen_by_version.v0]],
  ];
  for (const [version, devices] of expectations) {
    await using t = await createSession();
    await t.handshake(version);
    await t.send([{ RequestDeviceList: { Id: 2 } }]);
    const [reply] = t.take();
    // Key order matters too: compare the serialized text.
    assert.equal(
      JSON.stringify(reply),
      JSON.stringify({ DeviceList: { Id: 2, Devices: devices } }),
      `v${version} device list`,
    );
  }
  assert.equal(s.device?.batteryLevel, fixture.simulated.battery_level);
  assert.equal(s.device?.identity, `simulated:${fixture.simulated.address}`);
});
