import type { DatasetRecord } from './dataset-record.js';

/**
 * The full content of a record as one string (system, prompt, response,
 * rejected, label), the unit that duplicate and outlier detectors compare.
 */
export function recordContent(record: DatasetRecord): string {
  return contentParts(record).join('\n');
}

/** The pieces `recordContent` joins with line breaks. */
function contentParts(record: DatasetRecord): string[] {
  const parts: string[] = [];
  if (record.system) parts.push(record.system);
  if (record.messages && record.messages.length > 0) {
    for (const m of record.messages) if (m.role !== 'system') parts.push(m.content);
  } else {
    if (record.prompt) parts.push(record.prompt);
    if (record.response) parts.push(record.response);
  }
  if (record.rejected) parts.push(record.rejected);
  return parts;
}

/**
 * `recordContent(record).length` and its first `prefix` characters, without joining the whole
 * content (statistics need only these, for every record of every scan).
 */
export function recordContentSummary(
  record: DatasetRecord,
  prefix: number,
): { length: number; head: string } {
  const parts = contentParts(record);
  let length = Math.max(0, parts.length - 1);
  for (const p of parts) length += p.length;
  let head = '';
  for (let i = 0; i < parts.length && head.length < prefix; i++)
    head += i === 0 ? (parts[i] as string) : `\n${parts[i] as string}`;
  return { length, head: head.length > prefix ? head.slice(0, prefix) : head };
}

/**
 * Normalises text for duplicate comparison: Unicode NFKC (full-width and
 * ligature variants fold together), lower case, whitespace runs collapsed, and
 * zero-width characters removed (they are a cheap way to dodge exact dedup).
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u200b-\u200f\u2060\ufeff\u00ad]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
