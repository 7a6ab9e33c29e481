import assert from "node:assert/strict";
import type { ButtplugDisconnectEvent, ButtplugErrorEvent } from "../../client/events.ts";
import {
  InProcessConnector,
  type ServerSession,
  type ServerSessionOutput,
} from "../../client/in_process_connector.ts";
import { ButtplugClientConnectorError } from "../../protocol/errors.ts";
import type { RawMessage } from "../../protocol/messages.ts";
import { flushMicrotasks } from "../_helpers/fake_clock.ts";

/** A session that records frames and lets the test talk back through `output`. */
class Recorder implements ServerSession {
  frames: unknown[] = [];
  closed: (string | undefined)[] = [];
  constructor(readonly output: ServerSessionOutput) {}
  receive(frame: unknown): Promise<void> {
    this.frames.push(frame);
    return Promise.resolve();
  }
  close(reason?: string): Promise<void> {
    this.closed.push(reason);
    return Promise.resolve();
  }
}

function harness() {
  const sessions: Recorder[] = [];
  const connector = new InProcessConnector((output) => {
    const session = new Recorder(output);
    sessions.push(session);
    return session;
  });
  const received: RawMessage[][] = [];
  const log: string[] = [];
  connector.addEventListener("message", (e) => {
    received.push(e.detail);
    log.push(`message ${Object.keys(e.detail[0])[0]}`);
  });
  connector.addEventListener("disconnect", (e: ButtplugDisconnectEvent) => {
    log.push(`disconnect ${e.reason}`);
  });
  return { connector, sessions, received, log };
}

Deno.test("frames are deep copies in both directions", async () => {
  const { connector, sessions, received } = harness();
  await using _ = connector;
  await connector.connect();
  const session = sessions[0];

  const outgoing = [{ Ping: { Id: 1 } }];
  connector.send(outgoing);
  const frame = session.frames[0] as RawMessage[];
  assert.deepEqual(frame, outgoing);
  frame[0].Ping.Id = 999; // the server mutates what it got
  assert.equal(outgoing[0].Ping.Id, 1);

  const incoming: RawMessage[] = [{ Ok: { Id: 1 } }];
  session.output.send(incoming);
  incoming[0].Ok.Id = 555; // the server reuses its object
  await flushMicrotasks();
  assert.deepEqual(received, [[{ Ok: { Id: 1 } }]]);
  received[0][0].Ok.Id = 7; // the client mutates what it got
  assert.equal(incoming[0].Ok.Id, 555);
});

Deno.test("server frames are delivered asynchronously, in order, before a server close", async () => {
  const { connector, sessions, log } = harness();
  await connector.connect();
  const { output } = sessions[0];
  output.send([{ Ok: { Id: 1 } }]);
  output.send([{ DeviceList: { Id: 0, Devices: {} } }]);
  output.close("ping timeout");
  output.send([{ Ok: { Id: 2 } }]); // after close: dropped
  assert.deepEqual(log, [], "nothing is delivered synchronously");
  await flushMicrotasks();
  assert.deepEqual(log, ["message Ok", "message DeviceList", "disconnect ping timeout"]);
  assert.equal(connector.connected, false);
  assert.throws(() => connector.send([{ Ping: { Id: 3 } }]), ButtplugClientConnectorError);
});

Deno.test("disconnect closes the session and raises one disconnect event", async () => {
  const { connector, sessions, log } = harness();
  await connector.connect();
  assert.equal(connector.connected, true);
  sessions[0].output.send([{ Ok: { Id: 1 } }]);
  await connector.disconnect();
  await connector.disconnect();
  await flushMicrotasks();
  assert.deepEqual(sessions[0].closed, ["client disconnected"]);
  assert.deepEqual(log, ["disconnect client disconnected"], "frames in flight are dropped");
  assert.equal(connector.connected, false);

  // Reconnecting makes a fresh session; the old output is dead.
  await connector.connect();
  assert.equal(sessions.length, 2);
  sessions[0].output.send([{ Ok: { Id: 9 } }]);
  sessions[1].output.send([{ Ok: { Id: 10 } }]);
  await flushMicrotasks();
  assert.deepEqual(log, ["disconnect client disconnected", "message Ok"]);
  await assert.rejects(connector.connect(), /already connected/);
  await connector.disconnect();
});

Deno.test("a failing session and uncloneable frames are reported, not thrown", async () => {
  const errors: string[] = [];
  let output!: ServerSessionOutput;
  const connector = new InProcessConnector((o) => {
    output = o;
    return {
      receive: () => Promise.reject(new Error("kaput")),
      close: () => Promise.resolve(),
    };
  });
  connector.addEventListener("error", (e: ButtplugErrorEvent) => errors.push(e.error.message));
  await connector.connect();
  connector.send([{ Ping: { Id: 1 } }]);
  output.send([{ Ok: { Id: 1, Bad: (() => {}) as never } }]);
  await flushMicrotasks();
  assert.equal(errors.length, 2);
  assert.match(errors[0], /server session failed: kaput/);
  assert.match(errors[1], /invalid frame from server/);
  assert.throws(
    () => connector.send([{ Ping: { Id: 2, Bad: Symbol("x") as never } }]),
    /cannot be sent/,
  );
  await connector.disconnect();
});
