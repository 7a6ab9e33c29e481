/**
 * Smoke run of the benchmarks (`bench/main.ts --smoke`): a few samples per section, only to
 * prove every section still runs and `results.json` keeps its shape. Timing is never asserted.
 */
import assert from "node:assert/strict";

const MAIN = new URL("../bench/main.ts", import.meta.url).pathname;
/** Hard limit for the smoke run (it normally takes ~5 s). */
const TIMEOUT_MS = 90_000;

async function commandWorks(cmd: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** A number the benchmark really measured. */
function assertMeasured(value: unknown, what: string): void {
  assert.equal(typeof value, "number", `${what} is not a number: ${JSON.stringify(value)}`);
  assert.ok(Number.isFinite(value) && (value as number) > 0, `${what} = ${value}`);
}

function section(results: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = results[name];
  assert.ok(typeof value === "object" && value !== null, `no "${name}" section`);
  assert.ok(!("error" in value), `section ${name} failed: ${(value as { error?: string }).error}`);
  return value as Record<string, unknown>;
}

Deno.test("bench smoke run: every section produces numbers and results.json has the required keys", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench-smoke-" });
  try {
    const out = `${dir}/results.json`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let run: Deno.CommandOutput;
    try {
      run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", MAIN, "--smoke", "--out", out],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: controller.signal,
      }).output();
    } finally {
      clearTimeout(timer);
    }
    const stdout = new TextDecoder().decode(run.stdout);
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, `bench/main.ts --smoke exited ${run.code}\n${stdout}\n${stderr}`);
    const results = JSON.parse(await Deno.readTextFile(out)) as Record<string, unknown>;

    const meta = section(results, "meta");
    assert.equal(meta.smoke, true);

    const latency = section(results, "latency");
    for (const key of ["p50_us", "p99_us", "baseline_p50_us", "ratio_p50"]) {
      assertMeasured(latency[key], `latency.${key}`);
    }
    const library = latency.library as Record<string, unknown>;
    assertMeasured(library.p50_us, "latency.library.p50_us");
    const ble = latency.ble_gap as Record<string, unknown>;
    // The toy gets a command only when the 75 ms batching window closes.
    assertMeasured(ble.device_p50_us, "latency.ble_gap.device_p50_us");
    assert.ok(
      (ble.device_p50_us as number) >= 70_000,
      `BLE window not applied: ${ble.device_p50_us}`,
    );

    const throughput = section(results, "throughput");
    for (const key of ["msgs_per_s", "baseline_msgs_per_s", "ratio"]) {
      assertMeasured(throughput[key], `throughput.${key}`);
    }

    const scale = section(results, "scale");
    assert.equal(scale.devices, 100);
    for (const key of ["stop_all_devices_p50_us", "stop_baseline_p50_us", "burst_reply_p50_us"]) {
      assertMeasured(scale[key], `scale.${key}`);
    }

    const nodeHere = await commandWorks("node");
    const npmHere = await commandWorks("npm");
    const sidecar = section(results, "sidecar");
    if (nodeHere) {
      for (const key of ["p50_us", "baseline_p50_us", "ratio_p50"]) {
        assertMeasured(sidecar[key], `sidecar.${key}`);
      }
    } else {
      assert.match(String(sidecar.skipped), /node/);
    }

    const peer = section(results, "peer");
    if (nodeHere && npmHere) {
      for (const key of ["ours_us", "peer_us", "ratio"]) assertMeasured(peer[key], `peer.${key}`);
    } else {
      assert.match(String(peer.skipped), /npm|node/);
    }

    const memory = section(results, "memory");
    if (Deno.build.os === "linux") {
      for (const key of ["baseline_rss_mb", "idle_rss_mb", "devices_rss_mb", "idle_ratio"]) {
        assertMeasured(memory[key], `memory.${key}`);
      }
    } else {
      assert.match(String(memory.skipped), /Linux/);
    }

    assertMeasured(results.startup_ms, "startup_ms");
    const startup = section(results, "startup");
    assertMeasured(startup.baseline_ms, "startup.baseline_ms");

    // The printed table names every section that ran.
    for (const name of ["latency", "throughput", "sidecar", "scale", "peer", "memory", "startup"]) {
      assert.match(stdout, new RegExp(`^${name} `, "m"), `table has no ${name} row:\n${stdout}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
