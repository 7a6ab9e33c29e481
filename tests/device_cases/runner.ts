/**
 * Runs upstream-format device test cases (DEVICES.md §2) through the whole stack: raw v4 or v3
 * client messages → in-process {@linkcode ButtplugServer} session → {@linkcode DeviceManager} →
 * {@linkcode ProtocolDeviceSource} → protocol → scripted {@linkcode FakePeripheral}, which checks
 * every expected write, subscribe and unsubscribe byte for byte.
 *
 * Time: by default every timer of the stack (batching windows, keepalives, protocol sleeps and
 * reply timeouts, the runner's own waits) runs on a {@linkcode VirtualClock} that only moves
 * while the runner waits and nothing but a timer can make progress. Waits therefore end on the
 * event they wait for, and a 3 s protocol sleep costs no real time. `realTime: true` runs the
 * same case on the system clock instead.
 *
 * Index semantics (DEVICES.md §2.5 plus the team's extensions, `ours/README.md`): `!Linear`
 * `Index` is the config feature index under v4 and v3 (the runner sends v3 the server's LinearCmd
 * list position of that feature). `!Scalar` of Spray, Temperature, Led or Position targets, under
 * v4, the i-th feature having that output; under v3 `Index` stays the server's ScalarCmd list
 * position. `!Subscribe` / `!Unsubscribe` (v4 only) take the config feature index.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { setImmediate } from "node:timers";
import type { InputType, RawMessage } from "../../protocol/messages.ts";
import type { Clock } from "../../protocol/clock.ts";
import { systemClock } from "../../protocol/clock.ts";
import { buildDeviceInfo, buildLegacyIndex } from "../../protocol/device_views.ts";
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
import { DEFAULT_UNTIL_MS, type UntilResult, VirtualClock } from "./virtual_clock.ts";

/**
 * Cases upstream never runs (DEVICES.md §2.7) whose expectations are stale against the current
 * device config; reported as skipped with this reason. (Upstream also never runs
 * `test_honeyplaybox_protocol`, `test_jejoue_protocol` and `test_magic_motion_2_eidolon`; they
 * pass here, so they run.)
 */
export const UPSTREAM_DISABLED: Readonly<Record<string, string>> = {
  "test_cowgirl_cone_protocol.yaml":
    "disabled upstream; its bytes assume a 0-100 range but the config's Cowgirl Cone is 0-128 " +
    "(ours/test_cowgirl_cone_vibrate.yaml covers it)",
  "test_fredorch_protocol.yaml":
    "disabled upstream; its position bytes are stale against the config's 0-15 range " +
    "(ours/test_fredorch_positions.yaml covers it)",
};

/** Longest the runner waits, after the last step, for `run_async` battery reads. */
const ASYNC_CHECK_TIMEOUT_MS = 3000;
/** Longest the runner waits for a reply to a client message. */
const REPLY_TIMEOUT_MS = 10_000;
/** Longest the runner waits for the session and the devices to shut down after a case. */
const SHUTDOWN_TIMEOUT_MS = 5000;

/** Spec versions the runner can drive. */
export type CaseSpecVersion = 3 | 4;

/** Options of the runner. */
export interface RunnerOptions {
  /** Spec versions to run each case under (default `[4, 3]`). */
  readonly versions?: readonly CaseSpecVersion[];
  /**
   * Batching window of the fake peripherals in ms (default 1 as upstream; 5 with `realTime`,
   * so the sub-commands of one message land in one window on a slow machine).
   */
  readonly gapMs?: number;
  /** Run on the system clock instead of the virtual clock (slower; for comparisons). */
  readonly realTime?: boolean;
  /** Wait per expected device command and per expected reading (default 500 ms, as upstream). */
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
      if (version >= s.minSpecVersion && version <= (s.maxSpecVersion ?? Infinity)) {
        out.push(...applicable(s.steps, version));
      }
    } else {
      out.push(s);
    }
  }
  return out;
}

/** Waits on the runner's clock: `until(work, timeoutMs)` (see {@linkcode VirtualClock.until}). */
interface Driver extends Disposable {
  /** Clock of every timer in the stack. */
  readonly clock: Clock;
  /** Lets the system run until `work` settles or `timeoutMs` pass on {@linkcode Driver.clock}. */
  until<T>(work: Promise<T>, timeoutMs?: number): Promise<UntilResult<T>>;
  /** Lets pending work (promise chains) finish without moving the clock. */
  settle(): Promise<void>;
}

/** The system clock as a {@linkcode Driver} (`realTime`). */
class RealTimeDriver implements Driver {
  readonly clock: Clock = systemClock;

  async until<T>(work: Promise<T>, timeoutMs: number = DEFAULT_UNTIL_MS): Promise<UntilResult<T>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<{ settled: false }>((resolve) => {
      timer = setTimeout(() => resolve({ settled: false }), timeoutMs);
    });
    try {
      return await Promise.race([
        work.then((value) => ({ settled: true as const, value })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  [Symbol.dispose](): void {}
}

function virtualDriver(): Driver {
  const clock = new VirtualClock();
  return {
    clock,
    until: (work, timeoutMs) => clock.until(work, timeoutMs),
    settle: async () => {
      await clock.until(Promise.resolve(), 0);
    },
    [Symbol.dispose]: () => clock[Symbol.dispose](),
  };
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
  using driver = options.realTime ? new RealTimeDriver() : virtualDriver();
  const clock = driver.clock;
  const peripherals = c.devices.map((d) =>
    new FakePeripheral({
      name: d.name,
      ...(d.address ? { address: d.address } : {}),
      messageGapMs: options.gapMs ?? (options.realTime ? 5 : 1),
      clock,
    })
  );
  const manager = new DeviceManager({ reservedIndexes: config.reservedIndexes() });
  manager.addSource(
    new ProtocolDeviceSource({
      managers: [new FakePeripheralManager(peripherals)],
      config,
      protocols: options.protocols ?? defaultProtocolRegistry(),
      clock,
      logger,
    }),
  );
  const client = new RawClient(manager, version, clock);
  try {
    const ctx: StepContext = {
      c,
      version,
      peripherals,
      client,
      manager,
      driver,
      timeout: options.commandTimeoutMs ?? 500,
      pendingChecks: [],
      readings: new Map(),
    };
    client.onReading = (deviceIndex, featureIndex, type, value) => {
      const check = ctx.readings.get(readingKey(deviceIndex, featureIndex, type));
      if (!check) return;
      check.received.push(value);
      check.onReading?.();
    };
    await runSteps(ctx, options);
  } finally {
    // Same order as before: the session first (it stops its devices), then the registry.
    await driver.until(client[Symbol.asyncDispose](), SHUTDOWN_TIMEOUT_MS).catch(() => {});
    await driver.until(manager[Symbol.asyncDispose](), SHUTDOWN_TIMEOUT_MS).catch(() => {});
  }
}

async function runSteps(ctx: StepContext, options: RunnerOptions): Promise<void> {
  const { c, version, client, driver } = ctx;
  await client.handshake(driver);
  client.expectOk(await reply(ctx, client.request("StartScanning", {}), "StartScanning"), "");
  let stepNo = 0;
  for (const step of applicable(c.deviceInit, version)) {
    stepNo++;
    await runStep(ctx, step, `device_init step ${stepNo}`);
  }
  const ok = await client.waitForDevices(c.devices.length, options.deviceTimeoutMs ?? 4000, driver);
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
  const async = await driver.until(
    Promise.allSettled(ctx.pendingChecks),
    ASYNC_CHECK_TIMEOUT_MS,
  );
  if (!async.settled) throw new CaseFailure("an async !Battery read never completed");
  const failed = async.value.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  for (const check of ctx.readings.values()) await finishReadings(ctx, check);
}

/** Readings expected from one subscribed input (own `!Subscribe` extension). */
interface ReadingCheck {
  readonly deviceIndex: number;
  readonly featureIndex: number;
  readonly type: InputType;
  readonly expected?: readonly number[];
  readonly received: number[];
  readonly where: string;
  /** Called after every reading. */
  onReading?: () => void;
}

function readingKey(deviceIndex: number, featureIndex: number, type: InputType): string {
  return `${deviceIndex}/${featureIndex}/${type}`;
}

/** Waits (≤ the command timeout) for every expected reading, then requires exactly those. */
async function finishReadings(ctx: StepContext, check: ReadingCheck): Promise<void> {
  await ctx.driver.settle(); // readings already on their way (an extra one must be seen)
  const expected = check.expected;
  if (expected !== undefined && check.received.length < expected.length) {
    await ctx.driver.until(
      new Promise<void>((resolve) => {
        check.onReading = () => {
          if (check.received.length >= expected.length) resolve();
        };
      }),
      ctx.timeout,
    );
    check.onReading = undefined;
  }
  ctx.readings.delete(readingKey(check.deviceIndex, check.featureIndex, check.type));
  if (expected === undefined) return;
  const got = check.received;
  if (got.length !== expected.length || got.some((v, i) => v !== expected[i])) {
    throw new CaseFailure(
      `${check.where}: readings of feature ${check.featureIndex} ${check.type}: expected [${
        expected.join(", ")
      }], got [${got.join(", ")}]` +
        (got.length < expected.length ? ` (nothing more within ${ctx.timeout} ms)` : ""),
    );
  }
}

interface StepContext {
  readonly c: DeviceCase;
  readonly version: CaseSpecVersion;
  readonly peripherals: readonly FakePeripheral[];
  readonly client: RawClient;
  readonly manager: DeviceManager;
  readonly driver: Driver;
  readonly timeout: number;
  readonly pendingChecks: Promise<void>[];
  /** Active `!Subscribe` checks by device/feature/type. */
  readonly readings: Map<string, ReadingCheck>;
}

/** Waits for a reply to a client message (bounded), failing the case if none comes. */
async function reply<T>(ctx: StepContext, pending: Promise<T>, what: string): Promise<T> {
  const r = await ctx.driver.until(pending, REPLY_TIMEOUT_MS);
  if (!r.settled) throw new CaseFailure(`${what}: no reply within ${REPLY_TIMEOUT_MS} ms`);
  return r.value;
}

async function runStep(ctx: StepContext, step: CaseStep, where: string): Promise<void> {
  switch (step.kind) {
    case "commands": {
      const p = peripheral(ctx, step.deviceIndex, where);
      const timeout = step.timeoutMs ?? ctx.timeout;
      for (const [i, expected] of step.commands.entries()) {
        const next = await ctx.driver.until(p.nextCommand(timeout), timeout + 1);
        const got = next.settled ? next.value : undefined;
        const at = `${where} (!Commands #${i + 1})`;
        if (!got) {
          throw new CaseFailure(
            `${at}: expected ${
              describeExpected(expected)
            }, but the device got nothing within ${timeout} ms`,
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
    if (e.writeWithResponse !== got.withResponse) return false;
    if (e.data !== undefined) {
      return e.data.length === got.data.length && e.data.every((b, i) => b === got.data[i]);
    }
    if (e.dataLength !== undefined && got.data.length !== e.dataLength) return false;
    return (e.dataPrefix ?? []).every((b, i) => b === got.data[i]);
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
    const pattern = e.data !== undefined ? bytesText(e.data) : [
      e.dataPrefix?.length ? `starting ${bytesText(e.dataPrefix)}` : "any bytes",
      ...(e.dataLength !== undefined ? [`${e.dataLength} bytes long`] : []),
    ].join(", ");
    return `Write ${e.endpoint} ${pattern}${e.writeWithResponse ? " (with response)" : ""}`;
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

/** ActuatorTypes the upstream v4 runner maps through its "scalar" feature list. */
const UPSTREAM_SCALAR_TYPES: ReadonlySet<string> = new Set([
  "Vibrate",
  "Rotate",
  "Oscillate",
  "Constrict",
]);

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
  if (m.kind === "unsubscribe") {
    // The subscription's readings are complete before the client unsubscribes.
    const check = ctx.readings.get(readingKey(deviceIndex, m.featureIndex, m.inputType));
    if (check) await finishReadings(ctx, check);
  }
  const requests = ctx.version === 4
    ? v4Requests(info, deviceIndex, m, where)
    : v3Requests(ctx, deviceIndex, m, where);
  if (m.kind === "subscribe") {
    const key = readingKey(deviceIndex, m.featureIndex, m.inputType);
    ctx.readings.set(key, {
      deviceIndex,
      featureIndex: m.featureIndex,
      type: m.inputType,
      ...(m.expectedReadings ? { expected: m.expectedReadings } : {}),
      received: [],
      where,
    });
  }
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
      const done = await ctx.driver.until(check, REPLY_TIMEOUT_MS);
      if (!done.settled) throw new CaseFailure(`${where}: the battery read never completed`);
    }
    return;
  }
  const all = await reply(ctx, Promise.all(replies), where);
  for (const [i, r] of all.entries()) {
    ctx.client.expectOk(r, `${where} ${requests[i][0]}`);
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
      // DEVICES.md §2.5: the upstream v4 runner's list of "scalar" features.
      const list = features.filter((f) =>
        f.Output?.Vibrate || f.Output?.Oscillate || f.Output?.Constrict ||
        (f.Output?.Rotate && f.Output.Rotate.Value[0] >= 0)
      );
      return m.items.map((it) => {
        const type = ACTUATOR_TYPES[it.actuatorType.toLowerCase()];
        if (!type) throw new CaseFailure(`${where}: unknown ActuatorType ${it.actuatorType}`);
        // Own extension: types outside upstream's list target the i-th feature having them.
        const f = UPSTREAM_SCALAR_TYPES.has(type)
          ? list[it.index] ?? features.find((x) => x.FeatureIndex === 0) ??
            nth(list, it.index, "scalar")
          : nth(features.filter((x) => x.Output?.[type]), it.index, type);
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
    case "subscribe":
    case "unsubscribe":
      return [[
        "InputCmd",
        {
          DeviceIndex: deviceIndex,
          FeatureIndex: m.featureIndex,
          Type: m.inputType,
          Command: m.kind === "subscribe" ? "Subscribe" : "Unsubscribe",
        },
      ]];
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
  ctx: StepContext,
  deviceIndex: number,
  m: Exclude<CaseMessage, { kind: "rssi" }>,
  where: string,
): Request[] {
  const info = ctx.client.devices.get(deviceIndex)!;
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
    case "linear": {
      // `Index` is a config feature index (as under v4); v3 addresses the LinearCmd list.
      const list = legacyLinear(ctx, deviceIndex, where);
      return [["LinearCmd", {
        DeviceIndex: deviceIndex,
        Vectors: m.items.map((it) => {
          const position = list.indexOf(it.index);
          if (position < 0) {
            throw new CaseFailure(
              `${where}: feature ${it.index} is not a linear (HwPositionWithDuration) feature ` +
                `of the v3 device (linear features: ${list.join(", ") || "none"})`,
            );
          }
          return { Index: position, Duration: it.duration, Position: it.position };
        }),
      }]];
    }
    case "subscribe":
    case "unsubscribe":
      throw new CaseFailure(
        `${where}: !${m.kind === "subscribe" ? "Subscribe" : "Unsubscribe"} needs spec v4 ` +
          `(this server has no v3 sensor subscriptions); wrap it in !VersionGated ` +
          `{min_spec_version: 4}`,
      );
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

/** Config feature indexes of the server's v3 LinearCmd list, in list order. */
function legacyLinear(ctx: StepContext, deviceIndex: number, where: string): number[] {
  const device = ctx.manager.get(deviceIndex);
  if (!device) throw new CaseFailure(`${where}: the server has no device ${deviceIndex}`);
  return buildLegacyIndex(buildDeviceInfo(deviceIndex, device)).linear.map((a) => a.featureIndex);
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
  /** Receives every `InputReading` event (Id 0) of a subscription. */
  onReading?: (deviceIndex: number, featureIndex: number, type: InputType, value: number) => void;
  #nextId = 1;
  #deviceWaiter?: () => void;

  constructor(deviceManager: DeviceManager, version: CaseSpecVersion, clock: Clock) {
    this.#version = version;
    this.#server = new ButtplugServer(
      { send: (messages) => this.#onSend(messages), close: () => {} },
      { deviceManager, serverName: "device-cases", clock },
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
      } else if (name === "InputReading") {
        const reading = (body.Reading ?? {}) as Record<string, { Value?: unknown }>;
        for (const [type, v] of Object.entries(reading)) {
          if (typeof v?.Value !== "number") continue;
          this.onReading?.(
            body.DeviceIndex as number,
            body.FeatureIndex as number,
            type as InputType,
            v.Value,
          );
        }
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

  async handshake(driver: Driver): Promise<void> {
    const r = await driver.until(
      this.request(
        "RequestServerInfo",
        this.#version === 4
          ? { ClientName: "device-cases", ProtocolVersionMajor: 4, ProtocolVersionMinor: 0 }
          : { ClientName: "device-cases", MessageVersion: this.#version },
      ),
      REPLY_TIMEOUT_MS,
    );
    if (!r.settled || !("ServerInfo" in r.value)) {
      throw new CaseFailure(
        `handshake failed: ${r.settled ? JSON.stringify(r.value) : "no reply"}`,
      );
    }
  }

  /**
   * Waits until `count` devices are known. Each wait ends on the next announcement (or after
   * `perEventMs` without one: then it gives up).
   */
  async waitForDevices(count: number, perEventMs: number, driver: Driver): Promise<boolean> {
    while (this.devices.size < count) {
      const announced = new Promise<void>((resolve) => this.#deviceWaiter = resolve);
      const r = await driver.until(announced, perEventMs);
      this.#deviceWaiter = undefined;
      if (!r.settled) return this.devices.size >= count;
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
