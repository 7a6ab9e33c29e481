/**
 * The real sidecar (hardware/sidecar/main.mjs with its npm packages, installed on first use) over
 * a real serial path: a socat pty pair. Skipped only when socat is not installed.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../_helpers/fake_clock.ts";
import {
  SidecarHardware,
  type SidecarProcessOptions,
  SidecarRequestError,
} from "../../hardware/sidecar.ts";
import { type SidecarExit, SidecarProcess, type SidecarTransport } from "../../hardware/sidecar.ts";
import { ensureSidecar } from "../../hardware/sidecar_setup.ts";
import type { HardwareConnector, SerialSpecifier } from "../../hardware/mod.ts";
import { captureLogger, nextEvent, until, within } from "./_sidecar_helpers.ts";
import { hasSocat, PtyPair, readExactly, sttyOf, writeAll } from "./_pty_pair.ts";

const SOCAT = hasSocat();
const SKIP = SOCAT ? "" : " [SKIPPED: socat is not installed (apt-get install socat)]";

let installed: Promise<string> | undefined;
/** The real sidecar script (npm ci on first use). */
function script(): Promise<string> {
  installed ??= ensureSidecar().then((i) => i.script);
  return installed;
}

async function realSidecar(
  options: Partial<SidecarProcessOptions> = {},
): Promise<SidecarProcess> {
  return SidecarProcess.start({
    script: await script(),
    transports: ["serial"],
    ...options,
  });
}

function spec(
  port: string,
  over: Partial<SerialSpecifier> = {},
): { serial: SerialSpecifier } {
  return {
    serial: {
      port,
      baud_rate: 115200,
      data_bits: 8,
      parity: "N",
      stop_bits: 1,
      ...over,
    },
  };
}

/** Watches `port`, scans, waits for it to be found and connects. */
async function openPort(
  sidecar: SidecarProcess,
  port: string,
  over: Partial<SerialSpecifier> = {},
): Promise<SidecarHardware> {
  const serial = sidecar.manager("serial");
  const found = nextEvent<CustomEvent<HardwareConnector>>(
    serial,
    "found",
    10_000,
    (e) => e.detail.advertisement.address === port,
  );
  await serial.watchPorts([port]);
  await serial.startScanning();
  const connector = (await found).detail;
  assert.deepEqual(connector.advertisement, {
    transport: "serial",
    name: `Serial Port Device ${port}`,
    address: port,
  });
  const hw = await connector.connect(spec(port, over));
  assert.ok(hw instanceof SidecarHardware);
  return hw;
}

Deno.test("real sidecar: hello lists every transport as available or unavailable with the reason", async () => {
  const { lines, logger } = captureLogger();
  await using all = await SidecarProcess.start({
    script: await script(),
    logger,
  });
  const hello = all.hello;
  assert.equal(hello.protocol, 1);
  assert.match(hello.node, /^v\d+\./);
  for (const t of ["btle", "serial", "hid"] as SidecarTransport[]) {
    const s = hello.transports[t];
    assert.equal(typeof s.available, "boolean", t);
    if (!s.available) {
      assert.ok(
        s.reason && s.reason.length > 10,
        `${t} unavailable without a reason`,
      );
    }
    assert.equal(all.manager(t).available, s.available);
    assert.equal(all.manager(t).reason, s.reason);
    assert.ok(
      lines.some((l) =>
        l.startsWith(
          `info sidecar: ${t} ${s.available ? "available" : "unavailable"}`,
        )
      ),
    );
  }
  // serialport ships prebuilt binaries: it must load (listing may be limited without udev).
  assert.equal(
    hello.transports.serial.available,
    true,
    hello.transports.serial.reason,
  );
  await using serialOnly = await realSidecar();
  assert.deepEqual(serialOnly.hello.transports.btle, {
    available: false,
    reason: "not enabled (--transports)",
  });
  assert.deepEqual(serialOnly.hello.transports.hid, {
    available: false,
    reason: "not enabled (--transports)",
  });
});

Deno.test({
  name:
    `real serial path over a socat pty pair: 115200 8N1, bytes both ways, notifications, reads${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    await using pair = await PtyPair.open();
    await using sidecar = await realSidecar();
    const hw = await openPort(sidecar, pair.a);
    assert.equal(hw.name, pair.a);
    assert.equal(hw.address, pair.a);
    assert.deepEqual(hw.endpoints, ["rx", "tx"]);
    assert.equal(hw.messageGapMs, 0);
    const settings = await sttyOf(pair.a);
    assert.match(settings, /speed 115200 baud/);
    assert.match(settings, /(^|\s)cs8(\s|$)/m);
    assert.match(settings, /(^|\s)-parenb(\s|$)/m);
    assert.match(settings, /(^|\s)-cstopb(\s|$)/m);

    const other = await Deno.open(pair.b, { read: true, write: true });
    try {
      // Sidecar → other end: every byte value, exactly, in order.
      const payload = new Uint8Array([
        ...Array(256).keys(),
        ...new TextEncoder().encode("L0500\n"),
      ]);
      await hw.write("tx", payload, false);
      assert.deepEqual(
        await within(
          readExactly(other, payload.length),
          5000,
          "reading the other end",
        ),
        payload,
      );

      // Other end → sidecar: notifications after subscribe.
      const received: number[] = [];
      const endpoints = new Set<string>();
      hw.addEventListener("notification", (e) => {
        endpoints.add(e.detail.endpoint);
        received.push(...e.detail.data);
      });
      await hw.subscribe("rx");
      const incoming = new Uint8Array([
        0,
        1,
        2,
        0x7f,
        0x80,
        0xfe,
        0xff,
        0x0a,
        0x0d,
      ]);
      await writeAll(other, incoming);
      await until(
        () => received.length >= incoming.length,
        5000,
        "notifications",
      );
      assert.deepEqual(received, [...incoming]);
      assert.deepEqual([...endpoints], ["rx"]);

      // After unsubscribe, bytes are kept for read().
      await hw.unsubscribe("rx");
      await writeAll(other, new Uint8Array([7, 8, 9]));
      const got: number[] = [];
      const deadline = Date.now() + 5000;
      while (got.length < 3 && Date.now() < deadline) {
        got.push(...await hw.read("rx", 0, 500));
      }
      assert.deepEqual(got, [7, 8, 9]);
      assert.equal(
        received.length,
        incoming.length,
        "no notifications after unsubscribe",
      );
      assert.deepEqual([...await hw.read("rx", 0, 0)], [], "nothing buffered");

      const gone = nextEvent(hw, "disconnected");
      await hw.disconnect();
      await gone;
      assert.deepEqual(await sidecar.request("devices"), { devices: [] });
      await assert.rejects(
        hw.write("tx", new Uint8Array([1]), false),
        /is disconnected/,
      );
    } finally {
      other.close();
    }
  },
});

Deno.test({
  name:
    `real serial path: baud rate and stop bits from the specifier reach the port (19200 7E2)${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    await using pair = await PtyPair.open();
    await using sidecar = await realSidecar();
    const hw = await openPort(sidecar, pair.a, {
      baud_rate: 19200,
      data_bits: 7,
      parity: "E",
      stop_bits: 2,
    });
    const settings = await sttyOf(pair.a);
    assert.match(settings, /speed 19200 baud/);
    assert.match(settings, /(^|\s)cstopb(\s|$)/m);
    // Linux ptys force cs8 and -parenb whatever is requested, so data bits and parity cannot be
    // observed here; the Node unit tests check they are handed to serialport (7, "even").
    await hw.disconnect();
  },
});

Deno.test({
  name: `real serial path: the port vanishing (socat killed) disconnects the hardware${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    await using pair = await PtyPair.open();
    await using sidecar = await realSidecar();
    const hw = await openPort(sidecar, pair.a);
    const gone = nextEvent(hw, "disconnected");
    pair.kill();
    await gone;
    assert.equal((hw as SidecarHardware).connected, false);
    await assert.rejects(
      hw.write("tx", new Uint8Array([1]), false),
      /is disconnected/,
    );
    assert.deepEqual(await sidecar.request("devices"), { devices: [] });
  },
});

Deno.test({
  name: `real sidecar: closing stdin makes it close every port and exit 0${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    await using pair = await PtyPair.open();
    const { lines, logger } = captureLogger();
    const sidecar = await realSidecar({ logger });
    const hw = await openPort(sidecar, pair.a);
    const pid = sidecar.pid!;
    const gone = nextEvent(hw, "disconnected");
    await sidecar[Symbol.asyncDispose]();
    await gone;
    const exit: SidecarExit | undefined = sidecar.lastExit;
    assert.deepEqual(
      exit,
      { code: 0, signal: null, expected: true },
      "exited by itself, not killed",
    );
    assert.ok(
      lines.includes(`info sidecar: closed serial ${pair.a}`),
      lines.join("\n"),
    );
    assert.throws(() => Deno.kill(pid, "SIGCONT"), "the process is gone");
  },
});

Deno.test({
  name:
    `real sidecar killed mid-session: reported, restarted, port re-announced and usable again${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    await using pair = await PtyPair.open();
    const clock = new FakeClock();
    const { lines, logger } = captureLogger();
    await using sidecar = await realSidecar({
      clock,
      logger,
      restartDelayMs: 1000,
    });
    const serial = sidecar.manager("serial");
    const hw = await openPort(sidecar, pair.a);
    const firstPid = sidecar.pid!;
    const pending = hw.read("rx", 0, 60_000);
    const gone = nextEvent(hw, "disconnected");
    const exit = nextEvent<CustomEvent<SidecarExit>>(sidecar, "exit");
    Deno.kill(firstPid, "SIGKILL");
    assert.deepEqual((await exit).detail, {
      code: null,
      signal: "SIGKILL",
      expected: false,
      restartInMs: 1000,
    });
    await gone;
    await assert.rejects(
      pending,
      (e) => e instanceof SidecarRequestError && e.reason === "exited",
    );
    assert.ok(
      lines.some((l) =>
        /the hardware sidecar died \(signal SIGKILL\); 1 device\(s\) lost/.test(
          l,
        )
      ),
    );
    assert.equal(serial.scanning, true, "the scan is still wanted");

    const ready = nextEvent(sidecar, "ready");
    const refound = nextEvent<CustomEvent<HardwareConnector>>(
      serial,
      "found",
      10_000,
      (e) => e.detail.advertisement.address === pair.a,
    );
    await clock.tick(1000);
    await ready;
    assert.notEqual(sidecar.pid, firstPid);
    const hw2 = await (await refound).detail.connect(spec(pair.a));
    const other = await Deno.open(pair.b, { read: true, write: true });
    try {
      await hw2.write("tx", new TextEncoder().encode("again\n"), false);
      assert.equal(
        new TextDecoder().decode(
          await within(readExactly(other, 6), 5000, "reading the other end"),
        ),
        "again\n",
      );
    } finally {
      other.close();
    }
  },
});
