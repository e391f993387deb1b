/**
 * WebAssembly instruction bytes and the few structured-control combinators the hand-assembled
 * kernels share (`minhash-kernel.ts`, `linear-model-kernel.ts`, `pii-prescan.ts`,
 * `segment-decoding.ts`, `anchor-automaton.ts`); section encoding and loading are in
 * `wasm-encoding.ts`. Names follow the text format (`i32.load8_u` is `I32_LOAD8_U`).
 */
import { sleb, uleb } from './wasm-encoding.js';

/** A SIMD instruction: the 0xfd prefix and its LEB128 sub-opcode. */
export const simd = (op: number): number[] => [0xfd, ...uleb(op)];

// Value types, core instructions.
export const BLOCK = 0x02;
export const LOOP = 0x03;
export const IF = 0x04;
export const ELSE = 0x05;
export const END = 0x0b;
export const BR = 0x0c;
export const BR_IF = 0x0d;
export const RETURN = 0x0f;
export const CALL = 0x10;
export const SELECT = 0x1b;
export const LOCAL_GET = 0x20;
export const LOCAL_SET = 0x21;
export const LOCAL_TEE = 0x22;
export const GLOBAL_GET = 0x23;
export const GLOBAL_SET = 0x24;
export const I32_LOAD = 0x28;
export const F32_LOAD = 0x2a;
export const I32_LOAD8_U = 0x2d;
export const I32_LOAD16_U = 0x2f;
export const I32_STORE = 0x36;
export const F64_STORE = 0x39;
export const I32_CONST = 0x41;
export const F64_CONST = 0x44;
export const I32_EQZ = 0x45;
export const I32_EQ = 0x46;
export const I32_NE = 0x47;
export const I32_LT_S = 0x48;
export const I32_LT_U = 0x49;
export const I32_GT_S = 0x4a;
export const I32_GT_U = 0x4b;
export const I32_LE_S = 0x4c;
export const I32_GE_S = 0x4e;
export const I32_GE_U = 0x4f;
export const F64_GE = 0x66;
export const I32_CTZ = 0x68;
export const I32_POPCNT = 0x69;
export const I32_ADD = 0x6a;
export const I32_SUB = 0x6b;
export const I32_MUL = 0x6c;
export const I32_DIV_U = 0x6e;
export const I32_AND = 0x71;
export const I32_OR = 0x72;
export const I32_XOR = 0x73;
export const I32_SHL = 0x74;
export const I32_SHR_S = 0x75;
export const I32_SHR_U = 0x76;
export const V128 = 0x7b;
export const F64 = 0x7c;
export const I32 = 0x7f;
export const F64_ADD = 0xa0;
export const F64_MUL = 0xa2;
export const F64_CONVERT_I32_S = 0xb7;
export const F64_PROMOTE_F32 = 0xbb;
// SIMD instructions.
export const V128_LOAD = simd(0x00);
export const V128_LOAD32_SPLAT = simd(0x09);
export const V128_STORE = simd(0x0b);
export const V128_CONST = simd(0x0c);
export const I8X16_EQ = simd(0x23);
export const I8X16_LT_S = simd(0x25);
export const I8X16_LT_U = simd(0x26);
export const I8X16_GT_U = simd(0x28);
export const V128_AND = simd(0x4e);
export const V128_OR = simd(0x50);
export const V128_XOR = simd(0x51);
export const I8X16_BITMASK = simd(0x64);
export const I8X16_NARROW_U = simd(0x66);
export const I8X16_SUB = simd(0x71);
export const I32X4_SHR_U = simd(0xad);
export const I32X4_MUL = simd(0xb5);
export const I32X4_MIN_S = simd(0xb6);

/** `local.get i`. */
export const get = (i: number): number[] => [LOCAL_GET, ...uleb(i)];
/** `local.set i`. */
export const set = (i: number): number[] => [LOCAL_SET, ...uleb(i)];
/** `local.tee i`. */
export const tee = (i: number): number[] => [LOCAL_TEE, ...uleb(i)];
/** `i32.const v`. */
export const c32 = (v: number): number[] => [I32_CONST, ...sleb(v)];
/** `f64.const v` (its eight little-endian bytes). */
export const f64const = (v: number): number[] => [F64_CONST, ...new Uint8Array(Float64Array.of(v).buffer)];
/** `a + b` of two i32 expressions. */
export const add = (a: number[], b: number[]): number[] => [...a, ...b, I32_ADD];
/** `a - b` of two i32 expressions. */
export const sub = (a: number[], b: number[]): number[] => [...a, ...b, I32_SUB];
/** `a & b` of two i32 expressions (both evaluated: no short circuit). */
export const and = (a: number[], b: number[]): number[] => [...a, ...b, I32_AND];
/** Local `l` += `by`. */
export const inc = (l: number, by = 1): number[] => [...get(l), ...c32(by), I32_ADD, ...set(l)];
/** Local `l` -= 1. */
export const dec = (l: number): number[] => [...get(l), ...c32(1), I32_SUB, ...set(l)];
/** `if (cond) then [else otherwise]`, with no result value. */
export const ifThen = (cond: number[], then: number[], otherwise?: number[]): number[] => [
  ...cond,
  IF,
  0x40,
  ...then,
  ...(otherwise ? [ELSE, ...otherwise] : []),
  END,
];
/** `while (cond) body`; `body` must not branch out of itself. */
export const whileDo = (cond: number[], body: number[]): number[] => [
  BLOCK,
  0x40,
  LOOP,
  0x40,
  ...cond,
  I32_EQZ,
  BR_IF,
  1,
  ...body,
  BR,
  0,
  END,
  END,
];
