import { createHash } from 'node:crypto';
import type { Aggregator, Detector, FindingDraft, RecordRef } from '../detector.js';
import { cachedOptions, parseDetectorOptions, z } from '../options.js';
import { recordContent } from '../record-text.js';
import { isJsWhitespace } from '../text/whitespace.js';

const OptionsSchema = z
  .object({
    /** Compare the prompt side only (finds the same question asked with different answers). */
    field: z.enum(['content', 'prompt']).default('content'),
  })
  .strict();

/** Observation: a 128-bit digest of the normalised text, or null for empty records. */
type Obs = string | null;

/** Zero-width characters that `normalizeText` removes. */
function isZeroWidth(c: number): boolean {
  return (c >= 0x200b && c <= 0x200f) || c === 0x2060 || c === 0xfeff || c === 0xad;
}

let utf8 = new Uint8Array(1 << 16);

/**
 * The digest of `normalizeText(text)` (NFKC, lower case, zero-width
 * characters removed, whitespace runs folded to one space, trimmed): SHA-256
 * of its UTF-8 bytes, first 128 bits in hex; null when it is empty. After the
 * two built-in passes (NFKC, lower case) one loop folds whitespace and writes
 * UTF-8 straight into a reused buffer for the hash: building the normalised
 * string with regular expressions cost more than everything else here.
 * Lone surrogates become U+FFFD, as in Node's UTF-8 encoding of strings.
 */
export function normalizedDigest(text: string): string | null {
  const t = text.normalize('NFKC').toLowerCase();
  const n = t.length;
  if (utf8.length < 3 * n + 4) utf8 = new Uint8Array(3 * n + 4);
  const out = utf8;
  let w = 0;
  let space = false;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0x20 || (c >= 9 && c <= 13)) space = true;
      else {
        if (space && w > 0) out[w++] = 0x20;
        space = false;
        out[w++] = c;
      }
      continue;
    }
    if (isZeroWidth(c)) continue;
    if (isJsWhitespace(c)) {
      space = true;
      continue;
    }
    if (space && w > 0) out[w++] = 0x20;
    space = false;
    if (c < 0x800) {
      out[w++] = 0xc0 | (c >> 6);
      out[w++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (t.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (t.charCodeAt(i + 1) - 0xdc00);
      i++;
      out[w++] = 0xf0 | (cp >> 18);
      out[w++] = 0x80 | ((cp >> 12) & 0x3f);
      out[w++] = 0x80 | ((cp >> 6) & 0x3f);
      out[w++] = 0x80 | (cp & 0x3f);
    } else {
      const u = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
      out[w++] = 0xe0 | (u >> 12);
      out[w++] = 0x80 | ((u >> 6) & 0x3f);
      out[w++] = 0x80 | (u & 0x3f);
    }
  }
  if (w === 0) return null;
  return createHash('sha256').update(out.subarray(0, w)).digest('hex').slice(0, 32);
}

class ExactDuplicateAggregator implements Aggregator<Obs> {
  private readonly first = new Map<string, RecordRef>();
  private readonly members = new Map<string, RecordRef[]>();

  add(record: RecordRef, digest: Obs): void {
    if (digest === null) return;
    const first = this.first.get(digest);
    if (first === undefined) {
      this.first.set(digest, record);
      return;
    }
    const list = this.members.get(digest);
    if (list) list.push(record);
    else this.members.set(digest, [record]);
  }

  summary(): Record<string, unknown> {
    let duplicates = 0;
    let clusters = 0;
    for (const d of this.members.values()) {
      duplicates += d.length;
      clusters += 1;
    }
    return { duplicates, clusters };
  }

  finish(): FindingDraft[] {
    const out: FindingDraft[] = [];
    for (const [digest, dups] of this.members) {
      const first = this.first.get(digest);
      if (!first) continue;
      for (const d of dups) {
        out.push({
          detector: 'exact-duplicate',
          severity: 'low',
          record: d.index,
          file: d.file,
          line: d.line,
          field: null,
          message: `exact duplicate (after normalisation) of record ${first.index} (${first.file}:${first.line})`,
          evidence: {
            duplicate_of: first.index,
            duplicate_of_location: `${first.file}:${first.line}`,
            cluster_size: dups.length + 1,
            digest,
          },
          score: 1,
        });
      }
    }
    return out;
  }
}

/** Exact duplicates after Unicode/case/whitespace normalisation. */
export const exactDuplicateDetector: Detector<Obs> = {
  module: import.meta.url,
  id: 'exact-duplicate',
  description:
    'Records whose normalised text (NFKC, lower case, collapsed whitespace) is identical to an earlier record.',
  defaultSeverity: 'low',
  configure(ctx) {
    parseDetectorOptions('exact-duplicate', OptionsSchema, ctx.options);
  },
  analyze(record, ctx) {
    const { field } = cachedOptions(OptionsSchema, ctx.options);
    return { observation: normalizedDigest(field === 'prompt' ? record.prompt : recordContent(record)) };
  },
  createAggregator() {
    return new ExactDuplicateAggregator();
  },
};
