#!/usr/bin/env node
// The real hardware sidecar (hardware/sidecar/router.mjs + serial.mjs, same stdio wiring as
// main.mjs) with one difference: its serial transport opens an in-memory port instead of
// `serialport`, through the transport's existing injection option. The port plays a Lovense Hush:
// it answers `DeviceType;` and accepts every write at once. Used by the sidecar benchmark so a
// write goes Deno → stdio → router → serial transport → port and back without kernel I/O.
import process from "node:process";
import { Buffer } from "node:buffer";
import { Console } from "node:console";
import { EventEmitter } from "node:events";
import { createInterface } from "node:readline";
import { createRouter } from "../hardware/sidecar/router.mjs";
import { createSerial } from "../hardware/sidecar/serial.mjs";

globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });

/** An in-memory serial port with a Lovense Hush behind it. */
class FakeToyPort extends EventEmitter {
  static list() {
    return Promise.resolve([]);
  }

  constructor(options) {
    super();
    this.path = options.path;
    this.isOpen = false;
  }

  open(cb) {
    this.isOpen = true;
    setImmediate(() => cb(null));
  }

  write(data, cb) {
    if (Buffer.from(data).toString("latin1") === "DeviceType;") {
      setImmediate(() => this.emit("data", Buffer.from("Z:11:0082059AD3BD;")));
    }
    cb?.(null);
    return true;
  }

  drain(cb) {
    cb(null);
  }

  close(cb) {
    this.isOpen = false;
    setImmediate(() => {
      cb?.(null);
      this.emit("close", null);
    });
  }
}

let stdoutOpen = true;
function send(message) {
  if (stdoutOpen) process.stdout.write(`${JSON.stringify(message)}\n`);
}
const disabled = { btle: "not enabled (--transports)", hid: "not enabled (--transports)" };
const serial = createSerial({ SerialPort: FakeToyPort, exists: () => Promise.resolve(true) });
const router = createRouter({ transports: [serial], send, disabled });

let exiting = false;
function exit(code) {
  if (exiting) return;
  exiting = true;
  setTimeout(() => process.exit(code), 5000).unref();
  router.shutdown().finally(() => process.stdout.write("", () => process.exit(code)));
}
process.stdout.on("error", () => {
  stdoutOpen = false;
  exit(1);
});
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => router.handleLine(line));
lines.on("close", () => exit(0));
process.on("SIGTERM", () => exit(0));
process.on("SIGINT", () => exit(0));
await router.start();
