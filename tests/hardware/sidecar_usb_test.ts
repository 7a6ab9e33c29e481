/**
 * The raw USB transport of the Deno bridge (hardware/sidecar.ts) against the scriptable fake
 * sidecar (what goes over the wire: scan pairs from the config, connect params, `txvendorcontrol`
 * writes as vendor control transfers, a whole Rez TranceVibrator through the device pipeline), and
 * against the real sidecar (usb availability in hello).
 */
import assert from "node:assert/strict";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import {
  scanOptionsFor,
  SidecarHardware,
  SidecarProcess,
  type SidecarProcessOptions,
  vendorControlSetup,
} from "../../hardware/sidecar.ts";
import { ensureSidecar } from "../../hardware/sidecar_setup.ts";
import type { HardwareConnector } from "../../hardware/mod.ts";
import { defaultDeviceConfiguration } from "../../server/devices/config.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { ProtocolDeviceSource } from "../../server/devices/pipeline.ts";
import { captureLogger, FAKE_SIDECAR, nextEvent, until } from "./_sidecar_helpers.ts";

const REZ_PAIR = { vendorId: 2889, productId: 1615 };
const REZ_FOUND = {
  event: "found",
  params: { transport: "usb", address: "1-2", name: "USB device 0b49:064f", ...REZ_PAIR },
};
const REZ_CONNECTED = {
  handle: "usb-1",
  transport: "usb",
  name: "USB device 0b49:064f",
  address: "1-2",
  endpoints: ["control"],
  missing: [],
  messageGapMs: 0,
};
const USB_AVAILABLE = { transports: { usb: { available: true } } };
/** The fake answers a usb scan with the Trance Vibrator and connects it. */
const REZ_METHODS = {
  "scan.start": { events: [REZ_FOUND] },
  connect: { result: REZ_CONNECTED },
};

/** The sidecar `control` request of a `txvendorcontrol` write of `value`. */
const speed = (value: number) => ({
  method: "control",
  handle: "usb-1",
  direction: "out",
  requestType: "vendor",
  recipient: "interface",
  request: 1,
  value,
  index: 0,
  data: [],
});

function fake(
  scenario: Record<string, unknown>,
  extra: Partial<SidecarProcessOptions> = {},
): Promise<SidecarProcess> {
  return SidecarProcess.start({
    script: FAKE_SIDECAR,
    env: { FAKE_SIDECAR: JSON.stringify(scenario) },
    ...extra,
  });
}

/** A temporary file the fake sidecar appends every request line to (`requestLog`). */
class RequestLog implements Disposable {
  readonly path: string = Deno.makeTempFileSync({ prefix: "fake-sidecar-requests-" });

  /** The requests received so far (optionally of one method), as `{method, ...params}`. */
  requests(method?: string): Record<string, unknown>[] {
    return Deno.readTextFileSync(this.path).split("\n").filter(Boolean).flatMap((line) => {
      const req = JSON.parse(line) as { method: string; params?: Record<string, unknown> };
      return method === undefined || req.method === method
        ? [{ method: req.method, ...req.params }]
        : [];
    });
  }

  [Symbol.dispose](): void {
    Deno.removeSync(this.path);
  }
}

Deno.test("vendorControlSetup: one byte (or two, little-endian) becomes wValue of request 1 to interface 0", () => {
  assert.deepEqual(vendorControlSetup(new Uint8Array([200])), {
    direction: "out",
    requestType: "vendor",
    recipient: "interface",
    request: 1,
    value: 200,
    index: 0,
    data: [],
  });
  assert.equal(vendorControlSetup(new Uint8Array([0x34, 0x12])).value, 0x1234);
  assert.throws(() => vendorControlSetup(new Uint8Array([])), ButtplugDeviceError);
  assert.throws(() => vendorControlSetup(new Uint8Array([1, 2, 3])), /1- or 2-byte wValue, got 3/);
});

Deno.test("scanOptionsFor usb: only the pairs of usb specifiers (the config's Rez TranceVibrator)", () => {
  const config = defaultDeviceConfiguration();
  assert.deepEqual(scanOptionsFor("usb", config.specifiers()), { pairs: [REZ_PAIR] });
  // HID pairs stay out of the usb scan.
  assert.deepEqual(
    scanOptionsFor("usb", [{ hid: { pairs: [{ vendor_id: 1, product_id: 2 }] } }]),
    { pairs: [] },
  );
});

Deno.test("usb over the wire: scan with config pairs, connect with ids, txvendorcontrol writes as control transfers", async () => {
  using log = new RequestLog();
  await using sidecar = await fake({
    ...USB_AVAILABLE,
    requestLog: log.path,
    methods: REZ_METHODS,
  });
  const usb = sidecar.manager("usb");
  assert.equal(usb.available, true);
  await usb.configure(scanOptionsFor("usb", defaultDeviceConfiguration().specifiers()));
  const found = nextEvent<CustomEvent<HardwareConnector>>(usb, "found");
  await usb.startScanning();
  const connector = (await found).detail;
  assert.deepEqual(connector.advertisement, {
    transport: "usb",
    address: "1-2",
    name: "USB device 0b49:064f",
    ...REZ_PAIR,
  });
  const pairs = [{ vendor_id: 2889, product_id: 1615 }];
  await assert.rejects(
    connector.connect({ hid: { pairs } }),
    /cannot connect a usb device with a hid specifier/,
  );
  const hw = await connector.connect({ usb: { pairs } });
  assert.ok(hw instanceof SidecarHardware);
  assert.equal(hw.transport, "usb");
  assert.deepEqual(hw.endpoints, ["txvendorcontrol"]);
  assert.equal(hw.messageGapMs, 0);
  assert.equal(hw.requiresKeepalive, false);

  await hw.write("txvendorcontrol", new Uint8Array([200]), false);
  await hw.write("txvendorcontrol", new Uint8Array([0]), false);
  await assert.rejects(hw.write("tx", new Uint8Array([1]), false), /has no endpoint tx/);
  await assert.rejects(
    hw.write("txvendorcontrol", new Uint8Array([1, 2, 3]), false),
    /1- or 2-byte wValue/,
  );
  await assert.rejects(hw.read("txvendorcontrol", 1, 100), /write-only/);
  await assert.rejects(hw.subscribe("txvendorcontrol"), /write-only/);

  assert.deepEqual(log.requests("scan.start"), [{
    method: "scan.start",
    transport: "usb",
    pairs: [REZ_PAIR],
  }]);
  assert.deepEqual(log.requests("connect"), [{
    method: "connect",
    transport: "usb",
    address: "1-2",
    timeoutMs: 10000,
    ...REZ_PAIR,
    // The sidecar stops the toy itself before closing it, should this process die.
    closeControl: {
      direction: "out",
      requestType: "vendor",
      recipient: "interface",
      request: 1,
      value: 0,
      index: 0,
      data: [],
    },
  }]);
  assert.deepEqual(log.requests("control"), [speed(200), speed(0)]);
  assert.equal(log.requests("write").length, 0, "nothing was sent as a plain write");
  await hw.disconnect();
  assert.deepEqual(log.requests("disconnect"), [{ method: "disconnect", handle: "usb-1" }]);
});

Deno.test("a whole Rez TranceVibrator through the device pipeline: vibrate steps become wValue, then stop", async () => {
  const { logger } = captureLogger();
  using log = new RequestLog();
  await using sidecar = await fake({
    ...USB_AVAILABLE,
    requestLog: log.path,
    methods: REZ_METHODS,
  });
  const config = defaultDeviceConfiguration();
  const usb = sidecar.manager("usb");
  await usb.configure(scanOptionsFor("usb", config.specifiers()));
  await using manager = new DeviceManager({ reservedIndexes: config.reservedIndexes() });
  manager.addSource(
    new ProtocolDeviceSource({ managers: [usb], config, logger, name: "hardware" }),
  );
  const added = nextEvent<CustomEvent<{ index: number }>>(manager, "deviceadded");
  await manager.startScanning();
  const device = manager.get((await added).detail.index)!;
  assert.equal(device.name, "Rez TranceVibrator");
  assert.deepEqual(device.features[0].Output?.Vibrate?.Value, [0, 255]);
  await manager.stopScanning();
  await device.output(0, "Vibrate", { Value: 128 });
  await until(() => log.requests("control").length >= 1, 5000, "the vibrate control request");
  await device.stop({ outputs: true, inputs: true });
  await until(() => log.requests("control").length >= 2, 5000, "the stop control request");
  assert.deepEqual(log.requests("control"), [speed(128), speed(0)]);
});

Deno.test("an older sidecar without usb in hello: usb unavailable with the reason, scanning finishes at once", async () => {
  const { lines, logger } = captureLogger();
  using log = new RequestLog();
  await using sidecar = await fake({ requestLog: log.path }, { logger });
  assert.deepEqual(sidecar.hello.transports.usb, {
    available: false,
    reason: "not served by this sidecar (an older version)",
  });
  const usb = sidecar.manager("usb");
  assert.equal(usb.available, false);
  const finished = nextEvent(usb, "scanningfinished");
  await usb.startScanning();
  await finished;
  assert.equal(usb.scanning, false);
  assert.ok(
    lines.includes("info sidecar: usb unavailable (not served by this sidecar (an older version))"),
  );
  await sidecar.request("hello"); // a round trip: anything sent before it has been logged
  assert.deepEqual(log.requests().map((r) => r.method), ["hello"]);
});

Deno.test("a usb transport that goes unavailable later is reported by a transport event", async () => {
  await using sidecar = await fake({
    ...USB_AVAILABLE,
    methods: {
      devices: {
        events: [{
          event: "transport",
          params: { transport: "usb", available: false, reason: "libusb went away" },
        }],
      },
    },
  });
  assert.equal(sidecar.manager("usb").available, true);
  const changed = nextEvent(sidecar, "transport");
  await sidecar.request("devices");
  await changed;
  assert.equal(sidecar.manager("usb").available, false);
  assert.equal(sidecar.manager("usb").reason, "libusb went away");
});

let installed: Promise<string> | undefined;
/** The real sidecar script (npm ci on first use). */
function script(): Promise<string> {
  installed ??= ensureSidecar().then((i) => i.script);
  return installed;
}

Deno.test("real sidecar: hello reports usb (the usb package loads here, or the reason why not); --transports leaves it out", async () => {
  await using sidecar = await SidecarProcess.start({ script: await script(), transports: ["usb"] });
  const usb = sidecar.hello.transports.usb;
  assert.equal(typeof usb.available, "boolean");
  if (!usb.available) {
    assert.ok(usb.reason && usb.reason.length > 10, "unavailable without a reason");
  }
  // The pinned usb 2.x ships a prebuilt binary for linux-x64 with libusb built in.
  if (Deno.build.os === "linux" && Deno.build.arch === "x86_64") {
    assert.equal(usb.available, true, usb.reason);
    const listed = await sidecar.request("list", { transport: "usb" }) as { devices: unknown[] };
    assert.ok(Array.isArray(listed.devices));
    // A scan for the config's pairs runs (nothing is plugged in here) and stops cleanly.
    const manager = sidecar.manager("usb");
    await manager.configure(scanOptionsFor("usb", defaultDeviceConfiguration().specifiers()));
    await manager.startScanning();
    assert.equal(manager.scanning, true);
    await manager.stopScanning();
    await assert.rejects(
      sidecar.request("connect", { transport: "usb", address: "99-9" }),
      /no USB device at 99-9/,
    );
  }
  assert.deepEqual(sidecar.hello.transports.hid, {
    available: false,
    reason: "not enabled (--transports)",
  });
  await using serialOnly = await SidecarProcess.start({
    script: await script(),
    transports: ["serial"],
  });
  assert.deepEqual(serialOnly.hello.transports.usb, {
    available: false,
    reason: "not enabled (--transports)",
  });
});
