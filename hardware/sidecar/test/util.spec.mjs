import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import {
  describeLoadError,
  ErrorCodes,
  normalizeUuid,
  parseAdapter,
  SidecarError,
  toBytes,
  withTimeout,
} from "../util.mjs";
import { SIDECAR_VERSION } from "../router.mjs";

test("normalizeUuid expands 16/32-bit SIG UUIDs and adds dashes", () => {
  assert.equal(normalizeUuid("fff0"), "0000fff0-0000-1000-8000-00805f9b34fb");
  assert.equal(normalizeUuid("2A19"), "00002a19-0000-1000-8000-00805f9b34fb");
  assert.equal(
    normalizeUuid("0000180f"),
    "0000180f-0000-1000-8000-00805f9b34fb",
  );
  assert.equal(
    normalizeUuid("f000bb0304514000b000000000000000"),
    "f000bb03-0451-4000-b000-000000000000",
  );
  assert.equal(
    normalizeUuid("F000BB03-0451-4000-B000-000000000000"),
    "f000bb03-0451-4000-b000-000000000000",
  );
  assert.equal(
    normalizeUuid("0000fff0-0000-1000-8000-00805f9b34fb"),
    "0000fff0-0000-1000-8000-00805f9b34fb",
  );
  assert.equal(normalizeUuid("xyz"), null);
  assert.equal(normalizeUuid("12345"), null);
  assert.equal(normalizeUuid(42), null);
});

test("toBytes accepts byte arrays and rejects everything else with bad_request", () => {
  assert.deepEqual([...toBytes([0, 1, 255])], [0, 1, 255]);
  for (const bad of [[256], [-1], [1.5], ["1"], "abc", null, { 0: 1 }]) {
    assert.throws(
      () => toBytes(bad),
      (e) => e instanceof SidecarError && e.code === ErrorCodes.badRequest,
    );
  }
  assert.throws(() => toBytes(new Array(65537).fill(0)), /longer than/);
});

test("withTimeout rejects with a timeout error and runs the cancel hook", async () => {
  let cancelled = false;
  await assert.rejects(
    withTimeout(new Promise(() => {}), 10, "thing", () => cancelled = true),
    (e) =>
      e.code === ErrorCodes.timeout &&
      /thing timed out after 10 ms/.test(e.message),
  );
  assert.equal(cancelled, true);
  assert.equal(await withTimeout(Promise.resolve(7), 1000, "x"), 7);
});

test("describeLoadError names the missing piece", () => {
  const afn = Object.assign(
    new Error("EAFNOSUPPORT, Address family not supported by protocol"),
    { code: "EAFNOSUPPORT" },
  );
  assert.match(
    describeLoadError("@abandonware/noble", afn),
    /no Bluetooth support/,
  );
  const usb = Object.assign(
    new Error("libusb-1.0.so.0: cannot open shared object file"),
    { code: "ERR_DLOPEN_FAILED" },
  );
  assert.match(
    describeLoadError("node-hid", usb),
    /libusb is missing \(install libusb-1.0-0\)/,
  );
  const missing = Object.assign(new Error("Cannot find package 'serialport'"), {
    code: "ERR_MODULE_NOT_FOUND",
  });
  assert.match(
    describeLoadError("serialport", missing),
    /serialport is not installed \(run `npm ci`/,
  );
  assert.match(
    describeLoadError("x", new Error("ENODEV, No such device")),
    /no Bluetooth adapter found/,
  );
});

test("parseAdapter takes hciN or N", () => {
  assert.equal(parseAdapter("hci1"), 1);
  assert.equal(parseAdapter("0"), 0);
  assert.equal(parseAdapter(undefined), undefined);
  assert.equal(parseAdapter(""), undefined);
  assert.throws(() => parseAdapter("usb0"), /bad BLE adapter/);
});

test("SIDECAR_VERSION matches package.json", async () => {
  const pkg = JSON.parse(
    await readFile(new URL("../package.json", import.meta.url), "utf8"),
  );
  assert.equal(SIDECAR_VERSION, pkg.version);
});
