import assert from "node:assert/strict";
import {
  CONFIG_ONLY_PROTOCOLS,
  defaultProtocolRegistry,
  isProtocolImplementation,
  listProtocols,
  ProtocolRegistry,
} from "../../../server/devices/protocol_registry.ts";
import { defaultDeviceConfiguration } from "../../../server/devices/config.ts";
import * as registered from "../../../server/devices/protocols/mod.ts";

Deno.test("every config protocol is implemented or listed with a reason", () => {
  const config = defaultDeviceConfiguration();
  const rows = listProtocols(config);
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of config.protocolIds) {
    const row = byId.get(id);
    assert.ok(row, `${id} missing from listProtocols()`);
    assert.ok(row.transports.length > 0, `${id} has no transports`);
    if (row.implemented) assert.equal(row.reason, undefined);
    else assert.ok(row.reason && row.reason.length > 0, `${id} has no reason`);
  }
  // Every config protocol resolves to an implementation, except the few that cannot be driven
  // here, each listed with its reason.
  const unimplemented = rows.filter((r) => !r.implemented).map((r) => r.id).sort();
  assert.deepEqual(unimplemented, Object.keys(CONFIG_ONLY_PROTOCOLS).sort());
  assert.match(byId.get("xinput")!.reason!, /Windows-only/);
  assert.ok(config.protocolIds.length >= 139);
  // A registry without implementations reports "not implemented yet", or the known reason.
  const bare = listProtocols(config, new ProtocolRegistry([]));
  assert.match(bare.find((r) => r.id === "realtouch")!.reason!, /config-only/);
  assert.equal(bare.find((r) => r.id === "fox")!.reason, "not implemented yet");
  for (
    const id of [
      "lovense",
      "tcode-v03",
      "wevibe",
      "wevibe-8bit",
      "wevibe-chorus",
      "satisfyer",
      "vorze-sa",
    ]
  ) {
    assert.equal(byId.get(id)?.implemented, true, id);
  }
  assert.deepEqual(byId.get("tcode-v03")?.transports, ["serial"]);
  assert.deepEqual(rows.map((r) => r.id), [...rows.map((r) => r.id)].sort());
});

Deno.test("every export of protocols/mod.ts is a registered implementation with a config id", () => {
  const registry = defaultProtocolRegistry();
  const config = defaultDeviceConfiguration();
  for (const [name, value] of Object.entries(registered)) {
    assert.ok(isProtocolImplementation(value), `${name} is not a ProtocolImplementation`);
    assert.equal(registry.get(value.id), value);
    assert.ok(config.protocolIds.includes(value.id), `${value.id} is not a config protocol id`);
  }
});

Deno.test("duplicate protocol ids are refused", () => {
  const impl = { id: "x", initialize: () => ({}) };
  assert.throws(() => new ProtocolRegistry([impl, { ...impl }]), /registered twice/);
  assert.equal(new ProtocolRegistry([impl]).has("x"), true);
});
