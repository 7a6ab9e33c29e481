/**
 * Harness of the interop tests: the published npm `buttplug` clients (pinned in
 * tests/interop/package.json + package-lock.json) run under Node against our WebSocket server.
 *
 * - {@linkcode npmMissing} says why the tests must be skipped (only when npm itself is absent).
 * - {@linkcode ensureInstalled} runs `npm ci` once (an exclusive file lock on package.json keeps
 *   parallel test files from racing; a stamp in node_modules skips it when up to date).
 * - {@linkcode startInteropServer} serves the simulated test device on a free port.
 * - {@linkcode runClientScript} runs one `buttplug_*.mjs` scenario and returns its JSON result.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ButtplugWebSocketServer, serveWebSocket } from "../../server/websocket.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { createTestDevice, type SimulatedDevice } from "../../hardware/simulated.ts";

const DIR = new URL("./", import.meta.url);
const STAMP = new URL("node_modules/.deno-interop-stamp", DIR);
/** How long one client scenario may take. */
const SCRIPT_TIMEOUT_MS = 60_000;

async function commandWorks(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Why the interop tests cannot run here (npm or node missing), or undefined when they can. */
export const npmMissing: string | undefined = await (async () => {
  if (!(await commandWorks("npm", ["--version"]))) {
    return "npm is not installed";
  }
  if (!(await commandWorks("node", ["--version"]))) {
    return "node is not installed";
  }
  return undefined;
})();

if (npmMissing) {
  console.error(
    `interop tests skipped: ${npmMissing} (they run the npm buttplug clients)`,
  );
}

/** Installs tests/interop/node_modules with `npm ci` unless it matches package-lock.json. */
export async function ensureInstalled(): Promise<void> {
  const lockText = await Deno.readTextFile(new URL("package-lock.json", DIR));
  const wanted = await digest(lockText);
  if (await readStamp() === wanted) return;
  // flock on package.json: exclusive across test files running in parallel (threads or processes).
  using guard = await Deno.open(new URL("package.json", DIR), { read: true });
  await guard.lock(true);
  try {
    if (await readStamp() === wanted) return;
    const out = await new Deno.Command("npm", {
      args: [
        "ci",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
      ],
      cwd: DIR,
      stdin: "null",
    }).output();
    if (!out.success) {
      throw new Error(
        `npm ci failed in tests/interop (exit ${out.code}):\n${
          new TextDecoder().decode(out.stderr)
        }`,
      );
    }
    await Deno.writeTextFile(STAMP, wanted);
  } finally {
    await guard.unlock();
  }
}

async function readStamp(): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(STAMP);
  } catch {
    return undefined;
  }
}

async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(hash),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** Our server with the test device, on a free port. */
export interface InteropServer extends AsyncDisposable {
  readonly server: ButtplugWebSocketServer;
  readonly device: SimulatedDevice;
  readonly index: number;
}

/** Starts our server on 127.0.0.1:0 with the simulated test device connected. */
export function startInteropServer(): InteropServer {
  const manager = new DeviceManager();
  const device = createTestDevice();
  const index = manager.add(device);
  const server = serveWebSocket({
    deviceManager: manager,
    port: 0,
    serverName: "interop",
  });
  return {
    server,
    device,
    index,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await manager[Symbol.asyncDispose]();
    },
  };
}

/** The JSON line a scenario script prints (`RESULT {...}`). */
export interface ScriptResult {
  readonly ok: boolean;
  readonly library: string;
  readonly spec: number;
  readonly steps: string[];
  readonly devices?: Record<string, unknown>[];
  readonly battery?: number | null;
  readonly error?: string;
}

/** Runs `node [nodeFlags] <script> <url>` in tests/interop and parses its result line. */
export async function runClientScript(
  script: string,
  url: string,
  nodeFlags: string[] = [],
  scriptArgs: string[] = [],
): Promise<ScriptResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), SCRIPT_TIMEOUT_MS);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("node", {
      args: [...nodeFlags, script, url, ...scriptArgs],
      cwd: DIR,
      stdin: "null",
      signal: controller.signal,
    }).output();
  } finally {
    clearTimeout(timer);
  }
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) {
    throw new Error(
      `${script} printed no result (exit ${out.code})\n${stdout}\n${stderr}`,
    );
  }
  const result = JSON.parse(line.slice("RESULT ".length)) as ScriptResult;
  assert.equal(
    result.error,
    undefined,
    `${script} failed: ${result.error}\n${stderr}`,
  );
  assert.equal(result.ok, true);
  assert.equal(out.code, 0);
  return result;
}

/**
 * Checks what the simulated device received from a "vibrate at 50 %" scenario: vibrator 0 at
 * 10 of 20 steps and vibrator 1 at 5 of 10, then a stop, and nothing left running.
 */
export function assertVibratedAtHalfThenStopped(device: SimulatedDevice): void {
  const outputs = device.history.filter((h) => h.kind === "output");
  assert.deepEqual(
    outputs.map((h) => [h.featureIndex, h.type, h.value.Value]).sort(),
    [[0, "Vibrate", 10], [1, "Vibrate", 5]],
  );
  const firstStop = device.history.findIndex((h) => h.kind === "stop");
  const lastOutput = device.history.findLastIndex((h) => h.kind === "output");
  assert.ok(
    firstStop > lastOutput,
    `expected a stop after the commands: ${JSON.stringify(device.history)}`,
  );
  assert.equal(device.outputValue(0, "Vibrate"), 0);
  assert.equal(device.outputValue(1, "Vibrate"), 0);
}
