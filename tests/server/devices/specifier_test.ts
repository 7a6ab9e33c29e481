import assert from "node:assert/strict";
import type { CommunicationSpecifier } from "../../../hardware/mod.ts";
import {
  advertisementSpecifier,
  manufacturerMatch,
  namesMatch,
  specifiersMatch,
} from "../../../server/devices/specifier.ts";
import { defaultDeviceConfiguration } from "../../../server/devices/config.ts";

const ble = (
  names: string[],
  extra: Partial<
    { manufacturer_data: { company: number; data?: number[] }[]; advertised_services: string[] }
  > = {},
): CommunicationSpecifier => ({ btle: { names, services: {}, ...extra } });

Deno.test("BLE names: exact, case-sensitive, trailing wildcard in either direction", () => {
  assert.equal(namesMatch("LVS-Z36", "LVS-Z36"), true);
  assert.equal(namesMatch("lvs-z36", "LVS-Z36"), false);
  assert.equal(namesMatch("LVS-*", "LVS-Z36"), true);
  assert.equal(namesMatch("LVS-Z36", "LVS-*"), true);
  assert.equal(namesMatch("LVS*", "LOVE-1"), false);
  assert.equal(namesMatch("*-Z36", "LVS-Z36"), false, "only a trailing * is special");
  assert.equal(specifiersMatch(ble(["A", "J-*"]), ble(["J-Peachy"])), true);
});

Deno.test("manufacturer data: company, missing data, equal length, substring", () => {
  assert.equal(manufacturerMatch({ company: 93 }, { company: 93, data: [1, 2] }), true);
  assert.equal(manufacturerMatch({ company: 93 }, { company: 94 }), false);
  assert.equal(manufacturerMatch({ company: 1, data: [1, 2] }, { company: 1, data: [1, 2] }), true);
  assert.equal(
    manufacturerMatch({ company: 1, data: [1, 2] }, { company: 1, data: [1, 3] }),
    false,
  );
  assert.equal(
    manufacturerMatch({ company: 93, data: [0, 0, 0x27] }, {
      company: 93,
      data: [0, 0, 0x27, 0xb0],
    }),
    true,
  );
  assert.equal(
    manufacturerMatch({ company: 93, data: [0x27, 0xb0, 9] }, {
      company: 93,
      data: [0, 0x27, 0xb0],
    }),
    false,
  );
  assert.equal(
    specifiersMatch(
      ble(["x"], { manufacturer_data: [{ company: 620, data: [0xff, 0x21] }] }),
      ble([""], {
        manufacturer_data: [{ company: 620, data: [0x00, 0xff, 0x21, 0x05] }],
      }),
    ),
    true,
  );
});

Deno.test("advertised services intersect (case-insensitive); GATT services are not used", () => {
  const a = ble(["x"], { advertised_services: ["0000fff0-0000-1000-8000-00805f9b34fb"] });
  const b = ble(["y"], { advertised_services: ["0000FFF0-0000-1000-8000-00805F9B34FB"] });
  assert.equal(specifiersMatch(a, b), true);
  const gatt: CommunicationSpecifier = {
    btle: { names: ["x"], services: { "0000fff0-0000-1000-8000-00805f9b34fb": { tx: "a" } } },
  };
  assert.equal(specifiersMatch(gatt, ble(["y"])), false);
});

Deno.test("other transports: serial by port, hid pairs, websocket name, kinds never mix", () => {
  const serial = (port: string, baud_rate = 115200): CommunicationSpecifier => ({
    serial: { port, baud_rate, data_bits: 8, parity: "N", stop_bits: 1 },
  });
  assert.equal(specifiersMatch(serial("COM7"), serial("COM7", 9600)), true, "baud ignored");
  assert.equal(specifiersMatch(serial("COM7"), serial("COM8")), false);
  const hid = (v: number, p: number): CommunicationSpecifier => ({
    hid: { pairs: [{ vendor_id: v, product_id: p }] },
  });
  assert.equal(
    specifiersMatch(hid(1406, 8198), {
      hid: { pairs: [{ vendor_id: 1, product_id: 1 }, { vendor_id: 1406, product_id: 8198 }] },
    }),
    true,
  );
  assert.equal(specifiersMatch(hid(1406, 8198), hid(1406, 8199)), false);
  assert.equal(
    specifiersMatch({ usb: { pairs: [{ vendor_id: 1, product_id: 2 }] } }, hid(1, 2)),
    false,
  );
  assert.equal(
    specifiersMatch({ websocket: { name: "LVS-Test" } }, { websocket: { name: "LVS-Test" } }),
    true,
  );
  assert.equal(specifiersMatch({ xinput: { exists: true } }, { xinput: { exists: true } }), true);
  assert.equal(specifiersMatch(serial("x"), ble(["x"])), false);
});

Deno.test("advertisements become specifiers per transport", () => {
  assert.deepEqual(
    advertisementSpecifier({
      transport: "serial",
      name: "Serial Port Device COM7",
      address: "COM7",
    }),
    { serial: { port: "COM7", baud_rate: 0, data_bits: 8, parity: "N", stop_bits: 1 } },
  );
  assert.deepEqual(
    advertisementSpecifier({
      transport: "websocket",
      name: "Websocket Device LVS-Test",
      address: "a",
    }),
    { websocket: { name: "LVS-Test" } },
  );
  assert.deepEqual(
    advertisementSpecifier({
      transport: "hid",
      name: "Joy-Con",
      address: "s",
      vendorId: 1406,
      productId: 8198,
    }),
    { hid: { pairs: [{ vendor_id: 1406, product_id: 8198 }] } },
  );
});

Deno.test("real config matching: names, manufacturer data, advertised services", () => {
  const config = defaultDeviceConfiguration();
  const protocols = (adv: Parameters<typeof config.candidates>[0]) =>
    config.candidates(adv).map((c) => c.protocol);
  assert.deepEqual(protocols({ transport: "btle", name: "LVS-Z36", address: "a" }), ["lovense"]);
  assert.deepEqual(
    protocols({
      transport: "btle",
      name: "",
      address: "a",
      manufacturerData: [{ company: 620, data: [0xff, 0x21] }],
    }),
    ["lovense"],
  );
  assert.deepEqual(
    protocols({
      transport: "btle",
      name: "?",
      address: "a",
      services: ["6e400001-b5a3-f393-e0a9-e50e24dcca9e"],
    }),
    ["lovense"],
  );
  assert.deepEqual(protocols({ transport: "btle", name: "Nothing Like It", address: "a" }), []);
  assert.deepEqual(
    protocols({ transport: "serial", name: "Serial Port Device COM7", address: "COM7" }),
    [],
  );
  const [c] = config.candidates({ transport: "btle", name: "J-Peachy", address: "a" });
  assert.ok("btle" in c.specifier);
});
