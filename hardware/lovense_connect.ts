/**
 * Lovense Connect (DEVICES.md §4.6): a {@linkcode HardwareManager} for toys that the Lovense
 * Connect app (phone or desktop) exposes over its local HTTP API. Opt-in: it talks to the network.
 *
 * Discovery (a scan every `scanIntervalMs`, default 10 s, while scanning):
 *
 * 1. Hosts come from the `hosts` option (`http://IP:PORT`, e.g. `http://127.0.0.1:30010`; no
 *    Internet lookup at all) or, when none is configured and none is known yet, from the
 *    Lovense lookup service (`discoveryUrl`, default
 *    {@linkcode LOVENSE_CONNECT_DISCOVERY_URL}): an object keyed by domain like
 *    `192-168-1-5.lovense.club` with an `httpPort`; the host is `http://192.168.1.5:<httpPort>`.
 * 2. `GET <host>/GetToys` on each known host; every toy with a truthy `status` is reported as
 *    `found` (transport `lovense_connect_service`, name = toy name, address = toy id). A
 *    discovered host that fails is forgotten (the next scan looks it up again); a configured
 *    host is kept and retried.
 *
 * Hardware (one per toy): endpoint `tx` — a write is the UTF-8 text of a URL path and query
 * (`Vibrate1?v=10&t=<toy id>`, built by the `lovense-connect-service` protocol) sent as
 * `GET <host>/<text>`; endpoint `rx` — a read returns one byte, the last battery level (0..100;
 * the level GetToys reported when the toy was found, 100 when it reported none). A poll of
 * `<host>/GetToys` every `pollIntervalMs` (default 1 s, on the injectable {@linkcode Clock})
 * updates the level and emits `disconnected` when the toy disappears or turns off or the app
 * stops answering. Subscriptions are not supported; there is no batching window.
 *
 * Every request has a timeout (`requestTimeoutMs`, default 5 s, on the clock) and is cancelled
 * by `[Symbol.asyncDispose]` or `signal`.
 *
 * @example
 * ```ts ignore
 * import { LovenseConnectManager } from "./lovense_connect.ts";
 * import { ProtocolDeviceSource } from "../server/devices/pipeline.ts";
 * const lovense = new LovenseConnectManager({ hosts: ["http://127.0.0.1:30010"] });
 * await using source = new ProtocolDeviceSource({ managers: [lovense] });
 * await source.startScanning();
 * ```
 *
 * @module
 */
import type { Clock, TimerHandle } from "../protocol/clock.ts";
import { systemClock } from "../protocol/clock.ts";
import { ButtplugDeviceError } from "../protocol/errors.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import { type Logger, silentLogger } from "../server/log.ts";
import type {
  Advertisement,
  CommunicationSpecifier,
  Hardware,
  HardwareConnector,
  HardwareEventMap,
  HardwareManager,
  HardwareManagerEventMap,
} from "./mod.ts";

/** Lovense's lookup service for Lovense Connect apps on the user's network. */
export const LOVENSE_CONNECT_DISCOVERY_URL = "https://api.lovense.com/api/lan/getToys";
/** Default pause between scans, in ms. */
export const LOVENSE_CONNECT_SCAN_INTERVAL_MS = 10_000;
/** Default interval of a connected toy's status poll, in ms. */
export const LOVENSE_CONNECT_POLL_INTERVAL_MS = 1_000;
/** Default timeout of one HTTP request, in ms. */
export const LOVENSE_CONNECT_REQUEST_TIMEOUT_MS = 5_000;

/** The part of `fetch` the manager uses (the global `fetch` fits). */
export type LovenseConnectFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Options of a {@linkcode LovenseConnectManager}. */
export interface LovenseConnectManagerOptions {
  /**
   * Lovense Connect apps to use directly (`http://IP:PORT` or `IP:PORT`). When given, the
   * Internet lookup is never made.
   */
  readonly hosts?: readonly string[];
  /** Lookup service URL (default {@linkcode LOVENSE_CONNECT_DISCOVERY_URL}). */
  readonly discoveryUrl?: string;
  /** HTTP client (default: the global `fetch`). */
  readonly fetch?: LovenseConnectFetch;
  /** Clock for the scan loop, the polls and request timeouts (default: the system clock). */
  readonly clock?: Clock;
  /** Log sink (default: silent). */
  readonly logger?: Logger;
  /** Pause between scans in ms (default {@linkcode LOVENSE_CONNECT_SCAN_INTERVAL_MS}). */
  readonly scanIntervalMs?: number;
  /** Status poll interval in ms (default {@linkcode LOVENSE_CONNECT_POLL_INTERVAL_MS}). */
  readonly pollIntervalMs?: number;
  /** Request timeout in ms (default {@linkcode LOVENSE_CONNECT_REQUEST_TIMEOUT_MS}; 0: none). */
  readonly requestTimeoutMs?: number;
  /** Aborting it disposes the manager. */
  readonly signal?: AbortSignal;
}

/** One toy of a GetToys reply. */
export interface LovenseConnectToy {
  /** Toy id (the hardware address, the `t=` parameter of commands). */
  readonly id: string;
  /** Toy name (`Hush`, `Max`...; the config identifier). */
  readonly name: string;
  /** Whether the app reports it connected (`status` truthy). */
  readonly connected: boolean;
  /** Battery level 0..100, when reported. */
  readonly battery?: number;
}

/** The connector of a `found` event of a {@linkcode LovenseConnectManager}. */
export interface LovenseConnectConnector extends HardwareConnector {
  /** `http://IP:PORT` of the app that reported the toy. */
  readonly host: string;
  /** The toy as reported. */
  readonly toy: LovenseConnectToy;
  /** Creates the toy's hardware and starts its status poll. */
  connect(specifier: CommunicationSpecifier): Promise<LovenseConnectHardware>;
}

/** A toy behind a Lovense Connect app; see the module documentation. */
export interface LovenseConnectHardware extends Hardware {
  /** `http://IP:PORT` of the app. */
  readonly host: string;
  /** Last known battery level (0..100). */
  readonly battery: number;
  /** Whether it disconnected. */
  readonly disconnected: boolean;
  /** Why it disconnected, once it has. */
  readonly disconnectReason: string | undefined;
}

/**
 * Normalises a configured host to `http://host:port` (no trailing slash).
 *
 * @example
 * ```ts
 * import { normalizeLovenseConnectHost } from "./lovense_connect.ts";
 * console.assert(normalizeLovenseConnectHost("127.0.0.1:30010") === "http://127.0.0.1:30010");
 * ```
 *
 * @throws {TypeError} when it is not an http(s) URL with a host.
 */
export function normalizeLovenseConnectHost(host: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `http://${host}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Lovense Connect host "${host}" is not a valid http://IP:PORT address`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new TypeError(`Lovense Connect host "${host}" must be http://IP:PORT`);
  }
  return url.origin;
}

/**
 * Hosts from a lookup-service reply: `{"<a-b-c-d>.lovense.club": {"httpPort": N, ...}}` →
 * `http://a.b.c.d:N`. Entries that do not look like that are skipped (reported in `skipped`).
 *
 * @example
 * ```ts
 * import { parseLovenseDiscovery } from "./lovense_connect.ts";
 * const r = parseLovenseDiscovery({ "192-168-1-5.lovense.club": { httpPort: 30010 } });
 * console.assert(r.hosts[0] === "http://192.168.1.5:30010");
 * ```
 */
export function parseLovenseDiscovery(
  json: unknown,
): { readonly hosts: string[]; readonly skipped: string[] } {
  const hosts: string[] = [];
  const skipped: string[] = [];
  if (!isRecord(json)) return { hosts, skipped: ["reply is not a JSON object"] };
  for (const [domain, info] of Object.entries(json)) {
    const ip = domain.split(".")[0].replaceAll("-", ".");
    const port = isRecord(info) ? toInteger(info.httpPort) : undefined;
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) || ip.split(".").some((n) => Number(n) > 255)) {
      skipped.push(`${domain}: not an <a-b-c-d> address`);
    } else if (port === undefined || port < 1 || port > 65535) {
      skipped.push(`${domain}: no valid httpPort`);
    } else {
      hosts.push(`http://${ip}:${port}`);
    }
  }
  return { hosts, skipped };
}

/**
 * Toys from a GetToys reply: `{"type","code","data": {"<key>": {id, name, status, battery}}}`
 * (also accepted: `data.toys` holding that map, as an object or as a JSON string). Toys without
 * a usable id or name are skipped.
 *
 * @example
 * ```ts
 * import { parseLovenseGetToys } from "./lovense_connect.ts";
 * const toys = parseLovenseGetToys({ data: { a1: { id: "a1", name: "Hush", status: 1, battery: 80 } } });
 * console.assert(toys[0].connected && toys[0].battery === 80);
 * ```
 *
 * @throws {ButtplugDeviceError} when the reply has no toy map.
 */
export function parseLovenseGetToys(json: unknown): LovenseConnectToy[] {
  if (!isRecord(json)) throw new ButtplugDeviceError("GetToys reply is not a JSON object");
  let data: unknown = json.data ?? {};
  if (isRecord(data) && data.toys !== undefined) {
    data = data.toys;
    if (typeof data === "string") {
      try {
        data = JSON.parse(data);
      } catch {
        throw new ButtplugDeviceError("GetToys reply: data.toys is not JSON");
      }
    }
  }
  if (!isRecord(data)) throw new ButtplugDeviceError("GetToys reply has no toy map in data");
  const toys: LovenseConnectToy[] = [];
  for (const value of Object.values(data)) {
    if (!isRecord(value)) continue;
    const { id, name } = value;
    if (typeof id !== "string" || !/^[\w.:-]{1,64}$/.test(id)) continue;
    if (typeof name !== "string" || name.length === 0) continue;
    const battery = toInteger(value.battery);
    toys.push({
      id,
      name,
      connected: truthy(value.status),
      ...(battery !== undefined ? { battery: Math.min(100, Math.max(0, battery)) } : {}),
    });
  }
  return toys;
}

/**
 * Finds toys through Lovense Connect apps; opt-in (it uses the network).
 *
 * @example
 * ```ts ignore
 * await using lovense = new LovenseConnectManager({ hosts: ["http://127.0.0.1:30010"] });
 * lovense.addEventListener("found", (e) => console.log(e.detail.advertisement.name));
 * await lovense.startScanning();
 * ```
 */
export class LovenseConnectManager extends TypedEventTarget<HardwareManagerEventMap>
  implements HardwareManager, AsyncDisposable {
  /** Name for logs. */
  readonly name = "lovense-connect";
  readonly #configured: readonly string[];
  readonly #discovered = new Set<string>();
  readonly #discoveryUrl: string;
  readonly #fetch: LovenseConnectFetch;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #scanIntervalMs: number;
  readonly #pollIntervalMs: number;
  readonly #requestTimeoutMs: number;
  readonly #signal?: AbortSignal;
  readonly #abort = new AbortController();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #hardware = new Set<ToyHardware>();
  readonly #ctx: ToyContext;
  #scanning = false;
  #generation = 0;
  #scanTimer?: TimerHandle;
  #disposed?: Promise<void>;
  #lookupWarned = false;

  /** Creates the manager; nothing is requested until {@linkcode startScanning}. */
  constructor(options: LovenseConnectManagerOptions = {}) {
    super();
    this.#configured = (options.hosts ?? []).map(normalizeLovenseConnectHost);
    this.#discoveryUrl = options.discoveryUrl ?? LOVENSE_CONNECT_DISCOVERY_URL;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#scanIntervalMs = positiveMs("scanIntervalMs", options.scanIntervalMs) ??
      LOVENSE_CONNECT_SCAN_INTERVAL_MS;
    this.#pollIntervalMs = positiveMs("pollIntervalMs", options.pollIntervalMs) ??
      LOVENSE_CONNECT_POLL_INTERVAL_MS;
    const timeout = options.requestTimeoutMs ?? LOVENSE_CONNECT_REQUEST_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout < 0) {
      throw new RangeError(`requestTimeoutMs must be a non-negative number, got ${timeout}`);
    }
    this.#requestTimeoutMs = timeout;
    this.#ctx = {
      clock: this.#clock,
      logger: this.#logger,
      pollIntervalMs: this.#pollIntervalMs,
      closed: () => this.#disposed !== undefined,
      request: (url) => this.#request(url),
      getToys: (host) => this.getToys(host),
      track: (hardware, live) => {
        if (live) this.#hardware.add(hardware);
        else this.#hardware.delete(hardware);
      },
    };
    this.#signal = options.signal;
    if (this.#signal?.aborted) void this[Symbol.asyncDispose]();
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Whether the scan loop runs. */
  get scanning(): boolean {
    return this.#scanning;
  }

  /** Hosts currently known (configured, then discovered). */
  get hosts(): string[] {
    return [...this.#configured, ...this.#discovered];
  }

  /** Starts the scan loop (a scan now, then one every `scanIntervalMs`). */
  startScanning(): Promise<void> {
    if (this.#disposed || this.#scanning) return Promise.resolve();
    this.#scanning = true;
    this.#runScan(++this.#generation);
    return Promise.resolve();
  }

  /** Stops the scan loop (connected toys keep polling). */
  stopScanning(): Promise<void> {
    this.#scanning = false;
    this.#generation++;
    if (this.#scanTimer !== undefined) this.#clock.clearTimeout(this.#scanTimer);
    this.#scanTimer = undefined;
    return Promise.resolve();
  }

  /** Resolves when no request (scan, poll or write) is in flight. */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  readonly #onAbort = (): void => void this[Symbol.asyncDispose]();

  #runScan(generation: number): void {
    this.#scanTimer = undefined;
    this.#scan(generation)
      .catch((err) => {
        // Logged once as a warning (the app may simply not be running), then at debug level.
        const message = `lovense connect: scan failed: ${errorText(err)}`;
        if (this.#lookupWarned) this.#logger.debug(message);
        else this.#logger.warn(message);
        this.#lookupWarned = true;
      })
      .finally(() => {
        if (!this.#scanning || generation !== this.#generation || this.#disposed) return;
        this.#scanTimer = this.#clock.setTimeout(
          () => this.#runScan(generation),
          this.#scanIntervalMs,
        );
      });
  }

  async #scan(generation: number): Promise<void> {
    const live = () => this.#scanning && generation === this.#generation && !this.#disposed;
    if (this.#configured.length === 0 && this.#discovered.size === 0) await this.#discover();
    for (const host of this.hosts) {
      if (!live()) return;
      let toys: LovenseConnectToy[];
      try {
        toys = await this.getToys(host);
      } catch (err) {
        if (this.#discovered.delete(host)) {
          this.#logger.info(`lovense connect: forgetting ${host}: ${errorText(err)}`);
        } else {
          this.#logger.debug(`lovense connect: ${host}: ${errorText(err)}`);
        }
        continue;
      }
      for (const toy of toys) {
        if (!toy.connected || !live()) continue;
        this.dispatchEvent(
          new CustomEvent("found", { detail: new Connector(this.#ctx, host, toy) }),
        );
      }
    }
  }

  async #discover(): Promise<void> {
    const { status, text } = await this.#request(this.#discoveryUrl);
    if (status !== 200) {
      this.#logger.warn(`lovense connect: lookup service answered HTTP ${status}`);
      return;
    }
    const { hosts, skipped } = parseLovenseDiscovery(parseJson(text, "lookup reply"));
    for (const s of skipped) this.#logger.debug(`lovense connect: lookup entry skipped: ${s}`);
    for (const h of hosts) {
      if (!this.#discovered.has(h)) this.#logger.info(`lovense connect: found app at ${h}`);
      this.#discovered.add(h);
    }
  }

  /**
   * `GET <host>/GetToys`, parsed.
   *
   * @throws {ButtplugDeviceError} when the app does not answer with a toy list.
   */
  async getToys(host: string): Promise<LovenseConnectToy[]> {
    const { status, text } = await this.#request(`${host}/GetToys`);
    if (status !== 200) throw new ButtplugDeviceError(`GetToys answered HTTP ${status}`);
    return parseLovenseGetToys(parseJson(text, "GetToys reply"));
  }

  /** One GET with the manager's timeout and cancellation; resolves with status and body. */
  #request(url: string): Promise<{ status: number; text: string }> {
    if (this.#abort.signal.aborted) {
      return Promise.reject(new ButtplugDeviceError("Lovense Connect manager is closed"));
    }
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    this.#abort.signal.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = this.#requestTimeoutMs > 0
      ? this.#clock.setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.#requestTimeoutMs)
      : undefined;
    const run = (async () => {
      try {
        const res = await this.#fetch(url, { signal: controller.signal });
        return { status: res.status, text: await res.text() };
      } catch (err) {
        const why = timedOut
          ? `no answer within ${this.#requestTimeoutMs} ms`
          : this.#abort.signal.aborted
          ? "manager closed"
          : errorText(err);
        throw new ButtplugDeviceError(`GET ${url} failed: ${why}`, 0, { cause: err });
      } finally {
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        this.#abort.signal.removeEventListener("abort", onAbort);
      }
    })();
    this.#inflight.add(run);
    run.then(() => this.#inflight.delete(run), () => this.#inflight.delete(run));
    return run;
  }

  /** Stops scanning, disconnects every toy, cancels requests and waits for them. Idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      this.#signal?.removeEventListener("abort", this.#onAbort);
      await this.stopScanning();
      for (const hw of [...this.#hardware]) hw.gone("Lovense Connect manager closed");
      this.#abort.abort();
      await this.settled();
    })();
    return this.#disposed;
  }
}

/** What a toy's connector and hardware need from their manager. */
interface ToyContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
  closed(): boolean;
  request(url: string): Promise<{ status: number; text: string }>;
  getToys(host: string): Promise<LovenseConnectToy[]>;
  track(hardware: ToyHardware, live: boolean): void;
}

class Connector implements LovenseConnectConnector {
  readonly advertisement: Advertisement;
  readonly host: string;
  readonly toy: LovenseConnectToy;
  readonly #ctx: ToyContext;

  constructor(ctx: ToyContext, host: string, toy: LovenseConnectToy) {
    this.#ctx = ctx;
    this.host = host;
    this.toy = toy;
    this.advertisement = { transport: "lovense_connect_service", name: toy.name, address: toy.id };
  }

  connect(_specifier: CommunicationSpecifier): Promise<LovenseConnectHardware> {
    if (this.#ctx.closed()) {
      return Promise.reject(new ButtplugDeviceError("Lovense Connect manager is closed"));
    }
    return Promise.resolve(new ToyHardware(this.#ctx, this.host, this.toy));
  }
}

const ENDPOINTS: readonly string[] = ["tx", "rx"];

class ToyHardware extends TypedEventTarget<HardwareEventMap> implements LovenseConnectHardware {
  readonly name: string;
  readonly address: string;
  readonly host: string;
  readonly endpoints: readonly string[] = ENDPOINTS;
  readonly messageGapMs = 0;
  readonly requiresKeepalive = false;
  readonly #ctx: ToyContext;
  #battery: number;
  #pollTimer?: TimerHandle;
  #reason?: string;

  constructor(ctx: ToyContext, host: string, toy: LovenseConnectToy) {
    super();
    this.#ctx = ctx;
    this.name = toy.name;
    this.address = toy.id;
    this.host = host;
    this.#battery = toy.battery ?? 100;
    ctx.track(this, true);
    this.#schedulePoll();
  }

  get battery(): number {
    return this.#battery;
  }

  get disconnected(): boolean {
    return this.#reason !== undefined;
  }

  get disconnectReason(): string | undefined {
    return this.#reason;
  }

  #check(endpoint: string, allowed: string): void {
    if (this.#reason !== undefined) {
      throw new ButtplugDeviceError(`Lovense Connect toy ${this.name} is disconnected`);
    }
    if (endpoint !== allowed) {
      throw new ButtplugDeviceError(
        `Lovense Connect toy ${this.name}: endpoint "${endpoint}" is not usable here ` +
          `(writes go to tx, battery reads to rx)`,
      );
    }
  }

  async write(endpoint: string, data: Uint8Array, _withResponse: boolean): Promise<void> {
    this.#check(endpoint, "tx");
    let path: string;
    try {
      path = new TextDecoder("utf-8", { fatal: true }).decode(data);
    } catch {
      throw new ButtplugDeviceError(`Lovense Connect toy ${this.name}: command is not UTF-8`);
    }
    const { status, text } = await this.#ctx.request(`${this.host}/${path}`);
    if (status < 200 || status > 299) {
      throw new ButtplugDeviceError(
        `Lovense Connect toy ${this.name}: ${path.split("?")[0]} answered HTTP ${status}`,
      );
    }
    const code = replyCode(text);
    if (code !== undefined && code !== 200) {
      throw new ButtplugDeviceError(
        `Lovense Connect toy ${this.name}: ${path.split("?")[0]} refused (code ${code})`,
      );
    }
  }

  read(endpoint: string, _length: number, _timeoutMs: number): Promise<Uint8Array> {
    try {
      this.#check(endpoint, "rx");
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve(Uint8Array.of(this.#battery));
  }

  subscribe(endpoint: string): Promise<void> {
    return Promise.reject(
      new ButtplugDeviceError(`Lovense Connect does not support subscriptions ("${endpoint}")`),
    );
  }

  unsubscribe(endpoint: string): Promise<void> {
    return this.subscribe(endpoint);
  }

  disconnect(): Promise<void> {
    this.gone("disconnected by server");
    return Promise.resolve();
  }

  #schedulePoll(): void {
    if (this.#reason !== undefined) return;
    this.#pollTimer = this.#ctx.clock.setTimeout(() => {
      this.#pollTimer = undefined;
      void this.#poll();
    }, this.#ctx.pollIntervalMs);
  }

  async #poll(): Promise<void> {
    let toys: LovenseConnectToy[];
    try {
      toys = await this.#ctx.getToys(this.host);
    } catch (err) {
      this.gone(`the Lovense Connect app at ${this.host} stopped answering: ${errorText(err)}`);
      return;
    }
    if (this.#reason !== undefined) return;
    const toy = toys.find((t) => t.id === this.address);
    if (!toy) {
      this.gone("the toy is no longer listed by the Lovense Connect app");
    } else if (!toy.connected) {
      this.gone("the Lovense Connect app reports the toy disconnected");
    } else {
      if (toy.battery !== undefined) this.#battery = toy.battery;
      this.#schedulePoll();
    }
  }

  gone(reason: string): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    if (this.#pollTimer !== undefined) this.#ctx.clock.clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#ctx.track(this, false);
    this.#ctx.logger.info(
      `lovense connect: ${this.name} (${this.address}) disconnected: ${reason}`,
    );
    this.dispatchEvent(new Event("disconnected"));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toInteger(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  return Number.isFinite(n) && value !== "" ? Math.trunc(n) : undefined;
}

function truthy(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return ["1", "true"].includes(value.trim().toLowerCase());
  return false;
}

function replyCode(text: string): number | undefined {
  try {
    const json = JSON.parse(text);
    return isRecord(json) ? toInteger(json.code) : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ButtplugDeviceError(`${what} is not JSON`);
  }
}

function positiveMs(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of ms, got ${value}`);
  }
  return value;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
