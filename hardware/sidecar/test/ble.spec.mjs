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
import { createRouter } from "../router.mjs";
import { createSerial } from "../serial.mjs";
import { ErrorCodes } from "../util.mjs";
import {
  collector,
  FakeCharacteristic,
  FakeNoble,
  FakePeripheral,
  fakeSerialPort,
  until,
} from "../testing/fakes.mjs";

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

// ---------------------------------------------------------------------------------------------
// Reconnect watch (known devices that dropped unexpectedly; the bridge owns the list)
// ---------------------------------------------------------------------------------------------

/** Manual timers for the watch report interval and the rescan delay. */
function manualTimers() {
  let now = 0;
  let nextId = 1;
  /** @type {Map<number, { at: number, fn: () => void }>} */
  const timers = new Map();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => void timers.delete(id),
    get pending() {
      return timers.size;
    },
    /** Moves time on, firing due timers. @param {number} ms */
    advance(ms) {
      now += ms;
      for (const [id, t] of [...timers]) {
        if (t.at <= now) {
          timers.delete(id);
          t.fn();
        }
      }
    },
  };
}

async function watching(noble = new FakeNoble()) {
  const timers = manualTimers();
  const ble = createBle({ noble, stateWaitMs: 50, timers, rescanMs: 5000 });
  const found = [];
  const logs = [];
  ble.on("found", (ad) => found.push(ad));
  ble.on("log", (level, message) => logs.push({ level, message }));
  await ble.init();
  return { ble, noble, timers, found, logs };
}

/** Connects the toy through a client scan, stops the scan and lets the toy drop. */
async function connectAndDrop(ble, noble, p) {
  await ble.startScan();
  noble.discover(p);
  const dev = await ble.connect({ address: p.address, timeoutMs: 100, services: {} });
  await ble.stopScan();
  const reasons = [];
  dev.on("disconnect", (r) => reasons.push(r));
  p.drop();
  assert.deepEqual(reasons, ["HCI reason 8"]);
  return dev;
}

test("watch: a dropped device is reported again while no client scan runs, once per interval, then the watch ends", async () => {
  const { ble, noble, timers, found } = await watching();
  const { p } = toy();
  await connectAndDrop(ble, noble, p);
  assert.equal(noble.scanningNow, false, "no scan after the client stopped");
  found.length = 0;
  noble.discover(p); // not watched, no client scan: nothing
  assert.equal(found.length, 0);

  await ble.watch([p.address]);
  assert.equal(noble.scanningNow, true, "the watch scans on its own");
  assert.equal(ble.scanning, false, "the watch is not a client scan");
  assert.deepEqual(ble.watching, [p.address]);
  noble.discover(p);
  assert.deepEqual(found, [{
    transport: "btle",
    address: "aa:bb:cc:dd:ee:ff",
    name: "VX001_123",
    services: [SVC],
    manufacturerData: [{ company: 620, data: [0xff, 0x21] }],
    rssi: -50,
    watched: true,
  }]);
  // Advertisements keep coming (duplicates allowed): at most one report per second.
  timers.advance(999);
  noble.discover(p);
  assert.equal(found.length, 1);
  timers.advance(1);
  noble.discover(p);
  assert.equal(found.length, 2);
  assert.equal(found[1].watched, true);
  // Other devices are not reported by the watch.
  noble.discover(new FakePeripheral({ id: "other", localName: "LVS-Edge" }));
  assert.equal(found.length, 2);

  await ble.watch([]);
  assert.equal(noble.scanningNow, false, "an empty watch stops the scan");
  timers.advance(5000);
  noble.discover(p);
  assert.equal(found.length, 2);
});

test("watch: a client scan and the watch never stop each other, and noble is started once", async () => {
  const { ble, noble, timers, found } = await watching();
  const { p } = toy();
  await connectAndDrop(ble, noble, p);
  noble.scanCalls.length = 0;
  const finished = [];
  ble.on("scanFinished", (r) => finished.push(r));

  await ble.startScan({ names: ["Nothing*"] });
  await ble.watch([p.address]);
  assert.equal(noble.scanCalls.length, 1, "the running scan is shared");
  // A client StopScanning leaves the watch running.
  await ble.stopScan();
  assert.equal(noble.scanningNow, true);
  assert.equal(ble.scanning, false);
  assert.deepEqual(finished, [], "our own stop is not the adapter finishing");
  found.length = 0;
  noble.discover(p);
  assert.equal(found.length, 1);
  assert.equal(found[0].watched, true);
  // A client StartScanning while the watch runs: no second noble start; the client's filter does
  // not hide the watched device.
  await ble.startScan({ names: ["Nothing*"] });
  assert.equal(noble.scanCalls.length, 1);
  timers.advance(1000);
  noble.discover(p);
  assert.deepEqual(found.map((f) => f.watched), [true, true]);
  noble.discover(new FakePeripheral({ id: "n1", localName: "Nothing Ear" }));
  assert.deepEqual(found.map((f) => f.address), [p.address, p.address, "n1"]);
  // An unfiltered client scan does not report the watched device a second time (only the watch
  // reports it, so the bridge's backoff holds during client scans too).
  await ble.startScan();
  timers.advance(1000);
  noble.discover(p);
  noble.discover(p);
  assert.deepEqual(found.slice(3), [{ ...found[0] }]);
  // Ending the watch leaves the client scan running.
  await ble.watch([]);
  assert.equal(noble.scanningNow, true);
  assert.equal(ble.scanning, true);
  await ble.stopScan();
  assert.equal(noble.scanningNow, false);
  assert.deepEqual(finished, []);
});

test("watch: a watched device is not reported while it is connected or connecting", async () => {
  const { ble, noble, timers, found } = await watching();
  const { p } = toy();
  await connectAndDrop(ble, noble, p);
  await ble.watch([p.address]);
  found.length = 0;
  p.connectHangs = true;
  const connecting = ble.connect({ address: p.address, timeoutMs: 50, services: {} });
  timers.advance(2000);
  noble.discover(p);
  assert.equal(found.length, 0, "not while connecting");
  await assert.rejects(connecting, (e) => e.code === ErrorCodes.timeout);
  noble.discover(p);
  assert.equal(found.length, 1, "the failed attempt frees it");
  p.connectHangs = false;
  const dev = await ble.connect({ address: p.address, timeoutMs: 100, services: {} });
  timers.advance(2000);
  noble.discover(p);
  assert.equal(found.length, 1, "not while connected");
  await dev.close();
  timers.advance(2000);
  noble.discover(p);
  assert.equal(found.length, 2, "the list is the bridge's: reported until it is cleared");
});

test("watch: survives the adapter powering off and resumes when it is back; the client scan stays finished", async () => {
  const { ble, noble, found } = await watching();
  const { p } = toy();
  await connectAndDrop(ble, noble, p);
  await ble.startScan();
  await ble.watch([p.address]);
  const finished = [];
  ble.on("scanFinished", (r) => finished.push(r));
  noble.setState("poweredOff");
  noble.scanningNow = false;
  assert.equal(finished.length, 1);
  assert.equal(ble.scanning, false);
  // The bridge may update the watch while the adapter is off: kept, no scan attempted.
  const calls = noble.scanCalls.length;
  await ble.watch([p.address, "11:22:33:44:55:66"]);
  assert.equal(noble.scanCalls.length, calls);
  noble.setState("poweredOn");
  await until(() => noble.scanningNow);
  assert.equal(ble.scanning, false, "a finished client scan is not restarted");
  found.length = 0;
  noble.discover(p);
  assert.equal(found.length, 1);
  assert.equal(found[0].watched, true);
});

test("watch: the adapter stopping the scan by itself is retried after the rescan delay; close() ends it all", async () => {
  const { ble, noble, timers, logs } = await watching();
  await ble.watch(["aa:bb:cc:dd:ee:ff"]);
  assert.equal(noble.scanningNow, true);
  const starts = noble.scanCalls.length;
  noble.stopByItself();
  assert.equal(ble.adapterScanning, false);
  assert.equal(timers.pending, 1, "a rescan is scheduled");
  timers.advance(4999);
  assert.equal(noble.scanCalls.length, starts);
  timers.advance(1);
  await until(() => noble.scanningNow);
  assert.equal(noble.scanCalls.length, starts + 1);
  assert.deepEqual(logs.filter((l) => l.level !== "info"), []);

  noble.stopByItself();
  assert.equal(timers.pending, 1);
  await ble.close();
  assert.equal(timers.pending, 0, "close cancels the rescan");
  assert.deepEqual(ble.watching, []);
  assert.equal(noble.scanningNow, false);
  await ble.watch(["aa:bb:cc:dd:ee:ff"]); // after close: ignored
  assert.equal(noble.scanningNow, false);
  assert.deepEqual(ble.watching, []);
});

test("router: watch validates its params and is btle only", async () => {
  const noble = new FakeNoble();
  const out = collector();
  const router = createRouter({
    transports: [
      createBle({ noble, stateWaitMs: 20 }),
      createSerial({ SerialPort: fakeSerialPort() }),
    ],
    send: out.send,
  });
  await router.start();
  let id = 0;
  const call = async (params) => {
    const n = ++id;
    await router.handleLine(JSON.stringify({ id: n, method: "watch", params }));
    return out.replies(n)[0];
  };
  assert.equal((await call({ transport: "btle", addresses: "aa" })).error.code, "bad_request");
  assert.equal((await call({ transport: "btle", addresses: [""] })).error.code, "bad_request");
  const many = Array.from({ length: 257 }, (_, i) => `a${i}`);
  assert.match((await call({ transport: "btle", addresses: many })).error.message, /at most 256/);
  assert.equal((await call({ transport: "serial", addresses: [] })).error.code, "unsupported");
  assert.deepEqual((await call({ transport: "btle", addresses: ["x", "x", "y"] })).result, {
    watching: 2,
  });
  assert.equal(noble.scanningNow, true);
  assert.deepEqual((await call({ transport: "btle" })).result, { watching: 0 });
  assert.equal(noble.scanningNow, false);
  await router.shutdown();
});

test("router: drop → disconnected event → watch → found {watched} → connect again; shutdown ends the watch", async () => {
  const noble = new FakeNoble();
  const out = collector();
  const router = createRouter({
    transports: [createBle({ noble, stateWaitMs: 20, watchReportMs: 0 })],
    send: out.send,
  });
  await router.start();
  let id = 0;
  const call = async (method, params) => {
    const n = ++id;
    await router.handleLine(JSON.stringify({ id: n, method, params }));
    const [reply] = out.replies(n);
    assert.ok(reply.ok, `${method}: ${JSON.stringify(reply.error)}`);
    return reply.result;
  };
  const { p, tx } = toy();
  await call("scan.start", { transport: "btle" });
  noble.discover(p);
  const first = await call("connect", {
    transport: "btle",
    address: p.address,
    services: { fff0: { tx: "fff6" } },
  });
  await call("scan.stop", { transport: "btle" });
  p.drop();
  assert.deepEqual(out.events("disconnected"), [{
    handle: first.handle,
    transport: "btle",
    address: p.address,
    reason: "HCI reason 8",
  }]);
  await call("watch", { transport: "btle", addresses: [p.address] });
  noble.discover(p);
  const refound = out.events("found").filter((f) => f.watched);
  assert.equal(refound.length, 1);
  assert.equal(refound[0].address, p.address);
  const second = await call("connect", {
    transport: "btle",
    address: p.address,
    services: { fff0: { tx: "fff6" } },
  });
  assert.notEqual(second.handle, first.handle);
  await call("write", { handle: second.handle, endpoint: "tx", data: [7] });
  assert.deepEqual(tx.writes.at(-1).data, [7]);
  await router.shutdown();
  assert.equal(noble.scanningNow, false, "shutdown ends the watch scan");
  assert.equal(p.disconnects, 1, "the reconnected toy is closed at shutdown");
});

test("watch: a client scan started while a stop is still in flight is not mistaken for the adapter stopping", async () => {
  /** noble as it really behaves: scanStop arrives a moment after stopScanning is called. */
  class SlowStopNoble extends FakeNoble {
    async stopScanningAsync() {
      this.scanningNow = false;
      await new Promise((r) => setTimeout(r, 5));
      this.emit("scanStop");
    }
  }
  const { ble, noble } = await watching(new SlowStopNoble());
  const finished = [];
  ble.on("scanFinished", (r) => finished.push(r));
  await ble.watch(["aa:bb:cc:dd:ee:ff"]);
  const stopping = ble.watch([]);
  await new Promise((r) => setTimeout(r, 1)); // the stop is in flight
  await ble.startScan();
  await stopping;
  assert.equal(ble.scanning, true);
  assert.deepEqual(finished, []);
  assert.equal(noble.scanningNow, true, "restarted after the stop completed");
  assert.equal(ble.adapterScanning, true);
});
