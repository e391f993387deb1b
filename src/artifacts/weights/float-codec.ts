/**
 * Decoding of the float formats weight diffs read (BF16, F16, F32) into
 * Float32Array, and encoding for fixtures. Hand-written: these are a few
 * bit operations each, and doing them on whole chunks keeps the diff loop free
 * of per-element conversions.
 */

/** Floating dtypes the weight diff understands. */
export const DIFF_DTYPES = ['BF16', 'F16', 'F32'] as const;
export type DiffDtype = (typeof DIFF_DTYPES)[number];

/** Bytes per element of a {@link DiffDtype}. */
export function dtypeBytes(dtype: DiffDtype): number {
  return dtype === 'F32' ? 4 : 2;
}

let f16Table: Float32Array | undefined;

/** 65,536-entry F16 -> F32 table (256 KB), built once: a lookup beats branching per element. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

/**
 * Decodes `count` elements of `dtype` from `src` (any byte alignment) into `out`.
 * BF16 is the top half of an F32, so two BF16 values in one 32-bit word decode
 * by a shift and a mask into a Uint32Array view of `out`.
 */
export function decodeFloats(src: Uint8Array, dtype: DiffDtype, count: number, out: Float32Array): void {
  if (dtype === 'F32') {
    if (src.byteOffset % 4 === 0) out.set(new Float32Array(src.buffer, src.byteOffset, count));
    else new Uint8Array(out.buffer, out.byteOffset, count * 4).set(src.subarray(0, count * 4));
    return;
  }
  if (dtype === 'BF16') {
    const o = new Uint32Array(out.buffer, out.byteOffset, count);
    const pairs = count >> 1;
    if (src.byteOffset % 4 === 0) {
      const w = new Uint32Array(src.buffer, src.byteOffset, pairs);
      for (let i = 0; i < pairs; i++) {
        const v = w[i] as number;
        o[2 * i] = v << 16;
        o[2 * i + 1] = v & 0xffff0000;
      }
    } else {
      for (let i = 0; i < pairs * 2; i++)
        o[i] = ((src[2 * i] as number) | ((src[2 * i + 1] as number) << 8)) << 16;
    }
    if (count & 1)
      o[count - 1] = ((src[2 * count - 2] as number) | ((src[2 * count - 1] as number) << 8)) << 16;
    return;
  }
  const t = halfTable();
  for (let i = 0; i < count; i++)
    out[i] = t[(src[2 * i] as number) | ((src[2 * i + 1] as number) << 8)] as number;
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Encodes F32 values as `dtype` bytes (little-endian), rounding to nearest even for BF16/F16. */
export function encodeFloats(values: ArrayLike<number>, dtype: DiffDtype): Uint8Array {
  const n = values.length;
  if (dtype === 'F32') return new Uint8Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    scratch[0] = values[i] as number;
    const bits = scratchBits[0] as number;
    out[i] = dtype === 'BF16' ? bf16FromBits(bits) : f16FromBits(bits);
  }
  return new Uint8Array(out.buffer);
}

function bf16FromBits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

function f16FromBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let frac = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (frac ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    frac |= 0x800000;
    const shift = 14 - e;
    let half = frac >>> shift;
    const rem = frac & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (frac >>> 13);
  const rem = frac & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half;
  return sign | e;
}
