import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createSerial, eofAwareBinding, eofAwareRead, portSettings } from "../serial.mjs";
import { EventEmitter } from "node:events";
import { ErrorCodes } from "../util.mjs";
import { fakeSerialPort, until } from "../testing/fakes.mjs";

const udevMissing = Object.assign(new Error("spawn udevadm ENOENT"), {
  code: "ENOENT",
});

test("serialport missing: unavailable with an npm hint", async () => {
  const err = Object.assign(new Error("Cannot find package 'serialport'"), {
    code: "ERR_MODULE_NOT_FOUND",
  });
  const serial = createSerial({ loadSerialPort: () => Promise.reject(err) });
  const status = await serial.init();
  assert.equal(status.available, false);
  assert.match(status.reason, /npm ci/);
  await assert.rejects(
    serial.connect({ address: "/dev/x", timeoutMs: 10 }),
    (e) => e.code === ErrorCodes.unavailable,
  );
});

test("listing without udevadm: available, limited, and explicit ports are still reported", async () => {
  const SerialPort = fakeSerialPort({ listError: udevMissing });
  const serial = createSerial({
    SerialPort,
    exists: (p) => Promise.resolve(p === "/dev/pts/7"),
  });
  const status = await serial.init();
  assert.equal(status.available, true);
  assert.match(status.reason, /udevadm not found/);
  const listed = await serial.list(["/dev/pts/7", "/dev/ttyGone"]);
  assert.deepEqual(listed.ports, [{ path: "/dev/pts/7" }]);
  assert.match(listed.limited, /udevadm/);
  const found = [];
  serial.on("found", (ad) => found.push(ad));
  await serial.startScan({ ports: ["/dev/pts/7"], intervalMs: 10 });
  assert.deepEqual(found[0], {
    transport: "serial",
    address: "/dev/pts/7",
    name: "Serial Port Device /dev/pts/7",
    path: "/dev/pts/7",
  });
  await until(() => found.length >= 2); // the loop repeats while scanning
  await serial.stopScan();
  const n = found.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(found.length, n, "no reports after stopScan");
});

test("listing merges OS ports (with usb ids) and skips open ports", async () => {
  const SerialPort = fakeSerialPort({
    ports: [{
      path: "/dev/ttyUSB0",
      manufacturer: "FTDI",
      vendorId: "0403",
      productId: "6001",
      serialNumber: "A1",
    }],
  });
  const serial = createSerial({
    SerialPort,
    exists: () => Promise.resolve(true),
  });
  assert.deepEqual(await serial.init(), { available: true });
  const found = [];
  serial.on("found", (ad) => found.push(ad));
  await serial.startScan({ intervalMs: 100000 });
  assert.deepEqual(found, [{
    transport: "serial",
    address: "/dev/ttyUSB0",
    name: "Serial Port Device /dev/ttyUSB0",
    path: "/dev/ttyUSB0",
    manufacturer: "FTDI",
    serialNumber: "A1",
    vendorId: 0x0403,
    productId: 0x6001,
  }]);
  const dev = await serial.connect({ address: "/dev/ttyUSB0", timeoutMs: 100 });
  await serial.pollOnce();
  assert.equal(found.length, 1, "an open port is not re-announced");
  await dev.close();
  await serial.pollOnce();
  assert.equal(found.length, 2, "a closed port is announced again");
  await serial.stopScan();
});

test("connect honours baud, data bits, parity and stop bits", async () => {
  const SerialPort = fakeSerialPort();
  const serial = createSerial({ SerialPort });
  await serial.init();
  const dev = await serial.connect({
    address: "/dev/ttyS1",
    baudRate: 19200,
    dataBits: 7,
    parity: "E",
    stopBits: 2,
    timeoutMs: 100,
  });
  assert.deepEqual(SerialPort.instances[0].options, {
    path: "/dev/ttyS1",
    baudRate: 19200,
    dataBits: 7,
    parity: "even",
    stopBits: 2,
    autoOpen: false,
  });
  assert.deepEqual(dev.endpoints, ["rx", "tx"]);
  assert.equal(dev.name, "/dev/ttyS1");
  assert.equal(dev.address, "/dev/ttyS1");
  await assert.rejects(
    serial.connect({ address: "/dev/ttyS1", timeoutMs: 100 }),
    (e) => e.code === ErrorCodes.busy,
  );
  await assert.rejects(
    serial.connect({ address: "/dev/missing0", timeoutMs: 100 }),
    (e) => e.code === ErrorCodes.notFound,
  );
  assert.throws(() => portSettings({ parity: "X" }), /bad parity/);
  assert.throws(() => portSettings({ dataBits: 9 }), /bad dataBits/);
  assert.throws(() => portSettings({ stopBits: 3 }), /bad stopBits/);
  assert.deepEqual(portSettings({}), {
    baudRate: 115200,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
  });
});

test("write goes to the port in order; read returns buffered bytes; subscribe forwards new bytes", async () => {
  const SerialPort = fakeSerialPort();
  const serial = createSerial({ SerialPort });
  await serial.init();
  const dev = await serial.connect({ address: "/dev/ttyS0", timeoutMs: 100 });
  const port = SerialPort.instances[0];
  await dev.write("tx", Buffer.from("L0"), false);
  await dev.write("rx", Buffer.from("50\n"), false); // any endpoint writes to the port
  assert.equal(Buffer.from(port.written).toString(), "L050\n");
  port.receive([1, 2, 3]);
  assert.deepEqual([...await dev.read("rx", 2, 0)], [1, 2]);
  assert.deepEqual([...await dev.read("rx", 0, 0)], [3]);
  assert.deepEqual(
    [...await dev.read("rx", 0, 0)],
    [],
    "non-blocking read of nothing",
  );
  // A read with a timeout waits for the next bytes.
  const pending = dev.read("rx", 0, 1000);
  setTimeout(() => port.receive([4]), 5);
  assert.deepEqual([...await pending], [4]);
  const notes = [];
  dev.on("notification", (endpoint, data) => notes.push([endpoint, [...data]]));
  await dev.subscribe("rx");
  port.receive([5, 6]);
  assert.deepEqual(notes, [["rx", [5, 6]]]);
  await dev.unsubscribe("rx");
  port.receive([7]);
  assert.equal(notes.length, 1);
  assert.deepEqual([...await dev.read("rx", 0, 0)], [7]);
  await assert.rejects(
    dev.subscribe("command"),
    (e) => e.code === ErrorCodes.noEndpoint,
  );
});

test("unplugging emits disconnect; close() on request does not", async () => {
  const SerialPort = fakeSerialPort();
  const serial = createSerial({ SerialPort });
  await serial.init();
  const a = await serial.connect({ address: "/dev/a", timeoutMs: 100 });
  const b = await serial.connect({ address: "/dev/b", timeoutMs: 100 });
  const reasons = { a: [], b: [] };
  a.on("disconnect", (r) => reasons.a.push(r));
  b.on("disconnect", (r) => reasons.b.push(r));
  SerialPort.instances[0].unplug();
  await b.close();
  assert.deepEqual(reasons, { a: ["bad file descriptor"], b: [] });
  assert.equal(SerialPort.instances[1].isOpen, false);
  await assert.rejects(
    a.write("tx", Buffer.from([1]), false),
    (e) => e.code === ErrorCodes.disconnected,
  );
  // Both paths can be opened again.
  await serial.connect({ address: "/dev/a", timeoutMs: 100 });
  await serial.connect({ address: "/dev/b", timeoutMs: 100 });
});

/** A unix port binding stand-in: fd, isOpen, a poller emitting "readable". */
function fakePortBinding() {
  const poller = new EventEmitter();
  return {
    fd: 42,
    get isOpen() {
      return this.fd !== null;
    },
    poller,
    closeCalls: 0,
    close() {
      this.closeCalls++;
      this.fd = null;
      return Promise.resolve();
    },
  };
}

test("eofAwareRead: end of file (hung-up tty) is a disconnect, not a busy loop", async () => {
  const port = fakePortBinding();
  let reads = 0;
  const read = () => (reads++, Promise.resolve({ bytesRead: 0 }));
  await assert.rejects(
    eofAwareRead(port, Buffer.alloc(8), 0, 8, read),
    (e) => e.disconnect === true && e.code === "EOF" && /hung up/.test(e.message),
  );
  assert.equal(reads, 1);
});

test("eofAwareRead: waits for readable on EAGAIN, then returns the bytes", async () => {
  const port = fakePortBinding();
  const results = [
    () => Promise.reject(Object.assign(new Error("again"), { code: "EAGAIN" })),
    (_fd, buf, off) => {
      buf[off] = 0x41;
      return Promise.resolve({ bytesRead: 1 });
    },
  ];
  const read = (...args) => results.shift()(...args);
  const pending = eofAwareRead(port, Buffer.alloc(4), 0, 4, read);
  await new Promise((r) => setImmediate(r));
  assert.equal(
    port.poller.listenerCount("readable"),
    1,
    "waiting on the poller",
  );
  port.poller.emit("readable", null);
  const { bytesRead, buffer } = await pending;
  assert.equal(bytesRead, 1);
  assert.equal(buffer[0], 0x41);
  // Other errors pass through; a closed port is a cancel, not a disconnect.
  await assert.rejects(
    eofAwareRead(
      port,
      Buffer.alloc(1),
      0,
      1,
      () => Promise.reject(Object.assign(new Error("io"), { code: "EIO" })),
    ),
    /io/,
  );
  port.fd = null;
  await assert.rejects(
    eofAwareRead(port, Buffer.alloc(1), 0, 1),
    (e) => e.canceled === true,
  );
});

test("eofAwareBinding wraps unix ports' read and delegates everything else", async () => {
  const inner = fakePortBinding();
  const wrapped = await eofAwareBinding({
    list: () => Promise.resolve(["x"]),
    open: () => Promise.resolve(inner),
  })
    .open({ path: "/dev/x" });
  assert.notEqual(wrapped, inner);
  assert.equal(wrapped.fd, 42);
  assert.equal(wrapped.isOpen, true);
  await wrapped.close();
  assert.equal(inner.closeCalls, 1);
  assert.equal(wrapped.isOpen, false);
  await assert.rejects(
    wrapped.read(Buffer.alloc(1), 0, 1),
    (e) => e.canceled === true,
  );
  // Ports without an fd (Windows) are left alone.
  const windowsPort = { isOpen: true };
  assert.equal(
    await eofAwareBinding({ open: () => Promise.resolve(windowsPort) }).open(
      {},
    ),
    windowsPort,
  );
});
