/**
 * Fault tests of the Deno bridge against a scriptable fake sidecar (tests/hardware/_fake_sidecar.mjs):
 * malformed lines, timeouts, devices vanishing mid-command, crashes and restart backoff,
 * missing node, missing hello.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { ButtplugDeviceError, ButtplugUnknownError } from "../../protocol/errors.ts";
import {
  scanOptionsFor,
  type SidecarExit,
  SidecarHardware,
  SidecarProcess,
  type SidecarProcessOptions,
  SidecarRequestError,
} from "../../hardware/sidecar.ts";
import type { HardwareConnector } from "../../hardware/mod.ts";
import { captureLogger, FAKE_SIDECAR, nextEvent, until, within } from "./_sidecar_helpers.ts";

const SERIAL_SPEC = {
  serial: {
    port: "/dev/fake",
    baud_rate: 115200,
    data_bits: 8,
    parity: "N",
    stop_bits: 1,
  },
} as const;

function fake(
  scenario: Record<string, unknown>,
  extra: Partial<SidecarProcessOptions> = {},
) {
  return SidecarProcess.start({
    script: FAKE_SIDECAR,
    env: { FAKE_SIDECAR: JSON.stringify(scenario) },
    ...extra,
  });
}

/** Scans the fake's serial manager until a found event, then connects. */
async function connectFake(sidecar: SidecarProcess): Promise<SidecarHardware> {
  const serial = sidecar.manager("serial");
  const found = nextEvent<CustomEvent<HardwareConnector>>(serial, "found");
  await serial.startScanning();
  const connector = (await found).detail;
  assert.equal(connector.advertisement.address, "/dev/fake");
  const hw = await connector.connect(SERIAL_SPEC);
  assert.ok(hw instanceof SidecarHardware);
  return hw;
}

const FOUND_ON_SCAN = {
  "scan.start": {
    events: [{
      event: "found",
      params: {
        transport: "serial",
        address: "/dev/fake",
        name: "Serial Port Device /dev/fake",
        path: "/dev/fake",
      },
    }],
  },
};

Deno.test("malformed lines from the sidecar are logged and dropped; the bridge keeps working", async () => {
  const { lines, logger } = captureLogger();
  await using sidecar = await fake({
    prelude: [
      "this is not json",
      "[1,2,3]",
      '{"id":"seven","ok":true}',
      '{"something":"else"}',
      '{"event":"found","params":{"transport":"warp","address":"x","name":"y"}}',
      '{"event":"notification","params":{"handle":"h","endpoint":"rx","data":[300]}}',
      '{"event":"hello","params":{"protocol":1}}',
      '{"event":"log","params":"nope"}',
      { repeat: "x", times: 1_100_000 },
      "",
    ],
    methods: {
      devices: { raw: ["{broken", '{"id":999,"ok":true,"result":{}}'] },
    },
  }, { logger });
  assert.equal(sidecar.malformedLines, 9);
  assert.ok(
    lines.includes(
      "warn sidecar: dropped a line longer than 1048576 characters",
    ),
  );
  const warnings = lines.filter((l) => l.startsWith("warn sidecar: ignored a malformed line"));
  assert.equal(warnings.length, 8);
  assert.match(warnings[0], /\(not JSON\): this is not json/);
  assert.match(warnings[1], /\(not a JSON object\)/);
  assert.match(warnings[2], /\(bad reply id\/ok\)/);
  assert.match(warnings[4], /\(invalid found event\)/);
  assert.match(warnings[5], /\(invalid notification\)/);
  assert.match(warnings[6], /\(invalid hello\)/);
  assert.equal(sidecar.running, true);
  assert.equal(sidecar.hello.version, "0.0.0-fake");
  // A request still works after the garbage.
  const hello = await sidecar.request("hello");
  assert.equal((hello as { version: string }).version, "0.0.0-fake");
  assert.equal(sidecar.malformedLines, 9);
});

Deno.test("a malformed line in the middle of a session: the pending request is unaffected", async () => {
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  await using sidecar = await fake({
    methods: { devices: { raw: ["{broken"] } },
  }, {
    clock,
    logger,
  });
  const pending = sidecar.request("devices", {}, 1000);
  await until(() => sidecar.malformedLines === 1, 5000, "malformed line seen");
  assert.ok(lines.some((l) => /\(not JSON\): \{broken/.test(l)));
  // No reply came: the request times out on the injected clock only.
  await clock.tick(999);
  let settled = false;
  pending.catch(() => {}).finally(() => settled = true);
  await clock.tick(0);
  assert.equal(settled, false);
  await clock.tick(1);
  await assert.rejects(
    pending,
    (e) => e instanceof SidecarRequestError && e.reason === "timeout",
  );
});

Deno.test("a write timing out rejects with a typed timeout error; the device stays usable", async () => {
  const clock = new FakeClock();
  await using sidecar = await fake({
    methods: { ...FOUND_ON_SCAN, write: "ignore" },
  }, {
    clock,
    requestTimeoutMs: 4000,
  });
  const hw = await connectFake(sidecar);
  let disconnected = false;
  hw.addEventListener("disconnected", () => disconnected = true);
  const write = hw.write("tx", new Uint8Array([1, 2]), false);
  let settled = false;
  write.catch(() => {}).finally(() => settled = true);
  await clock.tick(3999);
  assert.equal(settled, false, "not before the deadline");
  await clock.tick(1);
  await assert.rejects(write, (e) => {
    assert.ok(e instanceof SidecarRequestError);
    assert.ok(e instanceof ButtplugDeviceError, "a Buttplug device error");
    assert.equal(e.reason, "timeout");
    assert.match(e.message, /sidecar write timed out after 4000 ms/);
    return true;
  });
  assert.equal(disconnected, false);
  assert.equal(hw.connected, true);
  assert.deepEqual([...await hw.read("rx", 0, 10)], [1, 2, 3]);
});

Deno.test("a sidecar-side error reply becomes a SidecarRequestError with its code", async () => {
  await using sidecar = await fake({
    methods: {
      ...FOUND_ON_SCAN,
      write: { error: { code: "io", message: "EIO: write failed" } },
    },
  });
  const hw = await connectFake(sidecar);
  await assert.rejects(
    hw.write("tx", new Uint8Array([1]), true),
    (e) =>
      e instanceof SidecarRequestError && e.reason === "io" &&
      /sidecar write: EIO: write failed/.test(e.message),
  );
  // Bad input is refused before it reaches the sidecar.
  await assert.rejects(
    hw.write("txvibrate", new Uint8Array([1]), false),
    /has no endpoint txvibrate/,
  );
});

Deno.test("a device disconnecting during a command fails the command at once and emits disconnected", async () => {
  const clock = new FakeClock();
  await using sidecar = await fake({
    methods: {
      ...FOUND_ON_SCAN,
      write: {
        events: [{
          event: "disconnected",
          params: { handle: "$handle", reason: "bad file descriptor" },
        }],
        then: "ignore",
      },
    },
  }, { clock });
  const hw = await connectFake(sidecar);
  const gone = nextEvent(hw, "disconnected");
  await assert.rejects(
    within(hw.write("tx", new Uint8Array([9]), false), 5000, "the write"),
    (e) =>
      e instanceof SidecarRequestError && e.reason === "disconnected" &&
      /bad file descriptor/.test(e.message),
  );
  await gone;
  assert.equal(hw.connected, false);
  assert.equal(clock.pending, 0, "no request timer left behind");
  await assert.rejects(
    hw.write("tx", new Uint8Array([9]), false),
    /is disconnected/,
  );
  await hw.disconnect(); // idempotent, no request
});

Deno.test("the sidecar crashing: pending requests fail, hardware emits disconnected, restart with backoff", async () => {
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  await using sidecar = await fake({
    methods: { ...FOUND_ON_SCAN, read: "ignore" },
  }, {
    clock,
    logger,
    restartDelayMs: 500,
    restartMaxDelayMs: 1500,
  });
  const serial = sidecar.manager("serial");
  const found = nextEvent<CustomEvent<HardwareConnector>>(serial, "found");
  await serial.startScanning();
  const connector = (await found).detail;
  const hw = await connector.connect(SERIAL_SPEC) as SidecarHardware;
  const other = await connector.connect(SERIAL_SPEC) as SidecarHardware;
  assert.notEqual(other.handle, hw.handle);
  const otherGone = nextEvent(other, "disconnected");
  assert.equal(serial.scanning, true);
  const firstPid = sidecar.pid;
  const pendingRead = hw.read("rx", 0, 60_000);
  const gone = nextEvent(hw, "disconnected");
  const exit = nextEvent<CustomEvent<SidecarExit>>(sidecar, "exit");
  Deno.kill(firstPid!, "SIGKILL");
  const { detail } = await exit;
  assert.deepEqual(detail, {
    code: null,
    signal: "SIGKILL",
    expected: false,
    restartInMs: 500,
  });
  await gone;
  await otherGone;
  assert.equal(hw.connected, false);
  assert.equal(other.connected, false);
  await assert.rejects(
    pendingRead,
    (e) => e instanceof SidecarRequestError && e.reason === "exited",
  );
  assert.ok(
    lines.some((l) =>
      /error sidecar: the hardware sidecar died \(signal SIGKILL\); 2 device\(s\) lost/
        .test(l)
    ),
  );
  assert.equal(sidecar.running, false);
  await assert.rejects(
    hw.write("tx", new Uint8Array([1]), false),
    /disconnected/,
  );
  // While it is down, requests fail fast with not_running.
  await assert.rejects(
    sidecar.request("hello"),
    (e) => e instanceof SidecarRequestError && e.reason === "not_running",
  );

  // Restart after 500 ms of (fake) time; the running scan resumes and the device is announced again.
  const ready = nextEvent(sidecar, "ready");
  const refound = nextEvent<CustomEvent<HardwareConnector>>(serial, "found");
  await clock.tick(499);
  assert.equal(sidecar.restarts, 0);
  await clock.tick(1);
  await ready;
  assert.equal(sidecar.restarts, 1);
  assert.notEqual(sidecar.pid, firstPid);
  assert.equal((await refound).detail.advertisement.address, "/dev/fake");
  const hw2 = await (await refound).detail.connect(SERIAL_SPEC);
  assert.ok(hw2 instanceof SidecarHardware && hw2.connected);

  // Dying again right away doubles the delay, capped at restartMaxDelayMs.
  const delays: number[] = [];
  sidecar.addEventListener(
    "exit",
    (e) => delays.push(e.detail.restartInMs ?? -1),
  );
  for (const wait of [1000, 1500]) {
    const again = nextEvent(sidecar, "ready");
    const died = nextEvent(sidecar, "exit");
    Deno.kill(sidecar.pid!, "SIGKILL");
    await died;
    await clock.tick(wait);
    await again;
  }
  assert.deepEqual(delays, [1000, 1500]);
  assert.equal(sidecar.restarts, 3);
});

Deno.test("a sidecar that exits by itself after hello is restarted too", async () => {
  const clock = new FakeClock();
  await using sidecar = await fake({ exitAfterHello: 3 }, {
    clock,
    restartDelayMs: 200,
  });
  const { detail } = await nextEvent<CustomEvent<SidecarExit>>(sidecar, "exit");
  assert.deepEqual(detail, {
    code: 3,
    signal: null,
    expected: false,
    restartInMs: 200,
  });
  const ready = nextEvent(sidecar, "ready");
  await clock.tick(200);
  await ready;
  assert.equal(sidecar.restarts, 1);
});

Deno.test("restart: false leaves the bridge down but alive", async () => {
  await using sidecar = await fake({}, { restart: false });
  const exit = nextEvent<CustomEvent<SidecarExit>>(sidecar, "exit");
  Deno.kill(sidecar.pid!, "SIGTERM");
  const { detail } = await exit;
  assert.equal(detail.restartInMs, undefined);
  assert.equal(detail.expected, false);
  assert.equal(sidecar.running, false);
  await assert.rejects(
    sidecar.request("hello"),
    (e) => e instanceof SidecarRequestError && e.reason === "not_running",
  );
});

Deno.test("node missing gives a clear error", async () => {
  await assert.rejects(
    SidecarProcess.start({
      script: FAKE_SIDECAR,
      nodePath: "/nonexistent/bin/node",
    }),
    (e) =>
      e instanceof ButtplugUnknownError &&
      /"\/nonexistent\/bin\/node" was not found; install Node.js 20\+ and put node on PATH, or pass nodePath/
        .test(
          e.message,
        ),
  );
});

Deno.test("no hello in time: start fails and the process is killed", async () => {
  const clock = new FakeClock();
  const start = fake({ silent: true }, { clock, helloTimeoutMs: 5000 });
  let failed: unknown;
  start.catch((e) => failed = e);
  await new Promise((r) => setTimeout(r, 200)); // the fake is up and silent
  await clock.tick(5000);
  await assert.rejects(start, /did not say hello within 5000 ms/);
  assert.ok(failed instanceof ButtplugUnknownError);
});

Deno.test("a sidecar speaking another protocol version is refused", async () => {
  await assert.rejects(
    fake({ protocol: 99 }),
    /speaks protocol 99, this bridge speaks 1/,
  );
});

Deno.test("dispose: closes stdin, kills a sidecar that ignores it after the grace period", async () => {
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  const sidecar = await fake({ ignoreStdinClose: true }, {
    clock,
    logger,
    shutdownGraceMs: 3000,
  });
  const disposing = sidecar[Symbol.asyncDispose]();
  await new Promise((r) => setTimeout(r, 100));
  const during = sidecar.lastExit;
  assert.equal(during, undefined, "still running during the grace period");
  await clock.tick(3000);
  await disposing;
  assert.equal(sidecar.lastExit?.signal, "SIGKILL");
  assert.equal(sidecar.lastExit?.expected, true);
  assert.ok(
    lines.some((l) => /did not exit 3000 ms after stdin closed; killing it/.test(l)),
  );
  await sidecar[Symbol.asyncDispose](); // idempotent
});

Deno.test("an AbortSignal disposes the sidecar", async () => {
  const controller = new AbortController();
  const sidecar = await fake({}, { signal: controller.signal });
  const exit = nextEvent<CustomEvent<SidecarExit>>(sidecar, "exit");
  controller.abort();
  assert.deepEqual((await exit).detail, {
    code: 0,
    signal: null,
    expected: true,
  });
  await sidecar[Symbol.asyncDispose]();
});

Deno.test("unavailable transport: startScanning does not throw and reports scanningfinished", async () => {
  await using sidecar = await fake({});
  const ble = sidecar.manager("btle");
  assert.equal(ble.available, false);
  assert.equal(ble.reason, "fake sidecar: no Bluetooth");
  const finished = nextEvent(ble, "scanningfinished");
  await ble.startScanning();
  await finished;
  assert.equal(ble.scanning, false);
});

Deno.test("scanFinished from the sidecar ends a running scan", async () => {
  await using sidecar = await fake({
    methods: {
      "scan.start": {
        events: [{
          event: "scanFinished",
          params: { transport: "serial", reason: "adapter off" },
        }],
      },
    },
  });
  const serial = sidecar.manager("serial");
  const finished = nextEvent(serial, "scanningfinished");
  await serial.startScanning();
  await finished;
  assert.equal(serial.scanning, false);
});

Deno.test('watchPorts sends the configured ports (not "default") with scan.start, also to a running scan', async () => {
  const { lines, logger } = captureLogger();
  await using sidecar = await fake({}, { logger });
  const serial = sidecar.manager("serial");
  await serial.watchPorts(["/dev/ttyS9"]);
  await serial.startScanning();
  await serial.watchPorts([
    {
      port: "/dev/ttyACM0",
      baud_rate: 115200,
      data_bits: 8,
      parity: "N",
      stop_bits: 1,
    },
    "default",
    "/dev/ttyACM0",
    "COM7",
  ]);
  assert.deepEqual(serial.scanOptions.ports, ["/dev/ttyACM0", "COM7"]);
  await sidecar.request("hello"); // a round trip so stderr has caught up
  await until(
    () => lines.filter((l) => /REQ .*"scan.start"/.test(l)).length === 2,
    5000,
    "two scan.start",
  );
  const sent = lines.filter((l) => /REQ .*"scan.start"/.test(l)).map((l) =>
    JSON.parse(l.slice(l.indexOf("{")))
  );
  assert.deepEqual(sent.map((r) => r.params), [
    { transport: "serial", ports: ["/dev/ttyS9"] },
    { transport: "serial", ports: ["/dev/ttyACM0", "COM7"] },
  ]);
  await serial.stopScanning();
  assert.equal(serial.scanning, false);
  await assert.rejects(
    sidecar.manager("hid").watchPorts(["/dev/x"]),
    /watchPorts is for the serial manager/,
  );
});

Deno.test("connect with a specifier of the wrong kind is refused", async () => {
  await using sidecar = await fake({ methods: FOUND_ON_SCAN });
  const serial = sidecar.manager("serial");
  const found = nextEvent<CustomEvent<HardwareConnector>>(serial, "found");
  await serial.startScanning();
  const connector = (await found).detail;
  await assert.rejects(
    connector.connect({ btle: { names: ["x"], services: {} } }),
    (e) =>
      e instanceof ButtplugDeviceError &&
      /cannot connect a serial device with a btle specifier/.test(e.message),
  );
});

Deno.test("scanOptionsFor derives filters from config specifiers", () => {
  const specs = [
    {
      btle: {
        names: ["LVS-*"],
        manufacturer_data: [{ company: 620, data: [0xff, 0x21] }],
        services: {},
      },
    },
    {
      btle: {
        names: ["J-*"],
        advertised_services: ["0000ffa0-0000-1000-8000-00805f9b34fb"],
        services: {},
      },
    },
    {
      serial: {
        port: "default",
        baud_rate: 115200,
        data_bits: 8,
        parity: "N",
        stop_bits: 1,
      },
    },
    {
      serial: {
        port: "/dev/ttyUSB0",
        baud_rate: 115200,
        data_bits: 8,
        parity: "N",
        stop_bits: 1,
      },
    },
    {
      hid: {
        pairs: [{ vendor_id: 1406, product_id: 8198 }, {
          vendor_id: 1406,
          product_id: 8198,
        }],
      },
    },
    { usb: { pairs: [{ vendor_id: 2889, product_id: 1615 }] } },
  ];
  assert.deepEqual(scanOptionsFor("btle", specs), {
    names: ["LVS-*", "J-*"],
    services: ["0000ffa0-0000-1000-8000-00805f9b34fb"],
    companies: [620],
  });
  assert.deepEqual(scanOptionsFor("serial", specs), {
    ports: ["/dev/ttyUSB0"],
  });
  assert.deepEqual(scanOptionsFor("hid", specs), {
    pairs: [{ vendorId: 1406, productId: 8198 }, {
      vendorId: 2889,
      productId: 1615,
    }],
  });
});
