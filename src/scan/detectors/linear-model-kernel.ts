import { LATIN1_FOLDS } from '../text/normalization.js';
import { isJsWhitespace } from '../text/whitespace.js';
import { featureScale, type LinearTextModel, sigmoid, type TextRole } from './linear-text-model.js';
import {
  lazyWasmModule,
  memarg,
  name,
  section,
  uleb,
  WASM_HEADER,
  type WasmInstance,
  type WasmMemory,
} from './wasm-encoding.js';
import {
  add,
  BLOCK,
  BR,
  BR_IF,
  CALL,
  c32,
  ELSE,
  END,
  F32_LOAD,
  F64,
  F64_ADD,
  F64_CONVERT_I32_S,
  F64_GE,
  F64_MUL,
  F64_PROMOTE_F32,
  F64_STORE,
  f64const,
  GLOBAL_GET,
  GLOBAL_SET,
  get,
  I8X16_BITMASK,
  I8X16_EQ,
  I8X16_LT_S,
  I8X16_LT_U,
  I8X16_SUB,
  I32,
  I32_ADD,
  I32_AND,
  I32_CONST,
  I32_CTZ,
  I32_EQ,
  I32_EQZ,
  I32_GE_S,
  I32_GE_U,
  I32_GT_S,
  I32_LE_S,
  I32_LOAD,
  I32_LOAD8_U,
  I32_LOAD16_U,
  I32_LT_S,
  I32_LT_U,
  I32_MUL,
  I32_NE,
  I32_OR,
  I32_POPCNT,
  I32_SHL,
  I32_SHR_S,
  I32_SHR_U,
  I32_STORE,
  I32_SUB,
  I32_XOR,
  IF,
  ifThen,
  inc,
  LOCAL_TEE,
  LOOP,
  RETURN,
  SELECT,
  set,
  tee,
  V128_AND,
  V128_CONST,
  V128_LOAD,
  V128_OR,
  whileDo,
} from './wasm-instructions.js';

/**
 * The scoring loop of `scoreFoldedRange` as a WebAssembly kernel. Scoring
 * every prose segment of every field (character 4-grams and word 1-2-grams
 * hashed into the weight table) was the largest cost of the prompt-injection
 * detector; compiled, the same loop runs several times faster in JavaScript's
 * place. The field's folded text is copied into the kernel's memory once
 * (UTF-16) and its segments are scored in place. The sum is accumulated in
 * the same order with the same float32 weights widened to float64, so scores
 * are bit-identical to `scoreFoldedRange` (checked in the tests); without
 * WebAssembly callers keep the JavaScript loop.
 *
 * The module is assembled here from its instruction list (no build step, no
 * binary blob), like `minhash-kernel.ts`.
 */

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * Memory layout: feature count at 0, code-unit classes at 16, then two tables for text of code
 * units below 256 held one byte per character (`FOLD8`: 256 folded characters with their classes; `SEG8`:
 * 256 bytes of segmentation classes), the weights at `WEIGHTS` (`weightTable`), the segment
 * records of `segments`, then the text.
 */
const CLASSES = 16;
const FOLD8 = CLASSES + 65536;
const SEG8 = FOLD8 + 512;
/**
 * The model's weights (`weightTable`), held sparse. The dense table of `2^bits` float32 weights
 * is 1 MB at 18 bits, but the shipped models set only 8-24% of its slots, and each feature is a
 * random slot. The scan's other detectors evict a 1 MB table between fields, and the kernel's
 * cost in the scan was those misses, not its arithmetic (several times its cost with the table
 * in cache). A smaller table keeps more of its often-read lines cached between fields, so the
 * weights are held in three parts, 200 KB for the injection model:
 *
 * - `PALETTE`: the model's distinct weights (the trainer rounds them to 0.001: 3,713 for the
 *   injection model, 15 KB), +0.0 first; a kernel holds at most `MAX_PALETTE`.
 * - `DIRECTORY`: one 8-byte entry per 32 slots, the number of set slots before them (i32) and
 *   their presence bits (bit `k` for slot `32w + k`). Count and bits of a slot sit side by side,
 *   8-byte aligned, so in one cache line (separate bitmap and count arrays would be two lines).
 *   64 KB at 18 bits.
 * - then the compact table: the palette index (u16) of each set slot in slot order from 1,
 *   0 (+0.0) at 0. 124 KB for the injection model.
 *
 * A lookup shifts its word's bits so that its own bit is the sign bit: rank = count before +
 * popcount (its own bit included) when that bit is set, else 0; weight =
 * `palette[compact[rank]]`. Branch-free, the feature counted set or not. A slot is set when its
 * float32 is other than +0.0 bit for bit (-0.0 and NaN are weights of the palette like any
 * other; -0.0 could not show anyway, `z` starts at +0.0 and x + -0.0 is x), so every slot reads
 * exactly the dense table's float32, `z` sums the same doubles in the same order, and scores are
 * bit-identical to `scoreFoldedRange`. A lookup is a few more instructions and one more
 * (cached) load than the dense one: some 15% slower with everything in cache, but the kernel
 * took about a fifth less time inside the scan with all detectors.
 */
const WEIGHTS = SEG8 + 256;
/** Most distinct weights a kernel holds (a palette index is 16 bits); a model with more gets no kernel. */
const MAX_PALETTE = 65536;
const PALETTE = WEIGHTS;
const DIRECTORY = PALETTE + 4 * MAX_PALETTE;
/** Most segments one field is cut into (`scorableBounds`' default `maxSegments`), each record 24 bytes. */
const MAX_SEGMENTS = 400;
/** Longest segment (`scorableBounds`' default `maxLength`). */
const MAX_SEGMENT_LENGTH = 400;
const RECORD = 24;

/**
 * Body of `score(text, start, end, salt, mask) -> z`, storing the feature count at address 0.
 * Params: 0 text (byte address of code unit 0), 1 start, 2 end, 3 salt, 4 mask. Locals (i32):
 * 5 p, 6 endP, 7 raw, 8 cls, 9 space, 10 prevSpace, 11 c0, 12 c1, 13 c2, 14 c, 15 h, 16 hw,
 * 17 inWord, 18 prevWord, 19 count, 20 slot, 21 its directory entry, 22 its word's bits shifted,
 * 23 the compact weights' address; (f64) 24 z.
 */
function scoreBody(width: 1 | 2): number[] {
  const [P, END_P, RAW, CLS, SPACE, PREV_SPACE, C0, C1, C2, C, _H, HW, IN_WORD, PREV_WORD, COUNT] = [
    5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
  ] as const;
  const [IX, ENTRY, T, COMPACT, Z] = [20, 21, 22, 23, 24] as const;
  // z += weights[index on the stack & mask], read as `WEIGHTS` describes: the slot's directory
  // entry, its word's bits shifted so that its own bit is the sign bit, rank = count before +
  // popcount when that bit is set (else 0), then palette[compact[rank]].
  const addWeight = [
    ...get(4),
    I32_AND,
    ...tee(IX),
    ...c32(2),
    I32_SHR_U,
    ...c32(-8),
    I32_AND,
    ...tee(ENTRY),
    I32_LOAD,
    ...memarg(2, DIRECTORY + 4),
    ...get(IX),
    ...c32(-1),
    I32_XOR,
    I32_SHL,
    ...tee(T),
    I32_POPCNT,
    ...get(ENTRY),
    I32_LOAD,
    ...memarg(2, DIRECTORY),
    I32_ADD,
    ...get(T),
    ...c32(31),
    I32_SHR_S,
    I32_AND,
    ...c32(1),
    I32_SHL,
    ...get(COMPACT),
    I32_ADD,
    I32_LOAD16_U,
    ...memarg(1, 0),
    ...c32(2),
    I32_SHL,
    F32_LOAD,
    ...memarg(2, PALETTE),
    F64_PROMOTE_F32,
    ...get(Z),
    F64_ADD,
    ...set(Z),
  ];
  const countUp = [...get(COUNT), ...c32(1), I32_ADD, ...set(COUNT)];
  // A word ends: its unigram, and the bigram with the word before.
  const flush = [
    ...get(HW),
    ...get(3),
    I32_XOR,
    ...c32(FNV_PRIME),
    I32_MUL,
    ...addWeight,
    ...countUp,
    ...get(PREV_WORD),
    IF,
    0x40,
    ...get(PREV_WORD),
    ...get(HW),
    ...c32(3),
    I32_SHR_U,
    I32_XOR,
    ...c32(FNV_PRIME),
    I32_MUL,
    ...get(3),
    I32_XOR,
    ...addWeight,
    ...countUp,
    END,
    ...get(HW),
    ...c32(1),
    I32_OR,
    ...set(PREV_WORD),
    ...c32(FNV_OFFSET),
    ...set(HW),
    ...c32(0),
    ...set(IN_WORD),
  ];
  const mulPrime = [...c32(FNV_PRIME), I32_MUL];
  const shift = width === 2 ? [...c32(1), I32_SHL] : [];
  // The folded code unit at p: UTF-16 text as it is; bytes folded through `FOLD8`.
  const load =
    width === 2
      ? [...get(P), I32_LOAD16_U, ...memarg(1, 0)]
      : [...get(P), I32_LOAD8_U, ...memarg(0, 0), ...c32(1), I32_SHL, I32_LOAD16_U, ...memarg(1, FOLD8)];
  const code: number[] = [
    // The compact table follows the directory (8 bytes per 32 slots).
    ...get(4),
    ...c32(1),
    I32_ADD,
    ...c32(2),
    I32_SHR_U,
    ...c32(DIRECTORY),
    I32_ADD,
    ...set(COMPACT),
    // p = text + width * start; endP = text + width * end
    ...get(0),
    ...get(1),
    ...shift,
    I32_ADD,
    ...set(P),
    ...get(0),
    ...get(2),
    ...shift,
    I32_ADD,
    ...set(END_P),
    ...c32(32),
    ...set(C0),
    ...c32(32),
    ...set(C1),
    ...c32(32),
    ...set(C2),
    ...c32(1),
    ...set(PREV_SPACE),
    ...c32(FNV_OFFSET),
    ...set(HW),
    BLOCK,
    0x40,
    ...get(P),
    ...get(END_P),
    I32_GE_U,
    BR_IF,
    0,
    LOOP,
    0x40,
    ...(width === 2
      ? [...load, ...set(RAW), ...get(RAW), I32_LOAD8_U, ...memarg(0, CLASSES), ...set(CLS)]
      : // One load gives a byte's folded character and its class (`FOLD8` packs them).
        [
          ...load,
          ...set(CLS),
          ...get(CLS),
          ...c32(0xfff),
          I32_AND,
          ...set(RAW),
          ...get(CLS),
          ...c32(12),
          I32_SHR_U,
          ...set(CLS),
        ]),
    ...get(CLS),
    ...c32(1),
    I32_EQ,
    ...set(SPACE),
    // A character 4-gram unless this is a second whitespace in a row.
    ...get(SPACE),
    ...get(PREV_SPACE),
    I32_AND,
    0x45, // i32.eqz
    IF,
    0x40,
    ...c32(32),
    ...get(RAW),
    ...get(SPACE),
    SELECT,
    ...set(C),
    ...c32(FNV_OFFSET),
    ...get(C0),
    I32_XOR,
    ...mulPrime,
    ...get(C1),
    I32_XOR,
    ...mulPrime,
    ...get(C2),
    I32_XOR,
    ...mulPrime,
    ...get(C),
    I32_XOR,
    ...mulPrime,
    ...addWeight,
    ...countUp,
    ...get(C1),
    ...set(C0),
    ...get(C2),
    ...set(C1),
    ...get(C),
    ...set(C2),
    END,
    ...get(SPACE),
    ...set(PREV_SPACE),
    // Words.
    ...get(CLS),
    ...c32(2),
    I32_EQ,
    IF,
    0x40,
    ...get(HW),
    ...get(RAW),
    I32_XOR,
    ...mulPrime,
    ...set(HW),
    ...c32(1),
    ...set(IN_WORD),
    ELSE,
    ...get(IN_WORD),
    IF,
    0x40,
    ...flush,
    END,
    END,
    ...get(P),
    ...c32(width),
    I32_ADD,
    ...set(P),
    ...get(P),
    ...get(END_P),
    I32_LT_U,
    BR_IF,
    0,
    END,
    END,
    ...get(IN_WORD),
    IF,
    0x40,
    ...flush,
    END,
    ...c32(0),
    ...get(COUNT),
    I32_STORE,
    ...memarg(2, 0),
    ...get(Z),
    END,
  ];
  const fn = [2, 19, I32, 1, F64, ...code];
  return [...uleb(fn.length), ...fn];
}

/** Segmentation classes of the characters below 256 (`SEG8`), bits of one byte. */
const WS = 1; // JavaScript whitespace (`\s`)
const PROSE = 2; // a letter or the space (`proseLike`)
const SENT = 4; // '.', '!', '?'
const LINE = 8; // `[A-Z\d#>*`-]`: after a line break, a boundary
const LOWER = 16; // a-z
const PIPE = 32; // `[A-Z_ ]`
const START = 64; // a character `boundaries` stops at: a sentence end, '\n', '|' or a capital

/**
 * As `boundaries`, `segmentBounds` and `proseLike` class them: above ASCII, U+00A0 is whitespace,
 * capitals (`\p{Lu}`) start a line, every character is prose, none ends a sentence or a word run.
 */
function segmentClasses(): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    const upper = c >= 65 && c <= 90;
    const lower = c >= 97 && c <= 122;
    let v = 0;
    if (isJsWhitespace(c)) v |= WS;
    if (c === 32 || upper || lower || c >= 128) v |= PROSE;
    if (c === 46 || c === 33 || c === 63) v |= SENT;
    if (upper || (c >= 48 && c <= 57) || c === 35 || c === 62 || c === 42 || c === 96 || c === 45) v |= LINE;
    if (c >= 128 && /\p{Lu}/u.test(String.fromCharCode(c))) v |= LINE;
    if (lower) v |= LOWER;
    if (upper || c === 95 || c === 32) v |= PIPE;
    if ((v & SENT) !== 0 || c === 10 || c === 124 || upper) v |= START;
    t[c] = v;
  }
  return t;
}

// Globals of `segments` and `emit`: the text's address, the role salt, the weight mask, the next
// record's address, segments cut so far, and the two limits.
const G_TEXT = 0;
const G_SALT = 1;
const G_MASK = 2;
const G_OUT = 3;
const G_EMITTED = 4;
const G_MAX_SEGMENTS = 5;
const G_MAX_LENGTH = 6;
const GLOBALS = 7;

// Function indices.
const F_SCORE8 = 1;
const F_EMIT = 2;

const gget = (i: number) => [GLOBAL_GET, ...uleb(i)];
const gset = (i: number) => [GLOBAL_SET, ...uleb(i)];
/** The byte of the text at index `idx` (an expression). */
const byteAt = (idx: number[]) => [...gget(G_TEXT), ...idx, I32_ADD, I32_LOAD8_U, ...memarg(0, 0)];
/** 1 when the character at `idx` has class bit `bit`, else 0. */
const has = (idx: number[], bit: number) => [
  ...byteAt(idx),
  I32_LOAD8_U,
  ...memarg(0, SEG8),
  ...c32(bit),
  I32_AND,
  ...c32(0),
  I32_NE,
];

/**
 * `emit(s, e) -> capped`: the windows of `segmentBounds`' `emit` over `text[s, e)` (at most
 * `maxLength` characters, trimmed, pieces under two characters dropped, at most `maxSegments`
 * in all), each kept when `scorableBounds` keeps it (ASCII: 12 or more characters, three words)
 * and it is prose (`proseLike`); a kept window is scored and written as a record: start, end
 * (i32), z (f64), feature count (i32). Returns 1 once `maxSegments` windows were cut.
 */
function emitBody(): number[] {
  const [S, E, A, B, X, Y, WORDS, I, PROSE_N, Z] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
  const capped = [...gget(G_EMITTED), ...gget(G_MAX_SEGMENTS), I32_GE_S];
  const record = [
    ...gget(G_OUT),
    ...get(X),
    I32_STORE,
    ...memarg(2, 0),
    ...gget(G_OUT),
    ...get(Y),
    I32_STORE,
    ...memarg(2, 4),
    ...gget(G_OUT),
    ...get(Z),
    F64_STORE,
    ...memarg(3, 8),
    ...gget(G_OUT),
    ...c32(0),
    I32_LOAD,
    ...memarg(2, 0),
    I32_STORE,
    ...memarg(2, 16),
    ...gget(G_OUT),
    ...c32(RECORD),
    I32_ADD,
    ...gset(G_OUT),
  ];
  const score = [
    ...gget(G_TEXT),
    ...get(X),
    ...get(Y),
    ...gget(G_SALT),
    ...gget(G_MASK),
    CALL,
    ...uleb(F_SCORE8),
    ...set(Z),
    ...record,
  ];
  const prose = [
    ...c32(0),
    ...set(PROSE_N),
    ...get(X),
    ...set(I),
    // Sixteen characters at a time; the last block's lanes past the segment masked off.
    ...whileDo(
      [...get(I), ...c32(16), I32_ADD, ...get(Y), I32_LE_S],
      [
        ...get(PROSE_N),
        ...proseBits(get(I)),
        I32_POPCNT,
        I32_ADD,
        ...set(PROSE_N),
        ...get(I),
        ...c32(16),
        I32_ADD,
        ...set(I),
      ],
    ),
    ...get(PROSE_N),
    ...proseBits(get(I)),
    ...c32(1),
    ...get(Y),
    ...get(I),
    I32_SUB,
    I32_SHL,
    ...c32(1),
    I32_SUB,
    I32_AND,
    I32_POPCNT,
    I32_ADD,
    ...set(PROSE_N),
    // prose >= 0.6 * (end - start), in doubles as `proseLike` compares
    ...get(PROSE_N),
    F64_CONVERT_I32_S,
    ...f64const(0.6),
    ...get(Y),
    ...get(X),
    I32_SUB,
    F64_CONVERT_I32_S,
    F64_MUL,
    F64_GE,
  ];
  const words = [
    ...c32(1),
    ...set(WORDS),
    ...get(X),
    ...set(I),
    ...whileDo(
      [...get(I), ...get(Y), I32_LT_S, ...get(WORDS), ...c32(3), I32_LT_S, I32_AND],
      [...ifThen([...byteAt(get(I)), ...c32(32), I32_EQ], inc(WORDS)), ...inc(I)],
    ),
  ];
  const window = [
    // b = min(e, a + maxLength)
    ...get(E),
    ...add(get(A), gget(G_MAX_LENGTH)),
    ...get(A),
    ...gget(G_MAX_LENGTH),
    I32_ADD,
    ...get(E),
    I32_GT_S,
    SELECT,
    ...set(B),
    ...get(A),
    ...set(X),
    ...whileDo([...get(X), ...get(B), I32_LT_S, ...has(get(X), WS), I32_AND], inc(X)),
    ...get(B),
    ...set(Y),
    ...whileDo(
      [...get(Y), ...get(X), I32_GT_S, ...has([...get(Y), ...c32(1), I32_SUB], WS), I32_AND],
      [...get(Y), ...c32(1), I32_SUB, ...set(Y)],
    ),
    ...ifThen(
      [...get(Y), ...get(X), I32_SUB, ...c32(2), I32_GE_S],
      [
        ...gget(G_EMITTED),
        ...c32(1),
        I32_ADD,
        ...gset(G_EMITTED),
        ...ifThen(
          [...get(Y), ...get(X), I32_SUB, ...c32(12), I32_GE_S],
          [...words, ...ifThen([...get(WORDS), ...c32(3), I32_GE_S], ifThen(prose, score))],
        ),
      ],
    ),
    ...get(A),
    ...gget(G_MAX_LENGTH),
    I32_ADD,
    ...set(A),
  ];
  const code = [
    ...get(S),
    ...set(A),
    ...whileDo([...get(A), ...get(E), I32_LT_S, ...capped, I32_EQZ, I32_AND], window),
    ...capped,
    END,
  ];
  const fn = [2, 7, I32, 1, F64, ...code];
  return [...uleb(fn.length), ...fn];
}

/**
 * `segments(text, n, salt, mask, out, maxSegments, maxLength) -> bytes written`: the scored
 * prose segments of an ASCII text held one byte per character (two zero bytes after it), as
 * `scorableBounds(text, true)` cuts them and `proseLike` keeps them, with the sentence ends of
 * `boundaries` found in the same pass (see there for the rules) and each segment handed to
 * `emit` as soon as its end is known. Stops where `segmentBounds` stops, at `maxSegments`.
 */
function segmentsBody(): number[] {
  const [TEXT, N, SALT, MASK, OUT, MAX_SEG, MAX_LEN] = [0, 1, 2, 3, 4, 5, 6] as const;
  const [I, C, CLS, J, START_AT, GLUE_FROM, BLANK, RUN, D, BITS] = [
    7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  ] as const;
  const written = [...gget(G_OUT), ...get(OUT), I32_SUB];
  /** A segment end at `end`: cut the segment before it, unless it is empty; stop at the cap. */
  const boundary = (end: number[]) =>
    ifThen(
      [...end, ...get(START_AT), I32_GT_S],
      [
        ...ifThen([...get(START_AT), ...end, CALL, ...uleb(F_EMIT)], [...written, RETURN]),
        ...end,
        ...set(START_AT),
      ],
    );
  const lt = (a: number[], b: number[]) => [...a, ...b, I32_LT_S];
  const sentence = [
    ...add(get(I), c32(1)),
    ...set(J),
    ...whileDo([...lt(get(J), get(N)), ...has(get(J), SENT), I32_AND], inc(J)),
    ...ifThen([...get(J), ...get(N), I32_EQ, ...has(get(J), WS), I32_OR], boundary(get(J))),
    ...get(J),
    ...set(I),
  ];
  const lineBreak = [
    ...add(get(I), c32(1)),
    ...set(J),
    ...c32(0),
    ...set(BLANK),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...get(J),
    ...get(N),
    I32_GE_S,
    BR_IF,
    1,
    ...byteAt(get(J)),
    ...set(D),
    ...get(D),
    I32_LOAD8_U,
    ...memarg(0, SEG8),
    ...c32(WS),
    I32_AND,
    I32_EQZ,
    BR_IF,
    1,
    ...ifThen([...get(D), ...c32(10), I32_EQ], [...c32(1), ...set(BLANK)]),
    ...inc(J),
    BR,
    0,
    END,
    END,
    ...ifThen(
      get(BLANK),
      boundary(get(J)),
      ifThen([...lt(get(J), get(N)), ...has(get(J), LINE), I32_AND], boundary(add(get(I), c32(1)))),
    ),
    ...get(J),
    ...set(I),
  ];
  const withinRun = [...get(J), ...get(I), I32_SUB, ...c32(21), I32_LE_S];
  const pipe = [
    ...add(get(I), c32(1)),
    ...set(J),
    ...whileDo([...lt(get(J), get(N)), ...withinRun, I32_AND, ...has(get(J), PIPE), I32_AND], inc(J)),
    ...get(J),
    ...get(I),
    I32_SUB,
    ...c32(1),
    I32_SUB,
    ...set(RUN),
    ...ifThen(
      [
        ...get(RUN),
        ...c32(3),
        I32_GE_S,
        ...get(RUN),
        ...c32(20),
        I32_LE_S,
        I32_AND,
        ...byteAt(get(J)),
        ...c32(58),
        I32_EQ,
        I32_AND,
      ],
      boundary(add(get(I), c32(1))),
    ),
    ...inc(I),
  ];
  const capital = [
    ...ifThen(
      [
        ...get(I),
        ...c32(2),
        I32_GE_S,
        ...get(I),
        ...c32(2),
        I32_SUB,
        ...get(GLUE_FROM),
        I32_GE_S,
        I32_AND,
        ...has([...get(I), ...c32(1), I32_SUB], LOWER),
        I32_AND,
        ...has([...get(I), ...c32(2), I32_SUB], LOWER),
        I32_AND,
      ],
      [
        ...add(get(I), c32(1)),
        ...set(J),
        ...whileDo([...lt(get(J), get(N)), ...withinRun, I32_AND, ...has(get(J), LOWER), I32_AND], inc(J)),
        ...get(J),
        ...get(I),
        I32_SUB,
        ...c32(1),
        I32_SUB,
        ...set(RUN),
        ...ifThen(
          [
            ...get(RUN),
            ...c32(1),
            I32_GE_S,
            ...get(RUN),
            ...c32(20),
            I32_LE_S,
            I32_AND,
            ...byteAt(get(J)),
            ...c32(32),
            I32_EQ,
            I32_AND,
            ...has(add(get(J), c32(1)), LOWER),
            I32_AND,
          ],
          [...boundary(get(I)), ...add(get(J), c32(2)), ...set(GLUE_FROM)],
        ),
      ],
    ),
    ...inc(I),
  ];
  const code = [
    ...get(TEXT),
    ...gset(G_TEXT),
    ...get(SALT),
    ...gset(G_SALT),
    ...get(MASK),
    ...gset(G_MASK),
    ...get(OUT),
    ...gset(G_OUT),
    ...c32(0),
    ...gset(G_EMITTED),
    ...get(MAX_SEG),
    ...gset(G_MAX_SEGMENTS),
    ...get(MAX_LEN),
    ...gset(G_MAX_LENGTH),
    ...c32(0),
    ...set(I),
    ...c32(0),
    ...set(START_AT),
    ...c32(0),
    ...set(GLUE_FROM),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...get(I),
    ...get(N),
    I32_GE_S,
    BR_IF,
    1,
    // Sixteen characters at a time to the next one that can matter: a sentence end, '\n', '|',
    // or a capital after two lower-case letters (another capital is never a glue point).
    ...candidates(get(I)),
    LOCAL_TEE,
    ...uleb(BITS),
    I32_EQZ,
    IF,
    0x40,
    ...get(I),
    ...c32(16),
    I32_ADD,
    ...set(I),
    BR,
    1,
    END,
    ...get(I),
    ...get(BITS),
    I32_CTZ,
    I32_ADD,
    LOCAL_TEE,
    ...uleb(I),
    ...get(N),
    I32_GE_S,
    BR_IF,
    1,
    ...byteAt(get(I)),
    ...set(C),
    ...get(C),
    I32_LOAD8_U,
    ...memarg(0, SEG8),
    ...set(CLS),
    ...ifThen([...get(CLS), ...c32(START), I32_AND, I32_EQZ], [...inc(I), BR, 1]),
    ...ifThen(
      [...get(CLS), ...c32(SENT), I32_AND],
      sentence,
      ifThen(
        [...get(C), ...c32(10), I32_EQ],
        lineBreak,
        ifThen([...get(C), ...c32(124), I32_EQ], pipe, capital),
      ),
    ),
    BR,
    0,
    END,
    END,
    ...get(START_AT),
    ...get(N),
    CALL,
    ...uleb(F_EMIT),
    0x1a, // drop
    ...written,
    END,
  ];
  const fn = [1, 10, I32, ...code];
  return [...uleb(fn.length), ...fn];
}

const splat = (b: number) => [...V128_CONST, ...new Array<number>(16).fill(b)];
/** The 16 bytes of the text from index `at - back` (an unaligned load). */
const bytes16 = (at: number[], back: number) => [
  ...gget(G_TEXT),
  ...at,
  I32_ADD,
  ...c32(back),
  I32_SUB,
  ...V128_LOAD,
  ...memarg(0, 0),
];
/** Lanes of `v` in `[lo, lo + span)` (unsigned). */
const inRange = (v: number[], lo: number, span: number) => [
  ...v,
  ...splat(lo),
  ...I8X16_SUB,
  ...splat(span),
  ...I8X16_LT_U,
];
/**
 * Bit k set when character `at + k` may start something `boundaries` acts on: '.', '!', '?',
 * '\n', '|', or 'A'-'Z' after two of 'a'-'z' (a superset of the characters it does not skip;
 * bits past the text's end are ignored by the caller, the bytes before its start are never a
 * glue point's letters since that needs `i >= 2`).
 */
function candidates(at: number[]): number[] {
  const b = bytes16(at, 0);
  const eq = (ch: number) => [...b, ...splat(ch), ...I8X16_EQ];
  return [
    ...eq(46),
    ...eq(33),
    ...V128_OR,
    ...eq(63),
    ...V128_OR,
    ...eq(10),
    ...V128_OR,
    ...eq(124),
    ...V128_OR,
    ...inRange(b, 65, 26),
    ...inRange(bytes16(at, 1), 97, 26),
    ...V128_AND,
    ...inRange(bytes16(at, 2), 97, 26),
    ...V128_AND,
    ...V128_OR,
    ...I8X16_BITMASK,
  ];
}

/** Bit k set when character `at + k` is prose for `proseLike`: a space, an ASCII letter, or above ASCII. */
function proseBits(at: number[]): number[] {
  const b = bytes16(at, 0);
  return [
    ...b,
    ...splat(32),
    ...I8X16_EQ,
    ...b,
    ...splat(32),
    ...V128_OR,
    ...splat(97),
    ...I8X16_SUB,
    ...splat(26),
    ...I8X16_LT_U,
    ...V128_OR,
    ...b,
    ...splat(0),
    ...I8X16_LT_S,
    ...V128_OR,
    ...I8X16_BITMASK,
  ];
}

/**
 * `runs(text, n, table, mask)`: `FieldWordCounts`' table of the text's content-word runs (its
 * folded characters through `FOLD8`, which must all be ASCII): each maximal run of `[a-z0-9]` of
 * four or more characters hashed (FNV-1a) into the zeroed table of `mask + 1` slots (hash,
 * count, first start, length; length -1 when runs of different text share the hash).
 */
function runsBody(): number[] {
  const [TEXT, N, TABLE, MASK, I, J, H, LEN, S, AT, SEEN, K, SAME] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ] as const;
  // The folded character and class of the byte at index `idx`.
  const unit = (idx: number[]) => [
    ...get(TEXT),
    ...idx,
    I32_ADD,
    I32_LOAD8_U,
    ...memarg(0, 0),
    ...c32(1),
    I32_SHL,
    I32_LOAD16_U,
    ...memarg(1, FOLD8),
  ];
  const folded = (idx: number[]) => [...unit(idx), ...c32(0xfff), I32_AND];
  const isWord = (idx: number[]) => [...unit(idx), ...c32(12), I32_SHR_U, ...c32(2), I32_EQ];
  const field = (off: number) => [...get(AT), I32_LOAD, ...memarg(2, off)];
  const put = (off: number, v: number[]) => [...get(AT), ...v, I32_STORE, ...memarg(2, off)];
  const sameRun = [
    ...c32(1),
    ...set(SAME),
    ...c32(0),
    ...set(K),
    ...whileDo(
      [...get(K), ...get(LEN), I32_LT_S, ...get(SAME), I32_AND],
      [
        ...ifThen(
          [...folded([...field(8), ...get(K), I32_ADD]), ...folded([...get(I), ...get(K), I32_ADD]), I32_NE],
          [...c32(0), ...set(SAME)],
        ),
        ...inc(K),
      ],
    ),
  ];
  const insert = [
    ...get(H),
    ...get(MASK),
    I32_AND,
    ...set(S),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...get(TABLE),
    ...get(S),
    ...c32(4),
    I32_SHL,
    I32_ADD,
    ...set(AT),
    ...field(12),
    ...set(SEEN),
    ...ifThen(
      [...get(SEEN), I32_EQZ],
      [...put(0, get(H)), ...put(4, c32(1)), ...put(8, get(I)), ...put(12, get(LEN)), BR, 2],
    ),
    ...ifThen(
      [...field(0), ...get(H), I32_EQ],
      [
        ...ifThen([...get(SEEN), ...get(LEN), I32_EQ], sameRun, [...c32(0), ...set(SAME)]),
        ...ifThen(get(SAME), [...put(4, [...field(4), ...c32(1), I32_ADD]), BR, 3]),
        ...put(12, c32(-1)),
        BR,
        2,
      ],
    ),
    ...get(S),
    ...c32(1),
    I32_ADD,
    ...get(MASK),
    I32_AND,
    ...set(S),
    BR,
    0,
    END,
    END,
  ];
  const code = [
    ...c32(0),
    ...set(I),
    ...whileDo(
      [...get(I), ...get(N), I32_LT_S],
      [
        ...ifThen(isWord(get(I)), [
          ...c32(0x811c9dc5 | 0),
          ...set(H),
          ...get(I),
          ...set(J),
          ...whileDo(
            [...get(J), ...get(N), I32_LT_S, ...isWord(get(J)), I32_AND],
            [...get(H), ...folded(get(J)), I32_XOR, ...c32(FNV_PRIME), I32_MUL, ...set(H), ...inc(J)],
          ),
          ...get(J),
          ...get(I),
          I32_SUB,
          ...set(LEN),
          ...ifThen([...get(LEN), ...c32(4), I32_GE_S], insert),
          ...get(J),
          ...set(I),
        ]),
        ...inc(I),
      ],
    ),
    END,
  ];
  const fn = [1, 9, I32, ...code];
  return [...uleb(fn.length), ...fn];
}

function kernelBytes(): Uint8Array {
  const i5f = [0x60, 5, I32, I32, I32, I32, I32, 1, F64];
  const i2i = [0x60, 2, I32, I32, 1, I32];
  const i7i = [0x60, 7, I32, I32, I32, I32, I32, I32, I32, 1, I32];
  const i4 = [0x60, 4, I32, I32, I32, I32, 0];
  const type = [4, ...i5f, ...i2i, ...i7i, ...i4];
  const globals = [GLOBALS];
  for (let g = 0; g < GLOBALS; g++) globals.push(I32, 1, I32_CONST, 0, END);
  const exports = [
    4,
    ...name('memory'),
    0x02,
    0,
    ...name('score'),
    0x00,
    0,
    ...name('segments'),
    0x00,
    3,
    ...name('runs'),
    0x00,
    4,
  ];
  return Uint8Array.from([
    ...WASM_HEADER,
    ...section(1, type),
    ...section(3, [5, 0, 0, 1, 2, 3]),
    ...section(5, [1, 0x00, 1]),
    ...section(6, globals),
    ...section(7, exports),
    ...section(10, [5, ...scoreBody(2), ...scoreBody(1), ...emitBody(), ...segmentsBody(), ...runsBody()]),
  ]);
}

type ScoreFn = (text: number, start: number, end: number, salt: number, mask: number) => number;
type SegmentsFn = (
  text: number,
  n: number,
  salt: number,
  mask: number,
  out: number,
  maxSegments: number,
  maxLength: number,
) => number;

/** Compiled once per thread; undefined without WebAssembly. */
const instantiate = lazyWasmModule(kernelBytes);

/** The parts of `WEIGHTS` (see there), as i32 words; float32 weights by their bits. */
interface WeightTable {
  palette: Int32Array;
  directory: Int32Array;
  compact: Uint16Array;
}

/**
 * The palette, directory and compact weights of `WEIGHTS` for a dense table of a power of two
 * (at least 32) float32 weights, or undefined if it holds more distinct weights than
 * `MAX_PALETTE` (weights are compared by their bits, so -0.0 and NaN payloads survive).
 */
function weightTable(weights: Float32Array): WeightTable | undefined {
  const n = weights.length;
  if (n < 32 || (n & (n - 1)) !== 0)
    throw new Error('a weight table of other than a power of two (>= 32) slots');
  const bits = new Int32Array(weights.buffer, weights.byteOffset, n);
  const codes = new Map<number, number>([[0, 0]]);
  const palette: number[] = [0];
  let set = 0;
  for (let i = 0; i < n; i++) {
    const v = bits[i] as number;
    if (v === 0) continue;
    set++;
    if (!codes.has(v)) {
      codes.set(v, palette.length);
      palette.push(v);
    }
  }
  if (palette.length > MAX_PALETTE) return undefined;
  const words = n >>> 5;
  const directory = new Int32Array(2 * words);
  const compact = new Uint16Array(1 + set);
  let rank = 0;
  for (let w = 0; w < words; w++) {
    directory[2 * w] = rank;
    let present = 0;
    for (let k = 0; k < 32; k++) {
      const v = bits[32 * w + k] as number;
      if (v !== 0) {
        present |= 1 << k;
        compact[++rank] = codes.get(v) as number;
      }
    }
    directory[2 * w + 1] = present;
  }
  return { palette: Int32Array.from(palette), directory, compact };
}

/** Code-unit classes of the featuriser: 1 whitespace the 4-grams collapse, 2 word character. */
function classTable(isWordChar: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++)
    t[c] = c === 32 || c === 9 || c === 10 || c === 13 ? 1 : isWordChar(c) ? 2 : 0;
  return t;
}

/**
 * `foldText` of each code unit below 256 (`LATIN1_FOLDS`; those folding to other than one unit
 * never reach the kernel) in the low 12 bits, the featuriser's class of that character above.
 */
function foldTable(classes: Uint8Array): Uint16Array {
  return Uint16Array.from(LATIN1_FOLDS, (f, c) => {
    const folded = f >= 0 ? f : c;
    if (folded >= 0x1000) throw new Error('a Latin-1 fold outside 12 bits');
    return folded | ((classes[folded] as number) << 12);
  });
}

const ROLE_SALT: Readonly<Record<TextRole, number>> = { R: 0x9e3779b1 | 0, D: 0x85ebca77 | 0 };

/**
 * The scorable prose segments of a field and their probabilities: segment `k` is
 * `[bounds[2k], bounds[2k + 1])`, scored `scores[k]`. Reused by the next call.
 */
export interface SegmentScores {
  count: number;
  bounds: Int32Array;
  scores: Float64Array;
  /**
   * The table `FieldWordCounts` would build for `foldText(text)` (which must be ASCII), built in
   * the kernel from its copy of `text`; undefined unless the kernel still holds `text`.
   */
  runTable(text: string): RunTable | undefined;
}

/** A hashed table of content-word runs (see `FieldWordCounts`): 4 words per slot, `mask + 1` slots. */
export interface RunTable {
  table: Int32Array;
  mask: number;
}

type RunsFn = (text: number, n: number, table: number, mask: number) => void;

/** One model's weights in a kernel instance; scores folded text in place (one field at a time). */
export class LinearModelKernel {
  private readonly model: LinearTextModel;
  private readonly memory: WasmMemory;
  private readonly scoreFn: ScoreFn;
  private readonly segmentsFn: SegmentsFn;
  private readonly runsFn: RunsFn;
  /** The text `scoreLatin1Segments` last copied, while the kernel still holds it. */
  private held: string | undefined;
  private readonly outAt: number;
  private readonly textAt: number;
  private bytes!: Buffer;
  private counts!: Int32Array;
  private records!: Int32Array;
  private recordZ!: Float64Array;
  private lastText: string | undefined;
  private readonly result: SegmentScores = {
    count: 0,
    bounds: new Int32Array(2 * MAX_SEGMENTS),
    scores: new Float64Array(MAX_SEGMENTS),
    runTable: (text) => this.heldRunTable(text),
  };

  private constructor(
    model: LinearTextModel,
    instance: WasmInstance,
    table: WeightTable,
    isWordChar: (c: number) => boolean,
  ) {
    const ex = instance.exports as { memory: WasmMemory; score: ScoreFn; segments: SegmentsFn; runs: RunsFn };
    this.model = model;
    this.memory = ex.memory;
    this.scoreFn = ex.score;
    this.segmentsFn = ex.segments;
    this.runsFn = ex.runs;
    this.outAt = (DIRECTORY + table.directory.byteLength + table.compact.byteLength + 15) & ~15;
    this.textAt = (this.outAt + RECORD * MAX_SEGMENTS + 15) & ~15;
    this.memory.grow(Math.ceil((this.textAt + 65536 * 4) / 65536));
    this.views();
    const classes = classTable(isWordChar);
    new Uint8Array(this.memory.buffer, CLASSES, 65536).set(classes);
    new Uint16Array(this.memory.buffer, FOLD8, 256).set(foldTable(classes));
    new Uint8Array(this.memory.buffer, SEG8, 256).set(segmentClasses());
    new Int32Array(this.memory.buffer, PALETTE, table.palette.length).set(table.palette);
    new Int32Array(this.memory.buffer, DIRECTORY, table.directory.length).set(table.directory);
    new Uint16Array(this.memory.buffer, DIRECTORY + table.directory.byteLength, table.compact.length).set(
      table.compact,
    );
  }

  /**
   * A kernel for `model`, or undefined when WebAssembly is unavailable or the model has more
   * distinct weights than the kernel holds (`MAX_PALETTE`).
   */
  static create(model: LinearTextModel, isWordChar: (c: number) => boolean): LinearModelKernel | undefined {
    if (model.weights.length !== 2 ** model.bits) throw new Error(`model ${model.name}: not 2^bits weights`);
    const instance = instantiate();
    const table = instance && weightTable(model.weights);
    return instance && table ? new LinearModelKernel(model, instance, table, isWordChar) : undefined;
  }

  /** Grows the memory to hold `bytes` of text (views are renewed: reading `memory.buffer` is a slow accessor). */
  private reserve(bytes: number): void {
    const need = this.textAt + bytes;
    if (need > this.bytes.length) {
      this.memory.grow(Math.ceil((need - this.bytes.length) / 65536));
      this.views();
    }
  }

  private views(): void {
    const buffer = this.memory.buffer;
    this.bytes = Buffer.from(buffer);
    this.counts = new Int32Array(buffer, 0, 1);
    this.records = new Int32Array(buffer, this.outAt, (RECORD / 4) * MAX_SEGMENTS);
    this.recordZ = new Float64Array(buffer, this.outAt, (RECORD / 8) * MAX_SEGMENTS);
  }

  private probability(z: number, count: number): number {
    if (count === 0) return sigmoid(this.model.bias);
    return sigmoid(this.model.bias + z * featureScale(count));
  }

  /** `scoreFoldedRange(model, folded, start, end, role)`, bit for bit. */
  score(folded: string, start: number, end: number, role: TextRole): number {
    if (folded !== this.lastText) {
      this.reserve(2 * folded.length);
      this.bytes.write(folded, this.textAt, 2 * folded.length, 'utf16le');
      this.lastText = folded;
      this.held = undefined;
    }
    const z = this.scoreFn(this.textAt, start, end, ROLE_SALT[role], (1 << this.model.bits) - 1);
    return this.probability(z, this.counts[0] as number);
  }

  /**
   * The segments of `text` that `scorableBounds` cuts (default limits) and that read as prose
   * (`proseLike`: at least 60% letters, spaces and non-ASCII), each with
   * `scoreFoldedRange(model, foldText(text), start, end, role)`, bit for bit; `text` must fold
   * character by character (`foldsByCharacter`: ASCII, and nearly all Latin-1). One call copies
   * the field (a byte per character) and cuts, tests and scores its segments in the kernel:
   * splitting the text by hand in JavaScript cost as much as scoring it.
   */
  scoreLatin1Segments(text: string, role: TextRole): SegmentScores {
    const n = text.length;
    // The text, two zero bytes, and room for the 16-byte loads that run past its end.
    this.reserve(n + 18);
    this.bytes.write(text, this.textAt, n, 'latin1');
    // Two zero bytes after the text: look-aheads past its end read characters of no class.
    this.bytes[this.textAt + n] = 0;
    this.bytes[this.textAt + n + 1] = 0;
    this.lastText = undefined;
    this.held = text;
    const written = this.segmentsFn(
      this.textAt,
      n,
      ROLE_SALT[role],
      (1 << this.model.bits) - 1,
      this.outAt,
      MAX_SEGMENTS,
      MAX_SEGMENT_LENGTH,
    );
    const count = written / RECORD;
    const words = this.records;
    const doubles = this.recordZ;
    const r = this.result;
    for (let k = 0; k < count; k++) {
      r.bounds[2 * k] = words[6 * k] as number;
      r.bounds[2 * k + 1] = words[6 * k + 1] as number;
      r.scores[k] = this.probability(doubles[3 * k + 1] as number, words[6 * k + 4] as number);
    }
    r.count = count;
    return r;
  }

  /** `SegmentScores.runTable` of the text the kernel holds (valid until its next call). */
  private heldRunTable(text: string): RunTable | undefined {
    if (text !== this.held) return undefined;
    const n = text.length;
    let slots = 16;
    while (slots < (2 * n) / 5 + 2) slots *= 2;
    const offset = (n + 18 + 15) & ~15;
    this.reserve(offset + 16 * slots);
    const at = this.textAt + offset;
    this.bytes.fill(0, at, at + 16 * slots);
    this.runsFn(this.textAt, n, at, slots - 1);
    return { table: new Int32Array(this.bytes.buffer, at, 4 * slots), mask: slots - 1 };
  }
}
