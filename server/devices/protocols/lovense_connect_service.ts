/**
 * Lovense Connect service (`lovense-connect-service`, DEVICES.md §3.9 and §4.6): one toy
 * reported by the Lovense Connect app's local HTTP API. The hardware's name is the toy name
 * (the config identifier: `Nora`, `Max`...) and its address the toy id; every write is the
 * UTF-8 text of a URL path-and-query that the transport turns into an HTTP GET on the app, e.g.
 * `Vibrate1?v=10&t=<toy id>`. Battery is a 1-byte read of `rx` (the transport answers with the
 * level it last polled).
 *
 * Init: count vibrate features V and oscillate features T; a toy with only oscillators is
 * driven like a vibrator (V = T, T = 0). The Solace first gets `Depth?v=3&t=<id>` and is driven
 * through `Thrusting` (V = 0, T = 1).
 *
 * Encoding (CID per feature, so outputs of different features never replace each other):
 *
 * | output | path |
 * | --- | --- |
 * | vibrate | `Vibrate<fi+1>?v=<s>&t=<id>` |
 * | oscillate, T ≠ 0 | `Thrusting?v=<s>&t=<id>` |
 * | oscillate, T = 0 (oscillator-only toys, e.g. the Sex Machine) | `Vibrate<fi+1>?v=<s>&t=<id>` |
 * | constrict (Max air pump, 0–3) | `AirAuto?v=<s>&t=<id>` |
 * | rotate (Nora, Ridge, Flexer) | `RotateClockwise?v=<s>&t=<id>` / `RotateAntiClockwise?v=<−s>&t=<id>` |
 *
 * Deliberate differences from upstream (DEVICES.md §5.10): upstream replaces the whole output
 * dispatch, so rotate and constrict produce nothing at all, and it sends oscillator-only toys
 * `AirAuto` (the Max's air-pump command) although its own comment says they take the vibrate
 * command. Here constrict uses `AirAuto`, oscillator-only toys get `Vibrate`, and rotate uses the
 * app's direction-explicit rotate commands (no `RotateChange` state to get out of step).
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  featuresWithOutput,
  type HardwareCommand,
  type ProtocolImplementation,
  writeText,
} from "../protocol.ts";

const BATTERY_TIMEOUT_MS = 1000;

/** The `lovense-connect-service` protocol. */
export const lovenseConnectService: ProtocolImplementation = {
  id: "lovense-connect-service",
  async initialize(ctx, definition) {
    const toy = ctx.hardware.address;
    let vibrators = featuresWithOutput(definition, "Vibrate").length;
    let thrusters = featuresWithOutput(definition, "Oscillate").length;
    if (vibrators === 0 && thrusters > 0) {
      vibrators = thrusters;
      thrusters = 0;
    }
    if (ctx.hardware.name === "Solace") {
      await ctx.hardware.write("tx", new TextEncoder().encode(`Depth?v=3&t=${toy}`), false);
      vibrators = 0;
      thrusters = 1;
    }
    const get = (path: string, cid: string): HardwareCommand[] => [
      writeText("tx", path, false, cid),
    ];
    return {
      vibrate: (f, s) => get(`Vibrate${f.index + 1}?v=${s}&t=${toy}`, f.id),
      oscillate: (f, s) =>
        get(
          thrusters !== 0 ? `Thrusting?v=${s}&t=${toy}` : `Vibrate${f.index + 1}?v=${s}&t=${toy}`,
          f.id,
        ),
      constrict: (f, s) => get(`AirAuto?v=${s}&t=${toy}`, f.id),
      rotate: (f, s) =>
        get(
          s < 0 ? `RotateAntiClockwise?v=${-s}&t=${toy}` : `RotateClockwise?v=${s}&t=${toy}`,
          f.id,
        ),
      async readInput(_feature, type, ctx) {
        if (type !== "Battery") {
          throw new ButtplugDeviceError(`Lovense Connect cannot read ${type}`);
        }
        const data = await ctx.hardware.read("rx", 1, BATTERY_TIMEOUT_MS);
        if (data.length < 1) throw new ButtplugDeviceError("Lovense Connect: no battery level");
        return data[0];
      },
    };
  },
};
