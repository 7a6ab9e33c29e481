/**
 * What the client worker (`_client_worker.ts`) can be asked to do, and what it answers. Every
 * job opens its own WebSocket, runs, and closes it.
 *
 * @module
 */

/** One command the raw client sends: a v4 vibrate on one toy, or a Ping. */
export interface CommandTarget {
  /** Device index (vibrate). */
  readonly deviceIndex: number;
  /** Feature index (vibrate). */
  readonly featureIndex: number;
  /** Values sent in turn (alternating, so value de-duplication never skips a command). */
  readonly values: readonly number[];
  /** Send `Ping` instead of the vibrate (measures the transport and session alone). */
  readonly ping?: boolean;
}

/** Closed loop: send one command, wait for its reply (and optionally the device), repeat. */
export interface ClosedLoopJob {
  readonly kind: "closed";
  /** Server address. */
  readonly url: string;
  /** Round trips measured. */
  readonly count: number;
  /** Round trips run first and thrown away (JIT warm-up). */
  readonly warmup: number;
  /** The command. */
  readonly target: CommandTarget;
  /** Device-side counter (`DeviceSignal.buffer`); device latencies are reported when given. */
  readonly signal?: SharedArrayBuffer;
  /**
   * Counter events per command (default 1). When `waitDevice` is set, each iteration also waits
   * until the counter has grown by this much before sending the next command.
   */
  readonly eventsPerCommand?: number;
  /** Wait for the device counter as well as the reply (see `eventsPerCommand`). */
  readonly waitDevice?: boolean;
  /**
   * A second counter, only observed (one event per command): its latency is reported in
   * `observedUs` for iterations where it was reached by the time the iteration completed.
   */
  readonly observe?: SharedArrayBuffer;
}

/** Pipelined: keep `window` commands in flight until `count` replies arrived. */
export interface PipelinedJob {
  readonly kind: "pipelined";
  /** Server address. */
  readonly url: string;
  /** Commands sent (and replies awaited). */
  readonly count: number;
  /** Commands in flight. */
  readonly window: number;
  /** The command. */
  readonly target: CommandTarget;
}

/** Scale: a burst of one command per device (one frame each), then one `StopCmd{}`. */
export interface BurstJob {
  readonly kind: "burst";
  /** Server address. */
  readonly url: string;
  /** Rounds measured. */
  readonly rounds: number;
  /** Rounds thrown away first. */
  readonly warmup: number;
  /** Devices 0..devices-1 each get one vibrate per round. */
  readonly devices: number;
  /** Vibrate value of the burst (the stop sets 0, so every burst is a change). */
  readonly value: number;
  /** Device-side counter: one event per device write. */
  readonly signal?: SharedArrayBuffer;
}

/** Our client library (ButtplugClient + WebSocketConnector) in a closed vibrate loop. */
export interface LibraryJob {
  readonly kind: "library";
  /** Server address. */
  readonly url: string;
  /** Round trips measured. */
  readonly count: number;
  /** Round trips thrown away first. */
  readonly warmup: number;
  /** Device index. */
  readonly deviceIndex: number;
  /** Vibrate speeds (0..1) sent in turn. */
  readonly speeds: readonly number[];
  /** Device-side counter; device latencies are reported when given. */
  readonly signal?: SharedArrayBuffer;
}

/** Any job. */
export type Job = ClosedLoopJob | PipelinedJob | BurstJob | LibraryJob;

/** Result of a closed loop or library job; every array holds microseconds, one per round trip. */
export interface LoopResult {
  readonly kind: "loop";
  /** Send → reply. */
  readonly replyUs: Float64Array;
  /** Send → device write (empty without a signal). */
  readonly deviceUs: Float64Array;
  /** Send → reply and device write both done (empty unless the job waited for the device). */
  readonly completeUs: Float64Array;
  /** Send → the observed counter's event (empty without `observe`). */
  readonly observedUs: Float64Array;
  /** Replies that were not `Ok`. */
  readonly errors: number;
  /** First non-`Ok` reply, for the report. */
  readonly firstError?: string;
}

/** Result of a pipelined job. */
export interface PipelinedResult {
  readonly kind: "pipelined";
  /** Wall time from the first send to the last reply, in ms. */
  readonly elapsedMs: number;
  /** Replies received. */
  readonly replies: number;
  /** Replies that were not `Ok`. */
  readonly errors: number;
  /** First non-`Ok` reply. */
  readonly firstError?: string;
}

/** Result of a burst job; arrays hold microseconds, one per round. */
export interface BurstResult {
  readonly kind: "burst";
  /** First burst send → last burst reply. */
  readonly burstReplyUs: Float64Array;
  /** First burst send → last device write of the burst (empty without a signal). */
  readonly burstDeviceUs: Float64Array;
  /** StopCmd send → its reply. */
  readonly stopReplyUs: Float64Array;
  /** StopCmd send → last device stop write (empty without a signal). */
  readonly stopDeviceUs: Float64Array;
  /** Replies that were not `Ok`. */
  readonly errors: number;
  /** First non-`Ok` reply. */
  readonly firstError?: string;
}

/** Any job result. */
export type JobResult = LoopResult | PipelinedResult | BurstResult;

/** Message from the main thread to the worker. */
export interface JobRequest {
  /** Request id. */
  readonly id: number;
  /** The job. */
  readonly job: Job;
}

/** Message from the worker to the main thread. */
export type JobReply =
  | { readonly id: number; readonly result: JobResult }
  | { readonly id: number; readonly error: string };

/** The v4 frame of one vibrate command. */
export function vibrateFrame(
  id: number,
  deviceIndex: number,
  featureIndex: number,
  value: number,
): string {
  return `[{"OutputCmd":{"Id":${id},"DeviceIndex":${deviceIndex},"FeatureIndex":${featureIndex},"Command":{"Vibrate":{"Value":${value}}}}}]`;
}

/** The frame of one command of `target`. */
export function commandFrame(id: number, target: CommandTarget): string {
  if (target.ping) return `[{"Ping":{"Id":${id}}}]`;
  const { values } = target;
  return vibrateFrame(id, target.deviceIndex, target.featureIndex, values[id % values.length]);
}

/** The v4 handshake frame. */
export function handshakeFrame(id: number): string {
  return `[{"RequestServerInfo":{"Id":${id},"ClientName":"deno-buttplug bench","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]`;
}

/** The v4 stop-everything frame. */
export function stopAllFrame(id: number): string {
  return `[{"StopCmd":{"Id":${id}}}]`;
}
