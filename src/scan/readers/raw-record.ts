/** Input file formats the readers understand (after gzip is peeled off). */
export type InputFormat = 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet' | 'text';

/**
 * One record as read from disk, before shape normalisation. JSONL lines stay
 * unparsed text so that parsing happens in the worker threads; other formats
 * carry the parsed value. `error` marks a record the reader could not read.
 */
export interface RawRecord {
  file: string;
  /** 1-based line (JSONL/CSV/text), element number (JSON array) or row + 1 (Parquet). */
  line: number;
  /** A JSON line to parse. */
  json?: string;
  /** An already parsed value. */
  value?: unknown;
  /** Why the record could not be read (too long, invalid UTF-8, wrong column count, ...). */
  error?: string;
  /** Machine-readable reason of `error`, used as the finding's rule. */
  errorRule?: string;
}

/** Limits that keep one hostile record from exhausting memory. */
export interface ReaderLimits {
  /** Longest line or record in bytes; longer ones become a finding and are skipped. */
  maxRecordBytes: number;
}

export const DEFAULT_LIMITS: ReaderLimits = { maxRecordBytes: 16 * 1024 * 1024 };
