import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRouter } from "../router.mjs";
import { createBle } from "../ble.mjs";
import { createSerial } from "../serial.mjs";
import { createHid } from "../hid.mjs";
import {
  collector,
  FakeCharacteristic,
  fakeHid,
  FakeNoble,
  FakePeripheral,
  fakeSerialPort,
  until,
} from "../testing/fakes.mjs";

async function setup() {
  const noble = new FakeNoble();
  const SerialPort = fakeSerialPort({
    listError: new Error("spawn udevadm ENOENT"),
  });
  const hid = fakeHid([{
    vendorId: 0x057e,
    productId: 0x2007,
    path: "/dev/hidraw0",
    serialNumber: "JR",
    product: "Joy-Con (R)",
  }]);
  const out = collector();
  const router = createRouter({
    transports: [
      createBle({ noble, stateWaitMs: 20 }),
      createSerial({ SerialPort, exists: () => Promise.resolve(true) }),
      createHid({ hid }),
    ],
    send: out.send,
  });
  await router.start();
  let nextId = 1;
  /** Sends one request and returns its reply. */
  const call = async (method, params) => {
    const id = nextId++;
    await router.handleLine(JSON.stringify({ id, method, params }));
    const replies = out.replies(id);
    assert.equal(replies.length, 1, `exactly one reply to ${method}`);
    return replies[0];
  };
  return { noble, SerialPort, hid, out, router, call };
}

test("start sends hello with every transport's availability", async () => {
  const { out } = await setup();
  const [hello] = out.events("hello");
  assert.equal(hello.protocol, 1);
  assert.equal(hello.version, "0.1.0");
  assert.deepEqual(hello.transports.btle, { available: true });
  assert.equal(hello.transports.serial.available, true);
  assert.match(hello.transports.serial.reason, /udevadm/);
  assert.deepEqual(hello.transports.hid, { available: true });
});

test("disabled transports are reported with their reason and refuse requests", async () => {
  const out = collector();
  const router = createRouter({
    transports: [],
    send: out.send,
    disabled: { btle: "not enabled (--transports)" },
  });
  await router.start();
  assert.deepEqual(out.events("hello")[0].transports, {
    btle: { available: false, reason: "not enabled (--transports)" },
  });
  await router.handleLine(
    '{"id":1,"method":"scan.start","params":{"transport":"btle"}}',
  );
  assert.equal(out.replies(1)[0].error.code, "unavailable");
});

test("malformed lines: error replies when an id is known, log events otherwise, never a throw", async () => {
  const { out, router } = await setup();
  const lines = [
    "this is not json",
    "[1,2]",
    '{"method":"hello"}',
    '{"id":-1,"method":"hello"}',
    '{"id":1.5,"method":"hello"}',
    '{"id":10}',
    '{"id":11,"method":"nope"}',
    '{"id":12,"method":"hello","params":[1]}',
    '{"id":13,"method":"write","params":{"handle":"btle-99","endpoint":"tx","data":[1]}}',
    '{"id":14,"method":"connect","params":{"transport":"serial"}}',
    '{"id":15,"method":"connect","params":{"transport":"warp","address":"x"}}',
    '{"id":16,"method":"scan.start","params":{"transport":"serial","ports":"/dev/x"}}',
    '{"id":17,"method":"connect","params":{"transport":"serial","address":"/dev/x","timeoutMs":0}}',
    '{"id":18,"method":"__proto__"}',
    "",
  ];
  for (const line of lines) await router.handleLine(line);
  const logs = out.events("log").filter((l) => l.level === "warn");
  assert.equal(logs.length, 5);
  assert.match(logs[0].message, /not JSON/);
  assert.match(logs[1].message, /not a JSON object/);
  assert.match(logs[2].message, /without a valid id/);
  const code = (id) => out.replies(id)[0].error.code;
  assert.equal(code(10), "bad_request");
  assert.equal(code(11), "unknown_method");
  assert.equal(code(12), "bad_request");
  assert.equal(code(13), "not_found");
  assert.equal(code(14), "bad_request");
  assert.match(out.replies(15)[0].error.message, /unknown transport "warp"/);
  assert.equal(code(16), "bad_request");
  assert.equal(code(17), "bad_request");
  assert.equal(code(18), "unknown_method");
  // String ids are fine too.
  await router.handleLine('{"id":"abc","method":"hello"}');
  assert.equal(out.replies("abc")[0].ok, true);
});

test("serial session: scan with explicit ports, connect, write, read, subscribe, disconnect", async () => {
  const { out, call, SerialPort } = await setup();
  assert.deepEqual(
    await call("scan.start", {
      transport: "serial",
      ports: ["/dev/pts/3"],
      intervalMs: 100000,
    }),
    {
      id: 1,
      ok: true,
      result: { scanning: true },
    },
  );
  assert.equal(out.events("found")[0].address, "/dev/pts/3");
  const connected = await call("connect", {
    transport: "serial",
    address: "/dev/pts/3",
    baudRate: 115200,
    dataBits: 8,
    parity: "N",
    stopBits: 1,
  });
  assert.equal(connected.ok, true);
  const { handle } = connected.result;
  assert.deepEqual(connected.result, {
    handle,
    transport: "serial",
    name: "/dev/pts/3",
    address: "/dev/pts/3",
    endpoints: ["rx", "tx"],
    missing: [],
    messageGapMs: 0,
  });
  assert.equal(
    (await call("write", { handle, endpoint: "tx", data: [0x44, 0x0a] })).ok,
    true,
  );
  const port = SerialPort.instances[0];
  assert.deepEqual(port.written, [0x44, 0x0a]);
  port.receive([1, 2]);
  assert.deepEqual(
    (await call("read", { handle, endpoint: "rx", length: 0, timeoutMs: 10 }))
      .result,
    { data: [1, 2] },
  );
  assert.equal((await call("subscribe", { handle, endpoint: "rx" })).ok, true);
  port.receive([3]);
  assert.deepEqual(out.events("notification"), [{
    handle,
    endpoint: "rx",
    data: [3],
  }]);
  assert.equal((await call("devices", {})).result.devices.length, 1);
  assert.equal((await call("disconnect", { handle })).ok, true);
  assert.equal(port.isOpen, false);
  assert.equal(
    out.events("disconnected").length,
    0,
    "a requested disconnect is not reported as an event",
  );
  assert.equal(
    (await call("write", { handle, endpoint: "tx", data: [1] })).error.code,
    "not_found",
  );
  assert.equal((await call("scan.stop", { transport: "serial" })).ok, true);
});

test("list: serial explicit ports are listed even when port listing fails; hid enumerates", async () => {
  const { call } = await setup();
  const serial = await call("list", { transport: "serial", ports: ["/dev/pts/9"] });
  assert.deepEqual(serial.result, {
    ports: [{ path: "/dev/pts/9" }],
    limited: "port listing failed: spawn udevadm ENOENT",
  });
  assert.equal((await call("list", { transport: "serial", ports: "x" })).error.code, "bad_request");
  const hid = await call("list", { transport: "hid" });
  assert.deepEqual(hid.result.devices.map((d) => d.address), ["JR"]);
  const ble = await call("list", { transport: "btle" });
  assert.equal(ble.error.code, "unsupported");
  assert.match(ble.error.message, /btle has no list; use scan.start/);
});

test("writes to one device are executed in arrival order", async () => {
  const { call, router, out, hid } = await setup();
  const { handle } = (await call("connect", { transport: "hid", address: "JR" })).result;
  const device = hid.opened[0];
  // Make each write take a different time so that unordered execution would reorder them.
  const write = device.write.bind(device);
  let n = 0;
  device.write = async (values) => {
    await new Promise((r) => setTimeout(r, (n++ % 3) * 3));
    return write(values);
  };
  const lines = [];
  for (let i = 0; i < 12; i++) {
    lines.push(
      router.handleLine(
        JSON.stringify({
          id: 100 + i,
          method: "write",
          params: { handle, endpoint: "tx", data: [i] },
        }),
      ),
    );
  }
  await Promise.all(lines);
  assert.equal(out.messages.filter((m) => m.id >= 100 && m.ok).length, 12);
  assert.deepEqual(device.writes.map((w) => w[0]), [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
  ]);
});

test("BLE session over the router: found, connect, write, notification, device drop", async () => {
  const { noble, out, call } = await setup();
  const tx = new FakeCharacteristic("ffe1", ["write"]);
  const rx = new FakeCharacteristic("ffe2", ["notify"]);
  const p = new FakePeripheral({
    id: "p1",
    address: "11:22:33:44:55:66",
    localName: "Sexverse",
    services: [{ uuid: "ffe0", characteristics: [tx, rx] }],
  });
  await call("scan.start", { transport: "btle", names: ["Sexverse"] });
  noble.discover(p);
  assert.equal(out.events("found").at(-1).name, "Sexverse");
  const reply = await call("connect", {
    transport: "btle",
    address: "11:22:33:44:55:66",
    services: {
      "0000ffe0-0000-1000-8000-00805f9b34fb": {
        tx: "0000ffe1-0000-1000-8000-00805f9b34fb",
        rx: "0000ffe2-0000-1000-8000-00805f9b34fb",
      },
    },
  });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  const { handle } = reply.result;
  assert.equal(reply.result.messageGapMs, 75);
  assert.deepEqual(reply.result.endpoints.sort(), ["rx", "tx"]);
  assert.equal(
    (await call("write", {
      handle,
      endpoint: "tx",
      data: [0xaa, 1],
      withResponse: false,
    })).ok,
    true,
  );
  assert.deepEqual(
    tx.writes,
    [{ data: [0xaa, 1], withoutResponse: false }],
    "fell back to with-response",
  );
  await call("subscribe", { handle, endpoint: "rx" });
  rx.notify([7, 7]);
  assert.deepEqual(out.events("notification").at(-1), {
    handle,
    endpoint: "rx",
    data: [7, 7],
  });
  p.drop();
  assert.deepEqual(out.events("disconnected").at(-1), {
    handle,
    transport: "btle",
    address: "11:22:33:44:55:66",
    reason: "HCI reason 8",
  });
  assert.equal(
    (await call("write", { handle, endpoint: "tx", data: [1] })).error.code,
    "not_found",
  );
});

test("a device disconnecting during a command fails that command at once", async () => {
  const { noble, out, call, router } = await setup();
  const tx = new FakeCharacteristic("fff6", ["write"]);
  tx.hang = true;
  const p = new FakePeripheral({
    id: "p2",
    localName: "Hang",
    services: [{ uuid: "fff0", characteristics: [tx] }],
  });
  await call("scan.start", { transport: "btle" });
  noble.discover(p);
  const { handle } = (await call("connect", {
    transport: "btle",
    address: "p2",
    services: { fff0: { tx: "fff6" } },
  })).result;
  const pending = router.handleLine(
    JSON.stringify({
      id: 500,
      method: "write",
      params: { handle, endpoint: "tx", data: [1], timeoutMs: 60000 },
    }),
  );
  await until(() => tx.writeCalls === 1); // the write is in flight in the driver
  assert.equal(out.replies(500).length, 0);
  p.drop();
  await pending;
  const [reply] = out.replies(500);
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, "disconnected");
  assert.match(reply.error.message, /disconnected: HCI reason 8/);
});

test("write timeout: a port whose write never completes gets a timeout reply", async () => {
  const { call, SerialPort } = await setup();
  const { handle } = (await call("connect", { transport: "serial", address: "/dev/hang" }))
    .result;
  SerialPort.instances.at(-1).writeHangs = true;
  const reply = await call("write", {
    handle,
    endpoint: "tx",
    data: [1],
    timeoutMs: 20,
  });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, "timeout");
  assert.match(
    reply.error.message,
    /write on serial-\d+ timed out after 20 ms/,
  );
});

test("shutdown stops scans, closes every device and refuses new requests", async () => {
  const { call, router, out, SerialPort, hid } = await setup();
  await call("scan.start", {
    transport: "serial",
    ports: [],
    intervalMs: 100000,
  });
  await call("connect", { transport: "serial", address: "/dev/one" });
  await call("connect", { transport: "serial", address: "/dev/two" });
  await call("connect", { transport: "hid", address: "JR" });
  await router.shutdown();
  assert.deepEqual(SerialPort.instances.map((p) => p.isOpen), [false, false]);
  assert.equal(hid.opened[0].closed, true);
  assert.equal((await call("devices", {})).error.code, "shutting_down");
  const closedLogs = out.events("log").filter((l) => /^closed /.test(l.message))
    .map((l) => l.message).sort();
  assert.deepEqual(closedLogs, [
    "closed hid JR",
    "closed serial /dev/one",
    "closed serial /dev/two",
  ]);
  await router.shutdown(); // idempotent
});

test("notification data survives JSON as plain byte arrays", async () => {
  const { call, out, SerialPort } = await setup();
  const { handle } = (await call("connect", { transport: "serial", address: "/dev/bytes" }))
    .result;
  await call("subscribe", { handle, endpoint: "tx" });
  SerialPort.instances.at(-1).emit("data", Buffer.from([0, 127, 128, 255]));
  assert.deepEqual(out.events("notification").at(-1).data, [0, 127, 128, 255]);
});
