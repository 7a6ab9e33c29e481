/**
 * First-use installation of the sidecar: embedded sources (text imports), the cache location
 * with a stand-in npm, the install stamp, and clear npm failures.
 */
import assert from "node:assert/strict";
import { ButtplugUnknownError } from "../../protocol/errors.ts";
import {
  checkoutSidecarDir,
  ensureSidecar,
  INSTALL_STAMP,
  SIDECAR_FILES,
  SIDECAR_VERSION,
} from "../../hardware/sidecar_setup.ts";

const SIDECAR_DIR = new URL("../../hardware/sidecar/", import.meta.url).pathname
  .replace(/\/$/, "");
const POSIX = Deno.build.os !== "windows";

/** A fake `npm` that logs `cwd|args` to `log`, optionally fails, else creates node_modules/. */
async function fakeNpm(
  dir: string,
  fail = false,
): Promise<{ npm: string; calls: () => Promise<string[]> }> {
  const log = `${dir}/npm-calls.log`;
  const npm = `${dir}/npm`;
  await Deno.writeTextFile(
    npm,
    fail
      ? `#!/bin/sh\necho "$PWD|$*" >> "${log}"\necho "npm error code E404" >&2\necho "npm error 404 fake registry failure" >&2\nexit 1\n`
      : `#!/bin/sh\necho "$PWD|$*" >> "${log}"\nmkdir -p node_modules\n`,
  );
  await Deno.chmod(npm, 0o755);
  return {
    npm,
    calls: async () =>
      (await Deno.readTextFile(log).catch(() => "")).split("\n").filter(
        Boolean,
      ),
  };
}

Deno.test("the embedded sidecar sources are the files of hardware/sidecar/", async () => {
  assert.deepEqual(Object.keys(SIDECAR_FILES).sort(), [
    "ble.mjs",
    "device_table.mjs",
    "hid.mjs",
    "main.mjs",
    "package-lock.json",
    "package.json",
    "router.mjs",
    "scan_loop.mjs",
    "serial.mjs",
    "usb.mjs",
    "util.mjs",
  ]);
  for (const [name, text] of Object.entries(SIDECAR_FILES)) {
    assert.equal(text, await Deno.readTextFile(`${SIDECAR_DIR}/${name}`), name);
  }
  assert.equal(
    SIDECAR_VERSION,
    JSON.parse(SIDECAR_FILES["package.json"]).version,
  );
  // The lockfile pins the four native packages.
  const lock = JSON.parse(SIDECAR_FILES["package-lock.json"]);
  for (const pkg of ["@abandonware/noble", "serialport", "node-hid", "usb"]) {
    assert.match(
      lock.packages[`node_modules/${pkg}`]?.version ?? "",
      /^\d+\.\d+\.\d+/,
      pkg,
    );
  }
});

Deno.test("a local checkout installs in hardware/sidecar itself", () => {
  assert.equal(checkoutSidecarDir(), SIDECAR_DIR);
});

Deno.test({
  name:
    "cache location: sources written to <cache>/deno-buttplug/sidecar-<version>, npm ci once, stamp",
  ignore: !POSIX,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sidecar-setup-" });
    try {
      const { npm, calls } = await fakeNpm(tmp);
      const progress: string[] = [];
      const options = {
        location: "cache" as const,
        cacheDir: `${tmp}/cache`,
        npmPath: npm,
        progress: (l: string) => progress.push(l),
      };
      // Two concurrent first uses share one install.
      const [first, twin] = await Promise.all([
        ensureSidecar(options),
        ensureSidecar(options),
      ]);
      const dir = `${tmp}/cache/deno-buttplug/sidecar-${SIDECAR_VERSION}`;
      assert.deepEqual(first, {
        dir,
        script: `${dir}/main.mjs`,
        installed: true,
        location: "cache",
      });
      assert.deepEqual(twin, first);
      for (const [name, text] of Object.entries(SIDECAR_FILES)) {
        assert.equal(await Deno.readTextFile(`${dir}/${name}`), text, name);
      }
      assert.deepEqual(await calls(), [
        `${dir}|ci --no-audit --no-fund --loglevel=error`,
      ]);
      assert.equal(progress.length, 1);
      assert.match(
        progress[0],
        /installing the hardware sidecar's npm packages \(npm ci in .*sidecar-/,
      );
      assert.match(
        await Deno.readTextFile(`${dir}/node_modules/${INSTALL_STAMP}`),
        /^[0-9a-f]{64}\n$/,
      );

      // Second use: nothing to do. A tampered source file is restored.
      await Deno.writeTextFile(`${dir}/main.mjs`, "tampered");
      const again = await ensureSidecar(options);
      assert.equal(again.installed, false);
      assert.equal(
        await Deno.readTextFile(`${dir}/main.mjs`),
        SIDECAR_FILES["main.mjs"],
      );
      assert.equal((await calls()).length, 1);
      assert.equal(progress.length, 1);

      // force re-runs npm ci.
      assert.equal(
        (await ensureSidecar({ ...options, force: true })).installed,
        true,
      );
      assert.equal((await calls()).length, 2);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "npm failing gives a clear error quoting npm's output, and no stamp",
  ignore: !POSIX,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sidecar-setup-" });
    try {
      const { npm } = await fakeNpm(tmp, true);
      await assert.rejects(
        ensureSidecar({
          location: "cache",
          cacheDir: tmp,
          npmPath: npm,
          progress: () => {},
        }),
        (e) => {
          assert.ok(e instanceof ButtplugUnknownError);
          assert.match(
            e.message,
            /"npm ci" failed in .*sidecar-.* \(exit code 1\); the Bluetooth\/serial\/HID sidecar cannot run/,
          );
          assert.match(e.message, /npm error 404 fake registry failure/);
          return true;
        },
      );
      const stamp = `${tmp}/deno-buttplug/sidecar-${SIDECAR_VERSION}/node_modules/${INSTALL_STAMP}`;
      await assert.rejects(Deno.stat(stamp), Deno.errors.NotFound);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("npm missing gives a clear error", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sidecar-setup-" });
  try {
    await assert.rejects(
      ensureSidecar({
        location: "cache",
        cacheDir: tmp,
        npmPath: `${tmp}/no-such-npm`,
        progress: () => {},
      }),
      (e) =>
        e instanceof ButtplugUnknownError &&
        /was not found; install Node\.js 20\+ with npm/.test(e.message),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
