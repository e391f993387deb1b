import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../seeded-random.js';
import { lineText, splitLineBatches } from './line-batches.js';
import { splitLines } from './line-splitter.js';

async function* chunked(bytes: Buffer, sizes: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, sizes());
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

type Line = { line: number; text?: string; error?: string; errorRule?: string };

/** What the record reader yields for a line file: splitLines without blank lines. */
async function reference(bytes: Buffer, max: number): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of splitLines(
    chunked(bytes, () => 1 << 20),
    { maxRecordBytes: max },
  )) {
    if (l.text !== undefined && l.text.trim() === '' && !l.error) continue;
    out.push(l);
  }
  return out;
}

/** The same lines from batches, decoded as the workers decode them. */
async function batched(bytes: Buffer, max: number, sizes: () => number, batchLines: number): Promise<Line[]> {
  const out: Line[] = [];
  for await (const b of splitLineBatches(
    chunked(bytes, sizes),
    { maxRecordBytes: max },
    { bytes: 64, lines: batchLines },
  )) {
    const errors = new Map(b.errors.map((e) => [e.at, e]));
    for (let i = 0; i < b.count; i++) {
      const line = b.lines[i] as number;
      const e = errors.get(i);
      if (e) {
        out.push({ line, error: e.error, errorRule: e.errorRule });
        continue;
      }
      const text = lineText(b, i);
      const valid = isUtf8(b.bytes.subarray(b.starts[i], b.ends[i]));
      out.push(
        valid
          ? { line, text }
          : {
              line,
              text,
              error: `line ${line} is not valid UTF-8 (invalid bytes replaced by U+FFFD)`,
              errorRule: 'reader.invalid-utf8',
            },
      );
    }
  }
  return out;
}

describe('splitLineBatches', () => {
  it('yields the lines the record reader yields, whatever the chunk and batch sizes', async () => {
    const parts = [
      Buffer.from('{"text":"a"}\r\n\n   \n{"text":"b"}\n'),
      Buffer.from('\u00a0\u3000\n'), // only Unicode spaces: blank
      Buffer.from([0x7b, 0x22, 0x74, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), // invalid UTF-8
      Buffer.from(`{"text":"${'x'.repeat(300)}"}\n`), // over the limit below
      Buffer.from('{"text":"caf\u00e9 \ud83d\ude00"}\r\n'),
      Buffer.from(`${'y'.repeat(250)}`), // over the limit, last line without newline
    ];
    const rnd = mulberry32(4);
    for (const tail of [Buffer.alloc(0), Buffer.from('\n{"text":"end"}')]) {
      const bytes = Buffer.concat([...parts, tail]);
      const want = await reference(bytes, 200);
      expect(want.map((l) => l.errorRule ?? 'ok')).toEqual([
        'ok',
        'ok',
        'reader.invalid-utf8',
        'reader.record-too-long',
        'ok',
        'reader.record-too-long',
        ...(tail.length > 0 ? ['ok'] : []),
      ]);
      for (const [sizes, lines] of [
        [() => 1, 1],
        [() => 1 + (rnd() % 7), 2],
        [() => 1 + (rnd() % 100), 3],
        [() => 1 << 20, 256],
      ] as const) {
        expect(await batched(bytes, 200, sizes, lines)).toEqual(want);
      }
    }
  });
});
