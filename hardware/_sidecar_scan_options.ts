/**
 * Scan options of the sidecar managers: derived from device-config specifiers
 * ({@linkcode scanOptionsFor}) and turned into `scan.start` params for one transport
 * ({@linkcode scanStartParams}).
 *
 * @module
 */
import type { CommunicationSpecifier } from "./mod.ts";
import type { SidecarScanOptions, SidecarTransport } from "./_sidecar_types.ts";
import type { Json } from "./_sidecar_wire.ts";

/**
 * Scan options derived from device-config specifiers for one transport: BLE names, advertised
 * services and manufacturer companies; serial ports other than `"default"`; HID/USB pairs (for
 * `hid` the pairs of `hid` and `usb` specifiers, for `usb` those of `usb` specifiers only).
 * Handy for narrowing what the sidecar reports (the device layer still matches precisely).
 */
export function scanOptionsFor(
  transport: SidecarTransport,
  specifiers: Iterable<CommunicationSpecifier>,
): SidecarScanOptions {
  const names = new Set<string>();
  const services = new Set<string>();
  const companies = new Set<number>();
  const ports = new Set<string>();
  const pairs = new Map<string, { vendorId: number; productId: number }>();
  const usbPairs = new Map<string, { vendorId: number; productId: number }>();
  for (const s of specifiers) {
    if ("btle" in s) {
      s.btle.names.forEach((n) => names.add(n));
      s.btle.advertised_services?.forEach((u) => services.add(u));
      s.btle.manufacturer_data?.forEach((m) => companies.add(m.company));
    } else if ("serial" in s) {
      if (s.serial.port !== "default") ports.add(s.serial.port);
    } else if ("hid" in s || "usb" in s) {
      const list = "hid" in s ? s.hid.pairs : s.usb.pairs;
      for (const p of list) {
        const pair = { vendorId: p.vendor_id, productId: p.product_id };
        pairs.set(`${p.vendor_id}:${p.product_id}`, pair);
        if ("usb" in s) usbPairs.set(`${p.vendor_id}:${p.product_id}`, pair);
      }
    }
  }
  if (transport === "btle") {
    return {
      names: [...names],
      services: [...services],
      companies: [...companies],
    };
  }
  if (transport === "serial") return { ports: [...ports] };
  if (transport === "usb") return { pairs: [...usbPairs.values()] };
  return { pairs: [...pairs.values()] };
}

/** The `scan.start` params of one transport: only the options that transport uses. */
export function scanStartParams(transport: SidecarTransport, o: SidecarScanOptions): Json {
  const params: Json = { transport };
  if (transport === "btle") {
    if (o.names) params.names = [...o.names];
    if (o.services) params.services = [...o.services];
    if (o.companies) params.companies = [...o.companies];
  } else if (transport === "serial") {
    params.ports = [...(o.ports ?? [])];
    if (o.intervalMs !== undefined) params.intervalMs = o.intervalMs;
  } else {
    if (o.pairs) {
      params.pairs = o.pairs.map((p) => ({
        vendorId: p.vendorId,
        productId: p.productId,
      }));
    }
    if (o.intervalMs !== undefined) params.intervalMs = o.intervalMs;
  }
  return params;
}
