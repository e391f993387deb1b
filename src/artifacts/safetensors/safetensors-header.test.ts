import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferRange } from '../file-range.js';
import { tempDir } from '../test-support/temp-dir.js';
import { encodeFloats } from '../weights/float-codec.js';
import { readSafetensorsHeader, readSafetensorsHeaderFrom } from './safetensors-header.js';
import { writeSafetensors } from './safetensors-writer.js';
import { parseStrictJson } from './strict-json.js';

const dir = tempDir('tg-st-');

/** A raw safetensors file from a header string and a data section length. */
function raw(header: string, dataBytes: number, lengthOverride?: bigint): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(Buffer.byteLength(header)));
  return Buffer.concat([len, Buffer.from(header), Buffer.alloc(dataBytes)]);
}

function rules(bytes: Buffer): string[] {
  return readSafetensorsHeaderFrom(new BufferRange(bytes), 'x.safetensors').findings.map((f) => f.rule ?? '');
}

describe('strict JSON', () => {
  it('reports duplicate keys, keeps the first, and flags unsafe integers', () => {
    const r = parseStrictJson('{"a": 1, "a": 2, "b": [9007199254740993]}');
    expect((r.value as Record<string, unknown>).a).toBe(1);
    expect(r.issues.map((i) => i.kind)).toEqual(['duplicate_key', 'unsafe_integer']);
    expect(r.issues[1]?.path).toBe('$.b[0]');
  });
  it('locates syntax errors by line and column', () => {
    expect(() => parseStrictJson('{\n "a": tru }')).toThrow(/line 2, column 7/);
  });
});

describe('safetensors header', () => {
  it('accepts a well-formed file written by the writer', () => {
    const p = join(dir, 'ok.safetensors');
    writeSafetensors(
      p,
      [
        { name: 'a', dtype: 'F32', shape: [2, 2], data: encodeFloats([1, 2, 3, 4], 'F32') },
        { name: 'b', dtype: 'BF16', shape: [3], data: encodeFloats([1, 2, 3], 'BF16') },
      ],
      { format: 'pt' },
    );
    const h = readSafetensorsHeader(p);
    expect(h.findings).toEqual([]);
    expect(h.loadable).toBe(true);
    expect(h.tensors.map((t) => [t.name, t.end - t.begin])).toEqual([
      ['a', 16],
      ['b', 6],
    ]);
  });

  const entry = (dtype: string, shape: number[], offsets: number[], extra = '') =>
    `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}${extra}}`;

  it.each([
    [
      'duplicate key',
      `{"a":${entry('U8', [4], [0, 4])},"a":${entry('U8', [4], [0, 4])}}`,
      4,
      'safetensors.duplicate_key',
    ],
    ['unknown field', `{"a":${entry('U8', [4], [0, 4], ',"evil":1')}}`, 4, 'safetensors.unknown_field'],
    [
      'unsafe integer',
      `{"a":${entry('U8', [4], [0, 4])},"b":${'{"dtype":"U8","shape":[9007199254740993],"data_offsets":[4,4]}'}}`,
      4,
      'safetensors.unsafe_integer',
    ],
    ['unknown dtype', `{"a":${entry('Q4', [4], [0, 4])}}`, 4, 'safetensors.unknown_dtype'],
    [
      'gap',
      `{"a":${entry('U8', [4], [0, 4])},"b":${entry('U8', [4], [8, 12])}}`,
      12,
      'safetensors.invalid_offset',
    ],
    [
      'overlap',
      `{"a":${entry('U8', [4], [0, 4])},"b":${entry('U8', [4], [2, 6])}}`,
      6,
      'safetensors.invalid_offset',
    ],
    ['not starting at 0', `{"a":${entry('U8', [4], [4, 8])}}`, 8, 'safetensors.invalid_offset'],
    ['size mismatch', `{"a":${entry('F32', [4], [0, 8])}}`, 8, 'safetensors.size_mismatch'],
    ['trailing bytes', `{"a":${entry('U8', [4], [0, 4])}}`, 9, 'safetensors.trailing_bytes'],
    ['incomplete', `{"a":${entry('U8', [4], [0, 4])}}`, 2, 'safetensors.incomplete_buffer'],
    ['sub-byte misaligned', `{"a":${entry('F4', [3], [0, 2])}}`, 2, 'safetensors.misaligned_slice'],
    ['non-string metadata', `{"__metadata__":{"k":1}}`, 0, 'safetensors.invalid_metadata'],
    ['bad start', ` {"a":1}`, 0, 'safetensors.invalid_header_start'],
    ['not json', `{"a":`, 0, 'safetensors.invalid_json'],
  ])('flags %s', (_name, header, data, rule) => {
    expect(rules(raw(header, data))).toContain(rule);
  });

  it('flags element-count overflow beyond 2^64 bytes without trusting Number math', () => {
    const h = `{"a":${entry('F64', [4294967296, 4294967296, 2], [0, 0])}}`;
    expect(rules(raw(h, 0))).toContain('safetensors.size_mismatch');
  });

  it('flags oversized metadata, huge declared header lengths and non-UTF-8 headers', () => {
    const big = 'x'.repeat((1 << 20) + 10);
    expect(rules(raw(`{"__metadata__":{"k":"${big}"}}`, 0))).toContain('safetensors.oversized_metadata');
    expect(rules(raw('{}', 0, 1n << 40n))).toEqual(['safetensors.header_too_large']);
    expect(rules(raw('{}', 0, 1000n))).toEqual(['safetensors.invalid_header_length']);
    const bad = raw('{"a":1}', 0);
    bad[10] = 0xff;
    expect(rules(bad)).toEqual(['safetensors.invalid_utf8']);
    expect(rules(Buffer.alloc(3))).toEqual(['safetensors.header_too_small']);
  });

  it('never throws on truncated or bit-flipped files', () => {
    const h = `{"__metadata__":{"a":"b"},"w":${entry('F16', [2, 3], [0, 12])},"v":${entry('I64', [1], [12, 20])}}`;
    const good = raw(h, 20);
    expect(rules(good)).toEqual([]);
    for (let n = 0; n < good.length; n++) {
      expect(() => rules(good.subarray(0, n))).not.toThrow();
      if (n >= 8) expect(rules(good.subarray(0, n)).length).toBeGreaterThan(0);
    }
    let seed = 7;
    for (let i = 0; i < 600; i++) {
      const copy = Buffer.from(good);
      seed = (seed * 1103515245 + 12345) >>> 0;
      const pos = seed % copy.length;
      copy[pos] = (copy[pos] as number) ^ (1 << (seed >>> 29));
      expect(() => rules(copy)).not.toThrow();
    }
  });
});

describe('files on disk', () => {
  it('reads only the header of a file', () => {
    const p = join(dir, 'big.safetensors');
    writeFileSync(p, raw(`{"a":{"dtype":"U8","shape":[1000000],"data_offsets":[0,1000000]}}`, 1_000_000));
    expect(readSafetensorsHeader(p).loadable).toBe(true);
  });
});
