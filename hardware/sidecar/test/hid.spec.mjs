import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHid } from "../hid.mjs";
import { ErrorCodes } from "../util.mjs";
import { fakeHid } from "../testing/fakes.mjs";

const JOYCON_L = {
  vendorId: 0x057e,
  productId: 0x2006,
  path: "/dev/hidraw0",
  serialNumber: "98B6E9",
  product: "Joy-Con (L)",
};
const JOYCON_L_IF2 = { ...JOYCON_L, path: "/dev/hidraw1" }; // same serial: de-duplicated
const KEYBOARD = {
  vendorId: 0x046d,
  productId: 0xc31c,
  path: "/dev/hidraw2",
  serialNumber: "K1",
  product: "Keyboard",
};
const NO_SERIAL = {
  vendorId: 1,
  productId: 2,
  path: "/dev/hidraw3",
  product: "Anonymous",
};

test("libusb missing: node-hid's load failure is the unavailable reason", async () => {
  const err = Object.assign(
    new Error(
      "libusb-1.0.so.0: cannot open shared object file: No such file or directory",
    ),
    {
      code: "ERR_DLOPEN_FAILED",
    },
  );
  const hid = createHid({ hid: { devicesAsync: () => Promise.reject(err) } });
  const status = await hid.init();
  assert.equal(status.available, false);
  assert.match(status.reason, /libusb is missing \(install libusb-1.0-0\)/);
  await assert.rejects(
    hid.startScan(),
    (e) => e.code === ErrorCodes.unavailable,
  );
});

test("scan: skips devices without serial, de-duplicates by serial, filters by vid/pid", async () => {
  const hid = createHid({
    hid: fakeHid([JOYCON_L, JOYCON_L_IF2, KEYBOARD, NO_SERIAL]),
  });
  assert.deepEqual(await hid.init(), { available: true });
  const found = [];
  hid.on("found", (ad) => found.push(ad));
  await hid.startScan({
    pairs: [{ vendorId: 0x057e, productId: 0x2006 }],
    intervalMs: 100000,
  });
  assert.deepEqual(found, [{
    transport: "hid",
    address: "98B6E9",
    name: "Joy-Con (L)",
    vendorId: 0x057e,
    productId: 0x2006,
    path: "/dev/hidraw0",
  }]);
  await hid.stopScan();
  await hid.startScan({ intervalMs: 100000 });
  assert.deepEqual(found.slice(1).map((f) => f.address), ["98B6E9", "K1"]);
  await hid.stopScan();
});

test("connect by serial number, write output reports, subscribe to input reports, close", async () => {
  const fake = fakeHid([JOYCON_L, KEYBOARD]);
  const hid = createHid({ hid: fake });
  await hid.init();
  const dev = await hid.connect({ address: "98B6E9", timeoutMs: 100 });
  assert.equal(fake.opened[0].path, "/dev/hidraw0");
  assert.equal(dev.name, "Joy-Con (L)");
  assert.deepEqual(dev.endpoints, ["rx", "tx"]);
  await dev.write("tx", Buffer.from([0x01, 0x10, 0x00]), false);
  assert.deepEqual(fake.opened[0].writes, [[0x01, 0x10, 0x00]]);
  const notes = [];
  dev.on("notification", (endpoint, data) => notes.push([endpoint, [...data]]));
  await dev.subscribe("rx");
  fake.opened[0].input([0x30, 1, 2]);
  assert.deepEqual(notes, [["rx", [0x30, 1, 2]]]);
  await dev.unsubscribe("rx");
  fake.opened[0].input([0x30]);
  assert.equal(notes.length, 1);
  fake.opened[0].reports.push(Buffer.from([0x21, 5, 6, 7]));
  assert.deepEqual([...await dev.read("rx", 2, 10)], [0x21, 5]);
  assert.deepEqual([...await dev.read("rx", 0, 10)], []);
  await assert.rejects(
    hid.connect({ address: "98B6E9", timeoutMs: 100 }),
    (e) => e.code === ErrorCodes.busy,
  );
  await dev.close();
  assert.equal(fake.opened[0].closed, true);
  await hid.connect({ address: "98B6E9", timeoutMs: 100 }); // re-open after close
});

test("connect by vid/pid when not enumerated; unknown device is not_found", async () => {
  const fake = fakeHid([]);
  const hid = createHid({ hid: fake });
  await hid.init();
  const dev = await hid.connect({
    address: "X",
    vendorId: 1155,
    productId: 22352,
    timeoutMs: 100,
  });
  assert.equal(fake.opened[0].path, "1155");
  assert.equal(dev.name, "Fake Product");
  await assert.rejects(
    hid.connect({ address: "nothing", timeoutMs: 100 }),
    (e) => e.code === ErrorCodes.notFound,
  );
});

test("a device error (unplug) emits disconnect once and later writes fail", async () => {
  const fake = fakeHid([JOYCON_L]);
  const hid = createHid({ hid: fake });
  await hid.init();
  const dev = await hid.connect({ address: "98B6E9", timeoutMs: 100 });
  const reasons = [];
  dev.on("disconnect", (r) => reasons.push(r));
  fake.opened[0].emit("error", new Error("could not read from HID device"));
  fake.opened[0].emit("error", new Error("again"));
  assert.deepEqual(reasons, ["could not read from HID device"]);
  await assert.rejects(
    dev.write("tx", Buffer.from([1]), false),
    (e) => e.code === ErrorCodes.disconnected,
  );
});

test("scan: a device without a serial number is listed by path when its pair is asked for", async () => {
  const hid = createHid({ hid: fakeHid([NO_SERIAL, KEYBOARD]) });
  await hid.init();
  const found = [];
  hid.on("found", (ad) => found.push(ad));
  await hid.startScan({ pairs: [{ vendorId: 1, productId: 2 }], intervalMs: 100000 });
  assert.deepEqual(found, [{
    transport: "hid",
    address: "path:/dev/hidraw3",
    name: "Anonymous",
    vendorId: 1,
    productId: 2,
    path: "/dev/hidraw3",
  }]);
  await hid.stopScan();
  // Without that pair it stays hidden, as before.
  await hid.startScan({ intervalMs: 100000 });
  assert.deepEqual(found.slice(1).map((f) => f.address), ["K1"]);
  await hid.stopScan();
});
