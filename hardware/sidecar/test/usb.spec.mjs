// deno-lint-ignore-file require-await -- fakes of callback/async driver APIs, plain JavaScript
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { bmRequestType, createUsb, usbAddress } from "../usb.mjs";
import { createRouter } from "../router.mjs";
import { ErrorCodes } from "../util.mjs";
import { collector, until } from "../testing/fakes.mjs";

// ---------------------------------------------------------------------------------------------
// A fake of the legacy `usb` 2.x API: getDeviceList(), Device, Interface, `detach` events.
// ---------------------------------------------------------------------------------------------

const LIBUSB = {
  INIT_ERROR: 0,
  LIBUSB_ERROR_ACCESS: -3,
  LIBUSB_ERROR_NO_DEVICE: -4,
  LIBUSB_ERROR_BUSY: -6,
};

/** @param {string} message @param {number} errno */
function libusbError(message, errno) {
  return Object.assign(new Error(message), { errno });
}

class FakeInterface {
  /** @param {FakeUsbDevice} dev @param {number} n */
  constructor(dev, n) {
    this.dev = dev;
    this.interfaceNumber = n;
  }
  isKernelDriverActive() {
    return this.dev.kernelDriver.has(this.interfaceNumber);
  }
  detachKernelDriver() {
    if (this.dev.detachError) throw this.dev.detachError;
    this.dev.kernelDriver.delete(this.interfaceNumber);
    this.dev.calls.push(`detach ${this.interfaceNumber}`);
  }
  attachKernelDriver() {
    this.dev.kernelDriver.add(this.interfaceNumber);
    this.dev.calls.push(`attach ${this.interfaceNumber}`);
  }
  claim() {
    if (this.dev.kernelDriver.has(this.interfaceNumber)) {
      throw libusbError("LIBUSB_ERROR_BUSY", LIBUSB.LIBUSB_ERROR_BUSY);
    }
    this.dev.calls.push(`claim ${this.interfaceNumber}`);
  }
  release(cb) {
    this.dev.calls.push(`release ${this.interfaceNumber}`);
    setImmediate(() => cb(undefined));
  }
}

class FakeUsbDevice {
  /**
   * @param {{ bus?: number, ports?: number[], deviceAddress?: number, vendorId: number,
   *   productId: number, deviceClass?: number, product?: string, interfaces?: number,
   *   kernelDriver?: boolean }} o
   */
  constructor(o) {
    this.busNumber = o.bus ?? 1;
    this.deviceAddress = o.deviceAddress ?? 5;
    this.portNumbers = o.ports ?? [2];
    this.deviceDescriptor = {
      idVendor: o.vendorId,
      idProduct: o.productId,
      bDeviceClass: o.deviceClass ?? 0,
      iProduct: o.product ? 2 : 0,
    };
    this.product = o.product;
    this.interfaceCount = o.interfaces ?? 1;
    /** Interface numbers a kernel driver is bound to. */
    this.kernelDriver = new Set(o.kernelDriver ? [0] : []);
    /** @type {string[]} open/claim/release/close/detach/attach in order */
    this.calls = [];
    /** @type {{ bmRequestType: number, bRequest: number, wValue: number, wIndex: number, data: number[] | number, timeout: number }[]} */
    this.transfers = [];
    /** @type {Error | undefined} thrown by open() */
    this.openError = undefined;
    /** @type {Error | undefined} thrown by detachKernelDriver() */
    this.detachError = undefined;
    /** @type {Error | undefined} passed to the next transfer callback */
    this.transferError = undefined;
    /** Bytes an IN transfer returns. */
    this.inData = [];
    this.timeout = 1000;
    /** @type {FakeInterface[] | undefined} */
    this.interfaces = undefined;
  }
  open() {
    if (this.openError) throw this.openError;
    this.calls.push("open");
    this.interfaces = Array.from(
      { length: this.interfaceCount },
      (_, i) => new FakeInterface(this, i),
    );
  }
  close() {
    this.calls.push("close");
    this.interfaces = undefined;
  }
  controlTransfer(type, request, value, index, dataOrLength, cb) {
    if (!this.interfaces) throw new Error("Device must be open");
    const isIn = (type & 0x80) !== 0;
    this.transfers.push({
      bmRequestType: type,
      bRequest: request,
      wValue: value,
      wIndex: index,
      data: isIn ? dataOrLength : Array.from(dataOrLength),
      timeout: this.timeout,
    });
    const err = this.transferError;
    this.transferError = undefined;
    setImmediate(() =>
      err ? cb(err) : cb(undefined, isIn ? Buffer.from(this.inData) : dataOrLength.length)
    );
    return this;
  }
  getStringDescriptor(index, cb) {
    setImmediate(() => cb(undefined, index === 2 ? this.product : undefined));
  }
}

/** A fake `usb` module (the legacy API object) over a mutable device list. */
function fakeUsb(devices = []) {
  const usb = new EventEmitter();
  Object.assign(usb, LIBUSB, {
    devices,
    listCalls: 0,
    getDeviceList() {
      usb.listCalls++;
      return [...usb.devices];
    },
    /** Unplugs a device: gone from the list and a hot-plug `detach` event. */
    unplug(dev) {
      usb.devices = usb.devices.filter((d) => d !== dev);
      usb.emit("detach", dev);
    },
  });
  return usb;
}

const REZ = { vendorId: 0x0b49, productId: 0x064f };
const rez = (o = {}) => new FakeUsbDevice({ ...REZ, ports: [2], ...o });
const keyboard = () =>
  new FakeUsbDevice({
    vendorId: 0x046d,
    productId: 0xc31c,
    ports: [3],
    deviceAddress: 6,
  });
const hub = () =>
  new FakeUsbDevice({
    vendorId: 0x1d6b,
    productId: 0x0002,
    ports: [],
    deviceAddress: 1,
    deviceClass: 9,
  });

async function ready(devices) {
  const usb = fakeUsb(devices);
  const transport = createUsb({ usb });
  assert.deepEqual(await transport.init(), { available: true });
  return { usb, transport };
}

// ---------------------------------------------------------------------------------------------
// Availability
// ---------------------------------------------------------------------------------------------

test("libusb missing: the load failure is the unavailable reason and every request is refused", async () => {
  const err = Object.assign(
    new Error(
      "libusb-1.0.so.0: cannot open shared object file: No such file or directory",
    ),
    { code: "ERR_DLOPEN_FAILED" },
  );
  const usb = createUsb({ loadUsb: () => Promise.reject(err) });
  const status = await usb.init();
  assert.equal(status.available, false);
  assert.match(
    status.reason,
    /^usb native module failed: libusb is missing \(install libusb-1.0-0\)/,
  );
  await assert.rejects(
    usb.startScan(),
    (e) => e.code === ErrorCodes.unavailable && /libusb is missing/.test(e.message),
  );
  await assert.rejects(usb.list(), (e) => e.code === ErrorCodes.unavailable);
  await assert.rejects(
    usb.connect({ address: "1-2", timeoutMs: 100 }),
    (e) => e.code === ErrorCodes.unavailable,
  );
});

test("other load failures: not installed, libudev missing, libusb init error, wrong major version", async () => {
  const notInstalled = createUsb({
    loadUsb: () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package 'usb'"), {
          code: "ERR_MODULE_NOT_FOUND",
        }),
      ),
  });
  assert.match(
    (await notInstalled.init()).reason,
    /usb is not installed \(run `npm ci`/,
  );
  const noUdev = createUsb({
    loadUsb: () => Promise.reject(new Error("libudev.so.1: cannot open shared object file")),
  });
  assert.match(
    (await noUdev.init()).reason,
    /libudev is missing \(install libudev1\)/,
  );
  const noPrebuild = createUsb({
    loadUsb: () =>
      Promise.reject(
        new Error(
          "No native build was found for platform=linux arch=riscv64 runtime=node abi=115\n    loaded from: /x/node_modules/usb\n",
        ),
      ),
  });
  assert.equal(
    (await noPrebuild.init()).reason,
    "usb has no prebuilt binary for this platform (No native build was found for platform=linux arch=riscv64 " +
      "runtime=node abi=115 loaded from: /x/node_modules/usb); reinstall with a C++ toolchain to build it",
  );
  const initError = createUsb({
    usb: { ...fakeUsb(), INIT_ERROR: -99, getDeviceList: () => [] },
  });
  assert.deepEqual(await initError.init(), {
    available: false,
    reason: "libusb could not be initialised (error -99): no USB access here",
  });
  const webUsbOnly = createUsb({
    usb: { usb: { getDevices: async () => [] } },
  });
  assert.match((await webUsbOnly.init()).reason, /needs usb 2\.x/);
});

test("the real usb package (pinned 2.x) loads here with its prebuilt binary and exposes the libusb API", async (t) => {
  const require = createRequire(import.meta.url);
  let version;
  try {
    version = require("usb/package.json").version;
  } catch {
    t.skip("usb is not installed (npm ci in hardware/sidecar)");
    return;
  }
  const pinned = require("../package.json").dependencies.usb;
  assert.equal(version, pinned);
  const usb = createUsb();
  const status = await usb.init();
  // On a machine with libusb access this is { available: true }; otherwise the reason says why.
  assert.ok(
    status.available || /libusb|usb/.test(status.reason),
    status.reason,
  );
  const mod = await import("usb");
  assert.equal(typeof (mod.usb ?? mod.default.usb).getDeviceList, "function");
});

// ---------------------------------------------------------------------------------------------
// Enumeration and scanning
// ---------------------------------------------------------------------------------------------

test("enumerate: port-path addresses, ids, fallback names; list shows every device", async () => {
  assert.equal(
    usbAddress({ busNumber: 1, portNumbers: [4, 2], deviceAddress: 9 }),
    "1-4.2",
  );
  assert.equal(
    usbAddress({ busNumber: 2, portNumbers: [], deviceAddress: 1 }),
    "2-addr1",
  );
  const { transport } = await ready([rez(), keyboard(), hub()]);
  assert.deepEqual((await transport.list()).devices, [
    {
      address: "1-2",
      name: "USB device 0b49:064f",
      vendorId: 0x0b49,
      productId: 0x064f,
      deviceClass: 0,
    },
    {
      address: "1-3",
      name: "USB device 046d:c31c",
      vendorId: 0x046d,
      productId: 0xc31c,
      deviceClass: 0,
    },
    {
      address: "1-addr1",
      name: "USB device 1d6b:0002",
      vendorId: 0x1d6b,
      productId: 2,
      deviceClass: 9,
    },
  ]);
});

test("scan: reports only the configured pairs; without pairs every device but hubs; new devices on the next round", async () => {
  const { usb, transport } = await ready([keyboard(), hub()]);
  const found = [];
  transport.on("found", (ad) => found.push(ad));
  await transport.startScan({ pairs: [REZ], intervalMs: 20 });
  assert.deepEqual(found, []);
  usb.devices.push(rez());
  await until(() => found.length === 1);
  assert.deepEqual(found[0], {
    transport: "usb",
    address: "1-2",
    name: "USB device 0b49:064f",
    vendorId: 0x0b49,
    productId: 0x064f,
  });
  await transport.stopScan();
  const calls = usb.listCalls;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(usb.listCalls, calls, "no enumeration after stopScan");
  found.length = 0;
  await transport.startScan({ intervalMs: 100000 });
  assert.deepEqual(found.map((f) => f.address), ["1-3", "1-2"]);
  await transport.close();
});

test("an open device is not reported again while scanning", async () => {
  const { transport } = await ready([rez()]);
  const found = [];
  transport.on("found", (ad) => found.push(ad));
  const dev = await transport.connect({ address: "1-2", timeoutMs: 1000 });
  await transport.startScan({ pairs: [REZ], intervalMs: 100000 });
  assert.deepEqual(found, []);
  await transport.stopScan();
  await dev.close();
  await transport.startScan({ pairs: [REZ], intervalMs: 100000 });
  assert.equal(found.length, 1);
  await transport.close();
});

// ---------------------------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------------------------

test("open: detaches the kernel driver, claims the interface, reads the product string; close undoes it", async () => {
  const device = rez({ product: "PS2 Trance Vibrator", kernelDriver: true });
  const { transport } = await ready([device]);
  const dev = await transport.connect({
    address: "1-2",
    ...REZ,
    timeoutMs: 1000,
  });
  assert.equal(dev.name, "PS2 Trance Vibrator");
  assert.equal(dev.address, "1-2");
  assert.deepEqual(dev.endpoints, ["control"]);
  assert.equal(dev.messageGapMs, 0);
  assert.deepEqual(device.calls, ["open", "detach 0", "claim 0"]);
  await assert.rejects(
    transport.connect({ address: "1-2", timeoutMs: 1000 }),
    (e) => e.code === ErrorCodes.busy,
  );
  let closed = 0;
  dev.on("closed", () => closed++);
  await dev.close();
  await dev.close(); // idempotent
  assert.equal(closed, 1);
  assert.deepEqual(device.calls, [
    "open",
    "detach 0",
    "claim 0",
    "release 0",
    "attach 0",
    "close",
  ]);
  // Closed devices can be opened again.
  const again = await transport.connect({ address: "1-2", timeoutMs: 1000 });
  assert.equal(again.name, "PS2 Trance Vibrator");
  await again.close();
});

test("open: without a product string the name is the vendor:product fallback; no kernel driver, no detach", async () => {
  const device = rez();
  const { transport } = await ready([device]);
  const dev = await transport.connect({ address: "1-2", timeoutMs: 1000 });
  assert.equal(dev.name, "USB device 0b49:064f");
  assert.deepEqual(device.calls, ["open", "claim 0"]);
  await dev.close();
  assert.deepEqual(device.calls, ["open", "claim 0", "release 0", "close"]);
});

test("open failures: unknown address, wrong ids, permission denied, a kernel driver that cannot be detached", async () => {
  const denied = rez({ ports: [7], deviceAddress: 8 });
  denied.openError = libusbError(
    "LIBUSB_ERROR_ACCESS",
    LIBUSB.LIBUSB_ERROR_ACCESS,
  );
  const stuck = rez({ ports: [8], deviceAddress: 9, kernelDriver: true });
  stuck.detachError = libusbError(
    "LIBUSB_ERROR_ACCESS",
    LIBUSB.LIBUSB_ERROR_ACCESS,
  );
  const { transport } = await ready([rez(), denied, stuck]);
  await assert.rejects(
    transport.connect({ address: "9-9", timeoutMs: 100 }),
    (e) => e.code === ErrorCodes.notFound && e.message === "no USB device at 9-9",
  );
  await assert.rejects(
    transport.connect({
      address: "1-2",
      vendorId: 0x046d,
      productId: 0xc31c,
      timeoutMs: 100,
    }),
    (e) =>
      e.code === ErrorCodes.notFound &&
      /no USB device \(046d:c31c\) at 1-2/.test(e.message),
  );
  await assert.rejects(
    transport.connect({ address: "1-7", timeoutMs: 100 }),
    (e) =>
      e.code === ErrorCodes.io &&
      /permission denied opening USB device 0b49:064f at 1-7/.test(e.message) &&
      /ATTR\{idVendor\}=="0b49", ATTR\{idProduct\}=="064f"/.test(e.message),
  );
  await assert.rejects(
    transport.connect({ address: "1-8", timeoutMs: 100 }),
    (e) => e.code === ErrorCodes.busy && /rmmod trancevibrator/.test(e.message),
  );
  assert.deepEqual(
    stuck.calls,
    ["open", "close"],
    "a failed open closes the device again",
  );
  // The failed addresses are not left marked as open.
  const ok = await transport.connect({ address: "1-2", timeoutMs: 100 });
  await ok.close();
});

// ---------------------------------------------------------------------------------------------
// Control transfers
// ---------------------------------------------------------------------------------------------

test("bmRequestType: direction, type and recipient bits", () => {
  assert.equal(
    bmRequestType({
      direction: "out",
      requestType: "vendor",
      recipient: "interface",
    }),
    0x41,
  );
  assert.equal(
    bmRequestType({
      direction: "in",
      requestType: "vendor",
      recipient: "device",
    }),
    0xc0,
  );
  assert.equal(
    bmRequestType({
      direction: "out",
      requestType: "class",
      recipient: "other",
    }),
    0x23,
  );
  assert.equal(
    bmRequestType({
      direction: "in",
      requestType: "standard",
      recipient: "endpoint",
    }),
    0x82,
  );
  assert.throws(
    () =>
      bmRequestType({
        direction: "out",
        requestType: "reserved",
        recipient: "device",
      }),
    (e) => e.code === ErrorCodes.badRequest,
  );
});

test("control transfer bytes: the Trance Vibrator speed is vendor OUT to interface 0, request 1, wValue = speed, no data", async () => {
  const device = rez();
  const { transport } = await ready([device]);
  const dev = await transport.connect({ address: "1-2", timeoutMs: 1000 });
  const setup = {
    direction: "out",
    requestType: "vendor",
    recipient: "interface",
    request: 1,
    value: 200,
    index: 0,
  };
  assert.deepEqual(
    await dev.control(setup, new Uint8Array(0), 750),
    new Uint8Array(0),
  );
  assert.deepEqual(device.transfers, [{
    bmRequestType: 0x41,
    bRequest: 1,
    wValue: 200,
    wIndex: 0,
    data: [],
    timeout: 750,
  }]);
  device.inData = [0xde, 0xad];
  const read = await dev.control(
    {
      direction: "in",
      requestType: "vendor",
      recipient: "device",
      request: 7,
      value: 1,
      index: 2,
    },
    2,
    500,
  );
  assert.deepEqual(Array.from(read), [0xde, 0xad]);
  assert.deepEqual(device.transfers[1], {
    bmRequestType: 0xc0,
    bRequest: 7,
    wValue: 1,
    wIndex: 2,
    data: 2,
    timeout: 500,
  });
  device.transferError = libusbError("LIBUSB_TRANSFER_STALL", 4);
  await assert.rejects(
    dev.control(setup, new Uint8Array(0), 500),
    (e) => e.code === ErrorCodes.io && /refused the request/.test(e.message),
  );
  device.transferError = libusbError("LIBUSB_TRANSFER_TIMED_OUT", 2);
  await assert.rejects(
    dev.control(setup, new Uint8Array(0), 500),
    (e) => e.code === ErrorCodes.timeout,
  );
  await assert.rejects(
    dev.write("tx", new Uint8Array([1])),
    (e) => e.code === ErrorCodes.unsupported,
  );
  await dev.close();
  await assert.rejects(
    dev.control(setup, new Uint8Array(0), 500),
    (e) => e.code === ErrorCodes.disconnected,
  );
});

// ---------------------------------------------------------------------------------------------
// Detach
// ---------------------------------------------------------------------------------------------

test("detach: a hot-plug detach of an open device emits disconnect once; the listener goes with the last device", async () => {
  const device = rez();
  const other = keyboard();
  const { usb, transport } = await ready([device, other]);
  const dev = await transport.connect({ address: "1-2", timeoutMs: 1000 });
  assert.equal(
    usb.listenerCount("detach"),
    1,
    "detach events are watched while a device is open",
  );
  const reasons = [];
  dev.on("disconnect", (r) => reasons.push(r));
  usb.unplug(other); // another device: ignored
  assert.deepEqual(reasons, []);
  usb.unplug(device);
  usb.emit("detach", device);
  assert.deepEqual(reasons, ["the USB device was unplugged"]);
  assert.equal(usb.listenerCount("detach"), 0);
  await assert.rejects(
    dev.control(
      {
        direction: "out",
        requestType: "vendor",
        recipient: "interface",
        request: 1,
        value: 1,
        index: 0,
      },
      new Uint8Array(0),
      100,
    ),
    (e) => e.code === ErrorCodes.disconnected,
  );
  // Plugged in again: found again and can be opened.
  usb.devices.push(device);
  const again = await transport.connect({ address: "1-2", timeoutMs: 1000 });
  await again.close();
});

test("detach noticed by a transfer: LIBUSB_TRANSFER_NO_DEVICE fails with disconnected and emits disconnect", async () => {
  const device = rez();
  const { transport } = await ready([device]);
  const dev = await transport.connect({ address: "1-2", timeoutMs: 1000 });
  const reasons = [];
  dev.on("disconnect", (r) => reasons.push(r));
  device.transferError = libusbError("LIBUSB_TRANSFER_NO_DEVICE", 5);
  await assert.rejects(
    dev.control(
      {
        direction: "out",
        requestType: "vendor",
        recipient: "interface",
        request: 1,
        value: 9,
        index: 0,
      },
      new Uint8Array(0),
      100,
    ),
    (e) =>
      e.code === ErrorCodes.disconnected &&
      /the USB device is gone/.test(e.message),
  );
  assert.equal(reasons.length, 1);
  assert.match(reasons[0], /LIBUSB_TRANSFER_NO_DEVICE/);
});

// ---------------------------------------------------------------------------------------------
// Through the router (the wire)
// ---------------------------------------------------------------------------------------------

async function wire(devices) {
  const usb = fakeUsb(devices);
  const out = collector();
  const router = createRouter({
    transports: [createUsb({ usb })],
    send: out.send,
  });
  await router.start();
  let nextId = 1;
  const call = async (method, params) => {
    const id = nextId++;
    await router.handleLine(JSON.stringify({ id, method, params }));
    const replies = out.replies(id);
    assert.equal(replies.length, 1, `exactly one reply to ${method}`);
    return replies[0];
  };
  return { usb, out, router, call };
}

test("wire: hello, scan, connect, control (OUT and IN), bad params, unplug → disconnected event", async () => {
  const device = rez({ product: "Trance Vibrator" });
  const { usb, out, router, call } = await wire([device]);
  assert.deepEqual(out.events("hello")[0].transports.usb, { available: true });
  assert.equal(
    (await call("scan.start", { transport: "usb", pairs: [REZ] })).ok,
    true,
  );
  assert.deepEqual(out.events("found"), [{
    transport: "usb",
    address: "1-2",
    name: "USB device 0b49:064f",
    vendorId: 0x0b49,
    productId: 0x064f,
  }]);
  await call("scan.stop", { transport: "usb" });
  const connected = await call("connect", {
    transport: "usb",
    address: "1-2",
    ...REZ,
  });
  assert.deepEqual(connected.result, {
    handle: "usb-1",
    transport: "usb",
    name: "Trance Vibrator",
    address: "1-2",
    endpoints: ["control"],
    missing: [],
    messageGapMs: 0,
  });
  const speed = (value) =>
    call("control", {
      handle: "usb-1",
      requestType: "vendor",
      recipient: "interface",
      request: 1,
      value,
      index: 0,
    });
  // OUT transfers run in arrival order.
  const replies = await Promise.all([speed(10), speed(20), speed(30)]);
  assert.ok(replies.every((r) => r.ok && Object.keys(r.result).length === 0));
  assert.deepEqual(
    device.transfers.map((
      t,
    ) => [t.bmRequestType, t.bRequest, t.wValue, t.wIndex, t.data]),
    [
      [0x41, 1, 10, 0, []],
      [0x41, 1, 20, 0, []],
      [0x41, 1, 30, 0, []],
    ],
  );
  device.inData = [1, 2, 3];
  const read = await call("control", {
    handle: "usb-1",
    direction: "in",
    requestType: "vendor",
    recipient: "device",
    request: 2,
    length: 3,
  });
  assert.deepEqual(read.result, { data: [1, 2, 3] });
  for (
    const [params, pattern] of [
      [
        { requestType: "bogus", recipient: "device", request: 1 },
        /requestType/,
      ],
      [{ requestType: "vendor", recipient: "hub", request: 1 }, /recipient/],
      [
        { requestType: "vendor", recipient: "device", request: 256 },
        /request must be an integer 0\.\.255/,
      ],
      [
        {
          requestType: "vendor",
          recipient: "device",
          request: 1,
          value: 70000,
        },
        /value must be/,
      ],
      [
        { requestType: "vendor", recipient: "device", request: 1, data: [300] },
        /0\.\.255/,
      ],
      [{
        direction: "in",
        requestType: "vendor",
        recipient: "device",
        request: 1,
      }, /length must be/],
      [{
        direction: "in",
        requestType: "vendor",
        recipient: "device",
        request: 1,
        length: 1,
        data: [],
      }, /takes length/],
      [{
        direction: "sideways",
        requestType: "vendor",
        recipient: "device",
        request: 1,
      }, /direction/],
    ]
  ) {
    const reply = await call("control", { handle: "usb-1", ...params });
    assert.equal(reply.ok, false, JSON.stringify(params));
    assert.equal(
      reply.error.code,
      ErrorCodes.badRequest,
      JSON.stringify(params),
    );
    assert.match(reply.error.message, pattern);
  }
  const write = await call("write", {
    handle: "usb-1",
    endpoint: "control",
    data: [1],
  });
  assert.equal(write.error.code, ErrorCodes.unsupported);
  usb.unplug(device);
  assert.deepEqual(out.events("disconnected"), [{
    handle: "usb-1",
    transport: "usb",
    address: "1-2",
    reason: "the USB device was unplugged",
  }]);
  assert.equal((await speed(1)).error.code, ErrorCodes.notFound);
  await router.shutdown();
});

test("wire: shutdown releases and closes an open device", async () => {
  const device = rez({ kernelDriver: true });
  const { call, router } = await wire([device]);
  assert.equal(
    (await call("connect", { transport: "usb", address: "1-2" })).ok,
    true,
  );
  await router.shutdown();
  assert.deepEqual(device.calls, [
    "open",
    "detach 0",
    "claim 0",
    "release 0",
    "attach 0",
    "close",
  ]);
  assert.deepEqual(device.transfers, [], "no closeControl: nothing is sent on close");
});

const STOP = {
  requestType: "vendor",
  recipient: "interface",
  request: 1,
  value: 0,
  index: 0,
  data: [],
};

test("wire: closeControl (the toy's stop) is sent before closing, on shutdown and on disconnect, not after an unplug", async () => {
  const device = rez();
  const { usb, call, router } = await wire([device]);
  const bad = await call("connect", {
    transport: "usb",
    address: "1-2",
    closeControl: { ...STOP, recipient: "hub" },
  });
  assert.equal(bad.error.code, ErrorCodes.badRequest);
  assert.match(bad.error.message, /^closeControl: recipient must be/);
  assert.equal(
    (await call("connect", { transport: "usb", address: "1-2", closeControl: [1] })).error.code,
    ErrorCodes.badRequest,
  );
  // Requested disconnect: stop, then release and close.
  assert.equal(
    (await call("connect", { transport: "usb", address: "1-2", closeControl: STOP })).ok,
    true,
  );
  await call("control", { handle: "usb-1", ...STOP, value: 99 });
  assert.equal((await call("disconnect", { handle: "usb-1" })).ok, true);
  assert.deepEqual(device.transfers.map((t) => [t.bmRequestType, t.bRequest, t.wValue]), [
    [0x41, 1, 99],
    [0x41, 1, 0],
  ]);
  assert.deepEqual(device.calls.slice(-2), ["release 0", "close"]);
  // Shutdown (stdin closed: the server went away): the toy is stopped too.
  assert.equal(
    (await call("connect", { transport: "usb", address: "1-2", closeControl: STOP })).ok,
    true,
  );
  await call("control", { handle: "usb-2", ...STOP, value: 200 });
  // A failing stop transfer does not keep the device open.
  const other = rez({ ports: [5], deviceAddress: 7 });
  usb.devices.push(other);
  assert.equal(
    (await call("connect", { transport: "usb", address: "1-5", closeControl: STOP })).ok,
    true,
  );
  other.transferError = libusbError("LIBUSB_TRANSFER_STALL", 4);
  await router.shutdown();
  assert.deepEqual(device.transfers.slice(2).map((t) => t.wValue), [200, 0]);
  assert.equal(other.transfers.length, 1, "the stop was tried");
  assert.equal(other.calls.at(-1), "close");
  // Unplugged: nothing is sent to a device that is gone.
  const third = rez({ ports: [6], deviceAddress: 8 });
  const w = await wire([third]);
  assert.equal(
    (await w.call("connect", { transport: "usb", address: "1-6", closeControl: STOP })).ok,
    true,
  );
  w.usb.unplug(third);
  await w.router.shutdown();
  assert.deepEqual(third.transfers, []);
});

test("wire: control on a transport without control transfers is unsupported", async () => {
  const out = collector();
  const dev = new EventEmitter();
  Object.assign(dev, {
    name: "x",
    address: "a",
    endpoints: ["tx"],
    close: async () => {},
  });
  const fakeTransport = Object.assign(new EventEmitter(), {
    name: "serial",
    status: { available: true },
    init: async () => {},
    stopScan: async () => {},
    connect: async () => dev,
  });
  const router = createRouter({ transports: [fakeTransport], send: out.send });
  await router.start();
  await router.handleLine(
    JSON.stringify({
      id: 1,
      method: "connect",
      params: { transport: "serial", address: "a" },
    }),
  );
  await router.handleLine(
    JSON.stringify({
      id: 2,
      method: "control",
      params: {
        handle: "serial-1",
        requestType: "vendor",
        recipient: "device",
        request: 1,
      },
    }),
  );
  assert.equal(out.replies(2)[0].error.code, ErrorCodes.unsupported);
  await router.shutdown();
});
