import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  bindEndpoints,
  chooseWithResponse,
  createBle,
  nameMatches,
  parseManufacturerData,
} from "../ble.mjs";
import { ErrorCodes } from "../util.mjs";
import { FakeCharacteristic, FakeNoble, FakePeripheral } from "../testing/fakes.mjs";

const SVC = "0000fff0-0000-1000-8000-00805f9b34fb";
const TX = "0000fff6-0000-1000-8000-00805f9b34fb";
const RX = "0000fff7-0000-1000-8000-00805f9b34fb";

/** A Youou-like toy: service fff0, tx fff6 (write without response only), rx fff7 (notify). */
function toy(over = {}) {
  const tx = new FakeCharacteristic("fff6", ["writeWithoutResponse"]);
  const rx = new FakeCharacteristic("fff7", ["read", "notify"]);
  const battery = new FakeCharacteristic("2a19", ["read", "notify"]);
  const p = new FakePeripheral({
    id: "aabbccddeeff",
    address: "aa:bb:cc:dd:ee:ff",
    localName: "VX001_123",
    serviceUuids: ["fff0"],
    manufacturerData: Buffer.from([0x6c, 0x02, 0xff, 0x21]),
    services: [{ uuid: "fff0", characteristics: [tx, rx] }, {
      uuid: "180f",
      characteristics: [battery],
    }],
    ...over,
  });
  return { p, tx, rx, battery };
}

async function ready(noble = new FakeNoble()) {
  const ble = createBle({ noble, stateWaitMs: 50 });
  const found = [];
  const logs = [];
  ble.on("found", (ad) => found.push(ad));
  ble.on("log", (level, message) => logs.push({ level, message }));
  const status = await ble.init();
  return { ble, noble, found, logs, status };
}

test("adapter missing: a noble load failure becomes an unavailable reason, not a crash", async () => {
  const err = Object.assign(
    new Error("EAFNOSUPPORT, Address family not supported by protocol"),
    { code: "EAFNOSUPPORT" },
  );
  const ble = createBle({ loadNoble: () => Promise.reject(err) });
  const status = await ble.init();
  assert.equal(status.available, false);
  assert.match(status.reason, /no Bluetooth support/);
  await assert.rejects(
    ble.startScan(),
    (e) =>
      e.code === ErrorCodes.unavailable &&
      /no Bluetooth support/.test(e.message),
  );
  await assert.rejects(
    ble.connect({ address: "x", timeoutMs: 10 }),
    (e) => e.code === ErrorCodes.unavailable,
  );
});

test("adapter present but powered off is unavailable; powering on flips it and emits status", async () => {
  const { ble, noble, status } = await ready(new FakeNoble("poweredOff"));
  assert.equal(status.available, false);
  assert.match(status.reason, /powered off/);
  const changes = [];
  ble.on("status", (s) => changes.push(s));
  noble.setState("poweredOn");
  assert.deepEqual(changes, [{ available: true }]);
});

test("adapter selection passes the hci device id to the loader", async () => {
  let got;
  const ble = createBle({
    adapter: 1,
    stateWaitMs: 10,
    loadNoble: (id) => (got = id, Promise.resolve(new FakeNoble())),
  });
  await ble.init();
  assert.equal(got, 1);
});

test("scan: reports advertisements once with parsed manufacturer data and full service UUIDs", async () => {
  const { ble, noble, found } = await ready();
  await ble.startScan();
  assert.deepEqual(noble.scanCalls, [{ uuids: [], allowDuplicates: true }]);
  const { p } = toy();
  noble.discover(p);
  noble.discover(p); // duplicate advertisement
  assert.equal(found.length, 1);
  assert.deepEqual(found[0], {
    transport: "btle",
    address: "aa:bb:cc:dd:ee:ff",
    name: "VX001_123",
    services: [SVC],
    manufacturerData: [{ company: 620, data: [0xff, 0x21] }],
    rssi: -50,
  });
  // Changed advertisement content is reported again; nameless + serviceless ones are skipped.
  p.advertisement.serviceUuids = ["fff0", "180f"];
  noble.discover(p);
  noble.discover(new FakePeripheral({ id: "anon" }));
  assert.equal(found.length, 2);
  // Restarting the scan clears the memory.
  await ble.startScan();
  noble.discover(p);
  assert.equal(found.length, 3);
});

test("scan filter: names with wildcard, services or manufacturer companies", async () => {
  const { ble, noble, found } = await ready();
  await ble.startScan({
    names: ["LVS-*"],
    services: ["ffe0"],
    companies: [93],
  });
  noble.discover(new FakePeripheral({ id: "1", localName: "LVS-Edge" }));
  noble.discover(new FakePeripheral({ id: "2", localName: "Other" }));
  noble.discover(
    new FakePeripheral({
      id: "3",
      localName: "Svakom",
      serviceUuids: ["FFE0"],
    }),
  );
  noble.discover(
    new FakePeripheral({
      id: "4",
      localName: "SF Pro",
      manufacturerData: Buffer.from([93, 0, 0, 0, 0x27]),
    }),
  );
  assert.deepEqual(found.map((f) => f.address), ["1", "3", "4"]);
});

test("stopScan stops noble; adapter power loss ends the scan with scanFinished", async () => {
  const { ble, noble } = await ready();
  const finished = [];
  ble.on("scanFinished", (r) => finished.push(r));
  await ble.startScan();
  await ble.stopScan();
  assert.equal(noble.scanningNow, false);
  assert.deepEqual(finished, []); // explicit stop is not "finished by itself"
  await ble.startScan();
  noble.setState("poweredOff");
  assert.equal(ble.scanning, false);
  assert.equal(finished.length, 1);
  assert.match(finished[0], /poweredOff/);
});

test("connect: discovery binds config endpoints with UUID normalisation; missing ones are logged", async () => {
  const { ble, noble, logs } = await ready();
  await ble.startScan();
  const { p } = toy();
  noble.discover(p);
  const dev = await ble.connect({
    address: "aa:bb:cc:dd:ee:ff",
    timeoutMs: 1000,
    services: {
      [SVC]: { tx: TX, rx: RX, txmode: "0000fff9-0000-1000-8000-00805f9b34fb" },
      "0000180f-0000-1000-8000-00805f9b34fb": {
        rxblebattery: "00002a19-0000-1000-8000-00805f9b34fb",
      },
      "f000bb03-0451-4000-b000-000000000000": {
        tx: "f000c000-0451-4000-b000-000000000000",
      },
    },
  });
  assert.deepEqual(dev.endpoints.sort(), ["rx", "rxblebattery", "tx"]);
  assert.equal(dev.name, "VX001_123");
  assert.equal(dev.messageGapMs, 75);
  assert.equal(dev.missing.length, 1);
  assert.match(dev.missing[0], /endpoint txmode/);
  assert.ok(logs.some((l) => /txmode/.test(l.message)));
  // A second connect to the same address is refused while connected.
  await assert.rejects(
    ble.connect({ address: "aa:bb:cc:dd:ee:ff", timeoutMs: 10, services: {} }),
    (e) => e.code === ErrorCodes.busy,
  );
});

test("connect: unknown address is not_found; a hung connect times out and is cancelled", async () => {
  const { ble, noble } = await ready();
  await assert.rejects(
    ble.connect({ address: "nope", timeoutMs: 10 }),
    (e) => e.code === ErrorCodes.notFound,
  );
  await ble.startScan();
  const { p } = toy();
  p.connectHangs = true;
  noble.discover(p);
  await assert.rejects(
    ble.connect({ address: p.address, timeoutMs: 20, services: {} }),
    (e) => e.code === ErrorCodes.timeout,
  );
  assert.equal(p.cancelled, true);
  p.connectHangs = false; // a later attempt may succeed
  const dev = await ble.connect({
    address: p.address,
    timeoutMs: 100,
    services: {},
  });
  assert.deepEqual(dev.endpoints, []);
});

test("write: with/without response fallback rules", async () => {
  assert.equal(
    chooseWithResponse(["write", "writeWithoutResponse"], true),
    true,
  );
  assert.equal(
    chooseWithResponse(["write", "writeWithoutResponse"], false),
    false,
  );
  assert.equal(chooseWithResponse(["writeWithoutResponse"], true), false);
  assert.equal(chooseWithResponse(["write"], false), true);
  assert.equal(chooseWithResponse(["read"], true), true); // try anyway
  assert.equal(chooseWithResponse([], false), false);

  const { ble, noble } = await ready();
  await ble.startScan();
  const { p, tx } = toy();
  noble.discover(p);
  const dev = await ble.connect({
    address: p.address,
    timeoutMs: 100,
    services: { fff0: { tx: "fff6" } },
  });
  await dev.write("tx", Buffer.from([1, 2]), true); // only writeWithoutResponse exists
  assert.deepEqual(tx.writes, [{ data: [1, 2], withoutResponse: true }]);
  await assert.rejects(
    dev.write("rx", Buffer.from([1]), false),
    (e) => e.code === ErrorCodes.noEndpoint,
  );
});

test("subscribe: notifications map back to the endpoint; reads do not leak as notifications", async () => {
  const { ble, noble } = await ready();
  await ble.startScan();
  const { p, rx } = toy();
  noble.discover(p);
  const dev = await ble.connect({
    address: p.address,
    timeoutMs: 100,
    services: { [SVC]: { rx: RX } },
  });
  const got = [];
  dev.on("notification", (endpoint, data) => got.push([endpoint, [...data]]));
  await dev.subscribe("rx");
  await dev.subscribe("rx"); // no-op
  assert.equal(rx.listenerCount("data"), 1);
  rx.notify([9, 8, 7]);
  rx.value = Buffer.from([42]);
  assert.deepEqual([...await dev.read("rx", 0)], [42]);
  assert.deepEqual(got, [["rx", [9, 8, 7]]]);
  await dev.unsubscribe("rx");
  await dev.unsubscribe("rx"); // no-op
  rx.notify([1]);
  assert.equal(got.length, 1);
  assert.equal(rx.subscribed, false);
});

test("disconnect: the peripheral dropping emits disconnect, later I/O fails, and it can be found again", async () => {
  const { ble, noble, found } = await ready();
  await ble.startScan();
  const { p } = toy();
  noble.discover(p);
  const dev = await ble.connect({
    address: p.address,
    timeoutMs: 100,
    services: { fff0: { tx: "fff6" } },
  });
  const reasons = [];
  dev.on("disconnect", (r) => reasons.push(r));
  p.drop();
  assert.deepEqual(reasons, ["HCI reason 8"]);
  await assert.rejects(
    dev.write("tx", Buffer.from([1]), false),
    (e) => e.code === ErrorCodes.disconnected,
  );
  noble.discover(p);
  assert.equal(
    found.length,
    2,
    "forgotten after disconnect, so reported again",
  );
  // close() after the drop does not call disconnect again
  await dev.close();
  assert.equal(p.disconnects, 0);
});

test("close() disconnects the peripheral once", async () => {
  const { ble, noble } = await ready();
  await ble.startScan();
  const { p } = toy();
  noble.discover(p);
  const dev = await ble.connect({
    address: p.address,
    timeoutMs: 100,
    services: {},
  });
  await dev.close();
  await dev.close();
  assert.equal(p.disconnects, 1);
});

test("helpers: manufacturer data, name wildcard, endpoint binding", () => {
  assert.deepEqual(parseManufacturerData(Buffer.from([0x4a, 0x68])), [{
    company: 0x684a,
    data: [],
  }]);
  assert.deepEqual(parseManufacturerData(Buffer.from([1])), []);
  assert.deepEqual(parseManufacturerData(undefined), []);
  assert.equal(nameMatches("LVS-*", "LVS-Z36"), true);
  assert.equal(nameMatches("LVS-*", "LOVE-1"), false);
  assert.equal(nameMatches("J-*", "J-"), true);
  assert.equal(nameMatches("Exact", "exact"), false);
  const c = new FakeCharacteristic("f000c00004514000b000000000000000");
  const { endpoints } = bindEndpoints(
    {
      "F000BB03-0451-4000-B000-000000000000": {
        tx: "f000c000-0451-4000-b000-000000000000",
      },
    },
    [{ uuid: "f000bb0304514000b000000000000000", characteristics: [c] }],
  );
  assert.equal(endpoints.get("tx"), c);
});
