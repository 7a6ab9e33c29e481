/**
 * The start-up and memory baseline: a Deno process serving only the bare echo WebSocket server
 * on the port given as the first argument. Exits on SIGTERM, and with `--stdin` also when stdin
 * closes (so it never outlives the benchmark that spawned it).
 *
 * @module
 */
import { serveEcho } from "./_echo_server.ts";

const echo = serveEcho({ port: Number(Deno.args[0] ?? 0) });
console.log(JSON.stringify({ ready: true, port: echo.port }));
const stop = Promise.withResolvers<void>();
Deno.addSignalListener("SIGTERM", () => stop.resolve());
if (Deno.args.includes("--stdin")) {
  (async () => {
    for await (const _ of Deno.stdin.readable) {
      // ignore input; the loop ends when stdin closes
    }
    stop.resolve();
  })();
}
await stop.promise;
await echo.shutdown();
Deno.exit(0);
