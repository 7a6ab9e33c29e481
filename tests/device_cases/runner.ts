/**
 * Runs upstream-format device test cases (DEVICES.md §2) through the whole stack: raw v4 or v3
 * client messages → in-process {@linkcode ButtplugServer} session → {@linkcode DeviceManager} →
 * {@linkcode ProtocolDeviceSource} → protocol → scripted {@linkcode FakePeripheral}, which checks
 * every expected write, subscribe and unsubscribe byte for byte.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { RawMessage } from "../../protocol/messages.ts";
import { ButtplugServer } from "../../server/server.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { type DeviceConfiguration, loadDeviceConfiguration } from "../../server/devices/config.ts";
import { ProtocolDeviceSource } from "../../server/devices/pipeline.ts";
import {
  defaultProtocolRegistry,
  type ProtocolRegistry,
} from "../../server/devices/protocol_registry.ts";
import {
  FakePeripheral,
  FakePeripheralManager,
  type RecordedCommand,
} from "../../hardware/fake_peripheral.ts";
import { type Logger, silentLogger } from "../../server/log.ts";
import type { CaseMessage, CaseStep, DeviceCase, ExpectedCommand } from "./case.ts";
import { parseCase } from "./case.ts";

/** Cases upstream never runs (DEVICES.md §2.7); reported as skipped with this reason. */
export const UPSTREAM_DISABLED: Readonly<Record<string, string>> = {
  "test_cowgirl_cone_protocol.yaml":
    "disabled upstream (initializer sleeps 3 s, longer than upstream's DeviceAdded wait)",
  "test_fredorch_protocol.yaml": "disabled upstream (position bytes stale against the 0-15 range)",
  "test_honeyplaybox_protocol.yaml": "disabled upstream (500 ms keepalive and per-packet counter)",
  "test_jejoue_protocol.yaml": "disabled upstream (never run, expectations unverified)",
  "test_magic_motion_2_eidolon.yaml": "disabled upstream (never run, expectations unverified)",
};

/** Longest the runner waits, after the last step, for `run_async` battery reads. */
const ASYNC_CHECK_TIMEOUT_MS = 3000;

/** Spec versions the runner can drive. */
export type CaseSpecVersion = 3 | 4;

/** Options of the runner. */
export interface RunnerOptions {
  /** Spec versions to run each case under (default `[4, 3]`). */
  readonly versions?: readonly CaseSpecVersion[];
  /** Batching window of the fake peripherals in ms (upstream 1; default 5). */
  readonly gapMs?: number;
  /** Wait per expected device command (default 500 ms, as upstream). */
  readonly commandTimeoutMs?: number;
  /** Wait per device announcement (default 4000 ms: Lovense's name fallback takes 3 s). */
  readonly deviceTimeoutMs?: number;
  /** Protocol implementations (default: the registry). */
  readonly protocols?: ProtocolRegistry;
  /** Where device-layer logs go (default: dropped). */
  readonly logger?: Logger;
  /** Run cases upstream never runs instead of skipping them. */
  readonly includeDisabled?: boolean;
}

/** Outcome of one case file. */
export type CaseStatus = "passed" | "failed" | "skipped" | "not-implemented";

/** Outcome under one spec version. */
export interface VersionResult {
  /** Spec version. */
  readonly version: CaseSpecVersion;
  /** Whether every step passed. */
  readonly passed: boolean;
  /** What failed. */
  readonly message?: string;
}

/** Outcome of one case file. */
export interface CaseResult {
  /** File path. */
  readonly path: string;
  /** File name. */
  readonly file: string;
  /** Overall status. */
  readonly status: CaseStatus;
  /** Why skipped / not implemented / failed (first failure). */
  readonly reason?: string;
  /** Per-version outcomes (empty when not run). */
  readonly versions: readonly VersionResult[];
  /** Wall time in ms. */
  readonly durationMs: number;
}

/** A case step failed. */
export class CaseFailure extends Error {
  /** Creates the failure. */
  constructor(message: string) {
    super(message);
    this.name = "CaseFailure";
  }
}

/** Finds `.yaml`/`.yml` case files under the given files or folders (sorted; `config/` skipped). */
export async function collectCaseFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const info = await Deno.stat(path);
    if (info.isFile) {
      out.push(path);
      return;
    }
    const entries: string[] = [];
    for await (const e of Deno.readDir(path)) {
      if (e.isDirectory && e.name !== "config") entries.push(join(path, e.name));
      else if (e.isFile && /\.ya?ml$/.test(e.name)) entries.push(join(path, e.name));
    }
    for (const p of entries.sort()) await walk(p);
  };
  for (const p of paths) await walk(p);
  return out;
}

/** Reads, parses and runs one case file. Never throws; failures are in the result. */
export async function runCaseFile(path: string, options: RunnerOptions = {}): Promise<CaseResult> {
  const started = performance.now();
  const file = path.split(/[\\/]/).pop() ?? path;
  let deviceCase: DeviceCase;
  try {
    deviceCase = parseCase(await Deno.readTextFile(path), path);
  } catch (err) {
    return {
      path,
      file,
      status: "failed",
      reason: `cannot load case: ${(err as Error).message}`,
      versions: [],
      durationMs: performance.now() - started,
    };
  }
  return await runCase(deviceCase, options);
}

/** What a case needs before it can run: its config and whether its protocols exist. */
export interface CasePlan {
  /** Skip reason (upstream-disabled). */
  readonly skip?: string;
  /** Protocols matched by the case's device names. */
  readonly protocols: readonly string[];
  /** Matched protocols without an implementation (the case cannot pass yet). */
  readonly unimplemented: readonly string[];
}

/** Works out which protocols a case exercises and whether it can run. */
export async function planCase(c: DeviceCase, options: RunnerOptions = {}): Promise<CasePlan> {
  const registry = options.protocols ?? defaultProtocolRegistry();
  const skip = options.includeDisabled ? undefined : UPSTREAM_DISABLED[c.file];
  let config: DeviceConfiguration;
  try {
    config = await caseConfig(c);
  } catch {
    return { ...(skip ? { skip } : {}), protocols: [], unimplemented: [] };
  }
  const protocols = new Set<string>();
  const unimplemented = new Set<string>();
  for (const d of c.devices) {
    const candidates = config.candidates({
      transport: "btle",
      name: d.name,
      address: d.address ?? "plan",
    });
    for (const cand of candidates) protocols.add(cand.protocol);
    if (candidates.length > 0 && !candidates.some((cand) => registry.has(cand.protocol))) {
      for (const cand of candidates) unimplemented.add(cand.protocol);
    }
  }
  return {
    ...(skip ? { skip } : {}),
    protocols: [...protocols],
    unimplemented: [...unimplemented],
  };
}

/** Runs a parsed case under every requested spec version. Never throws. */
export async function runCase(c: DeviceCase, options: RunnerOptions = {}): Promise<CaseResult> {
  const started = performance.now();
  const plan = await planCase(c, options);
  const base = { path: c.path, file: c.file };
  if (plan.skip) {
    return { ...base, status: "skipped", reason: plan.skip, versions: [], durationMs: 0 };
  }
  if (plan.unimplemented.length > 0) {
    return {
      ...base,
      status: "not-implemented",
      reason: `protocol not implemented: ${plan.unimplemented.join(", ")}`,
      versions: [],
      durationMs: 0,
    };
  }
  const versions: VersionResult[] = [];
  for (const version of options.versions ?? [4, 3]) {
    try {
      await runVersion(c, version, options);
      versions.push({ version, passed: true });
    } catch (err) {
      versions.push({ version, passed: false, message: (err as Error).message });
    }
  }
  const failed = versions.find((v) => !v.passed);
  return {
    ...base,
    status: failed ? "failed" : "passed",
    ...(failed ? { reason: `v${failed.version}: ${failed.message}` } : {}),
    versions,
    durationMs: performance.now() - started,
  };
}

async function caseConfig(c: DeviceCase): Promise<DeviceConfiguration> {
  const configDir = join(dirname(c.path), "config");
  return await loadDeviceConfiguration({
    ...(c.deviceConfigFile ? { deviceConfigPath: join(configDir, c.deviceConfigFile) } : {}),
    ...(c.userDeviceConfigFile ? { userConfigPath: join(configDir, c.userDeviceConfigFile) } : {}),
  });
}

/** The steps that apply to `version` (`!VersionGated` flattened). */
function applicable(steps: readonly CaseStep[], version: number): CaseStep[] {
  const out: CaseStep[] = [];
  for (const s of steps) {
    if (s.kind === "versionGated") {
      if (version >= s.minSpecVersion) out.push(...applicable(s.steps, version));
    } else {
      out.push(s);
    }
  }
  return out;
}

async function runVersion(
  c: DeviceCase,
  version: CaseSpecVersion,
  options: RunnerOptions,
): Promise<void> {
  const logger = options.logger ?? silentLogger;
  let config: DeviceConfiguration;
  try {
    config = await caseConfig(c);
  } catch (err) {
    throw new CaseFailure(`config: ${(err as Error).message}`);
  }
  const peripherals = c.devices.map((d) =>
    new FakePeripheral({
      name: d.name,
      ...(d.address ? { address: d.address } : {}),
      messageGapMs: options.gapMs ?? 5,
    })
  );
  await using manager = new DeviceManager({ reservedIndexes: config.reservedIndexes() });
  manager.addSource(
    new ProtocolDeviceSource({
      managers: [new FakePeripheralManager(peripherals)],
      config,
      protocols: options.protocols ?? defaultProtocolRegistry(),
      logger,
    }),
  );
  await using client = new RawClient(manager, version);
  const timeout = options.commandTimeoutMs ?? 500;
  const pendingChecks: Promise<void>[] = [];
  const ctx: StepContext = { c, version, peripherals, client, timeout, pendingChecks };

  await client.handshake();
  client.expectOk(await client.request("StartScanning", {}), "StartScanning");
  let stepNo = 0;
  for (const step of applicable(c.deviceInit, version)) {
    stepNo++;
    await runStep(ctx, step, `device_init step ${stepNo}`);
  }
  const ok = await client.waitForDevices(c.devices.length, options.deviceTimeoutMs ?? 4000);
  if (!ok) {
    throw new CaseFailure(
      `only ${client.devices.size} of ${c.devices.length} device(s) connected` +
        (client.errors.length ? ` (server errors: ${client.errors.join("; ")})` : ""),
    );
  }
  for (const [index, info] of client.devices) {
    const expected = c.devices[index];
    if (!expected) continue;
    if (expected.expectedName !== undefined && info.DeviceName !== expected.expectedName) {
      throw new CaseFailure(
        `device ${index}: expected name ${JSON.stringify(expected.expectedName)}, got ${
          JSON.stringify(info.DeviceName)
        }`,
      );
    }
    if (
      expected.expectedDisplayName !== undefined &&
      info.DeviceDisplayName !== expected.expectedDisplayName
    ) {
      throw new CaseFailure(
        `device ${index}: expected display name ${
          JSON.stringify(expected.expectedDisplayName)
        }, got ${JSON.stringify(info.DeviceDisplayName ?? null)}`,
      );
    }
  }
  stepNo = 0;
  for (const step of applicable(c.deviceCommands, version)) {
    stepNo++;
    await runStep(ctx, step, `device_commands step ${stepNo}`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const results = await Promise.race([
    Promise.allSettled(pendingChecks),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CaseFailure("an async !Battery read never completed")),
        ASYNC_CHECK_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

interface StepContext {
  readonly c: DeviceCase;
  readonly version: CaseSpecVersion;
  readonly peripherals: readonly FakePeripheral[];
  readonly client: RawClient;
  readonly timeout: number;
  readonly pendingChecks: Promise<void>[];
}

async function runStep(ctx: StepContext, step: CaseStep, where: string): Promise<void> {
  switch (step.kind) {
    case "commands": {
      const p = peripheral(ctx, step.deviceIndex, where);
      for (const [i, expected] of step.commands.entries()) {
        const got = await p.nextCommand(ctx.timeout);
        const at = `${where} (!Commands #${i + 1})`;
        if (!got) {
          throw new CaseFailure(
            `${at}: expected ${
              describeExpected(expected)
            }, but the device got nothing within ${ctx.timeout} ms`,
          );
        }
        if (!commandEquals(expected, got)) {
          throw new CaseFailure(
            `${at}: expected ${describeExpected(expected)}, got ${describeRecorded(got)}`,
          );
        }
      }
      return;
    }
    case "events": {
      const p = peripheral(ctx, step.deviceIndex, where);
      for (const e of step.events) {
        if (e.kind === "notifications") { for (const n of e.items) p.notify(n.endpoint, n.data); }
        else if (e.kind === "reads") { for (const r of e.items) p.queueRead(r.endpoint, r.data); }
        else p.simulateDisconnect();
      }
      return;
    }
    case "messages":
      for (const [i, m] of step.messages.entries()) {
        await sendMessage(ctx, step.deviceIndex, m, `${where} (!Messages #${i + 1})`);
      }
      return;
    case "versionGated":
      for (const s of applicable([step], ctx.version)) await runStep(ctx, s, where);
      return;
  }
}

function peripheral(ctx: StepContext, index: number, where: string): FakePeripheral {
  const p = ctx.peripherals[index];
  if (!p) throw new CaseFailure(`${where}: no device ${index} in this case`);
  return p;
}

function commandEquals(e: ExpectedCommand, got: RecordedCommand): boolean {
  if (e.kind !== got.kind || e.endpoint !== got.endpoint) return false;
  if (e.kind === "write" && got.kind === "write") {
    return e.writeWithResponse === got.withResponse && e.data.length === got.data.length &&
      e.data.every((b, i) => b === got.data[i]);
  }
  return true;
}

function bytesText(data: ArrayLike<number>): string {
  const arr = Array.from(data);
  const hex = arr.map((b) => b.toString(16).padStart(2, "0")).join(" ");
  const printable = arr.every((b) => (b >= 32 && b < 127) || b === 10 || b === 13);
  return printable && arr.length > 0
    ? `[${hex}] ${JSON.stringify(String.fromCharCode(...arr))}`
    : `[${hex}]`;
}

function describeExpected(e: ExpectedCommand): string {
  if (e.kind === "write") {
    return `Write ${e.endpoint} ${bytesText(e.data)}${
      e.writeWithResponse ? " (with response)" : ""
    }`;
  }
  return `${e.kind === "subscribe" ? "Subscribe" : "Unsubscribe"} ${e.endpoint}`;
}

function describeRecorded(r: RecordedCommand): string {
  if (r.kind === "write") {
    return `Write ${r.endpoint} ${bytesText(r.data)}${r.withResponse ? " (with response)" : ""}`;
  }
  return `${r.kind === "subscribe" ? "Subscribe" : "Unsubscribe"} ${r.endpoint}`;
}

// ---------------------------------------------------------------------------------------------
// Client messages
// ---------------------------------------------------------------------------------------------

interface FeatureV4 {
  FeatureIndex: number;
  Output?: Record<string, { Value: [number, number] }>;
  Input?: Record<string, { Value: [number, number][] }>;
}

/** Client-side float → steps rule of the upstream v4 client (DEVICES.md §2.5). */
export function floatToSteps(f: number, steps: number): number {
  const x = f * steps;
  return x > 0.000001 ? Math.ceil(x) : Math.floor(x);
}

const ACTUATOR_TYPES: Record<string, string> = {
  vibrate: "Vibrate",
  rotate: "Rotate",
  oscillate: "Oscillate",
  constrict: "Constrict",
  temperature: "Temperature",
  led: "Led",
  position: "Position",
  spray: "Spray",
};

async function sendMessage(
  ctx: StepContext,
  deviceIndex: number,
  m: CaseMessage,
  where: string,
): Promise<void> {
  const info = ctx.client.devices.get(deviceIndex);
  if (!info) throw new CaseFailure(`${where}: the client knows no device ${deviceIndex}`);
  if (m.kind === "rssi") throw new CaseFailure(`${where}: !RSSI is not supported`);
  const requests = ctx.version === 4
    ? v4Requests(info, deviceIndex, m, where)
    : v3Requests(info, deviceIndex, m, where);
  // Sent back to back without awaiting each reply, like upstream's concurrent futures.
  const replies = requests.map(([name, body]) => ctx.client.request(name, body));
  if (m.kind === "battery") {
    const check = replies[0].then((reply) => {
      const level = batteryLevel(reply, ctx.version);
      if (level === undefined) {
        throw new CaseFailure(`${where}: battery read failed: ${JSON.stringify(reply)}`);
      }
      if (Math.abs(level / 100 - m.expectedPower) > 1e-9) {
        throw new CaseFailure(
          `${where}: battery: expected ${m.expectedPower}, got ${level / 100}`,
        );
      }
    });
    if (m.runAsync) {
      check.catch(() => {}); // observed later through pendingChecks
      ctx.pendingChecks.push(check);
    } else {
      await check;
    }
    return;
  }
  for (const [i, reply] of (await Promise.all(replies)).entries()) {
    ctx.client.expectOk(reply, `${where} ${requests[i][0]}`);
  }
}

function batteryLevel(reply: RawMessage, version: CaseSpecVersion): number | undefined {
  if (version === 4) {
    const r = reply.InputReading as { Reading?: { Battery?: { Value?: number } } } | undefined;
    return r?.Reading?.Battery?.Value;
  }
  const r = reply.SensorReading as { Data?: number[] } | undefined;
  return r?.Data?.[0];
}

type Request = [string, Record<string, unknown>];

function v4Requests(
  info: DeviceInfoLike,
  deviceIndex: number,
  m: Exclude<CaseMessage, { kind: "rssi" }>,
  where: string,
): Request[] {
  const features = Object.values((info.DeviceFeatures ?? {}) as Record<string, FeatureV4>)
    .sort((a, b) => a.FeatureIndex - b.FeatureIndex);
  const output = (feature: FeatureV4, type: string, value: number, duration?: number): Request => [
    "OutputCmd",
    {
      DeviceIndex: deviceIndex,
      FeatureIndex: feature.FeatureIndex,
      Command: {
        [type]: duration === undefined ? { Value: value } : { Value: value, Duration: duration },
      },
    },
  ];
  const max = (feature: FeatureV4, type: string): number => {
    const range = feature.Output?.[type]?.Value;
    if (!range) {
      throw new CaseFailure(`${where}: feature ${feature.FeatureIndex} has no ${type} output`);
    }
    return range[1];
  };
  const nth = (list: FeatureV4[], i: number, what: string): FeatureV4 => {
    const f = list[i];
    if (!f) throw new CaseFailure(`${where}: the device has no ${what} feature #${i}`);
    return f;
  };
  switch (m.kind) {
    case "vibrate": {
      const list = features.filter((f) => f.Output?.Vibrate);
      return m.items.map((it) => {
        const f = nth(list, it.index, "vibrate");
        return output(f, "Vibrate", floatToSteps(it.speed, max(f, "Vibrate")));
      });
    }
    case "scalar": {
      const list = features.filter((f) =>
        f.Output?.Vibrate || f.Output?.Oscillate || f.Output?.Constrict ||
        (f.Output?.Rotate && f.Output.Rotate.Value[0] >= 0)
      );
      return m.items.map((it) => {
        const type = ACTUATOR_TYPES[it.actuatorType.toLowerCase()];
        if (!type) throw new CaseFailure(`${where}: unknown ActuatorType ${it.actuatorType}`);
        const f = list[it.index] ?? features.find((x) => x.FeatureIndex === 0) ??
          nth(list, it.index, "scalar");
        return output(f, type, floatToSteps(it.scalar, max(f, type)));
      });
    }
    case "rotate": {
      const list = features.filter((f) => f.Output?.Rotate);
      return m.items.map((it) => {
        const f = nth(list, it.index, "rotate");
        const speed = it.clockwise ? it.speed : -it.speed;
        return output(f, "Rotate", floatToSteps(speed, max(f, "Rotate")));
      });
    }
    case "linear":
      return m.items.map((it) => {
        const f = features.find((x) => x.FeatureIndex === it.index);
        if (!f) throw new CaseFailure(`${where}: the device has no feature ${it.index}`);
        const steps = max(f, "HwPositionWithDuration");
        return output(f, "HwPositionWithDuration", floatToSteps(it.position, steps), it.duration);
      });
    case "stop":
      return [["StopCmd", { DeviceIndex: deviceIndex, Inputs: true, Outputs: true }]];
    case "battery": {
      const list = features.filter((f) => f.Input?.Battery);
      if (list.length !== 1) {
        throw new CaseFailure(
          `${where}: expected exactly one battery feature, found ${list.length}`,
        );
      }
      return [[
        "InputCmd",
        {
          DeviceIndex: deviceIndex,
          FeatureIndex: list[0].FeatureIndex,
          Type: "Battery",
          Command: "Read",
        },
      ]];
    }
  }
}

function v3Requests(
  info: DeviceInfoLike,
  deviceIndex: number,
  m: Exclude<CaseMessage, { kind: "rssi" }>,
  where: string,
): Request[] {
  switch (m.kind) {
    case "vibrate":
      return [["VibrateCmd", {
        DeviceIndex: deviceIndex,
        Speeds: m.items.map((it) => ({ Index: it.index, Speed: it.speed })),
      }]];
    case "scalar":
      return [["ScalarCmd", {
        DeviceIndex: deviceIndex,
        Scalars: m.items.map((it) => ({
          Index: it.index,
          Scalar: it.scalar,
          ActuatorType: it.actuatorType,
        })),
      }]];
    case "rotate":
      return [["RotateCmd", {
        DeviceIndex: deviceIndex,
        Rotations: m.items.map((it) => ({
          Index: it.index,
          Speed: it.speed,
          Clockwise: it.clockwise,
        })),
      }]];
    case "linear":
      return [["LinearCmd", {
        DeviceIndex: deviceIndex,
        Vectors: m.items.map((it) => ({
          Index: it.index,
          Duration: it.duration,
          Position: it.position,
        })),
      }]];
    case "stop":
      return [["StopDeviceCmd", { DeviceIndex: deviceIndex }]];
    case "battery": {
      const messages = (info.DeviceMessages ?? {}) as Record<string, unknown>;
      const sensors = (messages.SensorReadCmd ?? []) as { SensorType?: string }[];
      const sensorIndex = sensors.findIndex((s) => s.SensorType === "Battery");
      if (sensorIndex < 0) throw new CaseFailure(`${where}: the v3 device lists no battery sensor`);
      return [["SensorReadCmd", {
        DeviceIndex: deviceIndex,
        SensorIndex: sensorIndex,
        SensorType: "Battery",
      }]];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal raw-message client over an in-process session
// ---------------------------------------------------------------------------------------------

interface DeviceInfoLike {
  DeviceIndex: number;
  DeviceName: string;
  DeviceDisplayName?: string;
  DeviceFeatures?: unknown;
  DeviceMessages?: unknown;
}

class RawClient implements AsyncDisposable {
  readonly #server: ButtplugServer;
  readonly #version: CaseSpecVersion;
  readonly #pending = new Map<number, (reply: RawMessage) => void>();
  readonly devices = new Map<number, DeviceInfoLike>();
  readonly errors: string[] = [];
  #nextId = 1;
  #deviceWaiter?: () => void;

  constructor(deviceManager: DeviceManager, version: CaseSpecVersion) {
    this.#version = version;
    this.#server = new ButtplugServer(
      { send: (messages) => this.#onSend(messages), close: () => {} },
      { deviceManager, serverName: "device-cases" },
    );
  }

  #onSend(messages: RawMessage[]): void {
    for (const msg of messages) {
      const [name] = Object.keys(msg);
      const body = msg[name] as Record<string, unknown>;
      const id = typeof body.Id === "number" ? body.Id : 0;
      const resolve = id !== 0 ? this.#pending.get(id) : undefined;
      if (resolve) {
        this.#pending.delete(id);
        resolve(msg);
        continue;
      }
      if (name === "DeviceList") {
        const list = body.Devices as Record<string, DeviceInfoLike> | DeviceInfoLike[];
        this.devices.clear();
        for (const d of Object.values(list)) this.devices.set(d.DeviceIndex, d);
        this.#deviceWaiter?.();
      } else if (name === "DeviceAdded") {
        const d = body as unknown as DeviceInfoLike;
        this.devices.set(d.DeviceIndex, d);
        this.#deviceWaiter?.();
      } else if (name === "DeviceRemoved") {
        this.devices.delete(body.DeviceIndex as number);
      } else if (name === "Error") {
        this.errors.push(String(body.ErrorMessage));
      }
    }
  }

  request(name: string, body: Record<string, unknown>): Promise<RawMessage> {
    const id = this.#nextId++;
    const reply = new Promise<RawMessage>((resolve) => this.#pending.set(id, resolve));
    void this.#server.receive([{ [name]: { Id: id, ...body } }]);
    return reply;
  }

  expectOk(reply: RawMessage, what: string): void {
    if ("Ok" in reply) return;
    const err = reply.Error as { ErrorMessage?: string } | undefined;
    throw new CaseFailure(
      `${what}: server replied ${err ? `Error: ${err.ErrorMessage}` : JSON.stringify(reply)}`,
    );
  }

  async handshake(): Promise<void> {
    const reply = await this.request(
      "RequestServerInfo",
      this.#version === 4
        ? { ClientName: "device-cases", ProtocolVersionMajor: 4, ProtocolVersionMinor: 0 }
        : { ClientName: "device-cases", MessageVersion: this.#version },
    );
    if (!("ServerInfo" in reply)) {
      throw new CaseFailure(`handshake failed: ${JSON.stringify(reply)}`);
    }
  }

  /** Waits until `count` devices are known; each wait restarts on every announcement. */
  async waitForDevices(count: number, perEventMs: number): Promise<boolean> {
    while (this.devices.size < count) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arrived = await new Promise<boolean>((resolve) => {
        this.#deviceWaiter = () => resolve(true);
        timer = setTimeout(() => resolve(false), perEventMs);
      });
      clearTimeout(timer);
      this.#deviceWaiter = undefined;
      if (!arrived) return this.devices.size >= count;
    }
    return true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.close("device case finished");
    for (const resolve of this.#pending.values()) {
      resolve({ Error: { Id: 0, ErrorCode: 0, ErrorMessage: "session closed" } });
    }
    this.#pending.clear();
  }
}

/** One line per case, as printed by `deno task device-cases`. */
export function formatResult(r: CaseResult): string {
  const ms = `${Math.round(r.durationMs)} ms`;
  switch (r.status) {
    case "passed":
      return `ok    ${r.file} (v${r.versions.map((v) => v.version).join(", v")}) ${ms}`;
    case "failed":
      return `FAIL  ${r.file}: ${r.reason}`;
    case "skipped":
      return `skip  ${r.file}: ${r.reason}`;
    case "not-implemented":
      return `todo  ${r.file}: ${r.reason}`;
  }
}
