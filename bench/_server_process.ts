/**
 * Child process of the memory benchmark: our WebSocket server (as `server/main.ts` builds it)
 * with `--devices N` simulated Lovense toys connected through the device pipeline, and with
 * `--sidecar real|fake` the hardware sidecar running beside it. Prints one JSON line
 * `{"ready":true,"port":P,"sidecarPid":PID|null}` once everything is up, then runs until stdin
 * closes.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SidecarProcess } from "../hardware/sidecar.ts";
import { ensureSidecar } from "../hardware/sidecar_setup.ts";
import { createLogger } from "../server/log.ts";
import { serveWebSocket } from "../server/websocket.ts";
import { createLovenseDevices } from "./_lovense_rig.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    devices: { type: "string", default: "0" },
    sidecar: { type: "string", default: "none" },
  },
});
const count = Number(values.devices);
const logger = createLogger("warn", (line) => console.error(line));
await using stack = new AsyncDisposableStack();
let sidecarPid: number | null = null;
if (values.sidecar === "real" || values.sidecar === "fake") {
  const script = values.sidecar === "real"
    ? (await ensureSidecar()).script
    : new URL("./_sidecar_fake_serial.mjs", import.meta.url).pathname;
  const sidecar = stack.use(await SidecarProcess.start({ script, logger }));
  sidecarPid = sidecar.pid ?? null;
}
const toys = stack.use(await createLovenseDevices({ count, gapMs: 20, timeoutMs: 30_000 }));
const server = stack.use(serveWebSocket({ deviceManager: toys.manager, port: 0, logger }));
console.log(JSON.stringify({ ready: true, port: server.port, sidecarPid }));
for await (const _ of Deno.stdin.readable) {
  // ignore input; the loop ends when stdin closes
}
