/**
 * Test harness for protocol unit tests: a connected fake peripheral with a fake clock, its
 * context, and a definition from the embedded config.
 *
 * @module
 */
import { FakeClock } from "../../../_helpers/fake_clock.ts";
import {
  FakePeripheral,
  type FakePeripheralOptions,
} from "../../../../hardware/fake_peripheral.ts";
import { DeviceContext } from "../../../../server/devices/context.ts";
import { defaultDeviceConfiguration } from "../../../../server/devices/config.ts";
import type { DeviceDefinition, HardwareCommand } from "../../../../server/devices/protocol.ts";

/** A peripheral connected with the protocol's first base specifier. */
export interface Harness extends Disposable {
  readonly clock: FakeClock;
  readonly peripheral: FakePeripheral;
  readonly ctx: DeviceContext;
}

/** Creates the harness for `protocol` with an advertised `name`. */
export async function harness(
  protocol: string,
  name: string,
  options: Partial<FakePeripheralOptions> = {},
): Promise<Harness> {
  const clock = new FakeClock();
  const peripheral = new FakePeripheral({ name, clock, ...options });
  const spec = defaultDeviceConfiguration().protocol(protocol)!.communication[0];
  await peripheral.connect(spec);
  const ctx = new DeviceContext(peripheral, clock);
  return {
    clock,
    peripheral,
    ctx,
    [Symbol.dispose]() {
      ctx[Symbol.dispose]();
      peripheral[Symbol.dispose]();
    },
  };
}

/** The per-device definition the pipeline would resolve. */
export function definition(protocol: string, identifier?: string): DeviceDefinition {
  const resolved = defaultDeviceConfiguration().resolve({
    address: `test-${crypto.randomUUID()}`,
    protocol,
    ...(identifier !== undefined ? { identifier } : {}),
  });
  if (!resolved) throw new Error(`no definition for ${protocol}/${identifier}`);
  return resolved.definition;
}

/** The ASCII payloads of write commands. */
export function texts(commands: HardwareCommand[]): string[] {
  return commands.map((c) => c.kind === "write" ? new TextDecoder().decode(c.data) : c.kind);
}

/** The bytes of write commands. */
export function bytes(commands: HardwareCommand[]): number[][] {
  return commands.map((c) => c.kind === "write" ? [...c.data] : []);
}
