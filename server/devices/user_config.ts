/**
 * User device configuration (DEVICES.md §1.7): extra communication specifiers and
 * configurations per protocol, per-device overrides (ranges, disabled, reverse, display name,
 * reserved index, allow/deny), and writing newly assigned indexes back to the file.
 *
 * @module
 */
import type { CommunicationSpecifier } from "../../hardware/mod.ts";
import {
  CONFIG_NAME_BY_OUTPUT_TYPE,
  join,
  OUTPUT_TYPE_BY_CONFIG_NAME,
  parseRawDefinition,
  ParseScope,
  parseSpecifier,
  parseVersion,
  toDefinition,
} from "./_config_parse.ts";
import type { DeviceDefinition, FeatureDefinition, OutputDefinition } from "./protocol.ts";
import type { OutputType } from "../../protocol/messages.ts";

/** Key of a physical device: transport address + protocol + config identifier. */
export interface UserDeviceIdentifier {
  /** Hardware address (BLE peripheral id, port, serial number...). */
  readonly address: string;
  /** Protocol id the device was identified as. */
  readonly protocol: string;
  /** Config identifier (absent: protocol defaults). */
  readonly identifier?: string;
}

/**
 * The stable identity string of a device (protocol + identifier + address), used by the
 * {@linkcode DeviceManager} to key indexes.
 *
 * @example
 * ```ts
 * import { deviceIdentity } from "./user_config.ts";
 * console.assert(deviceIdentity({ address: "COM7", protocol: "tcode-v03" }) ===
 *   '["tcode-v03",null,"COM7"]');
 * ```
 */
export function deviceIdentity(id: UserDeviceIdentifier): string {
  return JSON.stringify([id.protocol, id.identifier ?? null, id.address]);
}

/** Parses an identity string made by {@linkcode deviceIdentity}; `undefined` if malformed. */
export function parseDeviceIdentity(identity: string): UserDeviceIdentifier | undefined {
  try {
    const v = JSON.parse(identity);
    if (
      Array.isArray(v) && v.length === 3 && typeof v[0] === "string" &&
      (v[1] === null || typeof v[1] === "string") && typeof v[2] === "string"
    ) {
      return { protocol: v[0], address: v[2], ...(v[1] !== null ? { identifier: v[1] } : {}) };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** A protocol entry of a user config. */
export interface UserProtocolConfig {
  /** Extra specifiers, checked before the base ones. */
  readonly communication: readonly CommunicationSpecifier[];
  /** Full definitions by identifier (no inheritance from defaults; replace base entries). */
  readonly configurations: ReadonlyMap<string, DeviceDefinition>;
}

/** A user `devices[]` entry resolved against the base definitions. */
export interface UserDeviceEntry {
  /** Which physical device this applies to. */
  readonly identifier: UserDeviceIdentifier;
  /** The resulting per-device definition (base + overrides). */
  readonly definition: DeviceDefinition;
  /** Id of the base definition it derives from. */
  readonly baseId: string;
  /** Base feature id of each feature of `definition` (same order). */
  readonly featureBaseIds: readonly string[];
  /** Reserved device index. */
  readonly index: number;
  /** Allow-list flag (if any entry allows, only allowed addresses connect). */
  readonly allow: boolean;
  /** Deny flag (this address never connects). */
  readonly deny: boolean;
}

/** A parsed user config, before device entries are resolved. */
export interface ParsedUserConfig {
  /** File path (or label) it was read from. */
  readonly source: string;
  /** File version. */
  readonly version: { readonly major: number; readonly minor: number };
  /** Protocol entries by id, in file order. */
  readonly protocols: ReadonlyMap<string, UserProtocolConfig>;
  /** Raw `devices[]` entries with their JSON location (resolved later). */
  readonly devices: readonly { readonly location: string; readonly value: unknown }[];
  /** The whole document, kept so it can be written back unchanged apart from devices. */
  readonly raw: Record<string, unknown>;
  /** Non-fatal findings. */
  readonly warnings: readonly string[];
}

/** Options of {@linkcode parseUserDeviceConfig}. */
export interface UserConfigParseOptions {
  /** Accept any major version. */
  readonly skipVersionCheck?: boolean;
}

/**
 * Parses and structurally validates a user device config document.
 *
 * @throws {DeviceConfigError} naming `source`, the JSON location and the reason.
 */
export function parseUserDeviceConfig(
  json: unknown,
  source: string,
  options: UserConfigParseOptions = {},
): ParsedUserConfig {
  const scope = new ParseScope(source);
  const root = scope.object(json, "", ["version", "user_configs"]);
  const version = parseVersion(scope, root, options.skipVersionCheck ?? false);
  const protocols = new Map<string, UserProtocolConfig>();
  const devices: { location: string; value: unknown }[] = [];
  if (root.user_configs !== undefined) {
    const uc = scope.object(root.user_configs, "user_configs", ["protocols", "devices"]);
    if (uc.protocols !== undefined) {
      const ps = scope.object(uc.protocols, "user_configs.protocols");
      for (const [id, body] of Object.entries(ps)) {
        const at = join("user_configs.protocols", id);
        const p = scope.object(body, at, [
          "communication",
          "configurations",
          "defaults",
          "devices",
        ]);
        if (p.defaults !== undefined) scope.warn(join(at, "defaults"), "ignored in user configs");
        if (p.devices !== undefined) {
          scope.warn(
            join(at, "devices"),
            "ignored; put configurations directly under the protocol",
          );
        }
        const communication = p.communication === undefined
          ? []
          : scope.array(p.communication, join(at, "communication")).map((s, i) =>
            parseSpecifier(scope, s, `${join(at, "communication")}[${i}]`)
          );
        const configurations = new Map<string, DeviceDefinition>();
        if (p.configurations !== undefined) {
          const list = scope.array(p.configurations, join(at, "configurations"));
          list.forEach((c, i) => {
            const raw = parseRawDefinition(scope, c, `${join(at, "configurations")}[${i}]`, true);
            for (const ident of raw.identifier ?? []) {
              configurations.set(ident, toDefinition(id, raw, ident));
            }
          });
        }
        protocols.set(id, { communication, configurations });
      }
    }
    if (uc.devices !== undefined) {
      scope.array(uc.devices, "user_configs.devices").forEach((value, i) =>
        devices.push({ location: `user_configs.devices[${i}]`, value })
      );
    }
  }
  return { source, version, protocols, devices, raw: root, warnings: scope.warnings };
}

/**
 * Resolves one raw `devices[]` entry against the known definitions (DEVICES.md §1.7).
 * Returns `undefined` (with a warning in `scope`) only when `lenient` and the entry is invalid;
 * otherwise invalid entries throw.
 *
 * @throws {DeviceConfigError} for a structural error, an unknown `base_id`, a feature count or
 * feature id mismatch, or a user range outside `[0, hi]` of the base range.
 */
export function resolveUserDevice(
  scope: ParseScope,
  value: unknown,
  at: string,
  definitionById: (id: string) => DeviceDefinition | undefined,
  lenient = false,
): UserDeviceEntry | undefined {
  try {
    return resolveStrict(scope, value, at, definitionById);
  } catch (err) {
    if (!lenient) throw err;
    scope.warn(at, `device entry dropped: ${(err as Error).message}`);
    return undefined;
  }
}

function resolveStrict(
  scope: ParseScope,
  value: unknown,
  at: string,
  definitionById: (id: string) => DeviceDefinition | undefined,
): UserDeviceEntry {
  const entry = scope.object(value, at, ["identifier", "config"]);
  const identAt = join(at, "identifier");
  if (entry.identifier === undefined) scope.fail(identAt, "is required");
  const ident = scope.object(entry.identifier, identAt, ["address", "protocol", "identifier"]);
  if (ident.address === undefined) scope.fail(join(identAt, "address"), "is required");
  if (ident.protocol === undefined) scope.fail(join(identAt, "protocol"), "is required");
  const identifier: UserDeviceIdentifier = {
    address: scope.string(ident.address, join(identAt, "address")),
    protocol: scope.string(ident.protocol, join(identAt, "protocol")),
    ...(ident.identifier !== undefined && ident.identifier !== null
      ? { identifier: scope.string(ident.identifier, join(identAt, "identifier")) }
      : {}),
  };
  const cAt = join(at, "config");
  if (entry.config === undefined) scope.fail(cAt, "is required");
  const config = scope.object(entry.config, cAt, [
    "id",
    "base_id",
    "features",
    "user_config",
    "name",
  ]);
  for (const key of ["id", "base_id", "user_config"]) {
    if (config[key] === undefined) scope.fail(join(cAt, key), "is required");
  }
  const id = scope.uuid(config.id, join(cAt, "id"));
  const baseId = scope.uuid(config.base_id, join(cAt, "base_id"));
  const base = definitionById(baseId);
  if (!base) scope.fail(join(cAt, "base_id"), `no device definition has id ${baseId}`);

  const ucAt = join(cAt, "user_config");
  const uc = scope.object(config.user_config, ucAt, [
    "allow",
    "deny",
    "index",
    "display_name",
    "message_gap_ms",
  ]);
  if (uc.index === undefined) scope.fail(join(ucAt, "index"), "is required");
  const index = scope.integer(uc.index, join(ucAt, "index"), 0, 0xffffffff);
  const allow = uc.allow === undefined ? false : scope.boolean(uc.allow, join(ucAt, "allow"));
  const deny = uc.deny === undefined ? false : scope.boolean(uc.deny, join(ucAt, "deny"));
  const displayName = uc.display_name === undefined || uc.display_name === null
    ? undefined
    : scope.string(uc.display_name, join(ucAt, "display_name"));
  const messageGapMs = uc.message_gap_ms === undefined || uc.message_gap_ms === null
    ? undefined
    : scope.integer(uc.message_gap_ms, join(ucAt, "message_gap_ms"), 0);

  const fAt = join(cAt, "features");
  const rawFeatures = config.features === undefined ? [] : scope.array(config.features, fAt);
  if (rawFeatures.length !== base.features.length) {
    scope.fail(
      fAt,
      `has ${rawFeatures.length} entries but base definition "${base.name}" has ${base.features.length}`,
    );
  }
  const used = new Set<string>();
  const pairs = rawFeatures.map((rf, i) => {
    const at = `${fAt}[${i}]`;
    const f = scope.object(rf, at, ["id", "base_id", "output", "description", "input", "index"]);
    if (f.id === undefined) scope.fail(join(at, "id"), "is required");
    if (f.base_id === undefined) scope.fail(join(at, "base_id"), "is required");
    const fid = scope.uuid(f.id, join(at, "id"));
    const fBaseId = scope.uuid(f.base_id, join(at, "base_id"));
    const baseFeature = base.features.find((b) => b.id === fBaseId);
    if (!baseFeature) {
      scope.fail(join(at, "base_id"), `no feature of "${base.name}" has id ${fBaseId}`);
    }
    if (used.has(fBaseId)) scope.fail(join(at, "base_id"), `feature ${fBaseId} listed twice`);
    used.add(fBaseId);
    const output = f.output === undefined
      ? baseFeature.output
      : applyOutputOverrides(scope, f.output, join(at, "output"), baseFeature);
    const feature: FeatureDefinition = {
      ...baseFeature,
      id: fid,
      ...(output ? { output } : {}),
    };
    return { feature, baseFeatureId: fBaseId };
  });
  pairs.sort((a, b) => a.feature.index - b.feature.index);

  // Deliberate deviation (DEVICES.md §5.5): upstream sets the gap from user_config even when
  // absent, silently dropping the base gap (e.g. TCode's 20 ms). We keep the base gap unless
  // the user sets one.
  const gap = messageGapMs ?? base.messageGapMs;
  const definition: DeviceDefinition = {
    name: base.name,
    id,
    protocol: identifier.protocol,
    ...(identifier.identifier !== undefined ? { identifier: identifier.identifier } : {}),
    ...(base.protocolVariant !== undefined ? { protocolVariant: base.protocolVariant } : {}),
    ...(gap !== undefined ? { messageGapMs: gap } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    features: pairs.map((p) => p.feature),
  };
  return {
    identifier,
    definition,
    baseId,
    featureBaseIds: pairs.map((p) => p.baseFeatureId),
    index,
    allow,
    deny,
  };
}

function applyOutputOverrides(
  scope: ParseScope,
  value: unknown,
  at: string,
  base: FeatureDefinition,
): Partial<Record<OutputType, OutputDefinition>> | undefined {
  const o = scope.object(value, at);
  const result: Partial<Record<OutputType, OutputDefinition>> = { ...(base.output ?? {}) };
  for (const [name, body] of Object.entries(o)) {
    const oAt = join(at, name);
    const type = OUTPUT_TYPE_BY_CONFIG_NAME[name];
    if (!type) scope.fail(oAt, "unknown output type");
    const baseOut = base.output?.[type];
    if (!baseOut) {
      scope.warn(oAt, "the base feature has no such output; ignored");
      continue;
    }
    const isPos = type === "Position" || type === "HwPositionWithDuration";
    const b = scope.object(body, oAt, [
      "value",
      "disabled",
      ...(isPos ? ["reverse"] : []),
      ...(type === "HwPositionWithDuration" ? ["duration"] : []),
      "step_limit",
    ]);
    let out: OutputDefinition = baseOut;
    if (b.value !== undefined) {
      const r = scope.range(b.value, join(oAt, "value"));
      const hi = baseOut.value[1];
      if (r[0] < 0 || r[1] > hi) {
        scope.fail(join(oAt, "value"), `[${r[0]}, ${r[1]}] is not within [0, ${hi}]`);
      }
      out = { ...out, userValue: r };
    }
    if (b.duration !== undefined) {
      const r = scope.range(b.duration, join(oAt, "duration"));
      const d = baseOut.duration ?? [0, 100000];
      if (r[0] < d[0] || r[1] > d[1]) {
        scope.fail(join(oAt, "duration"), `[${r[0]}, ${r[1]}] is not within [${d[0]}, ${d[1]}]`);
      }
      out = { ...out, duration: r };
    }
    if (b.disabled !== undefined) {
      out = { ...out, disabled: scope.boolean(b.disabled, join(oAt, "disabled")) };
    }
    if (isPos && b.reverse !== undefined) {
      out = { ...out, reverse: scope.boolean(b.reverse, join(oAt, "reverse")) };
    }
    result[type] = out;
  }
  return result;
}

/**
 * The JSON of one user `devices[]` entry for a device whose index was assigned by the server
 * (all outputs as in the base definition).
 */
export function userDeviceJson(entry: UserDeviceEntry): Record<string, unknown> {
  const { identifier, definition } = entry;
  return {
    identifier: {
      address: identifier.address,
      protocol: identifier.protocol,
      ...(identifier.identifier !== undefined ? { identifier: identifier.identifier } : {}),
    },
    config: {
      id: definition.id,
      base_id: entry.baseId,
      features: definition.features.map((f, i) => {
        const output = outputOverridesJson(f.output ?? {});
        return {
          id: f.id,
          base_id: entry.featureBaseIds[i],
          ...(Object.keys(output).length > 0 ? { output } : {}),
        };
      }),
      user_config: {
        allow: entry.allow,
        deny: entry.deny,
        index: entry.index,
        ...(definition.displayName !== undefined ? { display_name: definition.displayName } : {}),
      },
    },
  };
}

function outputOverridesJson(
  output: Partial<Record<OutputType, OutputDefinition>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [type, out] of Object.entries(output) as [OutputType, OutputDefinition][]) {
    const o: Record<string, unknown> = {};
    if (out.userValue) o.value = [...out.userValue];
    if (out.disabled !== undefined) o.disabled = out.disabled;
    if (out.reverse !== undefined) o.reverse = out.reverse;
    if (Object.keys(o).length > 0) result[CONFIG_NAME_BY_OUTPUT_TYPE[type]] = o;
  }
  return result;
}
