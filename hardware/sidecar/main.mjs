#!/usr/bin/env node
/**
 * deno-buttplug hardware sidecar: Bluetooth LE (noble), serial (serialport), HID (node-hid) and
 * raw USB (usb) behind one JSON object per line on stdin/stdout. See PROTOCOL.md.
 *
 * Usage: `node main.mjs [--ble-adapter=hciN] [--transports=btle,serial,hid,usb]`
 * (environment: `BUTTPLUG_BLE_ADAPTER`, `BUTTPLUG_SIDECAR_TRANSPORTS`).
 *
 * stdout carries protocol lines only: `console` is redirected to stderr because native modules
 * print there. The process exits when stdin closes (or 10 s after SIGTERM/SIGINT), after stopping scans
 * and closing every open device.
 *
 * @module
 */
import process from "node:process";
import { Console } from "node:console";
import { createInterface } from "node:readline";
import { createBle } from "./ble.mjs";
import { createHid } from "./hid.mjs";
import { createRouter } from "./router.mjs";
import { createSerial } from "./serial.mjs";
import { createUsb } from "./usb.mjs";
import { parseAdapter } from "./util.mjs";

// Native modules (noble) print warnings with console.log: keep stdout for protocol lines.
globalThis.console = new Console({
  stdout: process.stderr,
  stderr: process.stderr,
});

const ALL = ["btle", "serial", "hid", "usb"];

/** @param {string} name @returns {string | undefined} */
function option(name) {
  const prefix = `--${name}=`;
  const arg = process.argv.slice(2).find((a) => a.startsWith(prefix));
  return arg?.slice(prefix.length);
}

let stdoutOpen = true;
/** @param {object} message */
function send(message) {
  if (!stdoutOpen) return;
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** @type {Record<string, string>} */
const disabled = {};
const transports = [];
let adapter;
let adapterProblem;
try {
  adapter = parseAdapter(
    option("ble-adapter") ?? process.env.BUTTPLUG_BLE_ADAPTER,
  );
} catch (err) {
  adapterProblem = err.message;
}
const wanted = (option("transports") ?? process.env.BUTTPLUG_SIDECAR_TRANSPORTS ??
  ALL.join(","))
  .split(",").map((s) => s.trim()).filter(Boolean);
for (const name of ALL) {
  if (!wanted.includes(name)) {
    disabled[name] = "not enabled (--transports)";
  } else if (name === "btle") {
    if (adapterProblem) disabled.btle = adapterProblem;
    else transports.push(createBle({ adapter }));
  } else if (name === "serial") {
    transports.push(createSerial());
  } else if (name === "usb") {
    transports.push(createUsb());
  } else {
    transports.push(createHid());
  }
}

const router = createRouter({ transports, send, disabled });

process.stdout.on("error", () => {
  stdoutOpen = false;
  exit(1);
});
process.on("uncaughtException", (err) => {
  router.log(
    "error",
    `uncaught exception in the sidecar: ${err?.stack ?? err}`,
  );
});
process.on("unhandledRejection", (err) => {
  router.log(
    "error",
    `unhandled rejection in the sidecar: ${err?.stack ?? err}`,
  );
});

let exiting = false;
/** Closes every device, flushes stdout and exits. @param {number} code */
function exit(code) {
  if (exiting) return;
  exiting = true;
  setTimeout(() => process.exit(code), 5000).unref();
  router.shutdown().finally(() => {
    if (!stdoutOpen) process.exit(code);
    process.stdout.write("", () => process.exit(code));
  });
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  router.handleLine(line);
});
lines.on("close", () => exit(0));
// Ctrl-C in a terminal, `timeout`, or a service manager stopping the process group signal the
// sidecar together with the server. Dying now would take the toys' links down before the server
// could send them a stop, so the sidecar keeps serving and leaves when the server closes stdin
// (it does so after stopping every device). If nothing closes stdin, it exits after a grace time.
const SIGNAL_GRACE_MS = 10_000;
let signalled;
/** @param {string} name */
function onSignal(name) {
  router.log(
    "info",
    `received ${name}: waiting for the server to stop the devices and close stdin`,
  );
  signalled ??= setTimeout(() => exit(0), SIGNAL_GRACE_MS);
}
process.on("SIGTERM", () => onSignal("SIGTERM"));
process.on("SIGINT", () => onSignal("SIGINT"));

await router.start();
