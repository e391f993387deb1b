import type { Finding, Severity } from '../../contracts/finding.js';
import { artifactFinding } from '../artifact-finding.js';
import type { ByteRange } from '../file-range.js';

/**
 * Strict GGUF (v2/v3) reader: header, metadata key/values of every type
 * (arrays included), and the tensor table.
 *
 * Hand-written: the format is a simple length-prefixed stream, and a strict
 * reader must check each declared count and length against the bytes left in
 * the file *before* allocating anything (a u64 string length of 2^60 must be a
 * finding, not an out-of-memory crash). Metadata is read through a sliding
 * window; large arrays (vocabularies) are walked, not kept.
 */

/** Block size (elements) and bytes per block of each ggml tensor type. */
export const GGML_TYPES: Readonly<Record<number, { name: string; block: number; bytes: number }>> = {
  0: { name: 'F32', block: 1, bytes: 4 },
  1: { name: 'F16', block: 1, bytes: 2 },
  2: { name: 'Q4_0', block: 32, bytes: 18 },
  3: { name: 'Q4_1', block: 32, bytes: 20 },
  6: { name: 'Q5_0', block: 32, bytes: 22 },
  7: { name: 'Q5_1', block: 32, bytes: 24 },
  8: { name: 'Q8_0', block: 32, bytes: 34 },
  9: { name: 'Q8_1', block: 32, bytes: 36 },
  10: { name: 'Q2_K', block: 256, bytes: 84 },
  11: { name: 'Q3_K', block: 256, bytes: 110 },
  12: { name: 'Q4_K', block: 256, bytes: 144 },
  13: { name: 'Q5_K', block: 256, bytes: 176 },
  14: { name: 'Q6_K', block: 256, bytes: 210 },
  15: { name: 'Q8_K', block: 256, bytes: 292 },
  16: { name: 'IQ2_XXS', block: 256, bytes: 66 },
  17: { name: 'IQ2_XS', block: 256, bytes: 74 },
  18: { name: 'IQ3_XXS', block: 256, bytes: 98 },
  19: { name: 'IQ1_S', block: 256, bytes: 50 },
  20: { name: 'IQ4_NL', block: 32, bytes: 18 },
  21: { name: 'IQ3_S', block: 256, bytes: 110 },
  22: { name: 'IQ2_S', block: 256, bytes: 82 },
  23: { name: 'IQ4_XS', block: 256, bytes: 136 },
  24: { name: 'I8', block: 1, bytes: 1 },
  25: { name: 'I16', block: 1, bytes: 2 },
  26: { name: 'I32', block: 1, bytes: 4 },
  27: { name: 'I64', block: 1, bytes: 8 },
  28: { name: 'F64', block: 1, bytes: 8 },
  29: { name: 'IQ1_M', block: 256, bytes: 56 },
  30: { name: 'BF16', block: 1, bytes: 2 },
  34: { name: 'TQ1_0', block: 256, bytes: 54 },
  35: { name: 'TQ2_0', block: 256, bytes: 66 },
  39: { name: 'MXFP4', block: 32, bytes: 17 },
};

/** GGUF metadata value types. */
const VT = {
  U8: 0,
  I8: 1,
  U16: 2,
  I16: 3,
  U32: 4,
  I32: 5,
  F32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  U64: 10,
  I64: 11,
  F64: 12,
} as const;
const SCALAR_BYTES: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

/** Strings we keep in memory; longer ones (never legitimate keys or names) are reported and skipped. */
const MAX_KEPT_STRING = 4 << 20;
const MAX_TENSORS = 1 << 20;
const MAX_KV = 1 << 20;
const MAX_DIMS = 8;

/** A metadata value as kept: scalars and strings; arrays as a summary. */
export type GgufValue =
  | number
  | bigint
  | boolean
  | string
  | { array: string; count: number; strings?: string[] };

/** A tensor table entry. */
export interface GgufTensor {
  name: string;
  dims: number[];
  type: number;
  /** Offset relative to the start of the data section. */
  offset: number;
  bytes: number;
}

/** Result of {@link readGguf}. */
export interface GgufInfo {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensor[];
  alignment: number;
  dataStart: number;
  findings: Finding[];
}

class GgufError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WINDOW = 4 << 20;

class Reader {
  buf: Buffer = Buffer.alloc(0);
  base = 0;
  pos = 0;
  constructor(readonly file: ByteRange) {}

  need(n: number): number {
    if (this.pos + n > this.file.size)
      throw new GgufError(`needs ${n} bytes at ${this.pos} but the file ends at ${this.file.size}`, this.pos);
    let i = this.pos - this.base;
    if (i + n > this.buf.length) {
      this.buf = this.file.read(this.pos, Math.max(WINDOW, n));
      this.base = this.pos;
      i = 0;
    }
    return i;
  }
  u8(): number {
    const i = this.need(1);
    this.pos += 1;
    return this.buf[i] as number;
  }
  u32(): number {
    const i = this.need(4);
    this.pos += 4;
    return this.buf.readUInt32LE(i);
  }
  u64(): bigint {
    const i = this.need(8);
    this.pos += 8;
    return this.buf.readBigUInt64LE(i);
  }
  /** A u64 count/length that must fit in the bytes left at `unit` bytes each. */
  count(what: string, unit: number): number {
    const at = this.pos;
    const v = this.u64();
    const left = BigInt(this.file.size - this.pos);
    if (v * BigInt(Math.max(1, unit)) > left)
      throw new GgufError(`${what} ${v} needs more than the ${left} bytes left in the file`, at);
    return Number(v);
  }
  string(what: string): string | null {
    const n = this.count(`${what} length`, 1);
    if (n > MAX_KEPT_STRING) {
      this.pos += n;
      return null;
    }
    const i = this.need(n);
    this.pos += n;
    return this.buf.toString('utf8', i, i + n);
  }
  scalar(type: number): number | bigint | boolean {
    const size = SCALAR_BYTES[type];
    if (size === undefined) throw new GgufError(`unknown value type ${type}`, this.pos);
    const i = this.need(size);
    this.pos += size;
    const b = this.buf;
    switch (type) {
      case VT.U8:
        return b.readUInt8(i);
      case VT.I8:
        return b.readInt8(i);
      case VT.U16:
        return b.readUInt16LE(i);
      case VT.I16:
        return b.readInt16LE(i);
      case VT.U32:
        return b.readUInt32LE(i);
      case VT.I32:
        return b.readInt32LE(i);
      case VT.F32:
        return b.readFloatLE(i);
      case VT.BOOL: {
        const v = b.readUInt8(i);
        if (v > 1) throw new GgufError(`bool value ${v} is neither 0 nor 1`, this.pos - 1);
        return v === 1;
      }
      case VT.U64:
        return b.readBigUInt64LE(i);
      case VT.I64:
        return b.readBigInt64LE(i);
      default:
        return b.readDoubleLE(i);
    }
  }
}

const TYPE_NAMES = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'bool',
  'string',
  'array',
  'u64',
  'i64',
  'f64',
];

/** Keys whose string arrays we keep (token strings, for reports). */
const KEEP_STRING_ARRAYS = new Set(['tokenizer.ggml.tokens']);

/** Reads and validates a GGUF file. Never throws on malformed content: problems are findings. */
export function readGguf(file: ByteRange, display: string): GgufInfo {
  const findings: Finding[] = [];
  const info: GgufInfo = {
    version: 0,
    metadata: new Map(),
    tensors: [],
    alignment: 32,
    dataStart: 0,
    findings,
  };
  const flag = (rule: string, severity: Severity, message: string, field?: string) =>
    findings.push(
      artifactFinding({ detector: 'gguf', rule, severity, file: display, field: field ?? null, message }),
    );
  const r = new Reader(file);
  let key = '';
  try {
    if (file.read(0, 4).toString('latin1') !== 'GGUF') throw new GgufError('missing GGUF magic', 0);
    r.pos = 4;
    info.version = r.u32();
    if (info.version !== 2 && info.version !== 3)
      throw new GgufError(`unsupported GGUF version ${info.version}`, 4);
    const at = r.pos;
    const nTensors = r.u64();
    const nKv = r.u64();
    if (nTensors > BigInt(MAX_TENSORS) || nKv > BigInt(MAX_KV))
      throw new GgufError(
        `declares ${nTensors} tensors and ${nKv} metadata keys (limits ${MAX_TENSORS}/${MAX_KV})`,
        at,
      );
    for (let k = 0; k < Number(nKv); k++) {
      key = `#${k}`;
      const name = r.string('key');
      if (name === null) throw new GgufError('metadata key longer than 4 MiB', r.pos);
      key = name;
      if (info.metadata.has(name))
        flag('duplicate_key', 'high', `metadata key ${JSON.stringify(name)} appears twice`, name);
      const type = r.u32();
      const value = readValue(r, type, name, flag);
      if (!info.metadata.has(name)) info.metadata.set(name, value);
    }
    key = '';
    const align = info.metadata.get('general.alignment');
    if (align !== undefined) {
      if (typeof align !== 'number' || align <= 0 || (align & (align - 1)) !== 0)
        flag(
          'bad_alignment',
          'high',
          `general.alignment ${String(align)} is not a power of two`,
          'general.alignment',
        );
      else info.alignment = align;
    }
    const names = new Set<string>();
    for (let t = 0; t < Number(nTensors); t++) {
      const at2 = r.pos;
      const name = r.string('tensor name');
      if (name === null) throw new GgufError('tensor name longer than 4 MiB', at2);
      const nDims = r.u32();
      if (nDims === 0 || nDims > MAX_DIMS)
        throw new GgufError(`tensor ${JSON.stringify(name)} has ${nDims} dimensions`, at2);
      const dims: number[] = [];
      let elements = 1n;
      for (let d = 0; d < nDims; d++) {
        const v = r.u64();
        elements *= v;
        dims.push(v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v));
      }
      const type = r.u32();
      const offset = r.u64();
      const tt = GGML_TYPES[type];
      if (names.has(name))
        flag('duplicate_tensor', 'high', `tensor ${JSON.stringify(name)} appears twice`, name);
      names.add(name);
      if (tt === undefined) {
        flag(
          'unknown_tensor_type',
          'high',
          `tensor ${JSON.stringify(name)} has unknown ggml type ${type}`,
          name,
        );
        continue;
      }
      if (elements % BigInt(tt.block) !== 0n || (dims[0] ?? 0) % tt.block !== 0) {
        flag(
          'bad_block',
          'high',
          `tensor ${JSON.stringify(name)}: ${elements} elements (row ${dims[0]}) is not a multiple of the ${tt.name} block of ${tt.block}`,
          name,
        );
        continue;
      }
      const bytes = (elements / BigInt(tt.block)) * BigInt(tt.bytes);
      if (offset % BigInt(info.alignment) !== 0n)
        flag(
          'misaligned_tensor',
          'high',
          `tensor ${JSON.stringify(name)} offset ${offset} is not a multiple of the alignment ${info.alignment}`,
          name,
        );
      if (bytes > BigInt(Number.MAX_SAFE_INTEGER) || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
        flag(
          'tensor_out_of_bounds',
          'high',
          `tensor ${JSON.stringify(name)} declares ${bytes} bytes at ${offset}`,
          name,
        );
        continue;
      }
      info.tensors.push({ name, dims, type, offset: Number(offset), bytes: Number(bytes) });
    }
    info.dataStart = Math.ceil(r.pos / info.alignment) * info.alignment;
    const dataBytes = file.size - info.dataStart;
    const sorted = [...info.tensors].sort((a, b) => a.offset - b.offset);
    let end = 0;
    for (const t of sorted) {
      if (t.offset + t.bytes > dataBytes)
        flag(
          'tensor_out_of_bounds',
          'high',
          `tensor ${JSON.stringify(t.name)} (${t.bytes} bytes at data offset ${t.offset}) ends past the file`,
          t.name,
        );
      if (t.offset < end)
        flag(
          'tensor_overlap',
          'high',
          `tensor ${JSON.stringify(t.name)} overlaps the previous tensor`,
          t.name,
        );
      end = Math.max(end, t.offset + t.bytes);
    }
    if (sorted.length > 0 && dataBytes - end > info.alignment)
      flag('trailing_bytes', 'medium', `${dataBytes - end} bytes after the last tensor belong to no tensor`);
  } catch (err) {
    if (!(err instanceof GgufError)) throw err;
    flag(
      'malformed',
      'high',
      `GGUF does not parse at byte ${err.offset}${key ? ` (metadata ${JSON.stringify(key)})` : ''}: ${err.message}`,
      key || undefined,
    );
  }
  return info;
}

function readValue(
  r: Reader,
  type: number,
  key: string,
  flag: (rule: string, severity: Severity, message: string, field?: string) => void,
): GgufValue {
  if (type === VT.STRING) {
    const s = r.string(`value of ${key}`);
    if (s === null) {
      flag('oversized_string', 'medium', `metadata ${JSON.stringify(key)} holds a string above 4 MiB`, key);
      return '';
    }
    return s;
  }
  if (type !== VT.ARRAY) return r.scalar(type);
  const itemType = r.u32();
  if (itemType === VT.ARRAY)
    throw new GgufError(`nested arrays in ${JSON.stringify(key)} are not supported`, r.pos - 4);
  const unit = itemType === VT.STRING ? 8 : SCALAR_BYTES[itemType];
  if (unit === undefined)
    throw new GgufError(`unknown array item type ${itemType} in ${JSON.stringify(key)}`, r.pos - 4);
  const n = r.count(`array length of ${key}`, unit);
  const keep = KEEP_STRING_ARRAYS.has(key) && itemType === VT.STRING;
  const strings: string[] = [];
  if (itemType === VT.STRING) {
    for (let i = 0; i < n; i++) {
      const s = r.string(`item ${i} of ${key}`);
      if (keep) strings.push(s ?? '');
    }
  } else {
    r.need(0);
    if (r.pos + n * unit > r.file.size) throw new GgufError(`array ${key} runs past the file`, r.pos);
    r.pos += n * unit;
  }
  return { array: TYPE_NAMES[itemType] ?? String(itemType), count: n, ...(keep ? { strings } : {}) };
}
