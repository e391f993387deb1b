import { DELTA_KERNEL_WASM_BASE64 } from './delta-kernel-wasm.js';

/**
 * The WebAssembly SIMD row kernels of the weight diff (built by
 * `bench/weights-kernel-build.ts` from LLVM IR). Hand-made because the
 * scalar JavaScript loop reaches about a quarter of NumPy's chunked speed, and
 * the kernel about twice it: f32x4 lanes decode BF16 by a shift, and the sums,
 * changed count, running max and row-sketch update happen in one pass.
 * One instance per thread; file blocks are read straight into its memory.
 */

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no DOM/WebAssembly typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const WASM = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

type RowFn = (a: number, b: number, n: number, y: number, sign: number, out: number) => void;

interface Exports {
  row_bf16_sketch: RowFn;
  row_bf16: RowFn;
  row_f32_sketch: RowFn;
  row_f32: RowFn;
}

let compiled: object | null | undefined;

function module(): object | null {
  if (compiled !== undefined) return compiled;
  try {
    if (!WASM) throw new Error('no WebAssembly');
    compiled = new WASM.Module(Buffer.from(DELTA_KERNEL_WASM_BASE64, 'base64'));
  } catch {
    compiled = null; // no SIMD support: callers fall back to the JavaScript loop
  }
  return compiled;
}

const PAGE = 65536;
const OUT = 0;
const A_OFF = 64;

/** A kernel instance with its own linear memory: [out | block A | block B | row sketch]. */
export class WasmDeltaKernel {
  private readonly memory: WasmMemory;
  private readonly fns: Exports;
  private bOff = A_OFF;
  private yOff = A_OFF;
  private yFloats = 0;
  private out: Float64Array;

  private constructor(api: WasmApi, mod: object) {
    this.memory = new api.Memory({ initial: 16 });
    const inst = new api.Instance(mod, { env: { __linear_memory: this.memory } });
    this.fns = inst.exports as unknown as Exports;
    this.out = new Float64Array(this.memory.buffer, OUT, 5);
  }

  /** A kernel, or null when WebAssembly SIMD is unavailable or disabled (`TUNEGATE_NO_WASM=1`). */
  static create(): WasmDeltaKernel | null {
    if (process.env.TUNEGATE_NO_WASM === '1') return null;
    const mod = module();
    return mod && WASM ? new WasmDeltaKernel(WASM, mod) : null;
  }

  /** Lays out memory for blocks of `blockBytes` per file and a zeroed row sketch of `yFloats` floats. */
  layout(blockBytes: number, yFloats: number): void {
    const cap = Math.ceil((blockBytes + 16) / 16) * 16;
    this.bOff = A_OFF + cap;
    this.yOff = this.bOff + cap;
    this.yFloats = yFloats;
    const need = this.yOff + yFloats * 4;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    this.out = new Float64Array(this.memory.buffer, OUT, 5);
    new Float32Array(this.memory.buffer, this.yOff, yFloats).fill(0);
  }

  /** Memory where block A (base rows) must be read to. */
  blockA(len: number): Buffer {
    return Buffer.from(this.memory.buffer, A_OFF, len);
  }

  blockB(len: number): Buffer {
    return Buffer.from(this.memory.buffer, this.bOff, len);
  }

  /** The row sketch accumulator (valid until the next {@link layout}). */
  sketch(): Float32Array {
    return new Float32Array(this.memory.buffer, this.yOff, this.yFloats);
  }

  /**
   * Runs one row: `n` (a multiple of 8) elements at byte offsets `offA`/`offB`
   * of the blocks; adds `sign * d` into sketch row `yRow` (or none when -1).
   * Returns [sum a^2, sum a*d, sum d^2, max |d|, changed] (a view, reused).
   */
  row(
    dtype: 'BF16' | 'F32',
    offA: number,
    offB: number,
    n: number,
    yRow: number,
    cols: number,
    sign: number,
  ): Float64Array {
    const f =
      dtype === 'BF16'
        ? yRow >= 0
          ? this.fns.row_bf16_sketch
          : this.fns.row_bf16
        : yRow >= 0
          ? this.fns.row_f32_sketch
          : this.fns.row_f32;
    f(A_OFF + offA, this.bOff + offB, n, yRow >= 0 ? this.yOff + yRow * cols * 4 : 0, sign, OUT);
    return this.out;
  }
}
