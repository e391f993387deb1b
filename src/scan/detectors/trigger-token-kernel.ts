import {
  lazyWasmModule,
  memarg,
  name,
  section,
  uleb,
  WASM_HEADER,
  type WasmMemory,
} from './wasm-encoding.js';
import {
  add,
  and,
  BLOCK,
  BR,
  c32,
  END,
  get,
  I32,
  I32_ADD,
  I32_AND,
  I32_DIV_U,
  I32_EQ,
  I32_GE_U,
  I32_GT_U,
  I32_LOAD8_U,
  I32_LOAD16_U,
  I32_LT_U,
  I32_MUL,
  I32_NE,
  I32_OR,
  I32_SHL,
  I32_SHR_U,
  I32_STORE,
  I32_SUB,
  I32_XOR,
  ifThen,
  inc,
  LOOP,
  SELECT,
  set,
  sub,
  whileDo,
} from './wasm-instructions.js';

/**
 * The trigger tokeniser's ASCII runs in WebAssembly (`trigger-tokens.ts` drives it). Cutting a
 * run at ASCII whitespace, chunking it into 40-character tokens, stripping edge punctuation and
 * hashing the lower-cased token (FNV-1a) are a few operations per character, but in JavaScript
 * each character also pays for a string access and two scans; this is the trigger miner's largest
 * cost inside the workers. The kernel does exactly what `TokenSink.asciiChunk` does, for every
 * ASCII run from a start position, and hands back at the first run with a non-ASCII code unit
 * (the caller folds that one) or once it has emitted the tokens asked for.
 */

const I32_STORE8 = 0x3a;
const I32_LE_U = 0x4d;

/** Memory layout (bytes): class table, result slots, token hashes, token kinds, the text (UTF-16). */
const CLASS = 0;
const SLOT_POS = 128;
const SLOT_EMITTED = 132;
const SLOT_HEAD_END = 136;
/** Tokens one call may emit (a run of 20,000 characters gives 500). */
export const KERNEL_TOKEN_CAPACITY = 4096;
const OUT = 256;
const KINDS = OUT + 4 * KERNEL_TOKEN_CAPACITY;
const TEXT = KINDS + KERNEL_TOKEN_CAPACITY;
/** Code units of text the kernel's memory holds (the tokeniser reads at most 20,000). */
export const KERNEL_TEXT_CAPACITY = 20_000;
const PAGES = Math.ceil((TEXT + 2 * KERNEL_TEXT_CAPACITY) / 65536);

/** Status of a `run` call. */
export const RUN_END = 0;
export const RUN_ENOUGH = 1;
export const RUN_NON_ASCII = 2;
export const RUN_FULL = 3;

// Parameters and locals of `run(start, n, need, headLeft) -> status`.
const START = 0;
const N = 1;
const NEED = 2;
const HEAD_LEFT = 3;
const Ix = 4;
const C = 5;
const J = 6;
const BITS = 7;
const T = 8;
const S = 9;
const E = 10;
const LO = 11;
const HI = 12;
const K = 13;
const H = 14;
const KIND = 15;
const STATUS = 16;

/** The code unit at index `idx` (an expression). */
const unit = (idx: number[]) => [...idx, ...c32(1), I32_SHL, I32_LOAD16_U, ...memarg(1, TEXT)];
/** Char class (0 other, 1 punctuation, 2 letter or digit) of the ASCII unit at `idx`. */
const cls = (idx: number[]) => [...unit(idx), I32_LOAD8_U, ...memarg(0, CLASS), ...c32(3), I32_AND];
/** 1 when the unit at `idx` is a cut (ASCII whitespace or U+0001), else 0; any unit, table read masked. */
const isCut = (idx: number[]) => [
  ...unit(idx),
  ...set(C),
  ...get(C),
  ...c32(127),
  I32_AND,
  I32_LOAD8_U,
  ...memarg(0, CLASS),
  ...c32(2),
  I32_SHR_U,
  ...get(C),
  ...c32(128),
  I32_LT_U,
  I32_AND,
];

/**
 * `e - 1 - k` while `k < e - s`, else `s`: the trailing-punctuation scan's index, kept inside the
 * text (a memory address is unsigned: index -1 would trap instead of reading a neighbour).
 */
const backIndex = (): number[] => [
  ...sub(sub(get(E), c32(1)), get(K)),
  ...get(S),
  ...get(K),
  ...sub(get(E), get(S)),
  I32_LT_U,
  SELECT,
];

function runBody(): number[] {
  // Inside `block $done { loop $runs { ... } }` an `if` adds one level: `br 2` leaves, `br 1` continues.
  const leave = (status: number) => [...c32(status), ...set(STATUS), BR, 2];
  const stripEdges = ifThen(
    [...cls(get(S)), ...c32(2), I32_NE, ...cls(sub(get(E), c32(1))), ...c32(2), I32_NE, I32_OR],
    [
      ...c32(0),
      ...set(K),
      ...whileDo(
        and([...get(K), ...sub(get(E), get(S)), I32_LT_U], [...cls(add(get(S), get(K))), ...c32(1), I32_EQ]),
        inc(K),
      ),
      ...ifThen(
        and(
          and([...get(K), ...c32(1), I32_GE_U], [...get(K), ...c32(5), I32_LE_U]),
          and(
            [...get(K), ...sub(get(E), get(S)), I32_LT_U],
            [...cls(add(get(S), get(K))), ...c32(2), I32_EQ],
          ),
        ),
        [...add(get(S), get(K)), ...set(LO)],
      ),
      ...c32(0),
      ...set(K),
      ...whileDo(
        and([...get(K), ...sub(get(E), get(S)), I32_LT_U], [...cls(backIndex()), ...c32(1), I32_EQ]),
        inc(K),
      ),
      ...ifThen(
        and(
          and([...get(K), ...c32(1), I32_GE_U], [...get(K), ...c32(5), I32_LE_U]),
          and([...get(K), ...sub(get(E), get(S)), I32_LT_U], [...cls(backIndex()), ...c32(2), I32_EQ]),
        ),
        [...sub(get(E), get(K)), ...set(HI)],
      ),
    ],
  );
  const hashChunk = [
    ...c32(0x811c9dc5 | 0),
    ...set(H),
    ...get(LO),
    ...set(K),
    ...whileDo(
      [...get(K), ...get(HI), I32_LT_U],
      [
        ...unit(get(K)),
        ...set(C),
        // A-Z lower-cased: (c - 65) < 26 unsigned.
        ...ifThen(
          [...get(C), ...c32(65), I32_SUB, ...c32(26), I32_LT_U],
          [...get(C), ...c32(32), I32_OR, ...set(C)],
        ),
        ...get(H),
        ...get(C),
        I32_XOR,
        ...c32(0x01000193),
        I32_MUL,
        ...set(H),
        ...inc(K),
      ],
    ),
    // Kind: 2 for a leading '^'; 1 (and hash 0) for the gap token "\0gap" itself.
    ...c32(0),
    ...set(KIND),
    ...ifThen([...unit(get(LO)), ...c32(94), I32_EQ], [...c32(2), ...set(KIND)]),
    ...ifThen(
      and(
        and([...unit(get(LO)), ...c32(0), I32_EQ], [...sub(get(HI), get(LO)), ...c32(4), I32_EQ]),
        and(
          and(
            [...unit(add(get(LO), c32(1))), ...c32(103), I32_EQ],
            [...unit(add(get(LO), c32(2))), ...c32(97), I32_EQ],
          ),
          [...unit(add(get(LO), c32(3))), ...c32(112), I32_EQ],
        ),
      ),
      [...c32(1), ...set(KIND), ...c32(0), ...set(H)],
    ),
    ...get(T),
    ...c32(2),
    I32_SHL,
    ...get(H),
    I32_STORE,
    ...memarg(2, OUT),
    ...get(T),
    ...get(KIND),
    I32_STORE8,
    ...memarg(0, KINDS),
    ...inc(T),
  ];
  const chunks = [
    ...get(Ix),
    ...set(S),
    ...whileDo(
      [...get(S), ...get(J), I32_LT_U],
      [
        // e = min(s + 40, j)
        ...add(get(S), c32(40)),
        ...set(E),
        ...ifThen([...get(E), ...get(J), I32_GT_U], [...get(J), ...set(E)]),
        ...get(S),
        ...set(LO),
        ...get(E),
        ...set(HI),
        ...stripEdges,
        ...hashChunk,
        ...get(S),
        ...c32(40),
        I32_ADD,
        ...set(S),
      ],
    ),
  ];
  const body = [
    ...get(START),
    ...set(Ix),
    ...c32(0),
    ...set(T),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...ifThen([...get(Ix), ...get(N), I32_GE_U], leave(0)),
    // A cut: step over it.
    ...ifThen(isCut(get(Ix)), [...inc(Ix), BR, 1]),
    // The run [i, j) and whether it is all ASCII.
    ...get(Ix),
    ...set(J),
    ...c32(0),
    ...set(BITS),
    ...whileDo(and([...get(J), ...get(N), I32_LT_U], [...isCut(get(J)), ...c32(1), I32_XOR]), [
      ...get(BITS),
      ...unit(get(J)),
      I32_OR,
      ...set(BITS),
      ...inc(J),
    ]),
    ...ifThen([...get(BITS), ...c32(128), I32_GE_U], leave(2)),
    // Room for the run's chunks.
    ...ifThen(
      [
        ...add(get(T), [...sub(get(J), get(Ix)), ...c32(39), I32_ADD, ...c32(40), I32_DIV_U]),
        ...c32(KERNEL_TOKEN_CAPACITY),
        I32_GT_U,
      ],
      leave(3),
    ),
    ...ifThen(
      [...get(T), ...get(HEAD_LEFT), I32_LT_U],
      [...c32(SLOT_HEAD_END), ...get(J), I32_STORE, ...memarg(2, 0)],
    ),
    ...chunks,
    ...get(J),
    ...set(Ix),
    ...ifThen([...get(T), ...get(NEED), I32_GE_U], leave(1)),
    BR,
    0,
    END,
    END,
    ...c32(SLOT_POS),
    ...get(Ix),
    I32_STORE,
    ...memarg(2, 0),
    ...c32(SLOT_EMITTED),
    ...get(T),
    I32_STORE,
    ...memarg(2, 0),
    ...get(STATUS),
    END,
  ];
  // Locals after the 4 parameters: 13 i32.
  const locals = [1, STATUS - Ix + 1, I32];
  const fn = [...locals, ...body];
  return [...uleb(fn.length), ...fn];
}

function kernelBytes(): Uint8Array {
  const type = [1, 0x60, 4, I32, I32, I32, I32, 1, I32];
  const funcs = [1, 0];
  const memory = [1, 0x00, PAGES];
  const exports = [2, ...name('memory'), 0x02, 0, ...name('run'), 0x00, 0];
  const code = [1, ...runBody()];
  return Uint8Array.from([
    ...WASM_HEADER,
    ...section(1, type),
    ...section(3, funcs),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

const instantiate = lazyWasmModule(kernelBytes);

type RunFn = (start: number, n: number, need: number, headLeft: number) => number;

/** One instance per thread: the text, hashes and kinds live in its memory. */
export class TriggerTokenKernel {
  private readonly runFn: RunFn;
  private readonly bytes: Buffer;
  private readonly slots: Int32Array;
  /** Hashes and kinds of the tokens the last `run` emitted. */
  readonly hashes: Uint32Array;
  readonly kinds: Uint8Array;

  private constructor(memory: WasmMemory, runFn: RunFn, asciiClass: Uint8Array) {
    this.runFn = runFn;
    this.bytes = Buffer.from(memory.buffer);
    this.slots = new Int32Array(memory.buffer, 0, 64);
    this.hashes = new Uint32Array(memory.buffer, OUT, KERNEL_TOKEN_CAPACITY);
    this.kinds = new Uint8Array(memory.buffer, KINDS, KERNEL_TOKEN_CAPACITY);
    for (let c = 0; c < 128; c++) this.bytes[CLASS + c] = (asciiClass[c] as number) & 3;
    // Bit 2: the cuts (ASCII whitespace and U+0001).
    for (const c of [1, 9, 10, 11, 12, 13, 32]) this.bytes[CLASS + c] = (this.bytes[CLASS + c] as number) | 4;
  }

  /** A kernel with `asciiClass` (per ASCII code: 1 punctuation, 2 letter or digit), or undefined without WebAssembly. */
  static create(asciiClass: Uint8Array): TriggerTokenKernel | undefined {
    const instance = instantiate();
    if (!instance) return undefined;
    const ex = instance.exports as { memory: WasmMemory; run: RunFn };
    return new TriggerTokenKernel(ex.memory, ex.run, asciiClass);
  }

  /** Copies `text[0, n)` (n <= KERNEL_TEXT_CAPACITY) into the kernel's memory. */
  load(text: string, n: number): void {
    this.bytes.write(text, TEXT, 2 * n, 'utf16le');
  }

  /**
   * Tokenises the loaded text's ASCII runs from `start`: stops at `n` (`RUN_END`), after the run
   * that brings the tokens emitted to `need` (`RUN_ENOUGH`), or before a run with a non-ASCII unit
   * or one whose tokens would not fit (`RUN_NON_ASCII`, `RUN_FULL`: `pos` is that run's start).
   * Tokens land in `hashes`/`kinds` from index 0; `headEnd` is the end of the last run started
   * while fewer than `headLeft` tokens had been emitted (-1 when none).
   */
  run(
    start: number,
    n: number,
    need: number,
    headLeft: number,
  ): { status: number; pos: number; emitted: number; headEnd: number } {
    this.slots[SLOT_HEAD_END >> 2] = -1;
    const status = this.runFn(start, n, need, headLeft);
    return {
      status,
      pos: this.slots[SLOT_POS >> 2] as number,
      emitted: this.slots[SLOT_EMITTED >> 2] as number,
      headEnd: this.slots[SLOT_HEAD_END >> 2] as number,
    };
  }
}
