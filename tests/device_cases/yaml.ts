/**
 * A small YAML subset parser for the upstream device test cases: block mappings and sequences
 * (indentation based), local tags (`!Write`) on mappings, sequences and empty nodes, flow
 * sequences/mappings of scalars (`[0x0f, 3]`), comments, quoted and plain scalars (ints incl.
 * hex, floats, booleans, null). Anchors, aliases, multi-line scalars and documents are not
 * supported and are reported as errors.
 *
 * @module
 */

/** A tagged node (`!Name value`); `value` is `null` for a bare tag. */
export class Tagged {
  /** Tag name without the `!`. */
  readonly tag: string;
  /** Tagged content. */
  readonly value: YamlValue;

  /** Creates a tagged node. */
  constructor(tag: string, value: YamlValue) {
    this.tag = tag;
    this.value = value;
  }
}

/** A parsed YAML value. */
export type YamlValue =
  | null
  | boolean
  | number
  | string
  | Tagged
  | YamlValue[]
  | { [key: string]: YamlValue };

/** A YAML syntax error with its line number. */
export class YamlError extends Error {
  /** 1-based line. */
  readonly line: number;

  /** Creates the error. */
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "YamlError";
    this.line = line;
  }
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

/**
 * Parses one YAML document of the supported subset.
 *
 * @example
 * ```ts
 * import { parseYaml, Tagged } from "./yaml.ts";
 * const doc = parseYaml("steps:\n  - !Write\n      data: [0x0f, 3]\n  - !Stop\n") as {
 *   steps: Tagged[];
 * };
 * console.assert(doc.steps[0].tag === "Write" && doc.steps[1].value === null);
 * ```
 *
 * @throws {YamlError} on unsupported or malformed input.
 */
export function parseYaml(text: string): YamlValue {
  const lines: Line[] = [];
  text.replace(/\r\n?/g, "\n").split("\n").forEach((raw, i) => {
    if (raw.includes("\t") && /^\s*\t/.test(raw)) throw new YamlError(i + 1, "tab indentation");
    const content = stripComment(raw);
    if (content.trim() === "") return;
    if (/^(---|\.\.\.)\s*$/.test(content)) {
      if (lines.length > 0) throw new YamlError(i + 1, "multiple documents are not supported");
      return;
    }
    const indent = content.length - content.trimStart().length;
    lines.push({ indent, text: content.trim(), no: i + 1 });
  });
  const parser = new Parser(lines);
  if (lines.length === 0) return null;
  const value = parser.block(lines[0].indent);
  parser.expectEnd();
  return value;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i).trimEnd();
    }
  }
  return line.trimEnd();
}

const isSeqItem = (text: string): boolean => text === "-" || text.startsWith("- ");

class Parser {
  readonly #lines: Line[];
  #pos = 0;

  constructor(lines: Line[]) {
    this.#lines = lines;
  }

  expectEnd(): void {
    const line = this.#lines[this.#pos];
    if (line) throw new YamlError(line.no, `unexpected content (bad indentation?): ${line.text}`);
  }

  /** A block node whose first line is at `indent` (the current line). */
  block(indent: number): YamlValue {
    const line = this.#lines[this.#pos];
    if (isSeqItem(line.text)) return this.sequence(indent);
    if (splitKey(line.text)) return this.mapping(indent);
    this.#pos++;
    return this.inline(line.text, line.no, indent);
  }

  sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    while (this.#pos < this.#lines.length) {
      const line = this.#lines[this.#pos];
      if (line.indent !== indent || !isSeqItem(line.text)) break;
      const rest = line.text.slice(1).trimStart();
      const restIndent = indent + (line.text.length - rest.length);
      if (rest === "") {
        this.#pos++;
        items.push(this.nested(indent));
      } else if (rest.startsWith("!") || !splitKey(rest)) {
        this.#pos++;
        items.push(this.inline(rest, line.no, indent));
      } else {
        // "- key: value": the mapping continues at the column of "key".
        this.#lines[this.#pos] = { indent: restIndent, text: rest, no: line.no };
        items.push(this.mapping(restIndent));
      }
    }
    return items;
  }

  mapping(indent: number): { [key: string]: YamlValue } {
    const map: { [key: string]: YamlValue } = {};
    while (this.#pos < this.#lines.length) {
      const line = this.#lines[this.#pos];
      if (line.indent !== indent || isSeqItem(line.text)) break;
      const kv = splitKey(line.text);
      if (!kv) throw new YamlError(line.no, `expected "key: value", got: ${line.text}`);
      const [key, rest] = kv;
      if (Object.hasOwn(map, key)) throw new YamlError(line.no, `duplicate key "${key}"`);
      this.#pos++;
      map[key] = rest === "" ? this.nested(indent, true) : this.inline(rest, line.no, indent, true);
    }
    return map;
  }

  /** Content on the following lines, more indented than `parent` (or a same-indent list). */
  nested(parent: number, allowSameIndentSeq = false): YamlValue {
    const next = this.#lines[this.#pos];
    if (!next) return null;
    if (next.indent > parent) return this.block(next.indent);
    if (allowSameIndentSeq && next.indent === parent && isSeqItem(next.text)) {
      return this.sequence(parent);
    }
    return null;
  }

  /** A value written after `- ` or `key: ` (possibly a tag with content on later lines). */
  inline(text: string, no: number, parent: number, inMapping = false): YamlValue {
    if (text.startsWith("!")) {
      const m = /^!([A-Za-z0-9_-]+)\s*(.*)$/.exec(text);
      if (!m) throw new YamlError(no, `bad tag: ${text}`);
      const rest = m[2];
      const value = rest === ""
        ? this.nested(parent, inMapping)
        : this.inline(rest, no, parent, inMapping);
      return new Tagged(m[1], value);
    }
    if (text.startsWith("&") || text.startsWith("*")) {
      throw new YamlError(no, "anchors and aliases are not supported");
    }
    if (text === "|" || text === ">" || /^[|>][+-]?$/.test(text)) {
      throw new YamlError(no, "block scalars are not supported");
    }
    if (text.startsWith("[") || text.startsWith("{")) {
      const flow = new FlowParser(text, no);
      const value = flow.value();
      flow.end();
      return value;
    }
    return scalar(text, no);
  }
}

/** Splits `key: rest` (key plain or quoted); undefined when the text is no mapping entry. */
function splitKey(text: string): [string, string] | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const q = text[0];
    let i = 1;
    for (; i < text.length && text[i] !== q; i++) if (text[i] === "\\" && q === '"') i++;
    if (text[i + 1] !== ":") return undefined;
    const after = text.slice(i + 2);
    if (after !== "" && !after.startsWith(" ")) return undefined;
    return [
      JSON.parse(q === '"' ? text.slice(0, i + 1) : JSON.stringify(text.slice(1, i))),
      after.trim(),
    ];
  }
  if (text.startsWith("[") || text.startsWith("{") || text.startsWith("!")) return undefined;
  const m = /^([^:]+?)\s*:(?:\s+(.*)|)$/.exec(text);
  if (!m) return undefined;
  return [m[1], (m[2] ?? "").trim()];
}

/** Plain or quoted scalar. */
function scalar(text: string, no: number): YamlValue {
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new YamlError(no, "unterminated string");
    try {
      return JSON.parse(text);
    } catch {
      throw new YamlError(no, `bad string: ${text}`);
    }
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new YamlError(no, "unterminated string");
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (/^(null|Null|NULL|~)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?0x[0-9a-fA-F]+$/.test(text)) {
    const neg = text.startsWith("-");
    const n = parseInt(text.replace(/^[-+]/, ""), 16);
    return neg ? -n : n;
  }
  if (/^[-+]?0o[0-7]+$/.test(text)) return parseInt(text.replace(/^[-+]?0o/, ""), 8);
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

class FlowParser {
  readonly #text: string;
  readonly #no: number;
  #i = 0;

  constructor(text: string, no: number) {
    this.#text = text;
    this.#no = no;
  }

  #ws(): void {
    while (this.#i < this.#text.length && /\s/.test(this.#text[this.#i])) this.#i++;
  }

  end(): void {
    this.#ws();
    if (this.#i < this.#text.length) {
      throw new YamlError(
        this.#no,
        `unexpected text after flow value: ${this.#text.slice(this.#i)}`,
      );
    }
  }

  value(): YamlValue {
    this.#ws();
    const c = this.#text[this.#i];
    if (c === "[") {
      this.#i++;
      const items: YamlValue[] = [];
      this.#ws();
      if (this.#text[this.#i] === "]") {
        this.#i++;
        return items;
      }
      while (true) {
        items.push(this.value());
        this.#ws();
        const d = this.#text[this.#i++];
        if (d === "]") return items;
        if (d !== ",") throw new YamlError(this.#no, "expected , or ] in flow sequence");
        this.#ws();
        if (this.#text[this.#i] === "]") {
          this.#i++;
          return items;
        }
      }
    }
    if (c === "{") {
      this.#i++;
      const map: { [key: string]: YamlValue } = {};
      this.#ws();
      if (this.#text[this.#i] === "}") {
        this.#i++;
        return map;
      }
      while (true) {
        const key = this.#atom(":");
        if (this.#text[this.#i++] !== ":") throw new YamlError(this.#no, "expected : in flow map");
        map[String(key)] = this.value();
        this.#ws();
        const d = this.#text[this.#i++];
        if (d === "}") return map;
        if (d !== ",") throw new YamlError(this.#no, "expected , or } in flow mapping");
      }
    }
    return this.#atom("");
  }

  #atom(extraStops: string): YamlValue {
    this.#ws();
    const start = this.#i;
    const c = this.#text[this.#i];
    if (c === '"' || c === "'") {
      this.#i++;
      while (this.#i < this.#text.length && this.#text[this.#i] !== c) {
        if (this.#text[this.#i] === "\\" && c === '"') this.#i++;
        this.#i++;
      }
      this.#i++;
      return scalar(this.#text.slice(start, this.#i), this.#no);
    }
    while (
      this.#i < this.#text.length && !",]}".includes(this.#text[this.#i]) &&
      !extraStops.includes(this.#text[this.#i])
    ) this.#i++;
    const raw = this.#text.slice(start, this.#i).trim();
    if (raw === "") throw new YamlError(this.#no, "empty flow value");
    return scalar(raw, this.#no);
  }
}
