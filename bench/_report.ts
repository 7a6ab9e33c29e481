/**
 * The one table `deno task bench` prints: every figure next to its baseline and the ratio, with
 * the goal where there is one.
 *
 * @module
 */
import type { BenchResults, Outcome } from "./main.ts";
import { isSkipped } from "./_context.ts";
import { ratio } from "./_stats.ts";

/** One printed row. */
interface Row {
  /** A note row (skip or failure): printed as is, not aligned. */
  readonly note?: boolean;
  readonly section: string;
  readonly metric: string;
  readonly ours: string;
  readonly baseline?: string;
  readonly ratio?: string;
  readonly goal?: string;
}

/** Microseconds, or milliseconds from 10 ms up. */
export function formatUs(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return "n/a";
  return us >= 10_000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(1)} µs`;
}

function formatRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? "" : `${r.toFixed(2)}×`;
}

function goal(text: string, met: boolean): string {
  return `${text} ${met ? "met" : "MISSED"}`;
}

function rows(results: BenchResults): Row[] {
  const out: Row[] = [];
  /** Whether `value` is a result; otherwise prints why not. */
  const done = <T extends object>(section: string, value: Outcome<T>): value is T => {
    if (isSkipped(value)) {
      out.push({ note: true, section, metric: `skipped: ${value.skipped}`, ours: "" });
      return false;
    }
    if ("error" in value) {
      out.push({
        note: true,
        section,
        metric: `FAILED: ${String(value.error).split("\n")[0]}`,
        ours: "",
      });
      return false;
    }
    return true;
  };

  const l = results.latency;
  if (done("latency", l)) {
    const base = formatUs(l.baseline_p50_us);
    out.push({
      section: "latency",
      metric: "vibrate → Lovense, reply p50",
      ours: formatUs(l.p50_us),
      baseline: base,
      ratio: formatRatio(l.ratio_p50),
      goal: goal(`≤ ${l.goal_ratio_p50}×`, l.goal_met),
    });
    out.push({
      section: "latency",
      metric: "vibrate → Lovense, reply p99",
      ours: formatUs(l.p99_us),
      baseline: formatUs(l.baseline_p99_us),
      ratio: formatRatio(l.ratio_p99),
    });
    out.push({
      section: "latency",
      metric: "send → toy received bytes, p50",
      ours: formatUs(l.device.p50),
    });
    out.push({
      section: "latency",
      metric: "breakdown: Ping (no device), p50",
      ours: formatUs(l.breakdown.ping_p50_us),
      baseline: base,
      ratio: formatRatio(ratio(l.breakdown.ping_p50_us, l.baseline_p50_us)),
    });
    out.push({
      section: "latency",
      metric: "breakdown: vibrate → test device, p50",
      ours: formatUs(l.breakdown.test_device_p50_us),
      baseline: base,
      ratio: formatRatio(ratio(l.breakdown.test_device_p50_us, l.baseline_p50_us)),
    });
    out.push({
      section: "latency",
      metric: "client library, reply p50",
      ours: formatUs(l.library.p50_us),
      baseline: base,
      ratio: formatRatio(l.library.ratio_p50),
    });
    out.push({
      section: "latency",
      metric: `${l.ble_gap.gap_ms} ms BLE window, reply p50`,
      ours: formatUs(l.ble_gap.reply_p50_us),
      baseline: formatUs(l.ble_gap.baseline_p50_us),
      ratio: formatRatio(l.ble_gap.ratio_p50),
    });
    out.push({
      section: "latency",
      metric: `${l.ble_gap.gap_ms} ms BLE window, toy received p50`,
      ours: formatUs(l.ble_gap.device_p50_us),
    });
  }

  const t = results.throughput;
  if (done("throughput", t)) {
    out.push({
      section: "throughput",
      metric: `pipelined, ${t.window} in flight`,
      ours: `${t.msgs_per_s}/s`,
      baseline: `${t.baseline_msgs_per_s}/s`,
      ratio: formatRatio(t.ratio),
      goal: goal(`≥ ${t.goal_ratio}×`, t.goal_met),
    });
  }

  const s = results.sidecar;
  if (done("sidecar", s)) {
    out.push({
      section: "sidecar",
      metric: "Ok + sidecar write ack, p50",
      ours: formatUs(s.p50_us),
      baseline: formatUs(s.baseline_p50_us),
      ratio: formatRatio(s.ratio_p50),
      goal: goal(`≤ ${s.goal_ratio_p50}×`, s.goal_met),
    });
    out.push({ section: "sidecar", metric: "reply only, p50", ours: formatUs(s.reply.p50) });
    out.push({
      section: "sidecar",
      metric: "bare stdio round trip to Node, p50",
      ours: formatUs(s.stdio.p50),
    });
    if (done("sidecar", s.serial_pty)) {
      out.push({
        section: "sidecar",
        metric: "real serialport → pty: Ok + ack, p50",
        ours: formatUs(s.serial_pty.p50_us),
        baseline: formatUs(s.baseline_p50_us),
        ratio: formatRatio(s.serial_pty.ratio_p50),
      });
      out.push({
        section: "sidecar",
        metric: "real serialport → pty: toy received, p50",
        ours: formatUs(s.serial_pty.device.p50),
      });
    }
  }

  const c = results.scale;
  if (done("scale", c)) {
    out.push({
      section: "scale",
      metric: `StopCmd{} reaches ${c.devices} toys, p50`,
      ours: formatUs(c.stop_all_devices_p50_us),
      baseline: formatUs(c.stop_baseline_p50_us),
      ratio: formatRatio(c.stop_ratio_p50),
    });
    out.push({
      section: "scale",
      metric: "StopCmd{} reply, p50",
      ours: formatUs(c.stop_all_reply_p50_us),
    });
    out.push({
      section: "scale",
      metric: `burst of ${c.devices} frames, all replies p50`,
      ours: formatUs(c.burst_reply_p50_us),
      baseline: formatUs(c.burst_baseline_p50_us),
      ratio: formatRatio(c.burst_ratio_p50),
    });
    out.push({
      section: "scale",
      metric: "burst, last toy received p50",
      ours: formatUs(c.burst_devices_p50_us),
    });
  }

  const p = results.peer;
  if (done("peer", p)) {
    out.push({
      section: "peer",
      metric: "in-process vibrate, test device, p50",
      ours: formatUs(p.ours_us),
      baseline: `${formatUs(p.peer_us)} (0.13.2)`,
      ratio: formatRatio(p.ratio),
    });
    out.push({
      section: "peer",
      metric: "in-process vibrate, Lovense bytes, p50",
      ours: formatUs(p.lovense.ours_us),
      baseline: `${formatUs(p.lovense.peer_us)} (0.13.2)`,
      ratio: formatRatio(p.lovense.ratio),
    });
  }

  const m = results.memory;
  if (done("memory", m)) {
    out.push({
      section: "memory",
      metric: "RSS idle",
      ours: `${m.idle_rss_mb} MiB`,
      baseline: `${m.baseline_rss_mb} MiB`,
      ratio: formatRatio(m.idle_ratio),
    });
    out.push({
      section: "memory",
      metric: `RSS with ${m.devices} toys (${m.per_device_kb} KiB each)`,
      ours: `${m.devices_rss_mb} MiB`,
      baseline: `${m.baseline_rss_mb} MiB`,
      ratio: formatRatio(m.devices_ratio),
    });
    if (m.idle_with_sidecar_rss_mb !== null) {
      out.push({
        section: "memory",
        metric: "RSS idle + sidecar (Deno + Node)",
        ours: `${m.idle_with_sidecar_rss_mb} MiB`,
      });
      out.push({
        section: "memory",
        metric: `RSS with ${m.devices} toys + sidecar`,
        ours: `${m.devices_with_sidecar_rss_mb} MiB`,
      });
    }
  }

  const u = results.startup;
  if (done("startup", u)) {
    out.push({
      section: "startup",
      metric: "spawn → port accepts, median",
      ours: `${u.ms} ms`,
      baseline: `${u.baseline_ms} ms`,
      ratio: formatRatio(u.ratio),
    });
  }
  return out;
}

/**
 * The results as one text table.
 *
 * @example
 * ```ts ignore
 * import { formatTable } from "./_report.ts";
 * console.log(formatTable(results));
 * ```
 */
export function formatTable(results: BenchResults): string {
  const header: Row = {
    section: "section",
    metric: "metric",
    ours: "ours",
    baseline: "baseline",
    ratio: "ratio",
    goal: "goal",
  };
  const all = [header, ...rows(results)];
  const aligned = all.filter((r) => !r.note);
  const width = (f: (r: Row) => string | undefined): number =>
    Math.max(...aligned.map((r) => (f(r) ?? "").length));
  const w = [
    width((r) => r.section),
    width((r) => r.metric),
    width((r) => r.ours),
    width((r) => r.baseline),
    width((r) => r.ratio),
  ];
  const lines = all.map((r) =>
    r.note ? `${r.section.padEnd(w[0])}  ${r.metric}` : [
      r.section.padEnd(w[0]),
      r.metric.padEnd(w[1]),
      r.ours.padStart(w[2]),
      (r.baseline ?? "").padStart(w[3]),
      (r.ratio ?? "").padStart(w[4]),
      r.goal ?? "",
    ].join("  ").trimEnd()
  );
  lines.splice(1, 0, "-".repeat(Math.max(...lines.map((l) => l.length))));
  const meta = results.meta;
  return [
    `deno-buttplug benchmarks: ${
      meta.smoke ? "SMOKE run (few samples, figures meaningless)" : "full run"
    }, ` +
    `Deno ${meta.deno}, ${meta.cpus} CPUs, load ${meta.load_before.join(" ")} → ${
      meta.load_after.join(" ")
    }, ` +
    `${meta.duration_s} s`,
    ...lines,
  ].join("\n");
}
