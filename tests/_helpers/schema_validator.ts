/**
 * A small JSON-schema (draft-07 subset) validator for tests: validates frames against
 * tests/fixtures/buttplug-schema.json for one spec version, with the per-version message lists
 * patched as PROTOCOL.md §10.19 says. Test-only; the server never runs a schema engine.
 *
 * Supported keywords: `$ref` (local JSON pointers), `type`, `enum`, `properties`,
 * `patternProperties`, `additionalProperties`, `required`, `minProperties`, `maxProperties`,
 * `items` (single schema), `minItems`, `maxItems`, `minimum`, `maximum`, `anyOf`, `allOf`,
 * `oneOf`. Annotations (`description`, `title`, ...) are ignored; array keywords on non-arrays
 * are ignored, as JSON schema says.
 *
 * @module
 */
import type { SpecVersion } from "../../protocol/messages.ts";

/** A JSON schema node. */
export type Schema = { [keyword: string]: unknown } | boolean;

const SUPPORTED = new Set([
  "$ref",
  "$schema",
  "type",
  "enum",
  "properties",
  "patternProperties",
  "additionalProperties",
  "required",
  "minProperties",
  "maxProperties",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "anyOf",
  "allOf",
  "oneOf",
  "description",
  "title",
  "version",
  "components",
  "messages",
  "specs",
]);

/** Validates values against schemas resolved inside one root document. */
export class SchemaValidator {
  readonly #root: Record<string, unknown>;
  readonly #regexes = new Map<string, RegExp>();

  /** Uses `root` to resolve `$ref`s. Throws if the schema uses an unsupported keyword. */
  constructor(root: Record<string, unknown>) {
    this.#root = root;
    checkKeywords(root, "#");
  }

  /** Resolves a local `$ref` such as `#/specs/MessageSpecV4`. */
  resolve(ref: string): Schema {
    if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = this.#root;
    for (const part of ref.slice(2).split("/")) {
      const key = part.replaceAll("~1", "/").replaceAll("~0", "~");
      if (typeof node !== "object" || node === null || !(key in node)) {
        throw new Error(`$ref ${ref} does not resolve`);
      }
      node = (node as Record<string, unknown>)[key];
    }
    return node as Schema;
  }

  /** Returns every problem found (empty when valid). */
  validate(value: unknown, schema: Schema, path = "$"): string[] {
    const errors: string[] = [];
    this.#check(value, schema, path, errors);
    return errors;
  }

  #regex(pattern: string): RegExp {
    let re = this.#regexes.get(pattern);
    if (!re) this.#regexes.set(pattern, re = new RegExp(pattern, "u"));
    return re;
  }

  #check(value: unknown, schema: Schema, path: string, errors: string[]): void {
    if (schema === true) return;
    if (schema === false) {
      errors.push(`${path}: no value is allowed here`);
      return;
    }
    const s = schema;
    if (typeof s.$ref === "string") this.#check(value, this.resolve(s.$ref), path, errors);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? s.type as string[] : [s.type as string];
      if (!types.some((t) => hasType(value, t))) {
        errors.push(`${path}: expected ${types.join("|")}, got ${JSON.stringify(value)}`);
        return;
      }
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) {
      errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
    }
    if (typeof value === "number") {
      if (typeof s.minimum === "number" && value < s.minimum) {
        errors.push(`${path}: ${value} < minimum ${s.minimum}`);
      }
      if (typeof s.maximum === "number" && value > s.maximum) {
        errors.push(`${path}: ${value} > maximum ${s.maximum}`);
      }
    }
    if (Array.isArray(value)) {
      if (typeof s.minItems === "number" && value.length < s.minItems) {
        errors.push(`${path}: fewer than ${s.minItems} items`);
      }
      if (typeof s.maxItems === "number" && value.length > s.maxItems) {
        errors.push(`${path}: more than ${s.maxItems} items`);
      }
      if (s.items !== undefined) {
        value.forEach((item, i) => this.#check(item, s.items as Schema, `${path}[${i}]`, errors));
      }
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj);
      if (typeof s.minProperties === "number" && keys.length < s.minProperties) {
        errors.push(`${path}: fewer than ${s.minProperties} properties`);
      }
      if (typeof s.maxProperties === "number" && keys.length > s.maxProperties) {
        errors.push(`${path}: more than ${s.maxProperties} properties`);
      }
      for (const key of (s.required as string[] | undefined) ?? []) {
        if (!(key in obj)) errors.push(`${path}: missing required property ${key}`);
      }
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const patterns = (s.patternProperties ?? {}) as Record<string, Schema>;
      for (const key of keys) {
        let matched = false;
        if (Object.hasOwn(props, key)) {
          matched = true;
          this.#check(obj[key], props[key], `${path}.${key}`, errors);
        }
        for (const [pattern, sub] of Object.entries(patterns)) {
          if (this.#regex(pattern).test(key)) {
            matched = true;
            this.#check(obj[key], sub, `${path}.${key}`, errors);
          }
        }
        if (!matched && s.additionalProperties !== undefined) {
          if (s.additionalProperties === false) {
            errors.push(`${path}: unexpected property ${key}`);
          } else {
            this.#check(obj[key], s.additionalProperties as Schema, `${path}.${key}`, errors);
          }
        }
      }
    }
    if (Array.isArray(s.allOf)) {
      for (const sub of s.allOf as Schema[]) this.#check(value, sub, path, errors);
    }
    if (Array.isArray(s.anyOf)) {
      const branches = (s.anyOf as Schema[]).map((sub) => this.validate(value, sub, path));
      if (!branches.some((b) => b.length === 0)) {
        errors.push(`${path}: matches no anyOf branch (${branches.map((b) => b[0]).join(" / ")})`);
      }
    }
    if (Array.isArray(s.oneOf)) {
      const passing = (s.oneOf as Schema[]).filter((sub) =>
        this.validate(value, sub, path).length === 0
      );
      if (passing.length !== 1) errors.push(`${path}: matches ${passing.length} oneOf branches`);
    }
  }
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
  }
  throw new Error(`unsupported type ${type}`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function checkKeywords(node: unknown, path: string): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => checkKeywords(n, `${path}/${i}`));
    return;
  }
  if (typeof node !== "object" || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    const parent = path.split("/").at(-1);
    const isNameMap = parent === "properties" || parent === "patternProperties" ||
      path === "#/components" || path === "#/messages" || path === "#/specs" ||
      path.startsWith("#/messages/") && path.split("/").length === 3;
    if (!isNameMap && !SUPPORTED.has(key)) {
      throw new Error(`schema keyword ${key} at ${path} is not supported by this validator`);
    }
    checkKeywords(value, `${path}/${key}`);
  }
}

// The schema document is untyped JSON; patching it is simplest without types.
// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * Applies PROTOCOL.md §10.19 to a copy of the upstream schema: adds the messages the
 * per-version lists forget (v0: LovenseCmd, ScanningFinished; v1: SingleMotorVibrateCmd,
 * LovenseCmd, ScanningFinished; v3: VibrateCmd), and makes v4 OutputCmd values integers with a
 * closed Command object.
 */
export function patchSchema(upstream: Record<string, unknown>): Record<string, unknown> {
  const schema = structuredClone(upstream) as Json;
  const add = (version: number, name: string, ref: string) => {
    schema.specs[`MessageSpecV${version}`].items.properties[name] = { $ref: ref };
  };
  add(0, "LovenseCmd", "#/messages/SpecV0Messages/LovenseCmd");
  add(0, "ScanningFinished", "#/messages/SpecV0Messages/ScanningFinished");
  add(1, "SingleMotorVibrateCmd", "#/messages/SpecV0Messages/SingleMotorVibrateCmd");
  add(1, "LovenseCmd", "#/messages/SpecV0Messages/LovenseCmd");
  add(1, "ScanningFinished", "#/messages/SpecV0Messages/ScanningFinished");
  add(3, "VibrateCmd", "#/messages/SpecV1Messages/VibrateCmd");
  const command = schema.messages.SpecV4Messages.OutputCmd.properties.Command;
  command.additionalProperties = false;
  command.minProperties = 1;
  command.maxProperties = 1;
  for (const sub of Object.values(command.patternProperties) as Json[]) {
    sub.properties.Value.type = "integer";
    sub.additionalProperties = false;
  }
  return schema;
}

let cached: SchemaValidator | undefined;

/** The patched Buttplug schema validator (loaded once from tests/fixtures). */
export async function buttplugSchema(): Promise<SchemaValidator> {
  if (!cached) {
    const text = await Deno.readTextFile(
      new URL("../fixtures/buttplug-schema.json", import.meta.url),
    );
    cached = new SchemaValidator(patchSchema(JSON.parse(text)));
  }
  return cached;
}

/** Problems of `frame` (an array of messages) for spec `version`; empty when valid. */
export function validateFrame(
  validator: SchemaValidator,
  frame: unknown,
  version: SpecVersion,
): string[] {
  return validator.validate(frame, validator.resolve(`#/specs/MessageSpecV${version}`));
}
