import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { InputFormat } from './raw-record.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = 'PAR1';

/** What the first bytes of a file say about it. */
export interface FileSniff {
  gzip: boolean;
  bytes: number;
  /** First bytes of the (decompressed) content. */
  head: Buffer;
}

async function readHead(path: string, n: number): Promise<{ head: Buffer; size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.min(n, size));
    await fh.read(buf, 0, buf.length, 0);
    return { head: buf, size };
  } finally {
    await fh.close();
  }
}

/** Reads the first bytes of a file, through gzip when its magic bytes say so. */
export async function sniffFile(path: string): Promise<FileSniff> {
  const { head, size } = await readHead(path, 4096);
  const gzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  if (!gzip) return { gzip, bytes: size, head };
  const out: Buffer[] = [];
  let got = 0;
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      out.push(chunk);
      got += chunk.length;
      if (got >= 4096) break;
    }
  } catch {
    // A truncated gzip still yields a head; the full read reports the error.
  } finally {
    stream.destroy();
  }
  return { gzip, bytes: size, head: Buffer.concat(out).subarray(0, 4096) };
}

/** The byte stream of a file's content, gunzipped when it is gzip (detected by magic bytes). */
export function contentStream(
  path: string,
  gzip: boolean,
  onBytes?: (n: number) => void,
): AsyncIterable<Buffer> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stages: NodeJS.ReadWriteStream[] = [];
  if (onBytes) {
    // Count on-disk bytes (before gunzip) for progress, without a second reader of the stream.
    stages.push(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          onBytes(chunk.length);
          done(null, chunk);
        },
      }),
    );
  }
  if (gzip) stages.push(createGunzip({ chunkSize: 1 << 20 }));
  if (stages.length === 0) return raw;
  // pipeline() (unlike pipe()) forwards an error of any stage to the last one, so the reader sees it.
  return pipeline([raw, ...stages], () => {}) as unknown as AsyncIterable<Buffer>;
}

/** The format a file's name claims, ignoring a trailing `.gz`. */
export function formatFromName(path: string): InputFormat | undefined {
  const name = path.toLowerCase().replace(/\.(gz|gzip)$/, '');
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.jsonlines')) return 'jsonl';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (name.endsWith('.txt') || name.endsWith('.text')) return 'text';
  return undefined;
}

/**
 * The format the content says: Parquet magic, a JSON array, JSON lines. For
 * delimited text it can only say "text"; the caller prefers the file name then.
 */
export function formatFromContent(head: Buffer): InputFormat | 'empty' | 'binary' {
  if (head.length === 0) return 'empty';
  if (head.subarray(0, 4).toString('latin1') === PARQUET_MAGIC) return 'parquet';
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  if (trimmed.length === 0) return 'empty';
  // NUL bytes (outside UTF-16, which we do not read) mean a binary file.
  if (head.includes(0)) return 'binary';
  if (trimmed.startsWith('[')) return 'json';
  if (trimmed.startsWith('{')) {
    const firstLine = trimmed.split('\n', 1)[0] ?? '';
    try {
      JSON.parse(firstLine);
      return 'jsonl';
    } catch {
      // A pretty-printed single object spans lines: treat it as JSON (one record).
      return firstLine.trim() === '{' ? 'json' : 'jsonl';
    }
  }
  return 'text';
}
