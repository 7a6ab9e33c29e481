/**
 * Section 6, peer: the npm package `buttplug@0.13.2` (the last JavaScript release that ships an
 * in-process server with test devices) measured in Node beside ours in Deno, both in-process:
 * client → in-process connector → server → device, closed loop of vibrate commands.
 *
 * - `test`: each library's own test device (theirs: `TestDeviceSubtypeManager`'s vibration
 *   device; ours: `createTestDevice()`, one vibrator commanded).
 * - `lovense`: each library's byte-level Lovense protocol on an in-memory Hush.
 *
 * The package comes from the interop tests' pinned install (tests/interop/package.json).
 *
 * @module
 */
import { ButtplugClient } from "../client/client.ts";
import type { ButtplugClientDevice } from "../client/device.ts";
import { InProcessConnector } from "../client/in_process_connector.ts";
import { createTestDevice } from "../hardware/simulated.ts";
import { DeviceManager } from "../server/devices/manager.ts";
import { ButtplugServer } from "../server/server.ts";
import { ensureInstalled, npmMissing } from "../tests/interop/_harness.ts";
import type { BenchContext, Skipped } from "./_context.ts";
import { samples } from "./_context.ts";
import { createLovenseDevices } from "./_lovense_rig.ts";
import { microseconds, ratio, round, type Summary } from "./_stats.ts";

/** Results of the peer section (microseconds, p50 unless named otherwise). */
export interface PeerResult {
  /** Our vibrate round trip on our test device. */
  readonly ours_us: number;
  /** buttplug@0.13.2's vibrate round trip on its test device. */
  readonly peer_us: number;
  /** `ours_us / peer_us` (lower is better). */
  readonly ratio: number;
  /** Round trips per side. */
  readonly samples: number;
  /** Byte-level Lovense on both sides. */
  readonly lovense: { readonly ours_us: number; readonly peer_us: number; readonly ratio: number };
  /** Distributions. */
  readonly ours_test: Summary;
  readonly ours_lovense: Summary;
  readonly peer_test: PeerSummary;
  readonly peer_lovense: PeerSummary;
  /** Runtimes. */
  readonly runtimes: { readonly ours: string; readonly peer: string };
}

/** What the Node script reports per device. */
export interface PeerSummary {
  readonly device: string;
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

interface PeerScriptResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly node: string;
  readonly test: PeerSummary;
  readonly lovense: PeerSummary;
}

/** Closed loop of `vibrate([speed])` through our in-process client. */
async function oursLoop(
  deviceManager: DeviceManager,
  count: number,
  warmup: number,
): Promise<Summary> {
  await using client = new ButtplugClient("deno-buttplug bench (in-process)");
  await client.connect(new InProcessConnector(ButtplugServer.factory({ deviceManager })));
  const device: ButtplugClientDevice | undefined = client.devices.get(0);
  if (!device) throw new Error("peer bench: no device 0");
  const us = new Float64Array(count);
  for (let i = -warmup; i < count; i++) {
    const t0 = performance.now();
    // One speed: only the first vibrator, so each library sends one command per round trip.
    await device.vibrate([i % 2 === 0 ? 0.5 : 0.55]);
    if (i >= 0) us[i] = (performance.now() - t0) * 1000;
  }
  return microseconds(us);
}

async function peerScript(count: number, warmup: number): Promise<PeerScriptResult> {
  const script = new URL("./_peer_buttplug_0_13.mjs", import.meta.url).pathname;
  const out = await new Deno.Command("node", {
    args: [script, String(count), String(warmup)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) {
    throw new Error(
      `peer script printed no result (exit ${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const result = JSON.parse(line.slice("RESULT ".length)) as PeerScriptResult;
  if (!result.ok) throw new Error(`peer script failed: ${result.error}`);
  return result;
}

/** Runs the peer section, or says why it cannot run here. */
export async function benchPeer(ctx: BenchContext): Promise<PeerResult | Skipped> {
  if (npmMissing) return { skipped: `${npmMissing} (the peer is an npm package run by Node)` };
  await ensureInstalled();
  const count = samples(ctx, 10_000, 100);
  const warmup = samples(ctx, 500, 20);
  await using testManager = new DeviceManager();
  testManager.add(createTestDevice());
  const oursTest = await oursLoop(testManager, count, warmup);
  await using toys = await createLovenseDevices({ gapMs: 0 });
  const before = toys.signal.count;
  const oursLovense = await oursLoop(toys.manager, count, warmup);
  if (toys.signal.count - before < count + warmup) {
    throw new Error(`peer bench: our toy got ${toys.signal.count - before} writes`);
  }
  const peer = await peerScript(count, warmup);
  const peerTest = round(peer.test.p50, 1);
  const peerLovense = round(peer.lovense.p50, 1);
  return {
    ours_us: oursTest.p50,
    peer_us: peerTest,
    ratio: ratio(oursTest.p50, peerTest),
    samples: oursTest.n,
    lovense: {
      ours_us: oursLovense.p50,
      peer_us: peerLovense,
      ratio: ratio(oursLovense.p50, peerLovense),
    },
    ours_test: oursTest,
    ours_lovense: oursLovense,
    peer_test: peer.test,
    peer_lovense: peer.lovense,
    runtimes: { ours: `Deno ${Deno.version.deno}`, peer: `Node ${peer.node}` },
  };
}
