import assert from "node:assert/strict";
import { systemClock } from "../../protocol/clock.ts";

const CLOCK_URL = new URL("../../protocol/clock.ts", import.meta.url).href;

/** Runs `body` in a fresh Deno process and returns how long it took to exit, in ms. */
async function exitTime(body: string): Promise<number> {
  const script = `import { systemClock } from ${JSON.stringify(CLOCK_URL)};\n${body}`;
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return performance.now() - started;
}

Deno.test("systemClock: an unref'd timer does not keep the process alive; ref undoes it", async () => {
  const [unrefd, refAgain] = await Promise.all([
    exitTime("const t = systemClock.setTimeout(() => {}, 5000); systemClock.unref?.(t);"),
    exitTime(
      "const t = systemClock.setTimeout(() => {}, 1500); systemClock.unref?.(t); systemClock.ref?.(t);",
    ),
  ]);
  assert.ok(unrefd < 1500, `exited after ${Math.round(unrefd)} ms`);
  assert.ok(refAgain >= 1500, `exited after ${Math.round(refAgain)} ms`);
});

Deno.test("systemClock: ref/unref ignore unknown handles", () => {
  systemClock.ref?.(undefined);
  systemClock.unref?.(12345678);
  systemClock.unref?.({});
});
