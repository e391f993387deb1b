import {
  lazyWasmModule,
  memarg,
  name,
  section,
  uleb,
  WASM_HEADER,
  type WasmInstance,
  type WasmMemory,
} from '../detectors/wasm-encoding.js';
import {
  BLOCK,
  BR,
  BR_IF,
  CALL,
  c32,
  END,
  get,
  I32,
  I32_ADD,
  I32_AND,
  I32_DIV_U,
  I32_EQZ,
  I32_GT_U,
  I32_LOAD,
  I32_LOAD16_U,
  I32_LT_S,
  I32_LT_U,
  I32_SHL,
  I32_SHR_U,
  I32_STORE,
  I32_SUB,
  IF,
  ifThen,
  LOOP,
  RETURN,
  set,
  tee,
} from '../detectors/wasm-instructions.js';

/**
 * Aho–Corasick automaton over a fixed set of literal words, compiled to a
 * dense DFA over UTF-16 code units: one table lookup per code unit reports
 * every occurrence of every word (overlapping and nested ones included), in
 * one pass over the text. The injection rules gate on hundreds of anchor
 * words; a regex alternation of them, or one `indexOf` per word, cost several
 * passes over every e-mail.
 */
export class AnchorAutomaton {
  /** The words, as given (duplicates keep their first index). */
  readonly words: readonly string[];
  /** Code unit -> symbol class (0: no word uses the character). */
  private readonly classOf: Uint16Array;
  private readonly classes: number;
  /**
   * DFA: `next[row + class]` is the next state's row offset (`state * classes`), bitwise-negated
   * when that state has outputs.
   */
  private readonly next: Int32Array;
  /** Outputs of a state (its own word and those of its suffix links): `outWords[outStart[s] .. outStart[s + 1])`. */
  private readonly outStart: Int32Array;
  private readonly outWords: Int32Array;
  private readonly lengths: Int32Array;
  private buf = new Int32Array(256);
  private kernel: AutomatonKernel | null | undefined;

  /**
   * `aliases` maps extra characters to a word character they should match as (the leet
   * spellings of letters, say); a text character then matches itself or what it aliases.
   */
  constructor(words: readonly string[], aliases: Readonly<Record<string, string>> = {}) {
    if (words.some((w) => w.length === 0)) throw new Error('AnchorAutomaton: empty word');
    this.words = words;
    this.lengths = Int32Array.from(words, (w) => w.length);
    this.classOf = new Uint16Array(65536);
    // ASCII symbols first, so scanning ASCII text touches only the front of each DFA row.
    const seen = new Set<number>();
    for (const w of words) for (let i = 0; i < w.length; i++) seen.add(w.charCodeAt(i));
    const units = [...seen].sort((a, b) => a - b);
    let classes = 1;
    for (const c of units) this.classOf[c] = classes++;
    for (const [from, to] of Object.entries(aliases))
      this.classOf[from.charCodeAt(0)] = this.classOf[to.charCodeAt(0)] as number;
    this.classes = classes;
    // Trie.
    const goto: number[][] = [new Array<number>(classes).fill(-1)];
    const own: number[][] = [[]];
    words.forEach((w, wi) => {
      let s = 0;
      for (let i = 0; i < w.length; i++) {
        const k = this.classOf[w.charCodeAt(i)] as number;
        const row = goto[s] as number[];
        if ((row[k] as number) < 0) {
          row[k] = goto.length;
          goto.push(new Array<number>(classes).fill(-1));
          own.push([]);
        }
        s = row[k] as number;
      }
      const o = own[s] as number[];
      if (!words.slice(0, wi).includes(w)) o.push(wi);
    });
    // Breadth-first failure links, completing the DFA as we go.
    const states = goto.length;
    const fail = new Int32Array(states);
    const next = new Int32Array(states * classes);
    const outs: number[][] = own.map((o) => [...o]);
    const queue: number[] = [];
    for (let k = 0; k < classes; k++) {
      const t = (goto[0] as number[])[k] as number;
      next[k] = t < 0 ? 0 : t;
      if (t > 0) {
        fail[t] = 0;
        queue.push(t);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi] as number;
      outs[s] = [...(own[s] as number[]), ...(outs[fail[s] as number] as number[])];
      for (let k = 0; k < classes; k++) {
        const t = (goto[s] as number[])[k] as number;
        if (t < 0) next[s * classes + k] = next[(fail[s] as number) * classes + k] as number;
        else {
          next[s * classes + k] = t;
          fail[t] = next[(fail[s] as number) * classes + k] as number;
          queue.push(t);
        }
      }
    }
    const hasOut = (t: number): boolean => (outs[t] as number[]).length > 0;
    this.next = next.map((t) => (hasOut(t) ? ~(t * classes) : t * classes));
    this.outStart = new Int32Array(states + 1);
    const flat: number[] = [];
    for (let s = 0; s < states; s++) {
      this.outStart[s] = flat.length;
      flat.push(...(outs[s] as number[]));
    }
    this.outStart[states] = flat.length;
    this.outWords = Int32Array.from(flat);
  }

  /**
   * Every occurrence of every word in `text`, as (word index, start offset) pairs in order of
   * their end offset. The returned array is reused by the next call; read the first `2 * count`
   * entries.
   */
  scan(text: string): { pairs: Int32Array; count: number } {
    if (this.kernel === undefined) this.kernel = AutomatonKernel.create(this.tables()) ?? null;
    return this.kernel?.scan(text) ?? this.scanJs(text);
  }

  /** The DFA's tables, for the WebAssembly kernel. */
  private tables(): AutomatonTables {
    return {
      classOf: this.classOf,
      classes: this.classes,
      next: this.next,
      outStart: this.outStart,
      outWords: this.outWords,
      lengths: this.lengths,
    };
  }

  /** `scan` in JavaScript: the reference, and the path without WebAssembly. */
  scanJs(text: string): { pairs: Int32Array; count: number } {
    const classOf = this.classOf;
    const next = this.next;
    const classes = this.classes;
    const outStart = this.outStart;
    const outWords = this.outWords;
    const lengths = this.lengths;
    let buf = this.buf;
    let k = 0;
    let row = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const v = next[row + (classOf[text.charCodeAt(i)] as number)] as number;
      if (v >= 0) {
        row = v;
        continue;
      }
      row = ~v;
      const s = row / classes;
      const a = outStart[s] as number;
      const b = outStart[s + 1] as number;
      if (k + 2 * (b - a) > buf.length) {
        const grown = new Int32Array(Math.max(buf.length * 2, k + 2 * (b - a)));
        grown.set(buf);
        buf = grown;
        this.buf = grown;
      }
      for (let o = a; o < b; o++) {
        const w = outWords[o] as number;
        buf[k++] = w;
        buf[k++] = i + 1 - (lengths[w] as number);
      }
    }
    return { pairs: buf, count: k >> 1 };
  }
}

interface AutomatonTables {
  classOf: Uint16Array;
  classes: number;
  next: Int32Array;
  outStart: Int32Array;
  outWords: Int32Array;
  lengths: Int32Array;
}

// --- The DFA walk as a WebAssembly kernel.
//
// The walk is one dependent table load per code unit; in JavaScript it was the largest cost of the
// injection rules' gate. Compiled, and with the text cut into four chunks walked in one loop (four
// independent chains of loads instead of one), it runs several times faster. A chunk's walk starts
// from the root `maxLength` code units before the chunk: the DFA state after a position only
// depends on the last `maxLength` code units (it is the longest suffix that is a prefix of a
// word), so from the chunk's start on it is the state of one walk over the whole text. Each chunk
// writes its occurrences to its own region, and the regions are joined in order, so the pairs are
// those of `scanJs`, in the same order.

/**
 * Memory layout: the walk's settings at 0 (see `G_TEXT` ...), the chunks' output records (next
 * pair's address, end of region) at `STREAMS`, class offsets at `CLASS_AT`, the DFA at `NEXT_AT`
 * (rows as byte addresses), then the output tables, the text and the output regions.
 */
const STREAMS = 32;
const CLASS_AT = 1024;
const NEXT_AT = CLASS_AT + 2 * 65536;
const HAS_OUTPUT = 0x80000000 | 0;
const CHUNKS = 4;
/** Texts shorter than this are walked as one chunk. */
const MIN_CHUNKED = 1024;

// Settings, words at address 4 * i: the text's address, a row's size in bytes, the addresses of
// the output tables, an overflow flag, and the row a `walk` starts from and ends in.
const G_TEXT = 0;
const G_ROW_BYTES = 1;
const G_OUT_START = 2;
const G_OUT_WORDS = 3;
const G_LENGTHS = 4;
const G_FAILED = 5;
const G_ROW = 6;

const F_EMIT = 0;
const F_WALK = 1;

const gget = (i: number) => [...c32(0), I32_LOAD, ...memarg(2, 4 * i)];
const gset = (i: number, value: number[]) => [...c32(0), ...value, I32_STORE, ...memarg(2, 4 * i)];
const fnBody = (locals: number[], code: number[]) => {
  const fn = [...locals, ...code, END];
  return [...uleb(fn.length), ...fn];
};

/**
 * `emit(stream, row, end)`: appends the outputs of the state at `row` (an occurrence of each of
 * its words ending at code unit `end`) to the stream's region; on overflow sets `failed`.
 */
function emitBody(): number[] {
  const [K, ROW, AT, A, B, P, W] = [0, 1, 2, 3, 4, 5, 6] as const;
  const slot = [...get(K), ...c32(3), I32_SHL];
  const code = [
    // s = (row - NEXT_AT) / rowBytes; a = outStart[s]; b = outStart[s + 1]
    ...get(ROW),
    ...c32(NEXT_AT),
    I32_SUB,
    ...gget(G_ROW_BYTES),
    I32_DIV_U,
    ...c32(2),
    I32_SHL,
    ...gget(G_OUT_START),
    I32_ADD,
    ...tee(A),
    I32_LOAD,
    ...memarg(2, 4),
    ...set(B),
    ...get(A),
    I32_LOAD,
    ...memarg(2, 0),
    ...set(A),
    ...slot,
    I32_LOAD,
    ...memarg(2, STREAMS),
    ...set(P),
    ...ifThen(
      [
        ...get(P),
        ...get(B),
        ...get(A),
        I32_SUB,
        ...c32(3),
        I32_SHL,
        I32_ADD,
        ...slot,
        I32_LOAD,
        ...memarg(2, STREAMS + 4),
        I32_GT_U,
      ],
      [...gset(G_FAILED, c32(1)), RETURN],
    ),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...get(A),
    ...get(B),
    I32_LT_S,
    I32_EQZ,
    BR_IF,
    1,
    // w = outWords[a]; pair (w, end + 1 - lengths[w])
    ...get(A),
    ...c32(2),
    I32_SHL,
    ...gget(G_OUT_WORDS),
    I32_ADD,
    I32_LOAD,
    ...memarg(2, 0),
    ...set(W),
    ...get(P),
    ...get(W),
    I32_STORE,
    ...memarg(2, 0),
    ...get(P),
    ...get(AT),
    ...c32(1),
    I32_ADD,
    ...get(W),
    ...c32(2),
    I32_SHL,
    ...gget(G_LENGTHS),
    I32_ADD,
    I32_LOAD,
    ...memarg(2, 0),
    I32_SUB,
    I32_STORE,
    ...memarg(2, 4),
    ...get(P),
    ...c32(8),
    I32_ADD,
    ...set(P),
    ...get(A),
    ...c32(1),
    I32_ADD,
    ...set(A),
    BR,
    0,
    END,
    END,
    ...slot,
    ...get(P),
    I32_STORE,
    ...memarg(2, STREAMS),
  ];
  return fnBody([1, 4, I32], code);
}

/** The next row of `row` after the code unit at byte address `p` (the table entry, flag included). */
const step = (row: number[], p: number[]) => [
  ...row,
  ...p,
  I32_LOAD16_U,
  ...memarg(1, 0),
  ...c32(1),
  I32_SHL,
  I32_LOAD16_U,
  ...memarg(1, CLASS_AT),
  I32_ADD,
  I32_LOAD,
  ...memarg(2, 0),
];

/**
 * `walk(from, to, stream)`: walks code units `[from, to)` (indices) from the row in global `row`
 * and leaves the last row there; occurrences go to `stream`'s region, none when `stream` is -1.
 */
function walkBody(): number[] {
  const [FROM, TO, K, P, END_P, V, ROW] = [0, 1, 2, 3, 4, 5, 6] as const;
  const code = [
    ...gget(G_ROW),
    ...set(ROW),
    ...gget(G_TEXT),
    ...get(FROM),
    ...c32(1),
    I32_SHL,
    I32_ADD,
    ...set(P),
    ...gget(G_TEXT),
    ...get(TO),
    ...c32(1),
    I32_SHL,
    I32_ADD,
    ...set(END_P),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...get(P),
    ...get(END_P),
    I32_LT_U,
    I32_EQZ,
    BR_IF,
    1,
    ...step(get(ROW), get(P)),
    ...tee(V),
    ...c32(0),
    I32_LT_S,
    IF,
    0x40,
    ...get(V),
    ...c32(0x7fffffff),
    I32_AND,
    ...set(V),
    ...ifThen(
      [...get(K), ...c32(0), 0x4e /* i32.ge_s */],
      [
        ...get(K),
        ...get(V),
        ...get(P),
        ...gget(G_TEXT),
        I32_SUB,
        ...c32(1),
        I32_SHR_U,
        CALL,
        ...uleb(F_EMIT),
      ],
    ),
    END,
    ...get(V),
    ...set(ROW),
    ...get(P),
    ...c32(2),
    I32_ADD,
    ...set(P),
    BR,
    0,
    END,
    END,
    ...gset(G_ROW, get(ROW)),
  ];
  return fnBody([1, 4, I32], code);
}

/**
 * `chunks(c, r1, r2, r3)`: walks the four chunks `[k * c, (k + 1) * c)` in one loop, chunk 0 from
 * the root and chunk k from row `rk` (its warmed-up row); leaves chunk 3's last row in global `row`.
 */
function chunksBody(): number[] {
  const [C, R1, R2, R3, P, END_P, C2, R0, V, TEXT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
  const rows = [R0, R1, R2, R3];
  const lane = (k: number) => {
    const r = rows[k] as number;
    const pk = k === 0 ? get(P) : [...get(P), ...get(C2), ...c32(k), 0x6c /* i32.mul */, I32_ADD];
    return [
      ...step(get(r), pk),
      ...tee(V),
      ...c32(0),
      I32_LT_S,
      IF,
      0x40,
      ...get(V),
      ...c32(0x7fffffff),
      I32_AND,
      ...set(V),
      ...c32(k),
      ...get(V),
      ...pk,
      ...get(TEXT),
      I32_SUB,
      ...c32(1),
      I32_SHR_U,
      CALL,
      ...uleb(F_EMIT),
      END,
      ...get(V),
      ...set(r),
    ];
  };
  const code = [
    ...c32(NEXT_AT),
    ...set(R0),
    ...get(C),
    ...c32(1),
    I32_SHL,
    ...set(C2),
    ...gget(G_TEXT),
    ...tee(TEXT),
    ...set(P),
    ...get(TEXT),
    ...get(C2),
    I32_ADD,
    ...set(END_P),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...get(P),
    ...get(END_P),
    I32_LT_U,
    I32_EQZ,
    BR_IF,
    1,
    ...lane(0),
    ...lane(1),
    ...lane(2),
    ...lane(3),
    ...get(P),
    ...c32(2),
    I32_ADD,
    ...set(P),
    BR,
    0,
    END,
    END,
    ...gset(G_ROW, get(R3)),
  ];
  return fnBody([1, 6, I32], code);
}

function automatonBytes(): Uint8Array {
  const type = [2, ...[0x60, 3, I32, I32, I32, 0], ...[0x60, 4, I32, I32, I32, I32, 0]];
  const exports = [3, ...name('memory'), 0x02, 0, ...name('walk'), 0x00, F_WALK, ...name('chunks'), 0x00, 2];
  return Uint8Array.from([
    ...WASM_HEADER,
    ...section(1, type),
    ...section(3, [3, 0, 0, 1]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, exports),
    ...section(10, [3, ...emitBody(), ...walkBody(), ...chunksBody()]),
  ]);
}

/** Compiled once per thread; undefined without WebAssembly. */
const instantiate = lazyWasmModule(automatonBytes);

/** One automaton's DFA in a kernel instance. */
class AutomatonKernel {
  private readonly memory: WasmMemory;
  private readonly walk: (from: number, to: number, stream: number) => void;
  private readonly chunks: (c: number, r1: number, r2: number, r3: number) => void;
  private readonly textAt: number;
  private readonly maxLength: number;
  private bytes: Buffer;
  private words: Int32Array;

  private constructor(t: AutomatonTables, instance: WasmInstance) {
    const ex = instance.exports as {
      memory: WasmMemory;
      walk: (from: number, to: number, stream: number) => void;
      chunks: (c: number, r1: number, r2: number, r3: number) => void;
    };
    this.memory = ex.memory;
    this.walk = ex.walk;
    this.chunks = ex.chunks;
    this.maxLength = t.lengths.reduce((m, x) => Math.max(m, x), 0);
    const outStartAt = NEXT_AT + 4 * t.next.length;
    const outWordsAt = outStartAt + 4 * t.outStart.length;
    const lengthsAt = outWordsAt + 4 * t.outWords.length;
    this.textAt = (lengthsAt + 4 * t.lengths.length + 15) & ~15;
    this.memory.grow(Math.ceil((this.textAt + 65536) / 65536));
    this.bytes = Buffer.from(this.memory.buffer);
    this.words = new Int32Array(this.memory.buffer);
    const classOf = new Uint16Array(this.memory.buffer, CLASS_AT, 65536);
    for (let c = 0; c < 65536; c++) classOf[c] = 4 * (t.classOf[c] as number);
    const w = this.words;
    // Rows as byte addresses, the output flag in the sign bit.
    for (let i = 0; i < t.next.length; i++) {
      const v = t.next[i] as number;
      w[NEXT_AT / 4 + i] = (NEXT_AT + 4 * (v < 0 ? ~v : v)) | (v < 0 ? HAS_OUTPUT : 0);
    }
    w.set(t.outStart, outStartAt / 4);
    w.set(t.outWords, outWordsAt / 4);
    w.set(t.lengths, lengthsAt / 4);
    w[G_ROW_BYTES] = 4 * t.classes;
    w[G_OUT_START] = outStartAt;
    w[G_OUT_WORDS] = outWordsAt;
    w[G_LENGTHS] = lengthsAt;
  }

  /** A kernel for the tables, or undefined when WebAssembly is unavailable. */
  static create(t: AutomatonTables): AutomatonKernel | undefined {
    if (4 * t.next.length + NEXT_AT >= 0x80000000 || 4 * t.classes > 0xffff) return undefined;
    const instance = instantiate();
    return instance ? new AutomatonKernel(t, instance) : undefined;
  }

  /** `scanJs(text)`'s pairs, or undefined when a chunk's region overflowed (then scan in JavaScript). */
  scan(text: string): { pairs: Int32Array; count: number } | undefined {
    const n = text.length;
    const chunked = n >= MIN_CHUNKED;
    const c = chunked ? Math.floor(n / CHUNKS) : n;
    // A region per chunk; more than one occurrence per eight code units (text is far sparser:
    // about one per fifty) is left to JavaScript, so the memory stays near three bytes per unit.
    const capacity = 8 * ((Math.max(c, n - 3 * c) >> 3) + 1024);
    const outAt = (this.textAt + 2 * n + 15) & ~15;
    const need = outAt + CHUNKS * capacity;
    // (`memory.buffer` is a slow accessor: the views are renewed only when the memory grows.)
    if (need > this.bytes.length) {
      this.memory.grow(Math.ceil((need - this.bytes.length) / 65536));
      this.bytes = Buffer.from(this.memory.buffer);
      this.words = new Int32Array(this.memory.buffer);
    }
    const w = this.words;
    this.bytes.write(text, this.textAt, 2 * n, 'utf16le');
    w[G_TEXT] = this.textAt;
    w[G_FAILED] = 0;
    for (let k = 0; k < CHUNKS; k++) {
      w[STREAMS / 4 + 2 * k] = outAt + k * capacity;
      w[STREAMS / 4 + 2 * k + 1] = outAt + (k + 1) * capacity;
    }
    if (!chunked) {
      w[G_ROW] = NEXT_AT;
      this.walk(0, n, 0);
    } else {
      const rows = [0, 0, 0];
      for (let k = 1; k < CHUNKS; k++) {
        w[G_ROW] = NEXT_AT;
        this.walk(Math.max(0, k * c - this.maxLength), k * c, -1);
        rows[k - 1] = (w[G_ROW] as number) & 0x7fffffff;
      }
      this.chunks(c, rows[0] as number, rows[1] as number, rows[2] as number);
      this.walk(CHUNKS * c, n, CHUNKS - 1);
    }
    if (w[G_FAILED] !== 0) return undefined;
    // Join the regions in chunk order.
    let end = w[STREAMS / 4] as number;
    for (let k = 1; k < (chunked ? CHUNKS : 1); k++) {
      const from = outAt + k * capacity;
      const to = w[STREAMS / 4 + 2 * k] as number;
      if (to > from) w.copyWithin(end >> 2, from >> 2, to >> 2);
      end += to - from;
    }
    const count = (end - outAt) >> 3;
    return { pairs: w.subarray(outAt >> 2, (outAt >> 2) + 2 * count), count };
  }
}
