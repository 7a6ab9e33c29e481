/**
 * Starts the sidecar's Node process with piped stdio; a missing `node` becomes a clear
 * {@linkcode ButtplugUnknownError}.
 *
 * @module
 */
import { ButtplugUnknownError } from "../protocol/errors.ts";
import type { ResolvedOptions } from "./_sidecar_link.ts";

/** The command line of `node` for these options. */
export function sidecarArgs(o: ResolvedOptions): string[] {
  const args = [
    o.script,
    `--transports=${o.transports.join(",")}`,
  ];
  if (o.bleAdapter !== undefined) {
    args.push(`--ble-adapter=${o.bleAdapter}`);
  }
  return args;
}

/**
 * Spawns `node main.mjs` with the options' transports, adapter and environment. Throws a
 * {@linkcode ButtplugUnknownError} when Node cannot be started.
 */
export function spawnSidecar(o: ResolvedOptions): Deno.ChildProcess {
  try {
    return new Deno.Command(o.nodePath, {
      args: sidecarArgs(o),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { ...o.env },
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ButtplugUnknownError(
        `cannot start the hardware sidecar: "${o.nodePath}" was not found; install Node.js 20+ ` +
          `and put node on PATH, or pass nodePath`,
        0,
        { cause: err },
      );
    }
    throw new ButtplugUnknownError(
      `cannot start the hardware sidecar: ${(err as Error).message}`,
      0,
      { cause: err },
    );
  }
}
