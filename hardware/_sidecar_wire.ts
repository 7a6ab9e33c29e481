/**
 * Validation of what the sidecar writes (see `hardware/sidecar/PROTOCOL.md`): every line read from
 * Node goes through these guards and parsers before the bridge acts on it; what does not pass is
 * counted, logged and dropped by the caller.
 *
 * @module
 */
import type { Advertisement, ManufacturerData } from "./mod.ts";
import {
  SIDECAR_TRANSPORTS,
  type SidecarHello,
  type SidecarTransport,
  type TransportStatus,
} from "./_sidecar_types.ts";

/**
 * Transports a sidecar may leave out of its `hello` (added after protocol 1 was fixed): a sidecar
 * that does not report one is taken as not serving it.
 */
const OPTIONAL_TRANSPORTS: ReadonlySet<SidecarTransport> = new Set(["usb"]);

/** A JSON object as parsed from a sidecar line. */
export type Json = Record<string, unknown>;

/** Whether `v` is a JSON object (not an array, not null). */
export function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether `v` names a sidecar transport. */
export function isTransport(v: unknown): v is SidecarTransport {
  return v === "btle" || v === "serial" || v === "hid" || v === "usb";
}

/** Whether `v` is an array of byte values (integers 0..255). */
export function isByteArray(v: unknown): v is number[] {
  return Array.isArray(v) &&
    v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function isU16(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
}

/** A transport status (`{available, reason?}`), or undefined when malformed. */
export function parseStatus(v: unknown): TransportStatus | undefined {
  if (!isRecord(v) || typeof v.available !== "boolean") return undefined;
  if (v.reason !== undefined && typeof v.reason !== "string") return undefined;
  return v.reason === undefined
    ? { available: v.available }
    : { available: v.available, reason: v.reason };
}

/**
 * The params of a `hello` event, or undefined when malformed. An optional transport the sidecar
 * does not report is taken as unavailable.
 */
export function parseHello(v: unknown): SidecarHello | undefined {
  if (
    !isRecord(v) || typeof v.protocol !== "number" || !isRecord(v.transports)
  ) return undefined;
  const transports = {} as Record<SidecarTransport, TransportStatus>;
  for (const t of SIDECAR_TRANSPORTS) {
    const s = v.transports[t] === undefined && OPTIONAL_TRANSPORTS.has(t)
      ? { available: false, reason: "not served by this sidecar (an older version)" }
      : parseStatus(v.transports[t]);
    if (!s) return undefined;
    transports[t] = s;
  }
  return {
    protocol: v.protocol,
    version: String(v.version ?? ""),
    node: String(v.node ?? ""),
    platform: String(v.platform ?? ""),
    pid: typeof v.pid === "number" ? v.pid : 0,
    transports,
  };
}

/** A validated `found` event. */
export interface FoundParams {
  /** What the transport saw. */
  readonly advertisement: Advertisement;
  /** hid: the device path to open. */
  readonly path?: string;
  /** btle: reported by the reconnect watch (a known device that dropped is advertising). */
  readonly watched?: boolean;
}

/** The params of a `found` event, or undefined when malformed. */
export function parseFound(v: Json): FoundParams | undefined {
  const { transport, address, name } = v;
  if (
    !isTransport(transport) || typeof address !== "string" || address === ""
  ) return undefined;
  if (typeof name !== "string") return undefined;
  const ad: {
    -readonly [K in keyof Advertisement]: Advertisement[K];
  } = { transport, name, address };
  if (v.services !== undefined) {
    if (!isStringArray(v.services)) return undefined;
    ad.services = v.services;
  }
  if (v.manufacturerData !== undefined) {
    if (!Array.isArray(v.manufacturerData)) return undefined;
    const entries: ManufacturerData[] = [];
    for (const m of v.manufacturerData) {
      if (!isRecord(m) || !isU16(m.company)) return undefined;
      if (m.data !== undefined && !isByteArray(m.data)) return undefined;
      entries.push(
        m.data === undefined ? { company: m.company } : { company: m.company, data: m.data },
      );
    }
    ad.manufacturerData = entries;
  }
  if (v.vendorId !== undefined) {
    if (!isU16(v.vendorId)) return undefined;
    ad.vendorId = v.vendorId;
  }
  if (v.productId !== undefined) {
    if (!isU16(v.productId)) return undefined;
    ad.productId = v.productId;
  }
  if (v.path !== undefined && typeof v.path !== "string") return undefined;
  if (v.watched !== undefined && typeof v.watched !== "boolean") return undefined;
  return {
    advertisement: ad,
    path: v.path as string | undefined,
    ...(v.watched === true ? { watched: true } : {}),
  };
}

/** A validated `connect` reply. */
export interface ConnectResult {
  /** The sidecar's handle of the connection. */
  readonly handle: string;
  /** Advertised/product name. */
  readonly name: string;
  /** Unique id on its transport. */
  readonly address: string;
  /** Endpoint names bound. */
  readonly endpoints: readonly string[];
  /** Batching window in ms (0 when the sidecar sends none). */
  readonly messageGapMs: number;
}

/** The result of a `connect` reply, or undefined when malformed. */
export function parseConnectResult(v: unknown): ConnectResult | undefined {
  if (!isRecord(v)) return undefined;
  const { handle, name, address, endpoints, messageGapMs } = v;
  if (typeof handle !== "string" || handle === "" || typeof name !== "string") {
    return undefined;
  }
  if (typeof address !== "string" || !isStringArray(endpoints)) {
    return undefined;
  }
  const gap = messageGapMs === undefined ? 0 : messageGapMs;
  if (typeof gap !== "number" || !(gap >= 0)) return undefined;
  return { handle, name, address, endpoints, messageGapMs: gap };
}

/** The first 200 characters of a line, for log messages. */
export function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
