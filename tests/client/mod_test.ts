import assert from "node:assert/strict";
import * as client from "../../client/mod.ts";

Deno.test("client/mod.ts exports the public API", () => {
  for (
    const name of [
      "ButtplugClient",
      "ButtplugClientDevice",
      "InProcessConnector",
      "WebSocketConnector",
      "ButtplugDeviceEvent",
      "ButtplugDisconnectEvent",
      "ButtplugErrorEvent",
      "ButtplugReadingEvent",
      "percentToSteps",
      "DEFAULT_SERVER_URL",
    ]
  ) {
    assert.ok(name in client, `${name} is exported`);
  }
  assert.ok(!("deviceControl" in client), "internal hooks stay internal");
});

Deno.test("the client depends only on client/ and protocol/, and never on Deno APIs", async () => {
  const root = new URL("../../", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("client/mod.ts", root).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  const files = info.modules.map((m) => m.specifier);
  assert.ok(files.length >= 8);
  for (const specifier of files) {
    assert.ok(specifier.startsWith(root.href), `${specifier} is a local file`);
    const path = specifier.slice(root.href.length);
    assert.match(path, /^(client|protocol)\/[a-z0-9_]+\.ts$/, `${path} is in client/ or protocol/`);
    const code = (await Deno.readTextFile(new URL(path, root)))
      .split("\n")
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
      .join("\n");
    assert.doesNotMatch(code, /\bDeno\./, `${path} uses no Deno API`);
  }
});
