/**
 * Communication specifier matching (DEVICES.md §1.3): does a discovered device (its
 * advertisement turned into a specifier) belong to a protocol's `communication` list?
 *
 * @module
 */
import type {
  Advertisement,
  BtleSpecifier,
  CommunicationSpecifier,
  ManufacturerData,
  TransportKind,
} from "../../hardware/mod.ts";

/** The transport kind (single key) of a specifier. */
export function specifierKind(specifier: CommunicationSpecifier): TransportKind {
  return Object.keys(specifier)[0] as TransportKind;
}

/**
 * The specifier a transport's advertisement stands for: BLE → name, manufacturer data and
 * advertised services; serial → the port (the advertisement address); HID/USB → the
 * vendor/product pair; websocket → the device identifier (the advertisement name, with an
 * optional `Websocket Device ` prefix removed); xinput / Lovense Connect → the bare kind.
 *
 * @example
 * ```ts
 * import { advertisementSpecifier } from "./specifier.ts";
 * const s = advertisementSpecifier({ transport: "btle", name: "LVS-Z36", address: "aa" });
 * console.assert("btle" in s && s.btle.names[0] === "LVS-Z36");
 * ```
 */
export function advertisementSpecifier(adv: Advertisement): CommunicationSpecifier {
  switch (adv.transport) {
    case "btle":
      return {
        btle: {
          names: [adv.name],
          services: {},
          ...(adv.manufacturerData ? { manufacturer_data: adv.manufacturerData } : {}),
          ...(adv.services ? { advertised_services: adv.services } : {}),
        },
      };
    case "serial":
      return {
        serial: { port: adv.address, baud_rate: 0, data_bits: 8, parity: "N", stop_bits: 1 },
      };
    case "hid":
    case "usb": {
      const pairs = adv.vendorId !== undefined && adv.productId !== undefined
        ? [{ vendor_id: adv.vendorId, product_id: adv.productId }]
        : [];
      return adv.transport === "hid" ? { hid: { pairs } } : { usb: { pairs } };
    }
    case "websocket":
      return { websocket: { name: adv.name.replace(/^Websocket Device /, "") } };
    case "xinput":
      return { xinput: { exists: true } };
    case "lovense_connect_service":
      return { lovense_connect_service: { exists: true } };
  }
}

/**
 * Whether two specifiers are "equal" under the upstream matching rules (symmetric).
 * Specifiers of different kinds never match.
 */
export function specifiersMatch(a: CommunicationSpecifier, b: CommunicationSpecifier): boolean {
  if ("btle" in a && "btle" in b) return btleMatch(a.btle, b.btle);
  if ("serial" in a && "serial" in b) return a.serial.port === b.serial.port;
  if ("hid" in a && "hid" in b) return pairsIntersect(a.hid.pairs, b.hid.pairs);
  if ("usb" in a && "usb" in b) return pairsIntersect(a.usb.pairs, b.usb.pairs);
  if ("websocket" in a && "websocket" in b) return a.websocket.name === b.websocket.name;
  if ("xinput" in a && "xinput" in b) return true;
  if ("lovense_connect_service" in a && "lovense_connect_service" in b) return true;
  return false;
}

/** Whether any specifier of `list` matches `specifier`. */
export function listMatches(
  list: readonly CommunicationSpecifier[],
  specifier: CommunicationSpecifier,
): boolean {
  return list.some((s) => specifiersMatch(s, specifier));
}

/**
 * Whether two BLE names match: equal, or one ends in `*` and the other starts with the text
 * before it (either direction; only a trailing `*` is special).
 */
export function namesMatch(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.endsWith("*") && b.startsWith(a.slice(0, -1))) return true;
  if (b.endsWith("*") && a.startsWith(b.slice(0, -1))) return true;
  return false;
}

function btleMatch(a: BtleSpecifier, b: BtleSpecifier): boolean {
  // 1. exact name intersection; 2. trailing-* wildcard either way.
  for (const x of a.names) for (const y of b.names) if (namesMatch(x, y)) return true;
  // 3. manufacturer data.
  const ma = a.manufacturer_data ?? [];
  const mb = b.manufacturer_data ?? [];
  if (ma.length > 0 && mb.length > 0) {
    for (const x of ma) for (const y of mb) if (manufacturerMatch(x, y)) return true;
  }
  // 4. advertised services.
  const sa = new Set((a.advertised_services ?? []).map((s) => s.toLowerCase()));
  for (const s of b.advertised_services ?? []) if (sa.has(s.toLowerCase())) return true;
  return false;
}

/**
 * Manufacturer data rule: same company; a side without data matches on the company alone;
 * equal lengths must be identical; otherwise the shorter must occur inside the longer.
 */
export function manufacturerMatch(a: ManufacturerData, b: ManufacturerData): boolean {
  if (a.company !== b.company) return false;
  if (a.data === undefined || b.data === undefined) return true;
  const [short, long] = a.data.length <= b.data.length ? [a.data, b.data] : [b.data, a.data];
  if (short.length === long.length) return short.every((v, i) => v === long[i]);
  for (let start = 0; start + short.length <= long.length; start++) {
    let ok = true;
    for (let i = 0; i < short.length; i++) {
      if (long[start + i] !== short[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

function pairsIntersect(
  a: readonly { vendor_id: number; product_id: number }[],
  b: readonly { vendor_id: number; product_id: number }[],
): boolean {
  return a.some((x) => b.some((y) => x.vendor_id === y.vendor_id && x.product_id === y.product_id));
}

/** Every endpoint name bound by a BLE specifier's services (merged over all services). */
export function btleEndpoints(specifier: BtleSpecifier): string[] {
  const names = new Set<string>();
  for (const eps of Object.values(specifier.services)) {
    for (const n of Object.keys(eps)) names.add(n);
  }
  return [...names];
}
