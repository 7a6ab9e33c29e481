/**
 * Runs the sidecar's Node-side unit tests (`node --test` in hardware/sidecar/, fakes for noble,
 * serialport and node-hid: no hardware and no npm install needed) as one Deno test.
 */
import assert from "node:assert/strict";

const SIDECAR_DIR = new URL("../../hardware/sidecar/", import.meta.url).pathname;

Deno.test("sidecar Node unit tests pass under node --test", async () => {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("node", {
      args: ["--test", "--test-reporter=tap", "test/"],
      cwd: SIDECAR_DIR,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new Error(
      `cannot run node (Node.js 20+ must be on PATH): ${(err as Error).message}`,
    );
  }
  const text = new TextDecoder().decode(output.stdout) +
    new TextDecoder().decode(output.stderr);
  const count = (name: string) =>
    Number(new RegExp(`^# ${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
  const failures = text.split("\n").filter((l) => /^\s*not ok /.test(l));
  assert.equal(
    output.code,
    0,
    `node --test failed:\n${failures.join("\n")}\n\n${text.slice(-4000)}`,
  );
  assert.equal(count("fail"), 0);
  assert.ok(
    count("pass") >= 40,
    `expected at least 40 passing Node tests, got ${count("pass")}`,
  );
});
