import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDatasetFiles } from './dataset-files.js';
import { type FileNotice, readDatasetFile } from './dataset-reader.js';
import type { RawRecord } from './raw-record.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-readers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(name: string, content: string | Buffer, maxRecordBytes = 1 << 20) {
  const path = join(dir, name);
  await writeFile(path, content);
  const notices: FileNotice[] = [];
  const records: RawRecord[] = [];
  const [file] = (await listDatasetFiles(path)).files;
  if (!file) throw new Error('no file');
  for await (const r of readDatasetFile(file, {
    limits: { maxRecordBytes },
    onNotice: (n) => notices.push(n),
  })) {
    records.push(r);
  }
  return { records, notices };
}

const values = (records: RawRecord[]) =>
  records.map((r) => (r.json !== undefined ? JSON.parse(r.json) : r.value));

describe('readers', () => {
  it('JSONL: lines, CRLF, blank lines skipped, line numbers kept', async () => {
    const { records } = await read('a.jsonl', '{"text":"a"}\r\n\n{"text":"b"}\n');
    expect(records.map((r) => r.line)).toEqual([1, 3]);
    expect(values(records)).toEqual([{ text: 'a' }, { text: 'b' }]);
  });

  it('JSON array: streamed elements with brackets and escapes inside strings', async () => {
    const arr = [
      { text: 'a [1, 2] } ,' },
      { text: 'quote \\" and \u00e9' },
      'plain',
      { nested: { x: [1, { y: ']' }] } },
    ];
    const { records } = await read('b.json', JSON.stringify(arr, null, 2));
    expect(values(records)).toEqual(arr);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4]);
  });

  it('JSON array: truncated file is a clear notice', async () => {
    const { notices } = await read('t.json', '[{"a":1},{"b":');
    expect(notices[0]?.message).toMatch(/not closed|truncated/);
  });

  it('CSV: RFC 4180 quoting, escaped quotes, multi-line fields, wrong column count', async () => {
    const csv = 'text,label\n"hello, world",pos\n"multi\nline ""quoted""",neg\nonly-one-field\nplain,pos\n';
    const { records } = await read('c.csv', csv);
    expect(records[0]?.value).toEqual({ text: 'hello, world', label: 'pos' });
    expect(records[1]?.value).toEqual({ text: 'multi\nline "quoted"', label: 'neg' });
    expect(records[1]?.line).toBe(3);
    expect(records[2]?.error).toMatch(/line 5 has 1 fields but the header has 2/);
    expect(records[3]).toMatchObject({ line: 6, value: { text: 'plain', label: 'pos' } });
  });

  it('TSV', async () => {
    const { records } = await read('d.tsv', 'prompt\tcompletion\nhi\tthere\n');
    expect(records[0]?.value).toEqual({ prompt: 'hi', completion: 'there' });
  });

  it('Parquet: rows from every row group', async () => {
    const n = 25;
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'text', data: Array.from({ length: n }, (_, i) => `row ${i}`), type: 'STRING' },
        { name: 'label', data: Array.from({ length: n }, (_, i) => i % 2), type: 'INT32' },
      ],
      rowGroupSize: 10,
    });
    const { records } = await read('e.parquet', Buffer.from(buf));
    expect(records).toHaveLength(n);
    expect(records[24]).toMatchObject({ line: 25, value: { text: 'row 24', label: 0 } });
    // gzip-wrapped Parquet too
    const gz = await read('f.parquet.gz', gzipSync(Buffer.from(buf)));
    expect(gz.records).toHaveLength(n);
  });

  it('gzip is sniffed from magic bytes, whatever the extension says', async () => {
    const { records, notices } = await read('g.jsonl', gzipSync('{"text":"zipped"}\n'));
    expect(values(records)).toEqual([{ text: 'zipped' }]);
    expect(notices).toEqual([]);
  });

  it('wrong extension: content wins with a note, or the file is skipped with a clear message', async () => {
    const a = await read('h.csv', '{"text":"json in a csv"}\n');
    expect(values(a.records)).toEqual([{ text: 'json in a csv' }]);
    expect(a.notices[0]?.message).toMatch(/extension says csv but the content is jsonl/);
    const b = await read('i.jsonl', 'a,b\n1,2\n');
    expect(b.records).toEqual([]);
    expect(b.notices[0]).toMatchObject({ rule: 'reader.wrong-extension', fatal: true });
    const c = await read('j.bin.jsonl', Buffer.from([0, 1, 2, 3, 0, 0, 7]));
    expect(c.notices[0]?.message).toMatch(/binary and not Parquet/);
  });

  it('empty file is a notice, not a crash', async () => {
    const { records, notices } = await read('k.jsonl', '');
    expect(records).toEqual([]);
    expect(notices[0]?.message).toMatch(/is empty/);
  });

  it('invalid UTF-8 is reported with its line and the text is kept with U+FFFD', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"text":"ok"}\n{"text":"caf'),
      Buffer.from([0xe9, 0x22, 0x7d, 0x0a]),
    ]);
    const { records } = await read('l.jsonl', bad);
    expect(records[0]?.error).toBeUndefined();
    expect(records[1]).toMatchObject({ line: 2, errorRule: 'reader.invalid-utf8' });
    expect(JSON.parse(records[1]?.json ?? '')).toEqual({ text: 'caf\ufffd' });
  });

  it('an over-long line is skipped with a finding and the next line is read', async () => {
    const { records } = await read('m.jsonl', `{"text":"${'x'.repeat(5000)}"}\n{"text":"after"}\n`, 1024);
    expect(records[0]).toMatchObject({ line: 1, errorRule: 'reader.record-too-long' });
    expect(records[0]?.error).toMatch(/5011 bytes/);
    expect(values(records.slice(1))).toEqual([{ text: 'after' }]);
  });

  it('a 100 MB single line does not exhaust memory', async () => {
    const path = join(dir, 'huge.jsonl');
    const out = createWriteStream(path);
    const chunk = 'y'.repeat(1 << 20);
    out.write('{"text":"');
    for (let i = 0; i < 100; i++)
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    out.end('"}\n{"text":"small"}\n');
    await new Promise<void>((r) => out.on('finish', () => r()));
    const before = process.memoryUsage().rss;
    const [file] = (await listDatasetFiles(path)).files;
    const records: RawRecord[] = [];
    for await (const r of readDatasetFile(file as NonNullable<typeof file>, { onNotice: () => {} }))
      records.push(r);
    expect(records[0]?.errorRule).toBe('reader.record-too-long');
    expect(values(records.slice(1))).toEqual([{ text: 'small' }]);
    expect(process.memoryUsage().rss - before).toBeLessThan(80 * (1 << 20));
  });

  it('a directory is one dataset, files sorted by relative path, non-data files skipped', async () => {
    const root = join(dir, 'ds');
    await mkdir(join(root, 'b'), { recursive: true });
    await writeFile(join(root, 'b', 'x.jsonl'), '{"text":"1"}\n');
    await writeFile(join(root, 'a.jsonl'), '{"text":"2"}\n');
    await writeFile(join(root, 'README.md'), '# hi\n');
    await writeFile(join(root, '.hidden.jsonl'), '{}\n');
    const listing = await listDatasetFiles(root);
    expect(listing.files.map((f) => f.relPath)).toEqual(['a.jsonl', 'b/x.jsonl']);
    expect(listing.skipped).toEqual(['README.md']);
    await expect(listDatasetFiles(join(dir, 'nope'))).rejects.toMatchObject({ code: 'scan.input_not_found' });
  });
});
