/**
 * A small strict JSON parser for untrusted headers (safetensors, adapter and
 * index files).
 *
 * Hand-written because `JSON.parse` silently keeps the last of duplicate keys
 * and rounds integers beyond 2^53: two loaders reading the same header can then
 * disagree about which tensor lives where (a parser-differential attack). This
 * parser keeps the first value, and reports every duplicate key and every
 * integer that is not exactly representable, with its JSON path.
 */

/** A JSON value as parsed (objects have a null prototype, so `__proto__` is an ordinary key). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Something valid JSON that a strict reader must still reject or flag. */
export interface JsonIssue {
  kind: 'duplicate_key' | 'unsafe_integer';
  /** JSON path of the offending member, e.g. `$["model.embed"].shape[0]`. */
  path: string;
  message: string;
}

/** Thrown for text that is not JSON at all; `offset`, `line` and `column` locate it. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line}, column ${column}`);
  }
}

/** Result of {@link parseStrictJson}. */
export interface StrictJsonResult {
  value: JsonValue;
  issues: JsonIssue[];
}

const MAX_DEPTH = 64;

/** Parses `text` strictly; throws {@link JsonSyntaxError} on malformed input or nesting deeper than 64. */
export function parseStrictJson(text: string): StrictJsonResult {
  const p = new Parser(text);
  p.ws();
  const value = p.value('$', 0);
  p.ws();
  if (p.pos < text.length) p.fail('unexpected data after the JSON value');
  return { value, issues: p.issues };
}

function pathKey(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

class Parser {
  pos = 0;
  readonly issues: JsonIssue[] = [];

  constructor(private readonly s: string) {}

  fail(message: string): never {
    let line = 1;
    let col = 1;
    for (let i = 0; i < this.pos && i < this.s.length; i++) {
      if (this.s.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new JsonSyntaxError(message, this.pos, line, col);
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  value(path: string, depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.s[this.pos];
    switch (c) {
      case '{':
        return this.object(path, depth);
      case '[':
        return this.array(path, depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(path);
        return this.fail(
          c === undefined ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(c)}`,
        );
    }
  }

  literal<T extends JsonValue>(word: string, value: T): T {
    if (this.s.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    return this.fail('invalid literal');
  }

  object(path: string, depth: number): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = Object.create(null);
    this.pos++;
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.s[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      this.ws();
      const child = pathKey(path, key);
      const v = this.value(child, depth + 1);
      if (Object.hasOwn(out, key)) {
        this.issues.push({
          kind: 'duplicate_key',
          path: child,
          message: `duplicate key ${JSON.stringify(key)} (JSON.parse would keep the last value, others the first)`,
        });
      } else out[key] = v;
      this.ws();
      const c = this.s[this.pos];
      this.pos++;
      if (c === '}') return out;
      if (c !== ',') {
        this.pos--;
        this.fail('expected "," or "}"');
      }
    }
  }

  array(path: string, depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(`${path}[${out.length}]`, depth + 1));
      this.ws();
      const c = this.s[this.pos];
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') {
        this.pos--;
        this.fail('expected "," or "]"');
      }
    }
  }

  string(): string {
    const s = this.s;
    const start = ++this.pos;
    // Fast path: no escapes.
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === 34) {
        this.pos++;
        return s.slice(start, this.pos - 1);
      }
      if (c === 92) break;
      if (c < 0x20) this.fail('control character in string');
      this.pos++;
    }
    let out = s.slice(start, this.pos);
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === 34) {
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 92) {
        out += s[this.pos];
        this.pos++;
        continue;
      }
      const e = s[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = s.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.pos -= 2;
          this.fail('invalid escape');
      }
    }
  }

  number(path: string): number {
    const m = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.s);
    if (r === null) return this.fail('invalid number');
    this.pos += r[0].length;
    const n = Number(r[0]);
    if (r[1] === undefined && r[2] === undefined && !Number.isSafeInteger(n)) {
      this.issues.push({
        kind: 'unsafe_integer',
        path,
        message: `integer ${r[0]} is beyond 2^53-1 and cannot be represented exactly`,
      });
    }
    return n;
  }
}
