import type { Finding, Severity } from '../../contracts/finding.js';
import { artifactFinding } from '../artifact-finding.js';
import type { ByteRange } from '../file-range.js';
import { classifyGlobal } from './pickle-allowlist.js';

/**
 * Static pickle scanner: walks the opcodes of protocols 0-5 with a symbolic
 * stack and memo, without executing anything.
 *
 * Hand-written because it must be strict where Python's `pickletools` is
 * lenient and must never allocate what the input declares: every length is
 * checked against the bytes left, FRAME boundaries are enforced, the stack and
 * memo are capped, and GLOBAL/STACK_GLOBAL must name constant strings. It fails
 * closed: anything it cannot prove harmless is a critical finding.
 */

/** Where the pickle bytes are: a buffer, or a byte range of an open file (read in windows). */
export type PickleSource = { buffer: Uint8Array } | { file: ByteRange; start: number; end: number };

/** Options of {@link scanPickle}. */
export interface PickleScanOptions {
  /** Path shown in findings. */
  file: string;
  /** Zip member or other locator inside the file. */
  field?: string | null;
  /**
   * How many consecutive pickles are legitimate (legacy `torch.save` writes 5,
   * followed by raw storage bytes when `rawTail` is set). Default 1.
   */
  pickles?: number;
  /** Bytes after the expected pickles are data (legacy PyTorch storages), not trailing garbage. */
  rawTail?: boolean;
}

/** One imported global seen in the stream. */
export interface PickleImport {
  module: string;
  name: string;
  count: number;
  allowed: boolean;
  severity: Severity;
}

/** Result of {@link scanPickle}. */
export interface PickleScanResult {
  findings: Finding[];
  imports: PickleImport[];
  /** Number of complete pickles read. */
  pickles: number;
  /** Highest PROTO seen (0 when none). */
  protocol: number;
  /** Offset (relative to the source start) just after the last pickle read. */
  end: number;
  /** Opcodes walked, for throughput reporting. */
  opcodes: number;
  /** Whether any opcode failed to parse or the stream ended early. */
  malformed: boolean;
}

class PickleParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const MAX_STACK = 1_000_000;
const MAX_MEMO = 1_000_000;
const MAX_LINE = 1 << 16;
/** Strings longer than this are kept symbolic only (never a module or attribute name). */
const MAX_CONST_STRING = 1024;
const WINDOW = 8 << 20;

/**
 * Opcodes that push one opaque constant and have a fixed size (opcode + argument):
 * NONE, NEWTRUE/NEWFALSE, EMPTY_DICT/LIST/TUPLE/SET, BININT1/2, BININT, BINFLOAT.
 */
const FIXED_SCALAR = new Uint8Array(256);
for (const op of [0x4e, 0x88, 0x89, 0x7d, 0x5d, 0x29, 0x8f]) FIXED_SCALAR[op] = 1;
FIXED_SCALAR[0x4b] = 2;
FIXED_SCALAR[0x4d] = 3;
FIXED_SCALAR[0x4a] = 5;
FIXED_SCALAR[0x47] = 9;

// Symbolic values. Most values are opaque; we only need strings (for STACK_GLOBAL),
// globals (to know what REDUCE calls) and marks.
const OTHER = { k: 'other' } as const;
const CALL = { k: 'call' } as const;
const LONG_STRING = { k: 'longstr' } as const;
type Sym =
  | typeof OTHER
  | typeof CALL
  | typeof LONG_STRING
  | { k: 'str'; s: string }
  | { k: 'global'; ref: string };

/** Reads bytes from a buffer or a file range through a sliding window (one reused buffer). */
class Cursor {
  buf: Buffer;
  /** Source offset of buf[0]. */
  base = 0;
  /** Current source offset. */
  pos = 0;
  /** Valid bytes in buf. */
  len: number;
  readonly end: number;
  private window: Buffer | null = null;

  constructor(private readonly src: PickleSource) {
    if ('buffer' in src) {
      this.buf = Buffer.from(src.buffer.buffer, src.buffer.byteOffset, src.buffer.length);
      this.end = src.buffer.length;
      this.len = this.end;
    } else {
      this.buf = Buffer.alloc(0);
      this.len = 0;
      this.end = src.end - src.start;
    }
  }

  /** Ensures `n` bytes from pos are in the window; returns their index in `buf`. Throws if the source ends first. */
  need(n: number): number {
    if (this.pos + n > this.end)
      throw new PickleParseError(`truncated: needs ${n} bytes, ${this.end - this.pos} left`, this.pos);
    const i = this.pos - this.base;
    if (i + n <= this.len) return i;
    if ('buffer' in this.src) throw new PickleParseError('internal window error', this.pos);
    const want = Math.min(Math.max(WINDOW, n), this.end - this.pos);
    if (!this.window || this.window.length < want) this.window = Buffer.allocUnsafe(Math.max(WINDOW, want));
    const got = this.src.file.read(this.src.start + this.pos, want, this.window);
    this.buf = got;
    this.len = got.length;
    this.base = this.pos;
    if (this.len < n) throw new PickleParseError('file shorter than expected', this.pos);
    return 0;
  }

  u8(): number {
    const i = this.need(1);
    this.pos += 1;
    return this.buf[i] as number;
  }

  u16(): number {
    const i = this.need(2);
    this.pos += 2;
    return this.buf.readUInt16LE(i);
  }

  u32(): number {
    const i = this.need(4);
    this.pos += 4;
    return this.buf.readUInt32LE(i);
  }

  /** 8-byte length; anything beyond the bytes left is an error before it could be allocated. */
  u64len(): number {
    const lo = this.u32();
    const hi = this.u32();
    const v = hi * 0x100000000 + lo;
    if (hi >= 0x200000 || v > this.end - this.pos)
      throw new PickleParseError(
        `declared length ${hi >= 0x200000 ? '>2^53' : v} exceeds the ${this.end - this.pos} bytes left`,
        this.pos - 8,
      );
    return v;
  }

  checkLen(n: number, at: number): void {
    if (n > this.end - this.pos)
      throw new PickleParseError(`declared length ${n} exceeds the ${this.end - this.pos} bytes left`, at);
  }

  /** Returns the next `n` bytes decoded as UTF-8 (or Latin-1) if short, else skips them. */
  str(n: number, latin1 = false): Sym {
    if (n > MAX_CONST_STRING) {
      this.skip(n);
      return LONG_STRING;
    }
    const i = this.need(n);
    this.pos += n;
    return { k: 'str', s: this.buf.toString(latin1 ? 'latin1' : 'utf8', i, i + n) };
  }

  skip(n: number): void {
    this.checkLen(n, this.pos);
    this.pos += n;
  }

  /** A newline-terminated argument of protocol 0 opcodes. */
  line(): string {
    const start = this.pos;
    for (;;) {
      if (this.pos - start > MAX_LINE) throw new PickleParseError('text argument longer than 64 KiB', start);
      const c = this.u8();
      if (c === 10) break;
    }
    const len = this.pos - start - 1;
    this.pos = start;
    const i = this.need(len + 1);
    this.pos += len + 1;
    return this.buf.toString('latin1', i, i + len);
  }
}

/**
 * Scans one or more consecutive pickles. Never throws on malformed input:
 * problems become findings (critical for anything that fails closed).
 */
export function scanPickle(source: PickleSource, options: PickleScanOptions): PickleScanResult {
  const expected = options.pickles ?? 1;
  const findings: Finding[] = [];
  const imports = new Map<string, PickleImport & { offset: number }>();
  const cur = new Cursor(source);
  const result: PickleScanResult = {
    findings,
    imports: [],
    pickles: 0,
    protocol: 0,
    end: 0,
    opcodes: 0,
    malformed: false,
  };
  const flag = (rule: string, severity: Severity, message: string, evidence: Record<string, unknown> = {}) =>
    findings.push(
      artifactFinding({
        detector: 'pickle',
        rule,
        severity,
        file: options.file,
        field: options.field ?? null,
        message,
        evidence,
      }),
    );

  const noteGlobal = (module: string, name: string, at: number): Sym => {
    const key = `${module}\n${name}`;
    const seen = imports.get(key);
    if (seen) seen.count++;
    else {
      const v = classifyGlobal(module, name);
      imports.set(key, { module, name, count: 1, allowed: v.allowed, severity: v.severity, offset: at });
      if (!v.allowed)
        flag('unsafe_global', v.severity, `imports ${module}.${name}: ${v.reason}`, {
          module,
          name,
          offset: at,
        });
    }
    return { k: 'global', ref: `${module}.${name}` };
  };

  while (cur.pos < cur.end && result.pickles < 64) {
    if (result.pickles >= expected) {
      if (options.rawTail) break;
      const next = cur.buf[cur.need(1)];
      flag(
        next === 0x80 ? 'multiple_pickles' : 'trailing_data',
        'critical',
        next === 0x80
          ? `a further pickle starts at byte ${cur.pos} after the expected ${expected}; loaders differ on which one they read`
          : `${cur.end - cur.pos} bytes after the STOP opcode at byte ${cur.pos}`,
        { offset: cur.pos },
      );
      if (next !== 0x80) break;
    }
    try {
      walkOne(cur, result, noteGlobal, flag);
      result.pickles++;
      result.end = cur.pos;
    } catch (err) {
      if (!(err instanceof PickleParseError)) throw err;
      result.malformed = true;
      flag('parse_error', 'critical', `pickle does not parse at byte ${err.offset}: ${err.message}`, {
        offset: err.offset,
      });
      break;
    }
  }
  if (result.pickles < expected && !result.malformed)
    flag('parse_error', 'critical', `expected ${expected} pickle(s), found ${result.pickles}`);
  result.imports = [...imports.values()].map(({ offset: _o, ...rest }) => rest);
  return result;
}

/** Reads one pickle up to and including STOP. */
function walkOne(
  cur: Cursor,
  result: PickleScanResult,
  noteGlobal: (module: string, name: string, at: number) => Sym,
  flag: (rule: string, severity: Severity, message: string, evidence?: Record<string, unknown>) => void,
): void {
  const stack: Sym[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Sym>();
  let frameEnd = -1;
  let ops = 0;

  const pop = (at: number): Sym => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= (marks[marks.length - 1] as number)))
      throw new PickleParseError('stack underflow', at);
    return stack.pop() ?? OTHER;
  };
  const top = (at: number): Sym => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= (marks[marks.length - 1] as number)))
      throw new PickleParseError('stack underflow', at);
    return stack[stack.length - 1] ?? OTHER;
  };
  const push = (v: Sym, at: number) => {
    if (stack.length >= MAX_STACK) throw new PickleParseError(`stack deeper than ${MAX_STACK}`, at);
    stack.push(v);
  };
  /** Pops to the last MARK and returns the items (only the first is ever needed). */
  const popMark = (at: number): Sym | undefined => {
    const m = marks.pop();
    if (m === undefined) throw new PickleParseError('no MARK on the stack', at);
    const first = m < stack.length ? (stack[m] ?? OTHER) : undefined;
    stack.length = m;
    return first;
  };
  const call = (callee: Sym, what: string, at: number) => {
    if (callee.k !== 'global') {
      flag(
        'computed_call',
        'critical',
        `${what} at byte ${at} calls an object that is not an imported global (gadget chain)`,
        {
          offset: at,
        },
      );
    }
    push(CALL, at);
  };
  const memoPut = (i: number, at: number) => {
    if (memo.size >= MAX_MEMO && !memo.has(i)) throw new PickleParseError(`memo larger than ${MAX_MEMO}`, at);
    memo.set(i, top(at));
  };
  const memoGet = (i: number, at: number) => {
    const v = memo.get(i);
    if (v === undefined) throw new PickleParseError(`memo key ${i} read before it is written`, at);
    push(v, at);
  };
  const decimal = (s: string, at: number): number => {
    if (!/^[0-9]+$/.test(s))
      throw new PickleParseError(`bad decimal argument ${JSON.stringify(s.slice(0, 40))}`, at);
    return Number(s);
  };

  for (;;) {
    const at = cur.pos;
    if (frameEnd >= 0 && at >= frameEnd) frameEnd = -1;
    // Fast path: fixed-size scalar opcodes with all their bytes in the window (most of a state dict).
    // Runs of them are walked in a tight loop that stops 9 bytes before the window, the source or the frame ends.
    const w = at - cur.base;
    let lim = Math.min(cur.len, cur.end - cur.base) - 9;
    if (frameEnd >= 0) lim = Math.min(lim, frameEnd - cur.base - 9);
    if (w <= lim && (FIXED_SCALAR[cur.buf[w] as number] as number) > 0) {
      const buf = cur.buf;
      let p = w;
      let n = 0;
      while (p <= lim) {
        const size = FIXED_SCALAR[buf[p] as number] as number;
        if (size === 0) break;
        p += size;
        n++;
      }
      if (stack.length + n > MAX_STACK) throw new PickleParseError(`stack deeper than ${MAX_STACK}`, at);
      // Opaque constants are stored as holes (read back as OTHER): growing the length beats n pushes.
      stack.length += n;
      cur.pos = cur.base + p;
      ops += n;
      continue;
    }
    const op = cur.u8();
    ops++;
    switch (op) {
      case 0x80: {
        // PROTO
        const p = cur.u8();
        if (p > 5) throw new PickleParseError(`unsupported protocol ${p}`, at);
        result.protocol = Math.max(result.protocol, p);
        break;
      }
      case 0x95: {
        // FRAME
        if (frameEnd >= 0 && at < frameEnd)
          throw new PickleParseError('FRAME inside an unfinished frame', at);
        const n = cur.u64len();
        frameEnd = cur.pos + n;
        break;
      }
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0)
          throw new PickleParseError(
            `STOP with ${stack.length} stack items and ${marks.length} open MARKs`,
            at,
          );
        if (frameEnd >= 0 && cur.pos < frameEnd)
          throw new PickleParseError('STOP inside an unfinished frame', at);
        result.opcodes += ops;
        return;
      case 0x28: // MARK
        if (marks.length >= MAX_STACK) throw new PickleParseError('too many MARKs', at);
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) marks.pop();
        else pop(at);
        break;
      case 0x31: // POP_MARK
        popMark(at);
        break;
      case 0x32: // DUP
        push(top(at), at);
        break;
      // Constants.
      case 0x4e: // NONE
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
      case 0x7d: // EMPTY_DICT
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE
      case 0x8f: // EMPTY_SET
        push(OTHER, at);
        break;
      case 0x4b: // BININT1
        cur.skip(1);
        push(OTHER, at);
        break;
      case 0x4d: // BININT2
        cur.skip(2);
        push(OTHER, at);
        break;
      case 0x4a: // BININT
        cur.skip(4);
        push(OTHER, at);
        break;
      case 0x47: // BINFLOAT
        cur.skip(8);
        push(OTHER, at);
        break;
      case 0x8a: // LONG1
        cur.skip(cur.u8());
        push(OTHER, at);
        break;
      case 0x8b: {
        // LONG4
        const n = cur.u32();
        cur.checkLen(n, at);
        cur.skip(n);
        push(OTHER, at);
        break;
      }
      case 0x49: // INT
      case 0x4c: // LONG
      case 0x46: // FLOAT
        if (!/^[-+0-9.eEinfatrulsINFATRULS]*L?$/.test(cur.line()))
          throw new PickleParseError('bad numeric literal', at);
        push(OTHER, at);
        break;
      case 0x53: {
        // STRING: a quoted Python 2 str literal; constant only when free of escapes.
        const l = cur.line();
        const q = l[0];
        if (l.length < 2 || (q !== "'" && q !== '"') || l[l.length - 1] !== q)
          throw new PickleParseError('bad STRING literal', at);
        const body = l.slice(1, -1);
        push(body.includes('\\') ? LONG_STRING : { k: 'str', s: body }, at);
        break;
      }
      case 0x56: {
        // UNICODE (raw-unicode-escape)
        const l = cur.line();
        push(l.includes('\\') ? LONG_STRING : { k: 'str', s: l }, at);
        break;
      }
      case 0x55: // SHORT_BINSTRING
        push(cur.str(cur.u8(), true), at);
        break;
      case 0x54: {
        // BINSTRING
        const n = cur.u32();
        cur.checkLen(n, at);
        push(cur.str(n, true), at);
        break;
      }
      case 0x8c: // SHORT_BINUNICODE
        push(cur.str(cur.u8()), at);
        break;
      case 0x58: {
        // BINUNICODE
        const n = cur.u32();
        cur.checkLen(n, at);
        push(cur.str(n), at);
        break;
      }
      case 0x8d: // BINUNICODE8
        push(cur.str(cur.u64len()), at);
        break;
      case 0x43: // SHORT_BINBYTES
        cur.skip(cur.u8());
        push(OTHER, at);
        break;
      case 0x42: {
        // BINBYTES
        const n = cur.u32();
        cur.skip(n);
        push(OTHER, at);
        break;
      }
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        cur.skip(cur.u64len());
        push(OTHER, at);
        break;
      case 0x97: // NEXT_BUFFER (out-of-band buffer: the loader must supply it)
        flag('out_of_band_buffer', 'medium', `NEXT_BUFFER at byte ${at}: data supplied out of band`, {
          offset: at,
        });
        push(OTHER, at);
        break;
      case 0x98: // READONLY_BUFFER
        top(at);
        break;
      // Containers.
      case 0x6c: // LIST
      case 0x74: // TUPLE
      case 0x64: // DICT
      case 0x91: // FROZENSET
        popMark(at);
        push(OTHER, at);
        break;
      case 0x85: // TUPLE1
        pop(at);
        push(OTHER, at);
        break;
      case 0x86: // TUPLE2
        pop(at);
        pop(at);
        push(OTHER, at);
        break;
      case 0x87: // TUPLE3
        pop(at);
        pop(at);
        pop(at);
        push(OTHER, at);
        break;
      case 0x61: // APPEND
        pop(at);
        top(at);
        break;
      case 0x65: // APPENDS
      case 0x90: // ADDITEMS
        popMark(at);
        top(at);
        break;
      case 0x73: // SETITEM
        pop(at);
        pop(at);
        top(at);
        break;
      case 0x75: // SETITEMS
        popMark(at);
        top(at);
        break;
      // Memo.
      case 0x70: // PUT
        memoPut(decimal(cur.line(), at), at);
        break;
      case 0x71: // BINPUT
        memoPut(cur.u8(), at);
        break;
      case 0x72: // LONG_BINPUT
        memoPut(cur.u32(), at);
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size, at);
        break;
      case 0x67: // GET
        memoGet(decimal(cur.line(), at), at);
        break;
      case 0x68: // BINGET
        memoGet(cur.u8(), at);
        break;
      case 0x6a: // LONG_BINGET
        memoGet(cur.u32(), at);
        break;
      // Imports and calls.
      case 0x63: {
        // GLOBAL: module and name as text lines (constants by construction)
        const module = cur.line();
        const name = cur.line();
        push(noteGlobal(module, name, at), at);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL: module and name must be constant strings
        const name = pop(at);
        const module = pop(at);
        if (module.k !== 'str' || name.k !== 'str') {
          flag(
            'non_constant_global',
            'critical',
            `STACK_GLOBAL at byte ${at} takes a module/name that is not a constant string`,
            {
              offset: at,
            },
          );
          push(OTHER, at);
        } else push(noteGlobal(module.s, name.s, at), at);
        break;
      }
      case 0x69: {
        // INST: import + call with MARK arguments
        const module = cur.line();
        const name = cur.line();
        popMark(at);
        call(noteGlobal(module, name, at), 'INST', at);
        break;
      }
      case 0x6f: {
        // OBJ: class is the first item after MARK
        const cls = popMark(at);
        if (cls === undefined) throw new PickleParseError('OBJ without a class', at);
        call(cls, 'OBJ', at);
        break;
      }
      case 0x52: {
        // REDUCE
        pop(at);
        call(pop(at), 'REDUCE', at);
        break;
      }
      case 0x81: {
        // NEWOBJ
        pop(at);
        call(pop(at), 'NEWOBJ', at);
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(at);
        pop(at);
        call(pop(at), 'NEWOBJ_EX', at);
        break;
      }
      case 0x62: // BUILD: state applied to the object below (setstate)
        pop(at);
        top(at);
        break;
      case 0x50: // PERSID
        cur.line();
        push(OTHER, at);
        break;
      case 0x51: // BINPERSID
        pop(at);
        push(OTHER, at);
        break;
      case 0x82:
      case 0x83:
      case 0x84:
        throw new PickleParseError(
          `EXT${op === 0x82 ? 1 : op === 0x83 ? 2 : 4} opcode: imports through the copyreg extension registry`,
          at,
        );
      default:
        throw new PickleParseError(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`, at);
    }
    if (frameEnd >= 0 && cur.pos > frameEnd)
      throw new PickleParseError('opcode crosses the end of its FRAME', at);
  }
}
