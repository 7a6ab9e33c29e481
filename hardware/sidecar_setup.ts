/**
 * First-use installation of the hardware sidecar's npm packages (`@abandonware/noble`,
 * `serialport`, `node-hid`, `usb`).
 *
 * - From a local checkout (this file is a `file:` module next to `sidecar/package-lock.json`),
 *   `npm ci` runs in `hardware/sidecar/` itself.
 * - From a URL import or a compiled binary, the sidecar sources travel inside the module graph as
 *   text imports (`with { type: "text" }`, which Deno 2.9 supports without any unstable flag), are
 *   written to `$XDG_CACHE_HOME/deno-buttplug/sidecar-<version>/` (or the platform's cache
 *   folder), and `npm ci` runs there.
 *
 * The install is skipped when a stamp in `node_modules/` matches the lockfile's hash. A lock file
 * in the temp folder serialises concurrent installs (parallel tests, several servers). One
 * progress line is printed when npm actually runs; npm failures become a
 * {@linkcode ButtplugUnknownError} quoting npm's output.
 *
 * @module
 */
import { ButtplugUnknownError } from "../protocol/errors.ts";
import mainSrc from "./sidecar/main.mjs" with { type: "text" };
import routerSrc from "./sidecar/router.mjs" with { type: "text" };
import utilSrc from "./sidecar/util.mjs" with { type: "text" };
import bleSrc from "./sidecar/ble.mjs" with { type: "text" };
import serialSrc from "./sidecar/serial.mjs" with { type: "text" };
import hidSrc from "./sidecar/hid.mjs" with { type: "text" };
import usbSrc from "./sidecar/usb.mjs" with { type: "text" };
import scanLoopSrc from "./sidecar/scan_loop.mjs" with { type: "text" };
import deviceTableSrc from "./sidecar/device_table.mjs" with { type: "text" };
import packageJsonSrc from "./sidecar/package.json" with { type: "text" };
import packageLockSrc from "./sidecar/package-lock.json" with { type: "text" };

/** The sidecar program files, by file name, as embedded in this module graph. */
export const SIDECAR_FILES: Readonly<Record<string, string>> = Object.freeze({
  "main.mjs": mainSrc,
  "router.mjs": routerSrc,
  "util.mjs": utilSrc,
  "ble.mjs": bleSrc,
  "serial.mjs": serialSrc,
  "hid.mjs": hidSrc,
  "usb.mjs": usbSrc,
  "scan_loop.mjs": scanLoopSrc,
  "device_table.mjs": deviceTableSrc,
  "package.json": packageJsonSrc,
  "package-lock.json": packageLockSrc,
});

/** The sidecar package version (from its package.json). */
export const SIDECAR_VERSION: string = (JSON.parse(packageJsonSrc) as { version: string }).version;

/** Name of the stamp file written into `node_modules/` after a successful `npm ci`. */
export const INSTALL_STAMP = ".deno-buttplug-install";

/** Where the sidecar runs from. */
export type SidecarLocation = "auto" | "checkout" | "cache";

/** Options of {@linkcode ensureSidecar}. */
export interface EnsureSidecarOptions {
  /**
   * `checkout`: install in `hardware/sidecar/` next to this module; `cache`: write the embedded
   * sources to the cache folder and install there; `auto` (default): checkout when this module
   * is a local file next to the sidecar's lockfile, else cache.
   */
  readonly location?: SidecarLocation;
  /** Base cache folder (default: `$XDG_CACHE_HOME`, `~/.cache`, `~/Library/Caches`, `%LOCALAPPDATA%`). */
  readonly cacheDir?: string;
  /** npm executable (default `npm`, `npm.cmd` on Windows). */
  readonly npmPath?: string;
  /** Receives the progress line (default: stderr). */
  readonly progress?: (line: string) => void;
  /** Run `npm ci` even when the stamp matches. */
  readonly force?: boolean;
  /** Longest wait for another process's install to finish, in ms (default 10 minutes). */
  readonly lockTimeoutMs?: number;
}

/** Result of {@linkcode ensureSidecar}. */
export interface SidecarInstall {
  /** Folder holding the sidecar and its `node_modules/`. */
  readonly dir: string;
  /** Absolute path of `main.mjs` (what `node` runs). */
  readonly script: string;
  /** Whether `npm ci` ran during this call. */
  readonly installed: boolean;
  /** Which location was used. */
  readonly location: "checkout" | "cache";
}

const SEP = Deno.build.os === "windows" ? "\\" : "/";

function join(...parts: string[]): string {
  return parts.join(SEP).replace(/[\\/]+/g, SEP);
}

function fileUrlToPath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows"
    ? path.replace(/^\/([A-Za-z]:)/, "$1").replaceAll("/", "\\")
    : path;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The sidecar folder of a local checkout, or `undefined` when this module was loaded from a URL
 * or runs inside a compiled binary (whose embedded files live under `.../deno-compile-<name>/`
 * and cannot hold `node_modules`).
 */
export function checkoutSidecarDir(): string | undefined {
  const url = new URL("./sidecar/", import.meta.url);
  if (url.protocol !== "file:") return undefined;
  const dir = fileUrlToPath(url).replace(/[\\/]$/, "");
  if (/[\\/]deno-compile-[^\\/]+([\\/]|$)/.test(dir)) return undefined;
  return exists(join(dir, "package-lock.json")) && exists(join(dir, "main.mjs")) ? dir : undefined;
}

/** The platform cache folder for the sidecar of this version. */
export function cacheSidecarDir(base?: string): string {
  const env = (name: string) => Deno.env.get(name);
  const root = base ??
    (Deno.build.os === "windows"
      ? env("LOCALAPPDATA") ??
        join(env("USERPROFILE") ?? ".", "AppData", "Local")
      : Deno.build.os === "darwin"
      ? join(env("HOME") ?? ".", "Library", "Caches")
      : env("XDG_CACHE_HOME") ?? join(env("HOME") ?? ".", ".cache"));
  return join(root, "deno-buttplug", `sidecar-${SIDECAR_VERSION}`);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** Writes the embedded sources into `dir` where they differ from what is there. */
async function writeSources(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(SIDECAR_FILES)) {
    const path = join(dir, name);
    if ((await readText(path)) !== text) await Deno.writeTextFile(path, text);
  }
}

function tempDir(): string {
  return Deno.env.get("TMPDIR") ?? Deno.env.get("TEMP") ??
    Deno.env.get("TMP") ??
    (Deno.build.os === "windows" ? "C:\\Windows\\Temp" : "/tmp");
}

/** Takes an exclusive lock file; stale locks (older than the timeout) are broken. */
async function acquireLock(
  path: string,
  timeoutMs: number,
): Promise<() => Promise<void>> {
  const started = Date.now();
  while (true) {
    try {
      const file = await Deno.open(path, { createNew: true, write: true });
      await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
      file.close();
      return async () => {
        await Deno.remove(path).catch(() => {});
      };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    const age = await Deno.stat(path).then(
      (s) => Date.now() - (s.mtime?.getTime() ?? 0),
      () => 0,
    );
    if (age > timeoutMs) {
      await Deno.remove(path).catch(() => {});
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new ButtplugUnknownError(
        `timed out waiting for another sidecar install to finish (lock file ${path}); remove it if no install is running`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function runNpmCi(dir: string, npmPath: string): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(npmPath, {
      args: ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ButtplugUnknownError(
        `cannot install the hardware sidecar: "${npmPath}" was not found; install Node.js 20+ with npm`,
        0,
        { cause: err },
      );
    }
    throw new ButtplugUnknownError(
      `cannot run "${npmPath} ci" in ${dir}: ${(err as Error).message}`,
      0,
      { cause: err },
    );
  }
  if (!output.success) {
    const text = new TextDecoder().decode(output.stderr).trim() ||
      new TextDecoder().decode(output.stdout).trim();
    const tail = text.split("\n").slice(-15).join("\n");
    throw new ButtplugUnknownError(
      `"npm ci" failed in ${dir} (exit code ${output.code}); the Bluetooth/serial/HID sidecar cannot run:\n${tail}`,
    );
  }
}

const inFlight = new Map<string, Promise<SidecarInstall>>();

/**
 * Makes sure the sidecar and its npm packages are installed; returns where `main.mjs` is.
 * Cheap after the first call (a stamp compares the lockfile hash).
 *
 * @example
 * ```ts
 * import { ensureSidecar } from "./sidecar_setup.ts";
 * const { script } = await ensureSidecar();
 * console.log(`node ${script}`);
 * ```
 */
export function ensureSidecar(
  options: EnsureSidecarOptions = {},
): Promise<SidecarInstall> {
  const location = options.location ?? "auto";
  const checkout = location === "cache" ? undefined : checkoutSidecarDir();
  if (location === "checkout" && !checkout) {
    return Promise.reject(
      new ButtplugUnknownError(
        "the sidecar folder of a local checkout was not found next to sidecar_setup.ts",
      ),
    );
  }
  const dir = checkout ?? cacheSidecarDir(options.cacheDir);
  const key = `${dir}\n${options.force ? "force" : ""}`;
  let job = inFlight.get(key);
  if (!job) {
    job = install(dir, checkout ? "checkout" : "cache", options).finally(() =>
      inFlight.delete(key)
    );
    inFlight.set(key, job);
  }
  return job;
}

async function install(
  dir: string,
  location: "checkout" | "cache",
  options: EnsureSidecarOptions,
): Promise<SidecarInstall> {
  const script = join(dir, "main.mjs");
  if (location === "cache") await writeSources(dir);
  const lock = await Deno.readTextFile(join(dir, "package-lock.json"));
  const want = await sha256Hex(lock);
  const stamp = join(dir, "node_modules", INSTALL_STAMP);
  if (!options.force && (await readText(stamp))?.trim() === want) {
    return { dir, script, installed: false, location };
  }
  const lockPath = join(
    tempDir(),
    `deno-buttplug-sidecar-${(await sha256Hex(dir)).slice(0, 16)}.lock`,
  );
  const release = await acquireLock(lockPath, options.lockTimeoutMs ?? 600_000);
  try {
    if (!options.force && (await readText(stamp))?.trim() === want) {
      return { dir, script, installed: false, location }; // another process installed meanwhile
    }
    const progress = options.progress ??
      ((line: string) => console.error(line));
    progress(
      `deno-buttplug: installing the hardware sidecar's npm packages (npm ci in ${dir}); first use only, this takes a moment...`,
    );
    await runNpmCi(
      dir,
      options.npmPath ?? (Deno.build.os === "windows" ? "npm.cmd" : "npm"),
    );
    await Deno.mkdir(join(dir, "node_modules"), { recursive: true });
    await Deno.writeTextFile(stamp, `${want}\n`);
    return { dir, script, installed: true, location };
  } finally {
    await release();
  }
}
