/**
 * SayberX (`sayberx`, DEVICES.md §3.8: config-only upstream), names `SayberX` (the stroker) and
 * `X-Ring *` (its controller ring), service `fff0`, tx `fff6`, rx `fff8`.
 *
 * Upstream has no implementation. The public protocol notes (buttplugio/stpihkal issue #66) say
 * the stroker takes AT-style ASCII commands on `tx`: `AT+SPDnn` with `nn` a two-digit decimal
 * speed `00`–`40` whose last digit is always `0`. The config's vibrate range 0–4 is that first
 * digit, so vibrate `s` → `AT+SPD<s>0` (without response, CID = the feature id).
 *
 * Identify maps `X-Ring <suffix>` names to the config identifier `X-Ring`. The ring is an input
 * controller with no outputs and no documented report format, so it is refused at initialize with
 * a clear reason instead of being announced as a device that can do nothing.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import { outputFeatures, type ProtocolImplementation, writeText } from "../protocol.ts";

/**
 * The speed command for a level `s` in 0–4.
 *
 * @example
 * ```ts
 * import { sayberxCommand } from "./sayberx.ts";
 * console.assert(sayberxCommand(4) === "AT+SPD40");
 * ```
 */
export function sayberxCommand(s: number): string {
  return `AT+SPD${String(s * 10).padStart(2, "0")}`;
}

/** The `sayberx` protocol. */
export const sayberx: ProtocolImplementation = {
  id: "sayberx",
  identify(ctx) {
    const name = ctx.hardware.name;
    return Promise.resolve({ identifier: name.startsWith("X-Ring") ? "X-Ring" : name });
  },
  initialize(ctx, definition) {
    if (outputFeatures(definition).length === 0) {
      throw new ButtplugDeviceError(
        `${definition.name} ("${ctx.hardware.name}") is an input-only controller ring; its ` +
          "reports are not publicly documented, so it is not supported",
      );
    }
    return { vibrate: (f, s) => [writeText("tx", sayberxCommand(s), false, f.id)] };
  },
};
