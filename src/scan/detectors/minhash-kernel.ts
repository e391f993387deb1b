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
import {
  BLOCK,
  BR_IF,
  END,
  get,
  I32,
  I32_ADD,
  I32_AND,
  I32_CONST,
  I32_EQZ,
  I32_LOAD,
  I32_LOAD16_U,
  I32_LT_U,
  I32_MUL,
  I32_NE,
  I32_SHL,
  I32_SHR_U,
  I32_STORE,
  I32_SUB,
  I32_XOR,
  I32X4_MIN_S,
  I32X4_MUL,
  I32X4_SHR_U,
  LOOP,
  SELECT,
  set,
  tee,
  V128,
  V128_CONST,
  V128_LOAD,
  V128_LOAD32_SPLAT,
  V128_STORE,
  V128_XOR,
} from './wasm-instructions.js';

/**
 * The MinHash inner loop as a WebAssembly SIMD kernel. MinHash with 128
 * permutations evaluates h_k(x) = xorshift15(imul(x ^ b_k, a_k)) for every
 * shingle x and every k and keeps the signed minimum per k; in scalar
 * JavaScript that is ~6 operations per (shingle, permutation), the largest
 * single cost of a near-duplicate scan. `i32x4` lanes evaluate four
 * permutations per instruction, so the kernel computes bit-identical
 * signatures several times faster.
 *
 * The module is small enough to assemble here from its instruction list
 * (no build step, no binary blob); when the runtime lacks SIMD (validation
 * fails) callers fall back to the scalar loop.
 */

/**
 * Body of `sig(shingles, n, aPtr, bPtr, outPtr)` for `groups` vectors of four
 * permutations: one pass over the n shingles keeps 4 * groups running minima.
 * Params: 0 shingles ptr, 1 n, 2 a ptr, 3 b ptr, 4 out ptr. Locals: 5 end
 * (i32), then v128: a[g], b[g], min[g], s (the splatted shingle), x.
 */
function signatureBody(groups: number): number[] {
  const A = (g: number) => 6 + g;
  const B = (g: number) => 6 + groups + g;
  const M = (g: number) => 6 + 2 * groups + g;
  const S = 6 + 3 * groups;
  const X = S + 1;
  const code: number[] = [];
  for (let g = 0; g < groups; g++) {
    code.push(...get(2), ...V128_LOAD, ...memarg(2, 16 * g), ...set(A(g)));
    code.push(...get(3), ...V128_LOAD, ...memarg(2, 16 * g), ...set(B(g)));
  }
  const maxInt = [0xff, 0xff, 0xff, 0x7f];
  for (let g = 0; g < groups; g++)
    code.push(...V128_CONST, ...maxInt, ...maxInt, ...maxInt, ...maxInt, ...set(M(g)));
  // end = shingles + n * 4
  code.push(...get(0), ...get(1), I32_CONST, ...sleb(2), I32_SHL, I32_ADD, ...set(5));
  code.push(BLOCK, 0x40, ...get(1), I32_EQZ, BR_IF, 0);
  code.push(LOOP, 0x40);
  code.push(...get(0), ...V128_LOAD32_SPLAT, ...memarg(2, 0), ...set(S));
  for (let g = 0; g < groups; g++) {
    // min[g] = min_s(min[g], x ^ (x >>> 15)) with x = (s ^ b[g]) * a[g]
    code.push(...get(M(g)));
    code.push(...get(S), ...get(B(g)), ...V128_XOR, ...get(A(g)), ...I32X4_MUL, ...tee(X));
    code.push(...get(X), I32_CONST, ...sleb(15), ...I32X4_SHR_U, ...V128_XOR);
    code.push(...I32X4_MIN_S, ...set(M(g)));
  }
  code.push(...get(0), I32_CONST, ...sleb(4), I32_ADD, ...tee(0), ...get(5), I32_LT_U, BR_IF, 0);
  code.push(END, END);
  for (let g = 0; g < groups; g++) code.push(...get(4), ...get(M(g)), ...V128_STORE, ...memarg(2, 16 * g));
  code.push(END);
  const locals = [2, 1, I32, ...uleb(3 * groups + 2), V128];
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/** FNV-1a and murmur3-finaliser constants, as int32. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const FMIX_1 = 0x85ebca6b | 0;
const FMIX_2 = 0xc2b2ae35 | 0;

/**
 * Body of `words(src, len, fold, out) -> count`: the word hashes of `len`
 * UTF-16 code units at `src` (see `wordHashes`). `fold` maps every code unit
 * to the unit hashed for it (lower-cased) or 0 for a separator. Branch-free
 * inner loop: the raw hash is stored at out[count] for every unit and count
 * advances when a word ends; a second loop applies the finaliser.
 * Params: 0 src, 1 len, 2 fold, 3 out. Locals: 4 end, 5 h, 6 inWord, 7 count,
 * 8 f, 9 isWord, 10 p, 11 x.
 */
function wordsBody(): number[] {
  const c = (v: number) => [I32_CONST, ...sleb(v)];
  const code: number[] = [];
  code.push(...get(0), ...get(1), ...c(1), I32_SHL, I32_ADD, ...set(4));
  code.push(...c(FNV_OFFSET), ...set(5), ...c(0), ...set(6), ...c(0), ...set(7));
  code.push(BLOCK, 0x40, ...get(1), I32_EQZ, BR_IF, 0, LOOP, 0x40);
  // f = fold[src[i]]; isWord = f != 0
  code.push(...get(2), ...get(0), I32_LOAD16_U, ...memarg(1, 0), ...c(1), I32_SHL, I32_ADD);
  code.push(I32_LOAD16_U, ...memarg(1, 0), ...tee(8), ...c(0), I32_NE, ...set(9));
  // out[count] = h; count += inWord & !isWord
  code.push(...get(3), ...get(7), ...c(2), I32_SHL, I32_ADD, ...get(5), I32_STORE, ...memarg(2, 0));
  code.push(...get(7), ...get(6), ...get(9), ...c(1), I32_XOR, I32_AND, I32_ADD, ...set(7));
  // h = isWord ? (h ^ f) * prime : offset; inWord = isWord
  code.push(
    ...get(5),
    ...get(8),
    I32_XOR,
    ...c(FNV_PRIME),
    I32_MUL,
    ...c(FNV_OFFSET),
    ...get(9),
    SELECT,
    ...set(5),
  );
  code.push(...get(9), ...set(6));
  code.push(...get(0), ...c(2), I32_ADD, ...tee(0), ...get(4), I32_LT_U, BR_IF, 0, END, END);
  // A word running to the end: out[count] = h; count += inWord
  code.push(...get(3), ...get(7), ...c(2), I32_SHL, I32_ADD, ...get(5), I32_STORE, ...memarg(2, 0));
  code.push(...get(7), ...get(6), I32_ADD, ...set(7));
  // Finaliser over out[0..count)
  code.push(...get(3), ...set(10), ...get(3), ...get(7), ...c(2), I32_SHL, I32_ADD, ...set(4));
  code.push(BLOCK, 0x40, ...get(7), I32_EQZ, BR_IF, 0, LOOP, 0x40);
  code.push(...get(10), ...get(10), I32_LOAD, ...memarg(2, 0), ...tee(11));
  code.push(...get(11), ...c(16), I32_SHR_U, I32_XOR, ...tee(11), ...c(FMIX_1), I32_MUL, ...tee(11));
  code.push(...get(11), ...c(13), I32_SHR_U, I32_XOR, ...tee(11), ...c(FMIX_2), I32_MUL, ...tee(11));
  code.push(...get(11), ...c(16), I32_SHR_U, I32_XOR, I32_STORE, ...memarg(2, 0));
  code.push(...get(10), ...c(4), I32_ADD, ...tee(10), ...get(4), I32_LT_U, BR_IF, 0, END, END);
  code.push(...get(7), END);
  const fn = [1, 8, I32, ...code];
  return [...uleb(fn.length), ...fn];
}

/** Word 3-gram seed and mixing constants (see `shingleStream`), as int32. */
const SHINGLE_SEED = 0x9747b28c | 0;
const SHINGLE_MUL = 0x5bd1e995;
const SHINGLE_ADD = 0x1b873593;

/**
 * Body of `shingles3(words, nw, out)`: for nw >= 3, the nw - 2 word 3-gram
 * hashes, mix(mix(mix(seed, w[i]), w[i+1]), w[i+2]) finalised, into out.
 * Params: 0 words, 1 nw, 2 out. Locals: 3 end, 4 s.
 */
function shingles3Body(): number[] {
  const c = (v: number) => [I32_CONST, ...sleb(v)];
  const mix = (offset: number) => [
    ...get(0),
    I32_LOAD,
    ...memarg(2, offset),
    I32_XOR,
    ...c(SHINGLE_MUL),
    I32_MUL,
    ...c(SHINGLE_ADD),
    I32_ADD,
  ];
  const code: number[] = [];
  code.push(...get(0), ...get(1), ...c(2), I32_SUB, ...c(2), I32_SHL, I32_ADD, ...set(3));
  code.push(LOOP, 0x40);
  code.push(...c(SHINGLE_SEED), ...mix(0), ...set(4));
  code.push(...get(4), ...mix(4), ...set(4));
  code.push(...get(4), ...mix(8), ...set(4));
  code.push(...get(2));
  code.push(...get(4), ...get(4), ...c(16), I32_SHR_U, I32_XOR, ...tee(4), ...c(FMIX_1), I32_MUL, ...tee(4));
  code.push(...get(4), ...c(13), I32_SHR_U, I32_XOR, ...tee(4), ...c(FMIX_2), I32_MUL, ...tee(4));
  code.push(...get(4), ...c(16), I32_SHR_U, I32_XOR, I32_STORE, ...memarg(2, 0));
  code.push(...get(2), ...c(4), I32_ADD, ...set(2));
  code.push(...get(0), ...c(4), I32_ADD, ...tee(0), ...get(3), I32_LT_U, BR_IF, 0, END, END);
  const fn = [1, 2, I32, ...code];
  return [...uleb(fn.length), ...fn];
}

/** The kernel module: memory, `sig16` (16 permutations per pass), `sig4` (4 per pass), `words`. */
function kernelBytes(): Uint8Array {
  const type = [
    3,
    0x60,
    5,
    I32,
    I32,
    I32,
    I32,
    I32,
    0,
    0x60,
    4,
    I32,
    I32,
    I32,
    I32,
    1,
    I32,
    0x60,
    3,
    I32,
    I32,
    I32,
    0,
  ];
  const funcs = [4, 0, 0, 1, 2];
  const memory = [1, 0x00, 1];
  const exports = [
    5,
    ...name('memory'),
    0x02,
    0,
    ...name('sig16'),
    0x00,
    0,
    ...name('sig4'),
    0x00,
    1,
    ...name('words'),
    0x00,
    2,
    ...name('shingles3'),
    0x00,
    3,
  ];
  const code = [4, ...signatureBody(4), ...signatureBody(1), ...wordsBody(), ...shingles3Body()];
  return Uint8Array.from([
    ...WASM_HEADER,
    ...section(1, type),
    ...section(3, funcs),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

/** Compiled once per thread; undefined when WebAssembly SIMD is unavailable. */
const instantiate = lazyWasmModule(kernelBytes);

type SigFn = (shingles: number, n: number, aPtr: number, bPtr: number, outPtr: number) => void;

/**
 * MinHash signatures with the SIMD kernel for a fixed set of permutation
 * parameters. One instance per hasher (per thread): it owns its memory.
 */
export class SimdSignatureKernel {
  private readonly memory: WasmMemory;
  private readonly sig16: SigFn;
  private readonly sig4: SigFn;
  private readonly numPerm: number;
  /** Byte offsets in the kernel memory: a[], b[], the output signature, the shingles. */
  private readonly aOff: number;
  private readonly bOff: number;
  private readonly outOff: number;
  private readonly inOff: number;
  private view: Int32Array;

  private constructor(instance: WasmInstance, a: Int32Array, b: Int32Array) {
    const ex = instance.exports as { memory: WasmMemory; sig16: SigFn; sig4: SigFn };
    this.memory = ex.memory;
    this.sig16 = ex.sig16;
    this.sig4 = ex.sig4;
    this.numPerm = a.length;
    const bytes = ((a.length * 4 + 15) >> 4) << 4;
    this.aOff = 0;
    this.bOff = bytes;
    this.outOff = 2 * bytes;
    this.inOff = 3 * bytes;
    this.view = new Int32Array(this.memory.buffer);
    this.ensure(0);
    this.view.set(a, this.aOff >> 2);
    this.view.set(b, this.bOff >> 2);
  }

  /** A kernel for these parameters, or undefined when WebAssembly SIMD is unavailable. */
  static create(a: Int32Array, b: Int32Array): SimdSignatureKernel | undefined {
    const instance = instantiate();
    return instance ? new SimdSignatureKernel(instance, a, b) : undefined;
  }

  private ensure(shingles: number): void {
    const need = this.inOff + shingles * 4;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / 65536));
      // Growing detaches the old buffer.
      this.view = new Int32Array(this.memory.buffer);
    }
  }

  /** Fills `sig` (length numPerm) with the signature of `shingles` (any order, duplicates allowed). */
  signature(shingles: Int32Array, sig: Int32Array): void {
    const n = shingles.length;
    this.ensure(n);
    this.view.set(shingles, this.inOff >> 2);
    const P = this.numPerm;
    let k = 0;
    for (; k + 16 <= P; k += 16)
      this.sig16(this.inOff, n, this.aOff + 4 * k, this.bOff + 4 * k, this.outOff + 4 * k);
    for (; k + 4 <= P; k += 4)
      this.sig4(this.inOff, n, this.aOff + 4 * k, this.bOff + 4 * k, this.outOff + 4 * k);
    const base = this.outOff >> 2;
    sig.set(this.view.subarray(base, base + k));
    // A tail of < 4 permutations is left to the caller's scalar loop.
  }

  /** Permutations the kernel computes (a multiple of 4); the rest are the caller's. */
  get simdPerms(): number {
    return this.numPerm & ~3;
  }
}

type WordsFn = (src: number, len: number, fold: number, out: number) => number;
type Shingles3Fn = (words: number, nw: number, out: number) => void;

/**
 * Word hashing (the loop of `wordHashes`) in WebAssembly: the text's UTF-16
 * code units are copied into the kernel's memory in one call and hashed by a
 * branch-free loop. `fold` is the code-unit table that defines the words.
 */
export class WordHashKernel {
  private readonly memory: WasmMemory;
  private readonly words: WordsFn;
  private readonly shingles: Shingles3Fn;
  private bytes: Buffer;
  /** The text whose word hashes are in the kernel's memory, where, and how many. */
  private lastText: string | undefined;
  private lastOut = 0;
  private lastCount = 0;
  private view: Int32Array;
  private static readonly IN = 1 << 17;

  private constructor(instance: WasmInstance, fold: Uint16Array) {
    const ex = instance.exports as { memory: WasmMemory; words: WordsFn; shingles3: Shingles3Fn };
    this.memory = ex.memory;
    this.words = ex.words;
    this.shingles = ex.shingles3;
    this.memory.grow(4);
    this.bytes = Buffer.from(this.memory.buffer);
    this.view = new Int32Array(this.memory.buffer);
    new Uint16Array(this.memory.buffer, 0, 65536).set(fold);
  }

  /** A kernel, or undefined when WebAssembly is unavailable. */
  static create(fold: Uint16Array): WordHashKernel | undefined {
    const instance = fold.length === 65536 ? instantiate() : undefined;
    return instance ? new WordHashKernel(instance, fold) : undefined;
  }

  /** Hashes the words of `text` into `out` (capacity >= text.length / 2 + 2); returns the count. */
  hash(text: string, out: Int32Array): number {
    const len = text.length;
    const outOff = (WordHashKernel.IN + 2 * len + 15) & ~15;
    // Room for the words and, after them, their 3-gram shingles.
    const need = outOff + 8 * ((len >> 1) + 2);
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / 65536));
      this.bytes = Buffer.from(this.memory.buffer);
      this.view = new Int32Array(this.memory.buffer);
    }
    this.bytes.write(text, WordHashKernel.IN, 2 * len, 'utf16le');
    const count = this.words(WordHashKernel.IN, len, 0, outOff);
    out.set(this.view.subarray(outOff >> 2, (outOff >> 2) + count));
    this.lastText = text;
    this.lastOut = outOff;
    this.lastCount = count;
    return count;
  }

  /**
   * The word 3-gram shingle hashes of `text` into `out` (capacity >= words - 2)
   * when this kernel hashed that text last and it has at least 3 words;
   * else false (the caller computes them).
   */
  shingles3(text: string, out: Int32Array): boolean {
    if (text !== this.lastText || this.lastCount < 3) return false;
    const n = this.lastCount;
    const at = this.lastOut + 4 * n;
    this.shingles(this.lastOut, n, at);
    out.set(this.view.subarray(at >> 2, (at >> 2) + n - 2));
    return true;
  }
}
