import { createHash } from 'node:crypto';
import type { Aggregator, Detector, FindingDraft, RecordRef } from '../detector.js';
import { cachedOptions, parseDetectorOptions, z } from '../options.js';
import { normalizeText, recordContent } from '../record-text.js';

const OptionsSchema = z
  .object({
    /** Compare the prompt side only (finds the same question asked with different answers). */
    field: z.enum(['content', 'prompt']).default('content'),
  })
  .strict();

/** Observation: a 128-bit digest of the normalised text, or null for empty records. */
type Obs = string | null;

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
    const text = normalizeText(field === 'prompt' ? record.prompt : recordContent(record));
    if (text.length === 0) return { observation: null };
    return { observation: createHash('sha256').update(text).digest('hex').slice(0, 32) };
  },
  createAggregator() {
    return new ExactDuplicateAggregator();
  },
};
