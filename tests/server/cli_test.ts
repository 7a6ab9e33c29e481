import assert from "node:assert/strict";
import { ALL_HARDWARE_TRANSPORTS, type CliOptions, helpText, parseArgs } from "../../server/cli.ts";
import { SERVER_VERSION } from "../../server/status.ts";
import { main } from "../../server/main.ts";
import { ButtplugClient } from "../../client/client.ts";
import { WebSocketConnector } from "../../client/websocket_connector.ts";

const REPO = new URL("../../", import.meta.url);
const MAIN = new URL("server/main.ts", REPO);
/** The permissions `deno task start` grants. */
const TASK_FLAGS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
];

function parsed(argv: string[]): CliOptions {
  const result = parseArgs(argv);
  if ("error" in result) throw new Error(`unexpected parse error: ${result.error}`);
  return result;
}

function parseError(argv: string[]): string {
  const result = parseArgs(argv);
  if (!("error" in result)) throw new Error(`expected a parse error for ${argv.join(" ")}`);
  return result.error;
}

// ---------------------------------------------------------------------------------------------
// parseArgs (pure)
// ---------------------------------------------------------------------------------------------

Deno.test("cli: defaults match Intiface Engine", () => {
  assert.deepEqual(parsed([]), {
    help: false,
    version: false,
    port: 12345,
    hostname: "127.0.0.1",
    maxPingTime: 0,
    hardware: ["btle", "serial", "hid", "usb"],
    simulate: [],
    logLevel: "info",
    listProtocols: false,
    json: false,
    lovenseConnect: false,
    lovenseConnectHosts: [],
    lovenseDongleHid: false,
  });
});

Deno.test("cli: every flag, in --flag value and --flag=value forms", () => {
  assert.deepEqual(
    parsed([
      "--websocket-port",
      "0",
      "--websocket-use-all-interfaces",
      "--server-name=My Server",
      "--max-ping-time",
      "1000",
      "--handshake-timeout=500",
      "--device-config-file",
      "dev.json",
      "--user-device-config-file=user.json",
      "--use-serial",
      "--simulate",
      "test-device, test-device",
      "--log=DEBUG",
      "--node-path",
      "/opt/node/bin/node",
      "--ble-adapter=hci1",
      "--device-websocket-server-port",
      "54000",
      "--lovense-connect-host",
      "http://192.168.1.5:20010",
    ]),
    {
      help: false,
      version: false,
      port: 0,
      hostname: "0.0.0.0",
      serverName: "My Server",
      maxPingTime: 1000,
      handshakeTimeout: 500,
      deviceConfigFile: "dev.json",
      userDeviceConfigFile: "user.json",
      hardware: ["serial"],
      simulate: ["test-device", "test-device"],
      logLevel: "debug",
      nodePath: "/opt/node/bin/node",
      bleAdapter: "hci1",
      listProtocols: false,
      json: false,
      deviceWebSocketPort: 54000,
      lovenseConnect: true,
      lovenseConnectHosts: ["http://192.168.1.5:20010"],
      lovenseDongleHid: false,
    },
  );
  assert.equal(parsed(["--use-lovense-dongle-hid"]).lovenseDongleHid, true);
  assert.equal(parsed(["--use-device-websocket-server"]).deviceWebSocketPort, 54817);
  assert.equal(parsed(["--use-lovense-connect"]).lovenseConnect, true);
  assert.deepEqual(
    [parsed(["--list-protocols"]).listProtocols, parsed(["--list-protocols", "--json"]).json],
    [true, true],
  );
  assert.equal(parsed(["--help"]).help, true);
  assert.equal(parsed(["--version"]).version, true);
  assert.equal(parsed(["--websocket-port", "65535"]).port, 65535);
  assert.equal(parsed(["--server-name", ""]).serverName, "");
});

Deno.test("cli: hardware transports: all by default, chosen ones, or none", () => {
  assert.deepEqual(parsed([]).hardware, ALL_HARDWARE_TRANSPORTS);
  assert.deepEqual(parsed(["--use-hid", "--use-bluetooth-le"]).hardware, ["btle", "hid"]);
  assert.deepEqual(parsed(["--use-bluetooth-le"]).hardware, ["btle"]);
  assert.deepEqual(parsed(["--use-usb"]).hardware, ["usb"]);
  assert.deepEqual(parsed(["--use-usb", "--use-hid"]).hardware, ["hid", "usb"]);
  assert.ok(ALL_HARDWARE_TRANSPORTS.includes("usb"), "raw USB is one of the default transports");
  assert.deepEqual(parsed(["--no-hardware"]).hardware, []);
  assert.deepEqual(parsed(["--no-hardware", "--simulate", "test-device"]).simulate, [
    "test-device",
  ]);
});

Deno.test("cli: bad command lines give one clear error", () => {
  assert.equal(parseError(["--frobnicate"]), "unknown flag --frobnicate (see --help)");
  assert.equal(parseError(["--websocket-port"]), "--websocket-port needs a value (N)");
  for (const bad of ["-1", "65536", "abc", "1.5", "1e3", "", " 80"]) {
    assert.match(
      parseError(["--websocket-port", bad]),
      /^--websocket-port must be an integer from 0 to 65535, got '.*'$/,
    );
  }
  assert.match(parseError(["--max-ping-time", "-5"]), /--max-ping-time must be a whole number/);
  assert.match(parseError(["--handshake-timeout", "soon"]), /--handshake-timeout must be/);
  assert.match(parseError(["--log", "loud"]), /--log must be one of error, warn, info/);
  assert.match(parseError(["--simulate", "a,,b"]), /--simulate needs a comma-separated list/);
  assert.equal(parseError(["--json"]), "--json only goes with --list-protocols");
  assert.match(parseError(["--no-hardware", "--use-lovense-dongle-hid"]), /cannot be combined/);
  assert.match(parseError(["--ble-adapter", "bt0"]), /--ble-adapter must look like hci0/);
  assert.match(parseError(["--lovense-connect-host", "x"]), /must look like http:\/\/IP:PORT/);
  assert.match(parseError(["--device-websocket-server-port", "70000"]), /from 0 to 65535/);
  assert.match(parseError(["--device-config-file="]), /needs a path/);
  assert.equal(parseError(["--help=yes"]), "--help takes no value");
  assert.match(parseError(["12345"]), /unexpected argument '12345'/);
  assert.match(parseError(["-p", "1"]), /unexpected argument '-p'/);
  assert.match(parseError(["--no-hardware", "--use-serial"]), /cannot be combined/);
  assert.match(parseError(["--no-hardware", "--use-usb"]), /cannot be combined with .*--use-usb/);
  assert.equal(parseError(["--use-usb=yes"]), "--use-usb takes no value");
});

Deno.test("cli: --help documents every flag", () => {
  const help = helpText();
  for (
    const flag of [
      "--websocket-port N",
      "--websocket-use-all-interfaces",
      "--server-name NAME",
      "--max-ping-time MS",
      "--handshake-timeout MS",
      "--device-config-file PATH",
      "--user-device-config-file PATH",
      "--use-bluetooth-le",
      "--use-serial",
      "--use-hid",
      "--use-usb",
      "--no-hardware",
      "--simulate LIST",
      "--log LEVEL",
      "--help",
      "--version",
    ]
  ) {
    assert.ok(help.includes(flag), `help lacks ${flag}`);
  }
  assert.match(help, /default 12345/);
});

// ---------------------------------------------------------------------------------------------
// main() in process (its stop signal injected)
// ---------------------------------------------------------------------------------------------

Deno.test("cli: main() serves until its stop signal, then stops every device", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const stop = Promise.withResolvers<string>();
  let disposed = false;
  const args = ["--websocket-port", "0", "--simulate", "test-device,test-device", "--no-hardware"];
  const exit = main(args, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    stopSignal: () => ({ promise: stop.promise, dispose: () => disposed = true }),
  });
  let url: string | undefined;
  while (!url) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    url = err.map((l) => l.match(/listening on (ws:\S+)$/)?.[1]).find((u) => u);
  }
  const client = new ButtplugClient("in-process main");
  await client.connect(new WebSocketConnector(url));
  // Two simulated devices of the same kind are two devices, with their own indexes.
  assert.deepEqual([...client.devices].map(([i, d]) => [i, d.name]), [
    [0, "Test Device"],
    [1, "Test Device"],
  ]);
  await client.devices.get(0)!.vibrate(1);
  const gone = new Promise<string>((resolve) =>
    client.addEventListener("disconnect", (e) => resolve(e.reason), { once: true })
  );
  stop.resolve("test stop");
  assert.equal(await exit, 0);
  assert.equal(await gone, "server shutting down (test stop)");
  assert.equal(disposed, true);
  assert.deepEqual(out, []);
  const log = err.join("\n");
  assert.match(log, /device 0 "Test Device" outputs before stop: 0\.Vibrate=20 1\.Vibrate=10/);
  assert.match(log, /device 1 "Test Device" outputs before stop: none set/);
  assert.match(log, /outputs after stop: 0\.Vibrate=0 1\.Vibrate=0/);
  assert.match(log, /INFO {2}hardware transports: none \(--no-hardware\)/);
});

// ---------------------------------------------------------------------------------------------
// main() as a subprocess
// ---------------------------------------------------------------------------------------------

/** A running `server/main.ts` with its stderr collected line by line. */
class ServerProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly #stderrDone: Promise<void>;
  readonly #stdout: Promise<string>;
  #wake: (() => void) | undefined;

  constructor(args: string[]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...TASK_FLAGS, MAIN.pathname, ...args],
      cwd: REPO.pathname,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    this.child = child;
    this.#stdout = new Response(child.stdout).text();
    this.#stderrDone = (async () => {
      let buffer = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const parts = buffer.split("\n");
        buffer = parts.pop() ?? "";
        this.lines.push(...parts);
        this.#wake?.();
      }
      if (buffer) this.lines.push(buffer);
      this.#wake?.();
    })();
  }

  /** Waits for a stderr line matching `pattern` and returns its match. */
  async waitFor(pattern: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    let exited = false;
    this.child.status.then(() => exited = true);
    while (true) {
      for (const line of this.lines) {
        const match = line.match(pattern);
        if (match) return match;
      }
      if (exited || Date.now() > deadline) {
        throw new Error(`no line matching ${pattern}; stderr:\n${this.lines.join("\n")}`);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, 50);
        this.#wake = done;
      });
    }
  }

  /** Waits for the exit and returns the code plus all output. */
  async finish(): Promise<{ code: number; stdout: string; stderr: string[] }> {
    const status = await this.child.status;
    await this.#stderrDone;
    return { code: status.code, stdout: await this.#stdout, stderr: this.lines };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.finish();
  }
}

async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...TASK_FLAGS, MAIN.pathname, ...args],
    cwd: REPO.pathname,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("cli process: --help prints every flag and exits 0", async () => {
  const { code, stdout, stderr } = await runMain(["--help"]);
  assert.equal(code, 0);
  assert.equal(stderr, "");
  assert.equal(stdout.trimEnd(), helpText());
});

Deno.test("cli process: --version prints the version and exits 0", async () => {
  const { code, stdout } = await runMain(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), `deno-buttplug ${SERVER_VERSION} (Buttplug spec v0-v4)`);
});

Deno.test("cli process: a bad flag or value prints one line and exits 2", async () => {
  for (
    const [args, expected] of [
      [["--bogus"], "error: unknown flag --bogus (see --help)"],
      [["--websocket-port", "99999"], /^error: --websocket-port must be an integer/],
      [["--simulate", "unicorn"], /^error: --simulate: unknown simulated device 'unicorn'/],
    ] as const
  ) {
    const { code, stdout, stderr } = await runMain([...args]);
    assert.equal(code, 2, `exit code for ${args.join(" ")}`);
    assert.equal(stdout, "");
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `one line for ${args.join(" ")}: ${stderr}`);
    if (typeof expected === "string") assert.equal(lines[0], expected);
    else assert.match(lines[0], expected);
  }
});

Deno.test("cli process: an unreadable config file exits 1 with one line", async () => {
  const { code, stderr } = await runMain(["--device-config-file", "/nonexistent/config.json"]);
  assert.equal(code, 1);
  assert.equal(stderr.trim(), "error: --device-config-file /nonexistent/config.json: no such file");
});

Deno.test("cli process: a port in use prints one line and exits 1", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const { code, stdout, stderr } = await runMain([
    "--websocket-port",
    String(port),
    "--no-hardware",
    "--log",
    "error",
  ]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(stderr.trim(), `error: port ${port} on 127.0.0.1 is already in use`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name: `cli process: ${signal} stops every device, tells the client and exits 0`,
    ignore: Deno.build.os === "windows",
    fn: async () => {
      await using server = new ServerProcess([
        "--websocket-port",
        "0",
        "--simulate",
        "test-device",
        "--no-hardware",
        "--server-name",
        "cli test",
        "--log",
        "debug",
      ]);
      const [, url] = await server.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)$/);
      const client = new ButtplugClient("cli test client");
      await client.connect(new WebSocketConnector(url));
      assert.equal(client.serverName, "cli test");
      const device = client.devices.get(0);
      assert.equal(device?.name, "Test Device");
      await device.vibrate(0.5);
      const gone = new Promise<string>((resolve) =>
        client.addEventListener("disconnect", (e) => resolve(e.reason), { once: true })
      );

      server.child.kill(signal);
      assert.match(await gone, new RegExp(`server shutting down \\(${signal}\\)`));
      const { code, stderr } = await server.finish();
      assert.equal(code, 0, stderr.join("\n"));
      const log = stderr.join("\n");
      assert.match(log, new RegExp(`INFO  received ${signal}`));
      // The command reached the device before the signal, and the device was stopped after.
      assert.match(log, /outputs before stop: 0\.Vibrate=10 1\.Vibrate=5/);
      assert.match(log, /outputs after stop: 0\.Vibrate=0 1\.Vibrate=0/);
      assert.match(log, /client "cli test client" left: server shutting down/);
      assert.match(log, /INFO {2}server stopped$/m);
      // Every log line carries a level.
      for (const line of stderr) {
        assert.match(line, /^\S+ (ERROR|WARN |INFO |DEBUG|TRACE) /, `unleveled line: ${line}`);
      }
    },
  });
}

Deno.test("cli process: an invalid device config refuses to start with the path and reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/config.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ version: { major: 3, minor: 0 }, protocols: {} }),
    );
    const { code, stdout, stderr } = await runMain(["--device-config-file", file, "--no-hardware"]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.ok(lines[0].startsWith("error: invalid device configuration: "), lines[0]);
    assert.ok(lines[0].includes(file), lines[0]);
    assert.match(lines[0], /major/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli process: --list-protocols --json lists every config protocol with support and reasons", async () => {
  const { code, stdout, stderr } = await runMain(["--list-protocols", "--json"]);
  assert.equal(code, 0, stderr);
  const rows = JSON.parse(stdout) as {
    id: string;
    transports: string[];
    implemented: boolean;
    reason?: string;
  }[];
  const config = JSON.parse(
    await Deno.readTextFile(new URL("server/devices/buttplug-device-config-v4.json", REPO)),
  ) as { protocols: Record<string, unknown> };
  assert.deepEqual(rows.map((r) => r.id).sort(), Object.keys(config.protocols).sort());
  for (const row of rows) {
    assert.ok(row.transports.length > 0, row.id);
    if (!row.implemented) assert.ok(row.reason && row.reason.length > 20, row.id);
  }
  const lovense = rows.find((r) => r.id === "lovense")!;
  assert.deepEqual(lovense, { id: "lovense", transports: ["btle"], implemented: true });
  assert.match(rows.find((r) => r.id === "xinput")!.reason!, /Windows/);
  // The table form says the same in one line per protocol plus a total.
  const table = await runMain(["--list-protocols"]);
  assert.equal(table.code, 0);
  const lines = table.stdout.trimEnd().split("\n");
  assert.equal(lines.length, rows.length + 1);
  const supported = rows.filter((r) => r.implemented).length;
  assert.equal(lines.at(-1), `${supported} of ${rows.length} protocols supported`);
});

Deno.test("cli process: --simulate speaks a real toy protocol; indexes persist in the user config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/user.json`; // does not exist yet: created when an index is assigned
    {
      await using server = new ServerProcess([
        "--websocket-port",
        "0",
        "--no-hardware",
        "--simulate",
        "LVS-Edge",
        "--user-device-config-file",
        file,
      ]);
      const [, url] = await server.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)$/);
      const client = new ButtplugClient("cli test client");
      await client.connect(new WebSocketConnector(url));
      const edge = client.devices.get(0)!;
      assert.equal(edge.name, "Lovense Edge");
      await edge.vibrate([0.5, 0.25]);
      // The simulated peripheral received the Lovense bytes for both motors.
      await server.waitFor(/simulated LVS-Edge: Vibrate1:10;$/);
      await server.waitFor(/simulated LVS-Edge: Vibrate2:5;$/);
      await client.disconnect();
      server.child.kill("SIGTERM");
      assert.equal((await server.finish()).code, 0);
    }
    const saved = JSON.parse(await Deno.readTextFile(file));
    assert.equal(saved.version.major, 4);
    const entries = saved.user_configs.devices as {
      identifier: { protocol: string };
      config: { user_config: { index: number } };
    }[];
    assert.deepEqual(entries.map((e) => [e.identifier.protocol, e.config.user_config.index]), [
      ["lovense", 0],
    ]);
    // After a restart another device comes first, yet the Edge keeps index 0.
    await using again = new ServerProcess([
      "--websocket-port",
      "0",
      "--no-hardware",
      "--simulate",
      "4plus,LVS-Edge",
      "--user-device-config-file",
      file,
    ]);
    await again.waitFor(/device 0 "Lovense Edge" connected/);
    await again.waitFor(/device 1 "WeVibe 4 Plus" connected/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli process: hardware transports on a machine without Bluetooth/HID: reasons logged, clients served", async () => {
  await using server = new ServerProcess([
    "--websocket-port",
    "0",
    "--use-bluetooth-le",
    "--use-serial",
    "--use-hid",
    "--use-usb",
    "--simulate",
    "test-device",
  ]);
  const [, url] = await server.waitFor(/listening on (ws:\/\/127\.0\.0\.1:\d+)$/);
  // Each transport is reported, available or not, with the reason when it is not.
  const [btle] = await server.waitFor(/sidecar: btle (?:un)?available.*$/, 60_000);
  if (btle.includes("unavailable")) assert.match(btle, /unavailable \(.+\)$/);
  await server.waitFor(/sidecar: serial (un)?available/);
  await server.waitFor(/sidecar: hid (un)?available/);
  await server.waitFor(/sidecar: usb (un)?available/);
  const client = new ButtplugClient("hardware test client");
  await client.connect(new WebSocketConnector(url));
  await client.startScanning();
  await client.devices.get(0)!.vibrate(1);
  await client.stopScanning();
  await client.disconnect();
  server.child.kill("SIGTERM");
  const { code, stderr } = await server.finish();
  assert.equal(code, 0, stderr.join("\n"));
});

Deno.test("cli process: --use-device-websocket-server attaches a DIY device named by the user config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/user.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        version: { major: 4, minor: 0 },
        user_configs: {
          protocols: { lovense: { communication: [{ websocket: { name: "LVS-DIY" } }] } },
        },
      }),
    );
    await using server = new ServerProcess([
      "--websocket-port",
      "0",
      "--no-hardware",
      "--device-websocket-server-port",
      "0",
      "--user-device-config-file",
      file,
    ]);
    const [, deviceUrl] = await server.waitFor(/device websocket server listening on (ws:\S+)$/);
    const [, url] = await server.waitFor(/deno-buttplug \S+ listening on (ws:\S+)$/);
    // The DIY toy: identifies itself, then answers like a Lovense Hush.
    const toy = new WebSocket(deviceUrl);
    const received: string[] = [];
    toy.binaryType = "arraybuffer";
    toy.onopen = () =>
      toy.send(JSON.stringify({ identifier: "LVS-DIY", address: "diy-1", version: 1 }));
    toy.onmessage = (e) => {
      const text = new TextDecoder().decode(e.data as ArrayBuffer);
      received.push(text);
      if (text === "DeviceType;") toy.send("Z:11:0082059AD3BD;");
    };
    const client = new ButtplugClient("diy test client");
    // The toy may connect before or after the client: both raise deviceadded.
    const added = new Promise<string>((resolve) =>
      client.addEventListener("deviceadded", (e) => resolve(e.device.name), { once: true })
    );
    await client.connect(new WebSocketConnector(url));
    await client.startScanning();
    assert.equal(await added, "Lovense Hush");
    await [...client.devices.values()][0].vibrate(0.5);
    for (let i = 0; i < 300 && !received.includes("Vibrate:10;"); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(received.includes("Vibrate:10;"), received.join(" "));
    await client.disconnect();
    const closed = new Promise((resolve) => toy.onclose = resolve);
    server.child.kill("SIGTERM");
    assert.equal((await server.finish()).code, 0);
    await closed;
    assert.ok(received.includes("DeviceType;"), received.join(" "));
    assert.equal(received.at(-1), "Vibrate:0;", received.join(" "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
