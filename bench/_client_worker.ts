/**
 * The benchmark client, run in a Web Worker so it has its own thread and event loop (like a real
 * app in another process) while the server under test runs on the main thread. Jobs and results
 * are described in `_jobs.ts`; `_client.ts` drives this worker.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { ButtplugClient } from "../client/client.ts";
import { WebSocketConnector } from "../client/websocket_connector.ts";
import type { ButtplugClientDevice } from "../client/device.ts";
import { DeviceSignal } from "./_signal.ts";
import { absoluteMs } from "./_stats.ts";
import {
  type BurstJob,
  type BurstResult,
  type ClosedLoopJob,
  commandFrame,
  handshakeFrame,
  type Job,
  type JobReply,
  type JobRequest,
  type JobResult,
  type LibraryJob,
  type LoopResult,
  type PipelinedJob,
  type PipelinedResult,
  stopAllFrame,
  vibrateFrame,
} from "./_jobs.ts";

const REPLY_TIMEOUT_MS = 10_000;
const OK_PREFIX = '[{"Ok":{"Id":';

/** Error bookkeeping of one job. */
class Errors {
  count = 0;
  first: string | undefined;
  add(text: string): void {
    this.count++;
    this.first ??= text.slice(0, 300);
  }
}

/** How a frame from the server is classified. */
type Kind = "ok" | "error" | "event";

/** Ok reply, error reply, or an event (Id 0: device list, scanning finished...). */
function classify(text: string): Kind {
  if (text.startsWith(OK_PREFIX)) return "ok";
  try {
    const frame = JSON.parse(text) as Record<string, { Id?: number }>[];
    const message = frame[0] ?? {};
    const name = Object.keys(message)[0];
    if (message[name]?.Id === 0) return "event";
  } catch {
    // not JSON: an error
  }
  return "error";
}

/** A raw WebSocket: frames are consumed one at a time or handed to a callback. */
class RawSocket {
  readonly #ws: WebSocket;
  readonly #queue: string[] = [];
  #waiter: ((text: string) => void) | undefined;
  #onFrame: ((text: string) => void) | undefined;
  readonly #closed: Promise<void>;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    this.#closed = new Promise((resolve) => ws.addEventListener("close", () => resolve()));
    ws.addEventListener("message", (event) => {
      const text = event.data as string;
      if (this.#onFrame) return this.#onFrame(text);
      const waiter = this.#waiter;
      if (waiter) {
        this.#waiter = undefined;
        waiter(text);
      } else {
        this.#queue.push(text);
      }
    });
  }

  static open(url: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const socket = new RawSocket(ws);
      ws.addEventListener("open", () => resolve(socket), { once: true });
      ws.addEventListener(
        "error",
        (e) => reject(new Error(`cannot connect to ${url}: ${(e as ErrorEvent).message}`)),
        {
          once: true,
        },
      );
    });
  }

  send(text: string): void {
    this.#ws.send(text);
  }

  /** The next frame (rejects after a timeout, so a lost reply reports instead of hanging). */
  next(): Promise<string> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`no reply within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      this.#waiter = (text) => {
        clearTimeout(timer);
        resolve(text);
      };
    });
  }

  /** The next reply (Ok or Error), skipping events. */
  async reply(errors: Errors): Promise<void> {
    while (true) {
      const text = await this.next();
      const kind = classify(text);
      if (kind === "ok") return;
      if (kind === "error") {
        errors.add(text);
        return;
      }
    }
  }

  /** Routes every frame to `fn` (pipelined mode). */
  set onFrame(fn: ((text: string) => void) | undefined) {
    this.#onFrame = fn;
  }

  async close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(1000, "bench done");
    }
    await this.#closed;
  }
}

/** Opens a socket and performs the v4 handshake (any non-error answer is accepted). */
async function connect(url: string, errors: Errors): Promise<RawSocket> {
  const socket = await RawSocket.open(url);
  socket.send(handshakeFrame(1));
  const text = await socket.next();
  if (text.includes('"Error"')) errors.add(`handshake: ${text}`);
  return socket;
}

async function closedLoop(job: ClosedLoopJob): Promise<LoopResult> {
  const errors = new Errors();
  const socket = await connect(job.url, errors);
  const signal = job.signal ? new DeviceSignal(job.signal) : undefined;
  const per = job.eventsPerCommand ?? 1;
  const target = job.target;
  const replyUs = new Float64Array(job.count);
  const deviceUs = new Float64Array(signal ? job.count : 0);
  const completeUs = new Float64Array(signal && job.waitDevice ? job.count : 0);
  const observe = job.observe ? new DeviceSignal(job.observe) : undefined;
  const observedUs = new Float64Array(observe ? job.count : 0);
  let expected = signal?.count ?? 0;
  let observed = observe?.count ?? 0;
  let id = 2;
  try {
    for (let i = -job.warmup; i < job.count; i++) {
      const frame = commandFrame(id++, target);
      const sentAbs = absoluteMs();
      const t0 = performance.now();
      socket.send(frame);
      await socket.reply(errors);
      const t1 = performance.now();
      expected += per;
      observed++;
      if (signal && job.waitDevice) await signal.reach(expected);
      const t2 = performance.now();
      if (observe && observe.count > observed) observed = observe.count; // never fall behind
      if (i < 0) continue;
      if (observe) {
        observedUs[i] = observe.count >= observed ? (observe.lastMs - sentAbs) * 1000 : NaN;
      }
      replyUs[i] = (t1 - t0) * 1000;
      if (signal) {
        // The device may be behind (batching window): its time is only meaningful once reached.
        if (signal.count >= expected) deviceUs[i] = (signal.lastMs - sentAbs) * 1000;
        else deviceUs[i] = NaN;
      }
      if (completeUs.length > 0) completeUs[i] = (t2 - t0) * 1000;
    }
  } finally {
    await socket.close();
  }
  return {
    kind: "loop",
    replyUs,
    deviceUs: deviceUs.filter((v) => !Number.isNaN(v)),
    completeUs,
    observedUs: observedUs.filter((v) => !Number.isNaN(v)),
    errors: errors.count,
    ...(errors.first ? { firstError: errors.first } : {}),
  };
}

async function pipelined(job: PipelinedJob): Promise<PipelinedResult> {
  const errors = new Errors();
  const socket = await connect(job.url, errors);
  const target = job.target;
  let sent = 0;
  let replies = 0;
  let id = 2;
  const done = Promise.withResolvers<void>();
  const sendOne = (): void => {
    sent++;
    socket.send(commandFrame(id++, target));
  };
  const timer = setTimeout(
    () => done.reject(new Error(`only ${replies} of ${job.count} replies`)),
    Math.max(30_000, job.count),
  );
  socket.onFrame = (text) => {
    if (!text.startsWith(OK_PREFIX)) {
      const kind = classify(text);
      if (kind === "event") return;
      if (kind === "error") errors.add(text);
    }
    replies++;
    if (sent < job.count) sendOne();
    if (replies === job.count) done.resolve();
  };
  const t0 = performance.now();
  try {
    while (sent < Math.min(job.window, job.count)) sendOne();
    await done.promise;
  } finally {
    clearTimeout(timer);
    socket.onFrame = undefined;
  }
  const elapsedMs = performance.now() - t0;
  await socket.close();
  return {
    kind: "pipelined",
    elapsedMs,
    replies,
    errors: errors.count,
    ...(errors.first ? { firstError: errors.first } : {}),
  };
}

async function burst(job: BurstJob): Promise<BurstResult> {
  const errors = new Errors();
  const socket = await connect(job.url, errors);
  const signal = job.signal ? new DeviceSignal(job.signal) : undefined;
  const burstReplyUs = new Float64Array(job.rounds);
  const burstDeviceUs = new Float64Array(signal ? job.rounds : 0);
  const stopReplyUs = new Float64Array(job.rounds);
  const stopDeviceUs = new Float64Array(signal ? job.rounds : 0);
  let expected = signal?.count ?? 0;
  let id = 2;
  try {
    for (let r = -job.warmup; r < job.rounds; r++) {
      // Burst: one frame per device, back to back, then every reply.
      let sentAbs = absoluteMs();
      let t0 = performance.now();
      for (let d = 0; d < job.devices; d++) socket.send(vibrateFrame(id++, d, 0, job.value));
      for (let d = 0; d < job.devices; d++) await socket.reply(errors);
      let t1 = performance.now();
      expected += job.devices;
      if (signal) await signal.reach(expected);
      if (r >= 0) {
        burstReplyUs[r] = (t1 - t0) * 1000;
        if (signal) burstDeviceUs[r] = (signal.lastMs - sentAbs) * 1000;
      }
      // Stop everything: one StopCmd{} must reach every device.
      sentAbs = absoluteMs();
      t0 = performance.now();
      socket.send(stopAllFrame(id++));
      await socket.reply(errors);
      t1 = performance.now();
      expected += job.devices;
      if (signal) await signal.reach(expected);
      if (r >= 0) {
        stopReplyUs[r] = (t1 - t0) * 1000;
        if (signal) stopDeviceUs[r] = (signal.lastMs - sentAbs) * 1000;
      }
    }
  } finally {
    await socket.close();
  }
  return {
    kind: "burst",
    burstReplyUs,
    burstDeviceUs,
    stopReplyUs,
    stopDeviceUs,
    errors: errors.count,
    ...(errors.first ? { firstError: errors.first } : {}),
  };
}

async function library(job: LibraryJob): Promise<LoopResult> {
  const signal = job.signal ? new DeviceSignal(job.signal) : undefined;
  await using client = new ButtplugClient("deno-buttplug bench (library)");
  await client.connect(new WebSocketConnector(job.url));
  const device: ButtplugClientDevice | undefined = client.devices.get(job.deviceIndex);
  if (!device) throw new Error(`the server lists no device ${job.deviceIndex}`);
  const replyUs = new Float64Array(job.count);
  const deviceUs = new Float64Array(signal ? job.count : 0);
  const errors = new Errors();
  let expected = signal?.count ?? 0;
  for (let i = -job.warmup; i < job.count; i++) {
    const speed = job.speeds[(i + job.warmup) % job.speeds.length];
    const sentAbs = absoluteMs();
    const t0 = performance.now();
    try {
      await device.vibrate(speed);
    } catch (err) {
      errors.add(String(err));
    }
    const t1 = performance.now();
    expected++;
    if (i < 0) continue;
    replyUs[i] = (t1 - t0) * 1000;
    if (signal) deviceUs[i] = signal.count >= expected ? (signal.lastMs - sentAbs) * 1000 : NaN;
  }
  await client.disconnect();
  return {
    kind: "loop",
    replyUs,
    deviceUs: deviceUs.filter((v) => !Number.isNaN(v)),
    completeUs: new Float64Array(0),
    observedUs: new Float64Array(0),
    errors: errors.count,
    ...(errors.first ? { firstError: errors.first } : {}),
  };
}

function run(job: Job): Promise<JobResult> {
  switch (job.kind) {
    case "closed":
      return closedLoop(job);
    case "pipelined":
      return pipelined(job);
    case "burst":
      return burst(job);
    case "library":
      return library(job);
  }
}

function transferables(result: JobResult): ArrayBuffer[] {
  const arrays = result.kind === "loop"
    ? [result.replyUs, result.deviceUs, result.completeUs, result.observedUs]
    : result.kind === "burst"
    ? [result.burstReplyUs, result.burstDeviceUs, result.stopReplyUs, result.stopDeviceUs]
    : [];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

self.onmessage = async (event: MessageEvent<JobRequest>) => {
  const { id, job } = event.data;
  let reply: JobReply;
  try {
    const result = await run(job);
    reply = { id, result };
    self.postMessage(reply, transferables(result));
  } catch (err) {
    reply = { id, error: err instanceof Error ? err.stack ?? err.message : String(err) };
    self.postMessage(reply);
  }
};
