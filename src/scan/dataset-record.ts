/**
 * The normalised record every detector sees, whatever the file format
 * (JSONL, JSON, CSV/TSV, Parquet, gzip) and record shape. Readers produce it;
 * detectors never parse files themselves.
 */
export type RecordShape = 'instruction' | 'chat' | 'preference' | 'classification' | 'completion' | 'text';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant' | 'tool' | string;
  content: string;
}

/** One text-bearing field of a record, with its path in the original record (e.g. `messages.2.content`). */
export interface TextField {
  field: string;
  text: string;
}

export interface DatasetRecord {
  /** 0-based index in dataset order (files sorted by relative path, then line order). */
  index: number;
  /** Path relative to the dataset root (or the file name when scanning one file). */
  file: string;
  /** 1-based line (JSONL/CSV) or element number (JSON array, Parquet row + 1). */
  line: number;
  shape: RecordShape;
  /** The request side: instruction (+ input), joined user turns, prompt, or text. */
  prompt: string;
  /** The answer side: output, last assistant turn, chosen response, completion. Empty when none. */
  response: string;
  /** Preference data only: the rejected response. */
  rejected?: string;
  /** Classification data only: the label, as a string. */
  label?: string;
  /** System prompt if the record has one. */
  system?: string;
  /** Chat data: every turn in order. */
  messages?: ChatTurn[];
  /** Every string field with its path, for content detectors that look everywhere. */
  texts: TextField[];
  /** Non-text fields kept as metadata (labeler id, source, timestamps). */
  meta: Record<string, unknown>;
}
