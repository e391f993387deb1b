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
  BLOCK,
  BR_IF,
  c32,
  END,
  get,
  I32,
  I32_ADD,
  I32_AND,
  I32_EQZ,
  I32_LOAD,
  I32_LT_U,
  I32_SHL,
  I32_SHR_U,
  I32_STORE,
  LOOP,
  set,
  tee,
} from './wasm-instructions.js';

/**
 * The gram census's radix-sort passes in WebAssembly (`gram-census.ts` drives them, bucket by
 * bucket, exactly as its JavaScript sort does). A pass is a histogram of one digit of the ids and
 * a stable scatter of the (id, occurrence) pairs by that digit: two loads, a counter update and
 * two stores per pair, which JavaScript runs with a bounds check on each of the five typed-array
 * accesses (~50 ns per pair over the whole sort); the kernel's loops run them unchecked. The
 * partition buffers themselves live in the kernel's memory, so the census regenerates into them
 * and visits the sorted result in place, with no copy in or out.
 */

/** Byte offset of the digit counters (1024: the widest in-bucket digit is 10 bits). */
export const COUNTS = 0;
/** Counters the scratch area holds. */
export const COUNTS_CAPACITY = 1024;
/** Byte offset of the arrays (after the counters, 64-byte aligned). */
const DATA = COUNTS + 4 * COUNTS_CAPACITY;

/**
 * Body of `hist(src, n, shift, mask, counts)`: counts[(src[i] >>> shift) & mask] += 1 for the `n`
 * int32 at byte offset `src` (`counts` a byte offset too). Params 0-4; locals: 5 end, 6 p.
 */
function histBody(): number[] {
  const [SRC, N, SHIFT, MASK, COUNTS_AT, END_AT, P] = [0, 1, 2, 3, 4, 5, 6];
  const code: number[] = [];
  code.push(...add(get(SRC), [...get(N), ...c32(2), I32_SHL]), ...set(END_AT));
  code.push(BLOCK, 0x40, ...get(N), I32_EQZ, BR_IF, 0, LOOP, 0x40);
  // p = counts + ((src[i] >>> shift) & mask) * 4; *p += 1
  code.push(...get(COUNTS_AT), ...get(SRC), I32_LOAD, ...memarg(2, 0), ...get(SHIFT), I32_SHR_U);
  code.push(...get(MASK), I32_AND, ...c32(2), I32_SHL, I32_ADD, ...tee(P));
  code.push(...get(P), I32_LOAD, ...memarg(2, 0), ...c32(1), I32_ADD, I32_STORE, ...memarg(2, 0));
  code.push(...add(get(SRC), c32(4)), ...tee(SRC), ...get(END_AT), I32_LT_U, BR_IF, 0, END, END, END);
  const fn = [1, 2, I32, ...code];
  return [...uleb(fn.length), ...fn];
}

/**
 * Body of `scatter(from, fromOcc, to, toOcc, n, shift, mask, next)`: for each of the `n` pairs at
 * byte offsets `from` / `fromOcc`, in order, its digit d = (id >>> shift) & mask; the pair goes to
 * byte offset next[d] of `to` / `toOcc` and next[d] advances by 4 (`next` holds byte offsets
 * relative to `to`, so the pass is stable). Params 0-7; locals: 8 i, 9 end, 10 id, 11 p, 12 at.
 */
function scatterBody(): number[] {
  const [FROM, FROM_OCC, TO, TO_OCC, N, SHIFT, MASK, NEXT] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [I, END_AT, ID, P, AT] = [8, 9, 10, 11, 12];
  const code: number[] = [];
  code.push(...get(N), ...c32(2), I32_SHL, ...set(END_AT));
  code.push(BLOCK, 0x40, ...get(N), I32_EQZ, BR_IF, 0, LOOP, 0x40);
  // id = from[i]; p = next + ((id >>> shift) & mask) * 4; at = *p; *p = at + 4
  code.push(...add(get(FROM), get(I)), I32_LOAD, ...memarg(2, 0), ...set(ID));
  code.push(...get(NEXT), ...get(ID), ...get(SHIFT), I32_SHR_U, ...get(MASK), I32_AND, ...c32(2), I32_SHL);
  code.push(I32_ADD, ...tee(P), ...get(P), I32_LOAD, ...memarg(2, 0), ...tee(AT), ...c32(4), I32_ADD);
  code.push(I32_STORE, ...memarg(2, 0));
  // to[at] = id; toOcc[at] = fromOcc[i]
  code.push(...add(get(TO), get(AT)), ...get(ID), I32_STORE, ...memarg(2, 0));
  code.push(...add(get(TO_OCC), get(AT)), ...add(get(FROM_OCC), get(I)), I32_LOAD, ...memarg(2, 0));
  code.push(I32_STORE, ...memarg(2, 0));
  code.push(...add(get(I), c32(4)), ...tee(I), ...get(END_AT), I32_LT_U, BR_IF, 0, END, END, END);
  const fn = [1, 5, I32, ...code];
  return [...uleb(fn.length), ...fn];
}

function kernelBytes(): Uint8Array {
  const type = [2, 0x60, 5, I32, I32, I32, I32, I32, 0, 0x60, 8, I32, I32, I32, I32, I32, I32, I32, I32, 0];
  const funcs = [2, 0, 1];
  // One memory, no maximum, one page to start with (`allocate` grows it).
  const memory = [1, 0x00, 1];
  const exports = [3, ...name('memory'), 0x02, 0, ...name('hist'), 0x00, 0, ...name('scatter'), 0x00, 1];
  const code = [2, ...histBody(), ...scatterBody()];
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

type HistFn = (src: number, n: number, shift: number, mask: number, counts: number) => void;
type ScatterFn = (
  from: number,
  fromOcc: number,
  to: number,
  toOcc: number,
  n: number,
  shift: number,
  mask: number,
  next: number,
) => void;

/**
 * One instance per thread (per `PartitionBuffers`): its memory holds the digit counters and the
 * partition arrays that `allocate` lays out.
 */
export class GramSortKernel {
  private readonly memory: WasmMemory;
  /** Counts one digit of `n` ids at byte offset `src` into the counters at byte offset `counts`. */
  readonly hist: HistFn;
  /** One stable scatter pass (see `scatterBody`). */
  readonly scatter: ScatterFn;
  /** The digit counters (byte offset `COUNTS`). */
  counts: Int32Array;

  private constructor(memory: WasmMemory, hist: HistFn, scatter: ScatterFn) {
    this.memory = memory;
    this.hist = hist;
    this.scatter = scatter;
    this.counts = new Int32Array(memory.buffer, COUNTS, COUNTS_CAPACITY);
  }

  /** A kernel, or undefined without WebAssembly. */
  static create(): GramSortKernel | undefined {
    const instance = instantiate();
    if (!instance) return undefined;
    const ex = instance.exports as { memory: WasmMemory; hist: HistFn; scatter: ScatterFn };
    return new GramSortKernel(ex.memory, ex.hist, ex.scatter);
  }

  /**
   * Lays out `lengths.length` int32 arrays of the given lengths one after the other in the memory
   * (growing it), and returns views of them. Earlier views are invalid afterwards (growing detaches
   * the memory's buffer), and their contents are not kept.
   */
  allocate(lengths: readonly number[]): Int32Array[] {
    const total = lengths.reduce((n, l) => n + l, 0);
    const need = DATA + 4 * total;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    const buffer = this.memory.buffer;
    this.counts = new Int32Array(buffer, COUNTS, COUNTS_CAPACITY);
    let at = DATA;
    return lengths.map((l) => {
      const view = new Int32Array(buffer, at, l);
      at += 4 * l;
      return view;
    });
  }
}
