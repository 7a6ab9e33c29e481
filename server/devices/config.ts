/**
 * Device configuration v4 (DEVICES.md §1): the embedded base device database, user configs,
 * protocol candidates for a discovered device, allow/deny, definition lookup with stable
 * per-device definitions, reserved indexes, and index persistence.
 *
 * Invalid files are rejected with a {@linkcode DeviceConfigError} naming the file, the JSON
 * location and the reason, so a server can refuse to start.
 *
 * @example
 * ```ts
 * import { defaultDeviceConfiguration } from "./config.ts";
 * const config = defaultDeviceConfiguration();
 * const [candidate] = config.candidates({ transport: "btle", name: "LVS-Z36", address: "a1" });
 * console.assert(candidate.protocol === "lovense");
 * const resolved = config.resolve({ address: "a1", protocol: "lovense", identifier: "Z" });
 * console.assert(resolved?.definition.name === "Lovense Hush");
 * ```
 *
 * @module
 */
import baseConfigJson from "./buttplug-device-config-v4.json" with { type: "json" };
import type { Advertisement, CommunicationSpecifier } from "../../hardware/mod.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import {
  DeviceConfigError,
  join,
  parseRawDefinition,
  ParseScope,
  parseSpecifier,
  parseVersion,
  toDefinition,
} from "./_config_parse.ts";
import type { DeviceDefinition } from "./protocol.ts";
import {
  advertisementSpecifier,
  listMatches,
  specifierKind,
  specifiersMatch,
} from "./specifier.ts";
import {
  deviceIdentity,
  type ParsedUserConfig,
  parseUserDeviceConfig,
  resolveUserDevice,
  type UserDeviceEntry,
  type UserDeviceIdentifier,
  userDeviceJson,
  type UserProtocolConfig,
} from "./user_config.ts";

export { DeviceConfigError } from "./_config_parse.ts";
export {
  deviceIdentity,
  parseDeviceIdentity,
  type UserDeviceEntry,
  type UserDeviceIdentifier,
} from "./user_config.ts";

/** One protocol of the base config. */
export interface ProtocolConfig {
  /** Protocol id (the `protocols` key). */
  readonly id: string;
  /** How devices of this protocol are found. */
  readonly communication: readonly CommunicationSpecifier[];
  /** Fallback definition (stored under "no identifier"). */
  readonly defaults?: DeviceDefinition;
  /** Definitions by identifier (expanded; later duplicates win). */
  readonly configurations: ReadonlyMap<string, DeviceDefinition>;
}

/** A parsed base device config. */
export interface BaseDeviceConfig {
  /** File version. */
  readonly version: { readonly major: number; readonly minor: number };
  /** Protocols in file order. */
  readonly protocols: ReadonlyMap<string, ProtocolConfig>;
  /** Non-fatal findings (ignored keys, configurations without identifiers). */
  readonly warnings: readonly string[];
}

/** Options for parsing config documents. */
export interface ConfigParseOptions {
  /** Accept any major version (default: only 4). */
  readonly skipVersionCheck?: boolean;
}

/**
 * Parses and validates a base device config document (`{version, protocols}`).
 *
 * @throws {DeviceConfigError} naming `source`, the JSON location and the reason.
 */
export function parseDeviceConfig(
  json: unknown,
  source: string,
  options: ConfigParseOptions = {},
): BaseDeviceConfig {
  const scope = new ParseScope(source);
  const root = scope.object(json, "", ["version", "protocols"]);
  const version = parseVersion(scope, root, options.skipVersionCheck ?? false);
  const protocols = new Map<string, ProtocolConfig>();
  if (root.protocols === undefined) scope.fail("protocols", "is required");
  const ps = scope.object(root.protocols, "protocols");
  for (const [id, body] of Object.entries(ps)) {
    const at = join("protocols", id);
    const p = scope.object(body, at, ["communication", "defaults", "configurations"]);
    const communication = p.communication === undefined
      ? []
      : scope.array(p.communication, join(at, "communication")).map((s, i) =>
        parseSpecifier(scope, s, `${join(at, "communication")}[${i}]`)
      );
    const defaults = p.defaults === undefined ? undefined : toDefinition(
      id,
      parseRawDefinition(scope, p.defaults, join(at, "defaults"), false),
      undefined,
    );
    const configurations = new Map<string, DeviceDefinition>();
    if (p.configurations !== undefined) {
      scope.array(p.configurations, join(at, "configurations")).forEach((c, i) => {
        const cAt = `${join(at, "configurations")}[${i}]`;
        const raw = parseRawDefinition(scope, c, cAt, false);
        if (!raw.identifier) {
          scope.warn(cAt, "configuration without identifier ignored");
          return;
        }
        for (const ident of raw.identifier) {
          configurations.set(ident, toDefinition(id, raw, ident, defaults));
        }
      });
    }
    protocols.set(id, { id, communication, ...(defaults ? { defaults } : {}), configurations });
  }
  return { version, protocols, warnings: scope.warnings };
}

/** A protocol that may drive a discovered device. */
export interface ProtocolCandidate {
  /** Protocol id. */
  readonly protocol: string;
  /** The specifier list that matched (user or base). */
  readonly specifiers: readonly CommunicationSpecifier[];
  /** The specifier to connect with (same transport; the matching one when possible). */
  readonly specifier: CommunicationSpecifier;
  /** Whether the match came from the user config. */
  readonly fromUserConfig: boolean;
}

/** A definition found for an identified device. */
export interface ResolvedDevice {
  /** The per-device definition (stable for the session). */
  readonly definition: DeviceDefinition;
  /** Identity string for the device manager (protocol + identifier + address). */
  readonly identity: string;
  /** Index reserved by the user config, if any. */
  readonly reservedIndex?: number;
  /** Whether the definition came from a user `devices[]` entry. */
  readonly fromUserConfig: boolean;
}

/** Options of {@linkcode DeviceConfiguration}. */
export interface DeviceConfigurationOptions {
  /**
   * Drop invalid user `devices[]` entries with a warning (upstream behaviour) instead of
   * rejecting the file. Default false: any invalid entry rejects the user config.
   */
  readonly lenient?: boolean;
}

interface Remembered {
  readonly identifier: UserDeviceIdentifier;
  readonly definition: DeviceDefinition;
  readonly baseId: string;
  readonly featureBaseIds: readonly string[];
  index?: number;
}

const definitionKey = (protocol: string, identifier: string | undefined): string =>
  JSON.stringify([protocol, identifier ?? null]);

/**
 * The combined device configuration a server runs with: base protocols, user protocols and
 * user device entries, plus definitions remembered for devices seen in this session.
 */
export class DeviceConfiguration {
  readonly #base: BaseDeviceConfig;
  readonly #user?: ParsedUserConfig;
  readonly #userProtocols: ReadonlyMap<string, UserProtocolConfig>;
  readonly #definitions = new Map<string, DeviceDefinition>();
  readonly #byId = new Map<string, DeviceDefinition>();
  readonly #userDevices = new Map<string, UserDeviceEntry>();
  readonly #remembered = new Map<string, Remembered>();
  readonly #assigned = new Set<string>();
  readonly #warnings: string[];

  /**
   * Combines a parsed base config with an optional parsed user config.
   *
   * @throws {DeviceConfigError} when a user `devices[]` entry is invalid (unless `lenient`).
   */
  constructor(
    base: BaseDeviceConfig,
    user?: ParsedUserConfig,
    options: DeviceConfigurationOptions = {},
  ) {
    this.#base = base;
    this.#user = user;
    this.#userProtocols = user?.protocols ?? new Map();
    this.#warnings = [...base.warnings, ...(user?.warnings ?? [])];
    for (const p of base.protocols.values()) {
      if (p.defaults) this.#store(p.defaults);
      for (const d of p.configurations.values()) this.#store(d);
    }
    for (const p of this.#userProtocols.values()) {
      for (const d of p.configurations.values()) this.#store(d);
    }
    if (user) {
      const scope = new ParseScope(user.source);
      for (const { location, value } of user.devices) {
        const entry = resolveUserDevice(
          scope,
          value,
          location,
          (id) => this.#byId.get(id),
          options.lenient ?? false,
        );
        if (entry) this.#userDevices.set(deviceIdentity(entry.identifier), entry);
      }
      this.#warnings.push(...scope.warnings);
    }
  }

  #store(d: DeviceDefinition): void {
    this.#definitions.set(definitionKey(d.protocol, d.identifier), d);
    if (!this.#byId.has(d.id)) this.#byId.set(d.id, d);
  }

  /** Version of the base config. */
  get version(): { readonly major: number; readonly minor: number } {
    return this.#base.version;
  }

  /** Non-fatal findings from loading (log them). */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /** Every protocol id in the base and user configs. */
  get protocolIds(): string[] {
    return [...new Set([...this.#base.protocols.keys(), ...this.#userProtocols.keys()])];
  }

  /** The base entry of a protocol. */
  protocol(id: string): ProtocolConfig | undefined {
    return this.#base.protocols.get(id);
  }

  /** Transports a protocol can be found on (base and user specifiers). */
  transports(id: string): string[] {
    const list = [
      ...(this.#userProtocols.get(id)?.communication ?? []),
      ...(this.#base.protocols.get(id)?.communication ?? []),
    ];
    return [...new Set(list.map(specifierKind))];
  }

  /** Every communication specifier of every protocol, user config first. */
  specifiers(): CommunicationSpecifier[] {
    return [
      ...[...this.#userProtocols.values()].flatMap((p) => p.communication),
      ...[...this.#base.protocols.values()].flatMap((p) => p.communication),
    ];
  }

  /** User `devices[]` entries (plus devices whose index was assigned this session). */
  get userDevices(): readonly UserDeviceEntry[] {
    return [...this.#userDevices.values()];
  }

  /** A stored definition by its id (base defaults, configurations, user configurations). */
  definitionById(id: string): DeviceDefinition | undefined {
    return this.#byId.get(id);
  }

  /**
   * Protocols that may drive a discovered device, user-config matches first, then base
   * protocols in file order (DEVICES.md §1.6 step 4).
   */
  candidates(advertisement: Advertisement): ProtocolCandidate[] {
    const spec = advertisementSpecifier(advertisement);
    const result: ProtocolCandidate[] = [];
    const consider = (
      protocol: string,
      list: readonly CommunicationSpecifier[],
      fromUserConfig: boolean,
    ) => {
      if (!listMatches(list, spec)) return;
      const kind = specifierKind(spec);
      const specifier = list.find((s) => specifiersMatch(s, spec)) ??
        list.find((s) => specifierKind(s) === kind)!;
      result.push({ protocol, specifiers: list, specifier, fromUserConfig });
    };
    for (const [id, p] of this.#userProtocols) consider(id, p.communication, true);
    for (const [id, p] of this.#base.protocols) consider(id, p.communication, false);
    return result;
  }

  /**
   * Allow/deny by address (DEVICES.md §1.6 step 2): denied addresses never connect; if any
   * entry allows, only allowed addresses connect.
   */
  isAllowed(address: string): boolean {
    const entries = [...this.#userDevices.values()];
    const mine = entries.filter((e) => e.identifier.address === address);
    if (mine.some((e) => e.deny)) return false;
    if (entries.some((e) => e.allow) && !mine.some((e) => e.allow)) return false;
    return true;
  }

  /**
   * Finds the definition for an identified device (DEVICES.md §1.6 step 7): the user entry for
   * exactly this device, else the base definition for (protocol, identifier), else the
   * protocol defaults. Base hits get a fresh per-device definition (new ids) remembered for the
   * rest of the session, so repeated lookups return the same definition.
   */
  resolve(id: UserDeviceIdentifier): ResolvedDevice | undefined {
    const identity = deviceIdentity(id);
    const user = this.#userDevices.get(identity);
    if (user) {
      return {
        definition: user.definition,
        identity,
        reservedIndex: user.index,
        fromUserConfig: true,
      };
    }
    const known = this.#remembered.get(identity);
    if (known) {
      return {
        definition: known.definition,
        identity,
        ...(known.index !== undefined ? { reservedIndex: known.index } : {}),
        fromUserConfig: false,
      };
    }
    const base =
      (id.identifier !== undefined
        ? this.#definitions.get(definitionKey(id.protocol, id.identifier))
        : undefined) ?? this.#definitions.get(definitionKey(id.protocol, undefined));
    if (!base) return undefined;
    const definition: DeviceDefinition = {
      ...base,
      id: crypto.randomUUID(),
      protocol: id.protocol,
      ...(id.identifier !== undefined ? { identifier: id.identifier } : {}),
      features: base.features.map((f) => ({ ...f, id: crypto.randomUUID() })),
    };
    if (id.identifier === undefined) delete (definition as { identifier?: string }).identifier;
    this.#remembered.set(identity, {
      identifier: id,
      definition,
      baseId: base.id,
      featureBaseIds: base.features.map((f) => f.id),
    });
    return { definition, identity, fromUserConfig: false };
  }

  /** Indexes reserved by user entries, keyed by identity (for the DeviceManager). */
  reservedIndexes(): Map<string, number> {
    return new Map([...this.#userDevices].map(([identity, e]) => [identity, e.index]));
  }

  /**
   * Records the index the device manager gave an identity, so it can be persisted. Returns
   * whether the persisted state changed (false for unknown identities or unchanged indexes).
   */
  assignIndex(identity: string, index: number): boolean {
    const user = this.#userDevices.get(identity);
    if (user) {
      if (user.index === index) return false;
      this.#userDevices.set(identity, { ...user, index });
      return true;
    }
    const known = this.#remembered.get(identity);
    if (!known) return false;
    known.index = index;
    this.#userDevices.set(identity, {
      identifier: known.identifier,
      definition: known.definition,
      baseId: known.baseId,
      featureBaseIds: known.featureBaseIds,
      index,
      allow: false,
      deny: false,
    });
    this.#assigned.add(identity);
    return true;
  }

  /**
   * The user config document to write back: the loaded document unchanged, with `devices[]`
   * entries added (or re-indexed) for identities given indexes this session.
   */
  userConfigJson(): Record<string, unknown> {
    const raw = structuredClone(this.#user?.raw ?? {}) as Record<string, unknown>;
    raw.version ??= { major: 4, minor: 0 };
    const uc = (raw.user_configs ??= {}) as Record<string, unknown>;
    uc.protocols ??= {};
    const devices = Array.isArray(uc.devices) ? uc.devices as Record<string, unknown>[] : [];
    const identityOf = (d: Record<string, unknown>): string | undefined => {
      const i = d?.identifier as Record<string, unknown> | undefined;
      if (!i || typeof i.address !== "string" || typeof i.protocol !== "string") return undefined;
      return deviceIdentity({
        address: i.address,
        protocol: i.protocol,
        ...(typeof i.identifier === "string" ? { identifier: i.identifier } : {}),
      });
    };
    const out: Record<string, unknown>[] = [];
    const written = new Set<string>();
    for (const d of devices) {
      const identity = identityOf(d);
      const entry = identity ? this.#userDevices.get(identity) : undefined;
      if (identity && entry) {
        written.add(identity);
        const config = d.config as Record<string, unknown> | undefined;
        const userCfg = config?.user_config as Record<string, unknown> | undefined;
        if (userCfg) userCfg.index = entry.index;
      }
      out.push(d);
    }
    for (const identity of this.#assigned) {
      if (written.has(identity)) continue;
      const entry = this.#userDevices.get(identity);
      if (entry) out.push(userDeviceJson(entry));
    }
    uc.devices = out;
    return raw;
  }
}

let cachedBase: BaseDeviceConfig | undefined;

/** The embedded base device config (parsed once, cached). */
export function embeddedDeviceConfig(): BaseDeviceConfig {
  cachedBase ??= parseDeviceConfig(baseConfigJson, "embedded buttplug-device-config-v4.json");
  return cachedBase;
}

/** A configuration with the embedded base config and no user config. */
export function defaultDeviceConfiguration(): DeviceConfiguration {
  return new DeviceConfiguration(embeddedDeviceConfig());
}

/**
 * Parses a user config and tags it with its source, for {@linkcode DeviceConfiguration}.
 *
 * @throws {DeviceConfigError} on any structural problem.
 */
export function parseUserConfig(
  json: unknown,
  source: string,
  options: ConfigParseOptions = {},
): ParsedUserConfig {
  return parseUserDeviceConfig(json, source, options);
}

/** Options of {@linkcode loadDeviceConfiguration}. */
export interface LoadDeviceConfigurationOptions
  extends ConfigParseOptions, DeviceConfigurationOptions {
  /** A base config file replacing the embedded one. */
  readonly deviceConfigPath?: string;
  /** A user config file. A missing file counts as empty (it is created when indexes are saved). */
  readonly userConfigPath?: string;
  /** Where warnings go (default: dropped). */
  readonly logger?: Logger;
}

/**
 * Loads the base config (embedded or from a file) and an optional user config file.
 *
 * @throws {DeviceConfigError} with the file path and reason when a file cannot be read, is not
 * JSON, or is not a valid device config v4.
 */
export async function loadDeviceConfiguration(
  options: LoadDeviceConfigurationOptions = {},
): Promise<DeviceConfiguration> {
  const base = options.deviceConfigPath === undefined ? embeddedDeviceConfig() : parseDeviceConfig(
    await readJson(options.deviceConfigPath, false),
    options.deviceConfigPath,
    options,
  );
  let user: ParsedUserConfig | undefined;
  if (options.userConfigPath !== undefined) {
    const json = await readJson(options.userConfigPath, true);
    if (json !== undefined) user = parseUserConfig(json, options.userConfigPath, options);
  }
  const config = new DeviceConfiguration(base, user, options);
  for (const w of config.warnings) (options.logger ?? silentLogger).debug(`device config: ${w}`);
  return config;
}

async function readJson(path: string, missingOk: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (missingOk && err instanceof Deno.errors.NotFound) return undefined;
    throw new DeviceConfigError(path, "", `cannot read file: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DeviceConfigError(path, "", `not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Writes the configuration's user config document to `path` (atomically, via a temp file). */
export async function saveUserDeviceConfig(
  path: string,
  config: DeviceConfiguration,
): Promise<void> {
  const text = JSON.stringify(config.userConfigJson(), null, 2) + "\n";
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, text);
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Persists newly assigned device indexes to a user config file. */
export interface IndexPersister {
  /** Pass as `DeviceManagerOptions.onIndexAssigned`. */
  readonly onIndexAssigned: (identity: string, index: number) => void;
  /** Resolves when every pending write finished. */
  flush(): Promise<void>;
}

/**
 * Creates the `onIndexAssigned` callback for a DeviceManager that writes newly assigned indexes
 * back to the user config file (DEVICES.md §1.7, PROTOCOL.md §8.5). Writes are serialised;
 * failures are logged, never thrown.
 *
 * @example
 * ```ts ignore
 * const config = await loadDeviceConfiguration({ userConfigPath: "user.json" });
 * const persister = createIndexPersister(config, "user.json");
 * const manager = new DeviceManager({
 *   reservedIndexes: config.reservedIndexes(),
 *   onIndexAssigned: persister.onIndexAssigned,
 * });
 * ```
 */
export function createIndexPersister(
  config: DeviceConfiguration,
  path: string,
  logger: Logger = silentLogger,
): IndexPersister {
  let chain: Promise<void> = Promise.resolve();
  return {
    onIndexAssigned(identity, index) {
      if (!config.assignIndex(identity, index)) return;
      chain = chain.then(() => saveUserDeviceConfig(path, config)).then(
        () => logger.debug(`device config: index ${index} saved for ${identity} in ${path}`),
        (err) => logger.warn(`device config: cannot save ${path}: ${(err as Error).message}`),
      );
    },
    flush: () => chain,
  };
}
