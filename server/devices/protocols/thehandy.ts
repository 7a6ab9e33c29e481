/**
 * The Handy (DEVICES.md §3.9): two protobuf-based protocols, encoded by hand (proto3 rules: a
 * scalar field equal to its default — 0, 0.0, false — is omitted; a set message field is always
 * written, even when empty).
 *
 * - `thehandy` (firmware < 4, name `The Handy`): "handyplug" messages. A position move is
 *   `Payload{messages: [Message{LinearCmd{Id 2, DeviceIndex 0, Vectors [{Index 0, Duration d,
 *   Position p/100 (double)}]}}]}` written to `tx` with response (CID constant; the config sets a
 *   50 ms batching window). Keepalive (only where the transport demands one): `Payload[Ping{Id
 *   999}]` = `0A 06 B2 06 03 08 E7 07`, with response.
 * - `thehandy-v3` (firmware 4+, names `OHD_hw<N>_*`): RPC messages
 *   `RpcMessage{type Request, request: Request{id, params}}` with a running request id, written
 *   with response (CID = feature id). Identify: the identifier is the second `_`-separated part of
 *   the name (`hw4` Handy 2 Pro, `hw3` Handy 2, `hw1` The Oh!) when the name has at least three
 *   parts, else `unknown`. Initialize: subscribe `rx`, send a battery request (id 1) and a
 *   capabilities request (id 2), each followed by a wait for the reply (only logged upstream).
 *   Position: `HdspXpTSet{xp = p/100 (float), t = d, stop_on_target = true}`; vibrate (The Oh!):
 *   `HvpSet{amplitude = s/100, frequency = 100}`, or `HvpStop{}` for 0. Keepalive (only where
 *   the transport demands one): a capabilities request, with response.
 *
 * @module
 */
import {
  type Identification,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

// ---------------------------------------------------------------------------------------------
// Minimal proto3 writer
// ---------------------------------------------------------------------------------------------

/** Encodes an unsigned integer (< 2^53) as a protobuf varint. */
export function protoVarint(value: number): number[] {
  const out: number[] = [];
  let v = Math.trunc(value);
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const tag = (field: number, wireType: number): number[] => protoVarint(field * 8 + wireType);

/** A varint field (omitted when 0, as proto3 does for scalars). */
function varintField(field: number, value: number): number[] {
  return value === 0 ? [] : [...tag(field, 0), ...protoVarint(value)];
}

/** A bool field (omitted when false). */
function boolField(field: number, value: boolean): number[] {
  return value ? [...tag(field, 0), 1] : [];
}

/** A length-delimited field (sub-message; always written). */
function messageField(field: number, body: readonly number[]): number[] {
  return [...tag(field, 2), ...protoVarint(body.length), ...body];
}

/** A `double` field, little-endian (omitted when 0). */
function doubleField(field: number, value: number): number[] {
  if (value === 0) return [];
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, value, true);
  return [...tag(field, 1), ...new Uint8Array(buf.buffer)];
}

/** A `float` field, little-endian (omitted when 0). */
function floatField(field: number, value: number): number[] {
  if (value === 0) return [];
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, value, true);
  return [...tag(field, 5), ...new Uint8Array(buf.buffer)];
}

// ---------------------------------------------------------------------------------------------
// thehandy (handyplug)
// ---------------------------------------------------------------------------------------------

/** CID of every handyplug command (one axis, one packet). */
export const THEHANDY_CID = "thehandy-linear";

const HANDYPLUG_PING = 102;
const HANDYPLUG_LINEAR_CMD = 403;
/** Message id upstream puts in every LinearCmd. */
const LINEAR_CMD_ID = 2;
/** Message id of the keepalive Ping. */
const PING_ID = 999;

/** `Payload{messages: [message]}` where `message` is the oneof member `field` = `body`. */
function handyplugPayload(field: number, body: readonly number[]): number[] {
  return messageField(1, messageField(field, body));
}

/**
 * Encodes a handyplug LinearCmd payload for a move to `position` (0–100) in `durationMs`.
 *
 * @example
 * ```ts
 * import { handyplugLinear } from "./thehandy.ts";
 * const hex = handyplugLinear(50, 500).map((b) => b.toString(16).padStart(2, "0")).join(" ");
 * console.assert(hex === "0a 13 9a 19 10 08 02 1a 0c 10 f4 03 19 00 00 00 00 00 00 e0 3f");
 * ```
 */
export function handyplugLinear(position: number, durationMs: number): number[] {
  const vector = [
    ...varintField(1, 0),
    ...varintField(2, durationMs),
    ...doubleField(3, position / 100),
  ];
  const linear = [
    ...varintField(1, LINEAR_CMD_ID),
    ...varintField(2, 0),
    ...messageField(3, vector),
  ];
  return handyplugPayload(HANDYPLUG_LINEAR_CMD, linear);
}

/** The handyplug keepalive: `Payload[Ping{Id 999}]`. */
export function handyplugPing(): number[] {
  return handyplugPayload(HANDYPLUG_PING, varintField(1, PING_ID));
}

/** The `thehandy` protocol (firmware before 4). */
export const thehandy: ProtocolImplementation = {
  id: "thehandy",
  initialize(): ProtocolHandler {
    // No handshake: upstream's protocomm session setup was never actually sent, and the device
    // accepts handyplug commands without it.
    return {
      keepalive: {
        kind: "hardware-required-packet",
        command: write("tx", handyplugPing(), true, THEHANDY_CID),
      },
      hwPositionWithDuration: (_f, s, durationMs) => [
        write("tx", handyplugLinear(s, durationMs), true, THEHANDY_CID),
      ],
    };
  },
};

// ---------------------------------------------------------------------------------------------
// thehandy-v3 (Handy RPC)
// ---------------------------------------------------------------------------------------------

/** `RpcMessage.type` value of a request. */
const RPC_TYPE_REQUEST = 1;
/** `Request` params field numbers. */
const PARAMS = {
  batteryGet: 710,
  capabilitiesGet: 713,
  hdspXpTSet: 744,
  hvpSet: 900,
  hvpStop: 901,
} as const;
/** Vibration frequency (Hz) upstream sends with every HvpSet. */
const HVP_FREQUENCY = 100;
/** How long initialize waits for each handshake reply (upstream waits forever). */
const HANDSHAKE_REPLY_TIMEOUT_MS = 1000;

/** `Request{id, params}` where `params` is the oneof member `field` = `body`. */
function handyRequest(id: number, field: number, body: readonly number[]): number[] {
  return [...varintField(2, id), ...messageField(field, body)];
}

/**
 * Encodes `RpcMessage{type: Request, request: Request{id, <field>: body}}`.
 *
 * @example
 * ```ts
 * import { handyRpcRequest } from "./thehandy.ts";
 * // id 1, RequestBatteryGet{} (field 710)
 * console.assert(handyRpcRequest(1, 710, []).join() === [8, 1, 0x12, 5, 0x10, 1, 0xb2, 0x2c, 0].join());
 * ```
 */
export function handyRpcRequest(id: number, field: number, body: readonly number[]): number[] {
  return [...varintField(1, RPC_TYPE_REQUEST), ...messageField(2, handyRequest(id, field, body))];
}

/** `HdspXpTSet{xp = p/100 (float32), t = duration, stop_on_target = true}` as an RPC request. */
export function handyHdspXpT(id: number, position: number, durationMs: number): number[] {
  const body = [
    ...floatField(1, Math.fround(position / 100)),
    ...varintField(2, durationMs),
    ...boolField(3, true),
  ];
  return handyRpcRequest(id, PARAMS.hdspXpTSet, body);
}

/** `HvpSet{amplitude = s/100, frequency = 100, position = 0}` or, for 0, `HvpStop{}`. */
export function handyHvp(id: number, s: number): number[] {
  if (s === 0) return handyRpcRequest(id, PARAMS.hvpStop, []);
  const body = [
    ...floatField(1, Math.fround(s / 100)),
    ...varintField(2, HVP_FREQUENCY),
    ...floatField(3, 0),
  ];
  return handyRpcRequest(id, PARAMS.hvpSet, body);
}

/**
 * The config identifier of a Handy FW4+ device from its BLE name.
 *
 * @example
 * ```ts
 * import { handyV3Identifier } from "./thehandy.ts";
 * console.assert(handyV3Identifier("OHD_hw4_A1B2") === "hw4");
 * console.assert(handyV3Identifier("OHD_hw4") === "unknown");
 * ```
 */
export function handyV3Identifier(name: string): string {
  const parts = name.split("_");
  return parts.length > 2 ? parts[1] : "unknown";
}

/** The `thehandy-v3` protocol (Handy firmware 4+, The Oh!). */
export const thehandyV3: ProtocolImplementation = {
  id: "thehandy-v3",
  identify(ctx): Promise<Identification> {
    return Promise.resolve({ identifier: handyV3Identifier(ctx.hardware.name) });
  },
  async initialize(ctx): Promise<ProtocolHandler> {
    await ctx.hardware.subscribe("rx");
    const handshake: [number, number][] = [[1, PARAMS.batteryGet], [2, PARAMS.capabilitiesGet]];
    for (const [id, field] of handshake) {
      using replies = ctx.listenNotifications("rx");
      await ctx.hardware.write("tx", Uint8Array.from(handyRpcRequest(id, field, [])), false);
      // The reply (battery level / capabilities) is informational only; a missing one is not
      // fatal. Upstream waits without a timeout, which would hang the connection.
      await replies.next(HANDSHAKE_REPLY_TIMEOUT_MS);
    }
    // Request ids: upstream's handler counter starts at 0 and builds the keepalive packet twice
    // while connecting (ids 0 and 1; the second is kept), so the first command carries id 2.
    const keepaliveId = 1;
    let nextId = 2;
    const take = (): number => {
      const id = nextId;
      nextId = (nextId + 1) % 0x1_0000_0000;
      return id;
    };
    return {
      keepalive: {
        kind: "hardware-required-packet",
        // Upstream sends the bare `Request` without the `RpcMessage` wrapper (DEVICES.md §5.7),
        // which the device cannot parse as an RPC message; we send the wrapped request.
        command: write(
          "tx",
          handyRpcRequest(keepaliveId, PARAMS.capabilitiesGet, []),
          true,
          "thehandy-v3-keepalive",
        ),
      },
      hwPositionWithDuration: (f, s, durationMs) => [
        write("tx", handyHdspXpT(take(), s, durationMs), true, f.id),
      ],
      vibrate: (f, s) => [write("tx", handyHvp(take(), s), true, f.id)],
    };
  },
};
