/**
 * A scriptable stand-in for hardware/sidecar/main.mjs, for fault tests of the Deno bridge.
 * The scenario comes from the FAKE_SIDECAR environment variable (JSON):
 *
 * - `prelude`: raw lines written before anything else (malformed-line tests); an entry
 *   `{ "repeat": "x", "times": n }` writes one line of `n` copies of `x`
 * - `silent`: never say hello
 * - `protocol`: protocol number in hello (default 1)
 * - `transports`: transport → status merged into hello's transports (e.g. `{"usb": {...}}`)
 * - `requestLog`: a file every request line is appended to, unclipped (stderr lines are clipped)
 * - `exitAfterHello`: exit with this code shortly after hello
 * - `ignoreStdinClose`: keep running when stdin closes
 * - `methods`: method → action; an action is `"ok"` (default), `"ignore"` (never reply),
 *   `{ "error": {code, message} }`, `{ "result": {...} }`, `{ "raw": [lines] }` (write these
 *   lines instead of a reply), or `{ "events": [{event, params}], "then": action }`. The string
 *   `"$handle"` inside events is replaced by the request's `params.handle`. An array of actions is
 *   used one per request in order, its last action repeating. `$seq` anywhere inside a result or
 *   an event is replaced by the number of requests of that method so far (1, 2, ...), e.g. a
 *   connect result `{"handle": "btle-$seq", ...}`, and the string `"$address"` by the request's
 *   `params.address`.
 * - The method `fake.emit` (not scriptable) writes `params.events` (an array of `{event, params}`)
 *   as event lines, then replies `{}`: tests push events (a drop, an advertisement) at a moment
 *   of their choosing with `sidecar.request("fake.emit", {events})`.
 *
 * Every request line is echoed to stderr as `REQ <json>` so tests can see what was sent.
 *
 * @module
 */
import process from "node:process";
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";

const scenario = JSON.parse(process.env.FAKE_SIDECAR ?? "{}");

/** @param {unknown} line */
function out(line) {
  process.stdout.write(
    `${typeof line === "string" ? line : JSON.stringify(line)}\n`,
  );
}

for (const line of scenario.prelude ?? []) {
  out(
    typeof line === "object" && line.repeat ? line.repeat.repeat(line.times) : line,
  );
}

const hello = {
  protocol: scenario.protocol ?? 1,
  version: "0.0.0-fake",
  node: process.version,
  platform: process.platform,
  pid: process.pid,
  transports: {
    btle: { available: false, reason: "fake sidecar: no Bluetooth" },
    serial: { available: true },
    hid: { available: true },
    ...scenario.transports,
  },
};
if (!scenario.silent) out({ event: "hello", params: hello });
if (scenario.exitAfterHello !== undefined) {
  setTimeout(() => process.exit(scenario.exitAfterHello), 20);
}

const DEFAULT_RESULTS = {
  hello,
  connect: {
    handle: "serial-1",
    transport: "serial",
    name: "/dev/fake",
    address: "/dev/fake",
    endpoints: ["rx", "tx"],
    missing: [],
    messageGapMs: 0,
  },
  read: { data: [1, 2, 3] },
};

let connections = 0;

/** Requests seen per method (for `$seq`). @type {Map<string, number>} */
const seen = new Map();

/** @param {any} value @param {string | undefined} handle */
function substitute(value, handle) {
  return JSON.parse(
    JSON.stringify(value).replaceAll('"$handle"', JSON.stringify(handle ?? "")),
  );
}

/** @param {any} value @param {number} seq @param {any} req */
function numbered(value, seq, req) {
  return JSON.parse(
    JSON.stringify(value).replaceAll("$seq", String(seq))
      .replaceAll('"$address"', JSON.stringify(String(req.params?.address ?? ""))),
  );
}

/** @param {any} req @param {any} action */
function perform(req, action) {
  const seq = seen.get(req.method) ?? 0;
  if (Array.isArray(action)) action = action[Math.min(seq - 1, action.length - 1)];
  if (typeof action === "object" && action !== null) action = numbered(action, seq, req);
  if (action === "ignore") return;
  if (action === undefined || action === "ok") {
    let result = DEFAULT_RESULTS[req.method] ?? {};
    if (req.method === "connect") result = { ...result, handle: `serial-${++connections}` };
    out({ id: req.id, ok: true, result });
  } else if (action.error) {
    out({ id: req.id, ok: false, error: action.error });
  } else if (action.result) {
    out({ id: req.id, ok: true, result: action.result });
  } else if (action.raw) {
    for (const line of action.raw) out(line);
  } else if (action.events) {
    for (const e of action.events) out(substitute(e, req.params?.handle));
    perform(req, action.then ?? "ok");
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  process.stderr.write(`REQ ${line}\n`);
  if (scenario.requestLog) appendFileSync(scenario.requestLog, `${line}\n`);
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return;
  }
  seen.set(req?.method, (seen.get(req?.method) ?? 0) + 1);
  if (req?.method === "fake.emit") {
    for (const e of req.params?.events ?? []) out(e);
    out({ id: req.id, ok: true, result: {} });
    return;
  }
  perform(req, scenario.methods?.[req.method]);
});
lines.on("close", () => {
  if (scenario.ignoreStdinClose) {
    setInterval(() => {}, 1000);
    return;
  }
  process.exit(0);
});
