import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';

/** Parquet INT64 arrives as BigInt; records are JSON-like, so use a number when it is exact. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

/**
 * Yields the rows of a Parquet file one row group at a time, so memory holds
 * one row group, never the whole table. Parquet needs random access, so a
 * gzip-wrapped file is first inflated to a temporary file.
 */
export async function* parquetRows(
  path: string,
  gzip: boolean,
): AsyncGenerator<{ row: number; value: unknown }> {
  let tmp: string | undefined;
  let file = path;
  if (gzip) {
    tmp = await mkdtemp(join(tmpdir(), 'tunegate-parquet-'));
    file = join(tmp, 'data.parquet');
    await pipeline(createReadStream(path), createGunzip(), createWriteStream(file));
  }
  try {
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    let rowStart = 0;
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      const rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd });
      for (let i = 0; i < rows.length; i++) yield { row: rowStart + i, value: plain(rows[i]) };
      rowStart = rowEnd;
    }
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}
