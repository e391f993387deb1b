/** Builds small GGUF v3 files for tests. */

export type GgufTestValue =
  | { type: 'u32'; value: number }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] };

/** A tensor entry; data is zero-filled F32 unless the declared offset is overridden. */
export interface GgufTestTensor {
  name: string;
  dims: number[];
  type?: number;
  offset?: number;
}

function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([len, bytes]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** Serialises a GGUF file with the given metadata and F32 tensors (alignment 32). */
export function buildGguf(metadata: Record<string, GgufTestValue>, tensors: GgufTestTensor[]): Buffer {
  const parts: Buffer[] = [
    Buffer.from('GGUF'),
    u32(3),
    u64(tensors.length),
    u64(Object.keys(metadata).length),
  ];
  for (const [k, v] of Object.entries(metadata)) {
    parts.push(str(k));
    if (v.type === 'u32') parts.push(u32(4), u32(v.value));
    else if (v.type === 'string') parts.push(u32(8), str(v.value));
    else parts.push(u32(9), u32(8), u64(v.value.length), ...v.value.map(str));
  }
  let offset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    const bytes = t.dims.reduce((a, d) => a * d, 1) * 4;
    parts.push(
      str(t.name),
      u32(t.dims.length),
      ...t.dims.map(u64),
      u32(t.type ?? 0),
      u64(t.offset ?? offset),
    );
    sizes.push(bytes);
    offset += Math.ceil(bytes / 32) * 32;
  }
  const head = Buffer.concat(parts);
  const pad = Buffer.alloc((32 - (head.length % 32)) % 32);
  return Buffer.concat([head, pad, Buffer.alloc(offset)]);
}
