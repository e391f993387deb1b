/**
 * Byte-level encoders and the loader for the WebAssembly kernels that are
 * assembled in code (`minhash-kernel.ts`, `linear-model-kernel.ts`): LEB128
 * integers, sections, names, the few instruction immediates both use, and
 * compile-once instantiation. The kernels are small enough that an assembler
 * library or a build step would cost more than these.
 */

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A module section: id, payload length, payload. */
export function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

/** A length-prefixed ASCII name (export names). */
export function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** Memory-access immediate: alignment (log2) and offset. */
export const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];

/** The module preamble: magic `\0asm` and version 1. */
export const WASM_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A kernel's exported memory (the project's `lib` setting has no WebAssembly typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** An instantiated kernel; its `exports` are cast by the kernel that built it. */
export interface WasmInstance {
  exports: unknown;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => WasmInstance;
}

const WASM = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * A function giving a fresh instance of the module `build` assembles, compiled once per thread on
 * first use; it returns undefined when the runtime has no WebAssembly or rejects the module (no
 * SIMD), and callers then keep their JavaScript loops.
 */
export function lazyWasmModule(build: () => Uint8Array): () => WasmInstance | undefined {
  let compiled: object | null | undefined;
  return () => {
    if (compiled === undefined) {
      compiled = null;
      try {
        const bytes = build();
        if (WASM?.validate(bytes)) compiled = new WASM.Module(bytes);
      } catch {
        compiled = null;
      }
    }
    return compiled && WASM ? new WASM.Instance(compiled) : undefined;
  };
}
