// Baseline of the sidecar benchmark: the barest stdio JSON peer in Node. It reads one JSON
// object per line (like the sidecar, with node:readline) and answers each request with
// {"id", "ok": true, "result": {}} on one line. Exits when stdin closes.
import process from "node:process";
import { createInterface } from "node:readline";

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  const request = JSON.parse(line);
  process.stdout.write(`${JSON.stringify({ id: request.id, ok: true, result: {} })}\n`);
});
lines.on("close", () => process.exit(0));
