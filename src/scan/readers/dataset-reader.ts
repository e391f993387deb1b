import { readFile } from 'node:fs/promises';
import type { Severity } from '../../contracts/finding.js';
import { contentStream, formatFromContent, formatFromName, sniffFile } from './byte-source.js';
import { splitCsv } from './csv-splitter.js';
import type { DatasetFile } from './dataset-files.js';
import { splitJsonArray } from './json-array-splitter.js';
import { type LineBatch, splitLineBatches } from './line-batches.js';
import { splitLines } from './line-splitter.js';
import { parquetRows } from './parquet-rows.js';
import { DEFAULT_LIMITS, type InputFormat, type RawRecord, type ReaderLimits } from './raw-record.js';

/** A file-level problem (empty file, wrong extension, unreadable file), reported as a finding. */
export interface FileNotice {
  file: string;
  severity: Severity;
  rule: string;
  message: string;
  /** True when the file could not be read at all (strict mode fails on it). */
  fatal: boolean;
}

/** Options of {@link readDatasetFile}. */
export interface ReadOptions {
  limits?: ReaderLimits;
  onNotice: (notice: FileNotice) => void;
  /** Called once per file with the format it was read as. */
  onFormat?: (file: DatasetFile, format: InputFormat, gzip: boolean) => void;
  /** Progress: raw (on-disk) bytes consumed. */
  onBytes?: (n: number) => void;
}

function notice(file: string, severity: Severity, rule: string, message: string, fatal = false): FileNotice {
  return { file, severity, rule, message, fatal };
}

/** Decides the format from content and name; explains disagreements instead of guessing silently. */
async function chooseFormat(file: DatasetFile, onNotice: (n: FileNotice) => void) {
  const sniff = await sniffFile(file.path);
  const byContent = formatFromContent(sniff.head);
  const byName = formatFromName(file.relPath);
  const rel = file.relPath;
  if (byContent === 'empty') {
    onNotice(notice(rel, 'low', 'reader.empty-file', `${rel} is empty (no records)`));
    return undefined;
  }
  if (byContent === 'binary') {
    onNotice(
      notice(
        rel,
        'medium',
        'reader.unsupported-format',
        `${rel} is binary and not Parquet${sniff.gzip ? ' (after gunzip)' : ''}; expected JSONL, JSON, CSV/TSV, Parquet or text; file skipped`,
        true,
      ),
    );
    return undefined;
  }
  let format: InputFormat;
  if (byContent === 'text') {
    if (byName === 'json' || byName === 'jsonl' || byName === 'parquet') {
      onNotice(
        notice(
          rel,
          'medium',
          'reader.wrong-extension',
          `${rel}: the extension says ${byName} but the content is not ${byName === 'parquet' ? 'Parquet' : 'JSON'}; file skipped`,
          true,
        ),
      );
      return undefined;
    }
    format = byName ?? 'text';
  } else {
    format = byContent;
    if (byName !== undefined && byName !== byContent && byName !== 'text') {
      onNotice(
        notice(
          rel,
          'info',
          'reader.wrong-extension',
          `${rel}: the extension says ${byName} but the content is ${byContent}; read as ${byContent}`,
        ),
      );
    }
  }
  return { format, gzip: sniff.gzip };
}

/**
 * Streams the raw records of one dataset file in order. Problems with single
 * records come back as records with `error`; problems with the whole file go
 * to `onNotice` and the file yields nothing.
 */
export async function* readDatasetFile(file: DatasetFile, options: ReadOptions): AsyncGenerator<RawRecord> {
  const chosen = await chooseFormat(file, options.onNotice);
  if (!chosen) return;
  options.onFormat?.(file, chosen.format, chosen.gzip);
  yield* readRecords(file, chosen.format, chosen.gzip, options);
}

/** A piece of a dataset file: a batch of raw lines (JSONL, text) or of records (other formats). */
export type RecordBatch =
  | { kind: 'lines'; format: 'jsonl' | 'text'; batch: LineBatch }
  | { kind: 'records'; records: RawRecord[] };

/**
 * Streams one dataset file in batches. Line formats (JSONL, text) come as
 * undecoded line bytes, so the reading thread only splits lines and the
 * decoding and parsing run on the worker threads; other formats come as
 * batches of {@link readDatasetFile}'s records.
 */
export async function* readDatasetBatches(
  file: DatasetFile,
  options: ReadOptions & { batchRecords?: number; batchLines?: number },
): AsyncGenerator<RecordBatch> {
  const chosen = await chooseFormat(file, options.onNotice);
  if (!chosen) return;
  const { format, gzip } = chosen;
  options.onFormat?.(file, format, gzip);
  if (format === 'jsonl' || format === 'text') {
    try {
      for await (const batch of splitLineBatches(
        contentStream(file.path, gzip, options.onBytes),
        options.limits ?? DEFAULT_LIMITS,
        { bytes: 1 << 19, lines: options.batchLines ?? 256 },
      ))
        yield { kind: 'lines', format, batch };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      options.onNotice(
        notice(
          file.relPath,
          'medium',
          'reader.unreadable',
          `${file.relPath}: could not be read to the end (${message})`,
          true,
        ),
      );
    }
    return;
  }
  let records: RawRecord[] = [];
  for await (const r of readRecords(file, format, gzip, options)) {
    records.push(r);
    if (records.length >= (options.batchRecords ?? 64)) {
      yield { kind: 'records', records };
      records = [];
    }
  }
  if (records.length > 0) yield { kind: 'records', records };
}

/** The records of a file whose format is decided. */
async function* readRecords(
  file: DatasetFile,
  format: InputFormat,
  gzip: boolean,
  options: ReadOptions,
): AsyncGenerator<RawRecord> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const rel = file.relPath;
  try {
    switch (format) {
      case 'jsonl':
        for await (const l of splitLines(contentStream(file.path, gzip, options.onBytes), limits)) {
          if (l.text !== undefined && l.text.trim() === '' && !l.error) continue;
          yield { file: rel, line: l.line, json: l.text, error: l.error, errorRule: l.errorRule };
        }
        return;
      case 'text':
        for await (const l of splitLines(contentStream(file.path, gzip, options.onBytes), limits)) {
          if (l.text !== undefined && l.text.trim() === '' && !l.error) continue;
          yield { file: rel, line: l.line, value: l.text, error: l.error, errorRule: l.errorRule };
        }
        return;
      case 'json': {
        const head = (await sniffFile(file.path)).head
          .toString('utf8')
          .trimStart()
          .replace(/^\uFEFF/, '');
        if (head.startsWith('{')) {
          yield* readJsonObject(file, gzip, limits);
          return;
        }
        for await (const e of splitJsonArray(contentStream(file.path, gzip, options.onBytes), limits, rel)) {
          yield { file: rel, line: e.element, json: e.text, error: e.error, errorRule: e.errorRule };
        }
        return;
      }
      case 'csv':
      case 'tsv': {
        let header: string[] | undefined;
        for await (const row of splitCsv(
          contentStream(file.path, gzip, options.onBytes),
          format === 'csv' ? ',' : '\t',
          limits,
        )) {
          if (!header) {
            if (!row.fields) {
              options.onNotice(
                notice(
                  rel,
                  'medium',
                  'reader.malformed-csv',
                  `${rel}: unreadable header: ${row.error}`,
                  true,
                ),
              );
              return;
            }
            header = row.fields.map((h, i) => h.trim().replace(/^\uFEFF/, '') || `column_${i + 1}`);
            continue;
          }
          if (!row.fields) {
            yield { file: rel, line: row.line, error: row.error, errorRule: row.errorRule };
            continue;
          }
          if (row.fields.length !== header.length) {
            yield {
              file: rel,
              line: row.line,
              error: `line ${row.line} has ${row.fields.length} fields but the header has ${header.length}`,
              errorRule: 'reader.malformed-csv',
            };
            continue;
          }
          const value: Record<string, string> = {};
          for (let i = 0; i < header.length; i++) value[header[i] as string] = row.fields[i] as string;
          yield { file: rel, line: row.line, value, error: row.error, errorRule: row.errorRule };
        }
        return;
      }
      case 'parquet':
        for await (const r of parquetRows(file.path, gzip))
          yield { file: rel, line: r.row + 1, value: r.value };
        options.onBytes?.(file.bytes);
        return;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    options.onNotice(
      notice(rel, 'medium', 'reader.unreadable', `${rel}: could not be read to the end (${message})`, true),
    );
  }
}

/** A JSON file holding one object: its one array-valued property is the records, else the object is one record. */
async function* readJsonObject(
  file: DatasetFile,
  gzip: boolean,
  limits: ReaderLimits,
): AsyncGenerator<RawRecord> {
  const rel = file.relPath;
  if (!gzip && file.bytes > limits.maxRecordBytes) {
    yield {
      file: rel,
      line: 1,
      error: `${rel} is one JSON object of ${file.bytes} bytes, over the ${limits.maxRecordBytes}-byte record limit; use a JSON array or JSONL`,
      errorRule: 'reader.record-too-long',
    };
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of contentStream(file.path, gzip)) {
    size += c.length;
    if (size > limits.maxRecordBytes) {
      yield {
        file: rel,
        line: 1,
        error: `${rel} exceeds the record limit`,
        errorRule: 'reader.record-too-long',
      };
      return;
    }
    chunks.push(c);
  }
  const text = (gzip ? Buffer.concat(chunks) : await readFile(file.path)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    yield {
      file: rel,
      line: 1,
      error: `${rel}: invalid JSON: ${(err as Error).message}`,
      errorRule: 'reader.malformed-json',
    };
    return;
  }
  const arrays = Object.entries(parsed as Record<string, unknown>).filter(([, v]) => Array.isArray(v));
  if (arrays.length === 1) {
    const list = (arrays[0] as [string, unknown[]])[1];
    for (let i = 0; i < list.length; i++) yield { file: rel, line: i + 1, value: list[i] };
  } else {
    yield { file: rel, line: 1, value: parsed };
  }
}
