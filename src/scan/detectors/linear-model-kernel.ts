import { featureScale, type LinearTextModel, sigmoid, type TextRole } from './linear-text-model.js';
import {
  lazyWasmModule,
  memarg,
  name,
  section,
  sleb,
  uleb,
  WASM_HEADER,
  type WasmInstance,
  type WasmMemory,
} from './wasm-encoding.js';

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

const I32 = 0x7f;
const F64 = 0x7c;
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const ELSE = 0x05;
const END = 0x0b;
const BR_IF = 0x0d;
const SELECT = 0x1b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const F32_LOAD = 0x2a;
const I32_LOAD8_U = 0x2d;
const I32_LOAD16_U = 0x2f;
const I32_STORE = 0x36;
const I32_CONST = 0x41;
const I32_EQ = 0x46;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_XOR = 0x73;
const I32_SHL = 0x74;
const I32_SHR_U = 0x76;
const F64_ADD = 0xa0;
const F64_PROMOTE_F32 = 0xbb;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** Memory layout: feature count at 0, code-unit classes at 16, weights at `WEIGHTS`, then the text. */
const CLASSES = 16;
const WEIGHTS = CLASSES + 65536;

const get = (i: number) => [LOCAL_GET, ...uleb(i)];
const set = (i: number) => [LOCAL_SET, ...uleb(i)];
const c32 = (v: number) => [I32_CONST, ...sleb(v)];

/**
 * Body of `score(text, start, end, salt, mask) -> z`, storing the feature count at address 0.
 * Params: 0 text (byte address of code unit 0), 1 start, 2 end, 3 salt, 4 mask. Locals (i32):
 * 5 p, 6 endP, 7 raw, 8 cls, 9 space, 10 prevSpace, 11 c0, 12 c1, 13 c2, 14 c, 15 h, 16 hw,
 * 17 inWord, 18 prevWord, 19 count; (f64) 20 z.
 */
function scoreBody(): number[] {
  const [P, END_P, RAW, CLS, SPACE, PREV_SPACE, C0, C1, C2, C, _H, HW, IN_WORD, PREV_WORD, COUNT, Z] = [
    5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
  ] as const;
  // z += weights[index on the stack]
  const addWeight = [
    ...get(4),
    I32_AND,
    ...c32(2),
    I32_SHL,
    F32_LOAD,
    ...memarg(2, WEIGHTS),
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
  const code: number[] = [
    // p = text + 2 * start; endP = text + 2 * end
    ...get(0),
    ...get(1),
    ...c32(1),
    I32_SHL,
    I32_ADD,
    ...set(P),
    ...get(0),
    ...get(2),
    ...c32(1),
    I32_SHL,
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
    ...get(P),
    I32_LOAD16_U,
    ...memarg(1, 0),
    ...set(RAW),
    ...get(RAW),
    I32_LOAD8_U,
    ...memarg(0, CLASSES),
    ...set(CLS),
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
    ...c32(2),
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
  const fn = [2, 15, I32, 1, F64, ...code];
  return [...uleb(fn.length), ...fn];
}

function kernelBytes(): Uint8Array {
  const type = [1, 0x60, 5, I32, I32, I32, I32, I32, 1, F64];
  const exports = [2, ...name('memory'), 0x02, 0, ...name('score'), 0x00, 0];
  return Uint8Array.from([
    ...WASM_HEADER,
    ...section(1, type),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, exports),
    ...section(10, [1, ...scoreBody()]),
  ]);
}

type ScoreFn = (text: number, start: number, end: number, salt: number, mask: number) => number;

/** Compiled once per thread; undefined without WebAssembly. */
const instantiate = lazyWasmModule(kernelBytes);

/** Code-unit classes of the featuriser: 1 whitespace the 4-grams collapse, 2 word character. */
function classTable(isWordChar: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++)
    t[c] = c === 32 || c === 9 || c === 10 || c === 13 ? 1 : isWordChar(c) ? 2 : 0;
  return t;
}

const ROLE_SALT: Readonly<Record<TextRole, number>> = { R: 0x9e3779b1 | 0, D: 0x85ebca77 | 0 };

/** One model's weights in a kernel instance; scores folded text in place (one field at a time). */
export class LinearModelKernel {
  private readonly model: LinearTextModel;
  private readonly memory: WasmMemory;
  private readonly scoreFn: ScoreFn;
  private readonly textAt: number;
  private bytes: Buffer;
  private counts: Int32Array;
  private lastText: string | undefined;

  private constructor(model: LinearTextModel, instance: WasmInstance, isWordChar: (c: number) => boolean) {
    const ex = instance.exports as { memory: WasmMemory; score: ScoreFn };
    this.model = model;
    this.memory = ex.memory;
    this.scoreFn = ex.score;
    this.textAt = (WEIGHTS + 4 * model.weights.length + 15) & ~15;
    this.memory.grow(Math.ceil((this.textAt + 65536 * 4) / 65536));
    this.bytes = Buffer.from(this.memory.buffer);
    this.counts = new Int32Array(this.memory.buffer, 0, 1);
    new Uint8Array(this.memory.buffer, CLASSES, 65536).set(classTable(isWordChar));
    new Float32Array(this.memory.buffer, WEIGHTS, model.weights.length).set(model.weights);
  }

  /** A kernel for `model`, or undefined when WebAssembly is unavailable. */
  static create(model: LinearTextModel, isWordChar: (c: number) => boolean): LinearModelKernel | undefined {
    const instance = instantiate();
    return instance ? new LinearModelKernel(model, instance, isWordChar) : undefined;
  }

  /** `scoreFoldedRange(model, folded, start, end, role)`, bit for bit. */
  score(folded: string, start: number, end: number, role: TextRole): number {
    if (folded !== this.lastText) {
      const need = this.textAt + 2 * folded.length;
      if (need > this.memory.buffer.byteLength) {
        this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / 65536));
        this.bytes = Buffer.from(this.memory.buffer);
        this.counts = new Int32Array(this.memory.buffer, 0, 1);
      }
      this.bytes.write(folded, this.textAt, 2 * folded.length, 'utf16le');
      this.lastText = folded;
    }
    const z = this.scoreFn(this.textAt, start, end, ROLE_SALT[role], (1 << this.model.bits) - 1);
    const count = this.counts[0] as number;
    if (count === 0) return sigmoid(this.model.bias);
    return sigmoid(this.model.bias + z * featureScale(count));
  }
}
