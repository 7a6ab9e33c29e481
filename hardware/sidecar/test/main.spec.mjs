import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../main.mjs", import.meta.url));

/**
 * Runs main.mjs with the given stdin lines, closes stdin and collects stdout lines + exit code.
 * @param {string[]} args
 * @param {string[]} input
 */
function run(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => out += d);
    child.stderr.on("data", (d) => err += d);
    child.on("error", reject);
    child.on(
      "exit",
      (code, signal) => resolve({ code, signal, lines: out.split("\n").filter(Boolean), err }),
    );
    for (const line of input) child.stdin.write(`${line}\n`);
    child.stdin.end();
  });
}

test("main: hello lists disabled transports with reasons; stdout is JSON lines only; exits 0 on stdin close", async () => {
  const { code, signal, lines } = await run(["--transports="], [
    '{"id":1,"method":"hello"}',
    "garbage",
    '{"id":2,"method":"scan.start","params":{"transport":"hid"}}',
  ]);
  assert.equal(signal, null);
  assert.equal(code, 0);
  const messages = lines.map((l) => JSON.parse(l)); // throws if anything else reached stdout
  const hello = messages.find((m) => m.event === "hello").params;
  assert.deepEqual(Object.keys(hello.transports).sort(), [
    "btle",
    "hid",
    "serial",
    "usb",
  ]);
  for (const t of Object.values(hello.transports)) {
    assert.deepEqual(t, {
      available: false,
      reason: "not enabled (--transports)",
    });
  }
  assert.equal(hello.pid > 0, true);
  assert.equal(messages.find((m) => m.id === 1).ok, true);
  assert.ok(
    messages.some((m) => m.event === "log" && /not JSON: garbage/.test(m.params.message)),
  );
  assert.equal(messages.find((m) => m.id === 2).error.code, "unavailable");
});

test("main: a bad --ble-adapter disables BLE with the reason instead of crashing", async () => {
  const { code, lines } = await run(
    ["--transports=btle", "--ble-adapter=usb9"],
    [],
  );
  assert.equal(code, 0);
  const hello = lines.map((l) => JSON.parse(l)).find((m) => m.event === "hello").params;
  assert.equal(hello.transports.btle.available, false);
  assert.match(hello.transports.btle.reason, /bad BLE adapter "usb9"/);
});

test("main: SIGINT/SIGTERM do not kill it; it keeps answering and exits when stdin closes", async () => {
  const child = spawn(process.execPath, [MAIN, "--transports="], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines = [];
  let buffer = "";
  let wake;
  child.stdout.on("data", (d) => {
    buffer += d;
    const parts = buffer.split("\n");
    buffer = parts.pop();
    lines.push(...parts.filter(Boolean).map((l) => JSON.parse(l)));
    wake?.();
  });
  const until = async (predicate) => {
    const deadline = Date.now() + 5000;
    while (!lines.some(predicate)) {
      assert.ok(Date.now() < deadline, `timed out; got ${JSON.stringify(lines)}`);
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  const exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  );
  await until((m) => m.event === "hello");
  child.kill("SIGINT");
  child.kill("SIGTERM");
  await until((m) => m.event === "log" && /received SIGTERM/.test(m.params.message));
  child.stdin.write('{"id":7,"method":"hello"}\n');
  await until((m) => m.id === 7 && m.ok === true);
  child.stdin.end();
  assert.deepEqual(await exited, { code: 0, signal: null });
});
