import { isUtf8 } from 'node:buffer';
import type { ReaderLimits } from './raw-record.js';

/** One CSV/TSV record: its fields, or why it was dropped. */
export interface CsvRow {
  /** 1-based physical line where the record starts. */
  line: number;
  fields?: string[];
  error?: string;
  errorRule?: string;
}

/**
 * Splits one record's text into fields (RFC 4180: fields may be quoted,
 * `""` is an escaped quote, quoted fields may hold delimiters and newlines).
 */
export function parseCsvRecord(text: string, delimiter: string): { fields: string[]; error?: string } {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return { fields, error: 'unterminated quoted field' };
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i >= n) break;
      if (text[i] !== delimiter) {
        return { fields, error: `unexpected character after closing quote in field ${fields.length}` };
      }
      i += 1;
    } else {
      const d = text.indexOf(delimiter, i);
      if (d === -1) {
        fields.push(text.slice(i));
        break;
      }
      fields.push(text.slice(i, d));
      i = d + 1;
    }
  }
  return { fields };
}

/**
 * Streams CSV/TSV records. Hand-written rather than adding a dependency (none
 * is installed): record boundaries are found on bytes (newline outside quotes;
 * quote and delimiter bytes never occur inside UTF-8 multi-byte sequences),
 * which keeps memory at one record and lets us check UTF-8 per record.
 */
export async function* splitCsv(
  chunks: AsyncIterable<Buffer>,
  delimiter: ',' | '\t',
  limits: ReaderLimits,
): AsyncGenerator<CsvRow> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let overflow = false;
  let inQuotes = false;
  let line = 1; // current physical line
  let recordLine = 1;

  const finish = (last: Buffer | undefined): CsvRow | undefined => {
    const start = recordLine;
    if (overflow) {
      overflow = false;
      parts = [];
      partBytes = 0;
      return {
        line: start,
        error: `record at line ${start} is longer than the ${limits.maxRecordBytes}-byte record limit; skipped`,
        errorRule: 'reader.record-too-long',
      };
    }
    if (last) parts.push(last);
    let buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    parts = [];
    partBytes = 0;
    if (buf.length > 0 && buf[buf.length - 1] === 13) buf = buf.subarray(0, buf.length - 1);
    if (buf.length === 0) return undefined; // blank line
    const text = buf.toString('utf8');
    const parsed = parseCsvRecord(text, delimiter);
    if (parsed.error)
      return { line: start, error: `line ${start}: ${parsed.error}`, errorRule: 'reader.malformed-csv' };
    if (!isUtf8(buf)) {
      return {
        line: start,
        fields: parsed.fields,
        error: `line ${start} is not valid UTF-8 (invalid bytes replaced by U+FFFD)`,
        errorRule: 'reader.invalid-utf8',
      };
    }
    return { line: start, fields: parsed.fields };
  };

  const keep = (piece: Buffer) => {
    if (overflow) return;
    if (partBytes + piece.length > limits.maxRecordBytes) {
      overflow = true;
      parts = [];
      partBytes = 0;
      return;
    }
    parts.push(Buffer.from(piece));
    partBytes += piece.length;
  };

  for await (const chunk of chunks) {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 34) inQuotes = !inQuotes;
      else if (c === 10) {
        line += 1;
        if (!inQuotes) {
          keep(chunk.subarray(from, i));
          const row = finish(undefined);
          if (row) yield row;
          from = i + 1;
          recordLine = line;
        }
      }
    }
    if (from < chunk.length) keep(chunk.subarray(from));
  }
  if (partBytes > 0 || overflow) {
    const row = finish(undefined);
    if (row) yield row;
  }
}
