/**
 * `mod.ts` imported by URL, the way a user without this repository would: the repository is
 * served over local HTTP (`.ts` as `application/typescript`), a temporary script imports
 * `http://127.0.0.1:PORT/mod.ts` with no config, no import map and an empty module cache, and
 * drives a whole session (client → in-process connector → server → simulated device).
 */
import assert from "node:assert/strict";

const REPO = new URL("../", import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".mjs": "application/javascript; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

/** Serves files of the repository read-only; logs every requested path. */
function serveRepository(requested: string[]): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requested.push(path);
    if (path.includes("..") || path.includes("node_modules")) {
      return new Response("forbidden", { status: 403 });
    }
    const ext = path.slice(path.lastIndexOf("."));
    try {
      const body = await Deno.readFile(new URL(`.${path}`, REPO));
      return new Response(body, {
        headers: { "content-type": CONTENT_TYPES[ext] ?? "text/plain; charset=utf-8" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

const SCRIPT = (base: string) => `
import {
  ButtplugClient,
  ButtplugServer,
  createTestDevice,
  DeviceManager,
  InProcessConnector,
} from "${base}/mod.ts";

const deviceManager = new DeviceManager();
const device = createTestDevice();
const index = deviceManager.add(device);
const client = new ButtplugClient("url import");
await client.connect(new InProcessConnector(ButtplugServer.factory({ deviceManager, serverName: "by url" })));
const remote = client.devices.get(index);
await remote.vibrate(0.5);
const during = device.outputValue(0, "Vibrate");
const battery = await remote.battery();
await client.disconnect();
console.log(JSON.stringify({
  serverName: "by url",
  names: [remote.name],
  during,
  battery,
  after: device.outputValue(0, "Vibrate"),
}));
`;

Deno.test("url import: mod.ts served over HTTP drives a full session", async () => {
  const requested: string[] = [];
  await using http = serveRepository(requested);
  const base = `http://127.0.0.1:${http.addr.port}`;
  const dir = await Deno.makeTempDir({ prefix: "deno-buttplug-url-" });
  try {
    const script = `${dir}/use_by_url.ts`;
    await Deno.writeTextFile(script, SCRIPT(base));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=127.0.0.1:${http.addr.port}`,
        script,
      ],
      cwd: dir,
      stdin: "null",
      // An empty cache: every module really comes over HTTP.
      env: { DENO_DIR: `${dir}/deno_dir`, NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `script failed:\n${stderr}`);
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(result, {
      serverName: "by url",
      names: ["Test Device"],
      during: 10,
      battery: 0.75,
      after: 0,
    });
    assert.ok(requested.includes("/mod.ts"));
    // Importing the library must not need anything but the served sources.
    assert.ok(requested.every((p) => !p.includes("node_modules")), requested.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
