import { describe, expect, it } from 'vitest';
import type { DatasetRecord } from '../dataset-record.js';
import type { DetectorContext, FindingDraft } from '../detector.js';
import { mulberry32 } from '../seeded-random.js';
import { optimalLshParams } from './minhash.js';
import { nearDuplicateDetector } from './near-duplicate.js';

function textRecord(index: number, text: string): DatasetRecord {
  return {
    index,
    file: 'c.jsonl',
    line: index + 1,
    shape: 'text',
    prompt: text,
    response: '',
    texts: [],
    meta: {},
  };
}

/** Independent ground truth: word 3-gram sets as strings. */
function trueJaccard(a: string, b: string): number {
  const grams = (t: string) => {
    const w = t.split(' ');
    const s = new Set<string>();
    for (let i = 0; i + 3 <= w.length; i++) s.add(w.slice(i, i + 3).join(' '));
    return s;
  };
  const A = grams(a);
  const B = grams(b);
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  return inter / (A.size + B.size - inter);
}

function run(texts: string[], options: Record<string, unknown> = {}): FindingDraft[] {
  const ctx: DetectorContext = { options, seed: 7 };
  nearDuplicateDetector.configure?.(ctx);
  const agg = nearDuplicateDetector.createAggregator?.(ctx);
  if (!agg) throw new Error('no aggregator');
  texts.forEach((t, i) => {
    const rec = textRecord(i, t);
    const obs = nearDuplicateDetector.analyze?.(rec, ctx)?.observation;
    if (obs !== undefined) agg.add({ index: i, file: rec.file, line: rec.line }, obs);
  });
  return agg.finish() as FindingDraft[];
}

describe('optimalLshParams', () => {
  it('matches datasketch for balanced weights and favours recall by default', () => {
    // datasketch MinHashLSH(threshold=0.8, num_perm=128) picks b=9, r=13
    expect(optimalLshParams(0.8, 128, { falsePositive: 0.5, falseNegative: 0.5 })).toEqual({
      bands: 9,
      rows: 13,
    });
    const d = optimalLshParams(0.8, 128);
    expect(d.bands * d.rows).toBeLessThanOrEqual(128);
    expect(d.bands).toBeGreaterThan(9);
  });
});

describe('near-duplicate detector', () => {
  it('finds planted near-duplicates with recall and precision >= 0.95 at threshold 0.8', () => {
    const rnd = mulberry32(42);
    const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}${(rnd() % 1000).toString(36)}`);
    const word = () => vocab[rnd() % vocab.length] as string;
    const texts: string[] = [];
    const planted: { a: number; b: number; j: number }[] = [];
    for (let d = 0; d < 700; d++) {
      const len = 40 + (rnd() % 200);
      const base = Array.from({ length: len }, word);
      const variant = base.slice();
      // Replace a random share of words (0-20%) so the planted Jaccard spreads over ~0.4-1.0.
      const edits = Math.floor(((rnd() % 1000) / 1000) * 0.2 * len);
      for (let e = 0; e < edits; e++) variant[rnd() % len] = word();
      const a = texts.push(base.join(' ')) - 1;
      const b = texts.push(variant.join(' ')) - 1;
      planted.push({ a, b, j: trueJaccard(texts[a] as string, texts[b] as string) });
    }
    const findings = run(texts);
    const cluster = new Map<number, number>();
    for (const f of findings) {
      const c = f.evidence?.cluster as number;
      cluster.set(f.record as number, c);
      cluster.set(c, c);
    }
    const same = (a: number, b: number) => cluster.has(a) && cluster.get(a) === cluster.get(b);
    const positives = planted.filter((p) => p.j >= 0.8);
    const negatives = planted.filter((p) => p.j < 0.8);
    expect(positives.length).toBeGreaterThan(150);
    expect(negatives.length).toBeGreaterThan(150);
    const recall = positives.filter((p) => same(p.a, p.b)).length / positives.length;
    // Precision over reported pairs, judged by the independent ground truth.
    const reported = findings.map((f) => ({ a: f.record as number, b: f.evidence?.duplicate_of as number }));
    const correct = reported.filter((r) => trueJaccard(texts[r.a] as string, texts[r.b] as string) >= 0.8);
    const precision = correct.length / Math.max(1, reported.length);
    console.log(
      `near-duplicate planted corpus: ${positives.length} pairs >= 0.8, recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)}, reported ${reported.length}`,
    );
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(precision).toBeGreaterThanOrEqual(0.95);
    // Unrelated bases never merge.
    expect(negatives.filter((p) => p.j < 0.6 && same(p.a, p.b)).length).toBe(0);
  });

  it('reports Jaccard, cluster and location, and validates options', () => {
    const base = 'the quick brown fox jumps over the lazy dog near the quiet river bank today';
    const findings = run([base, 'something else entirely different here', `${base} again`]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.record).toBe(2);
    expect(findings[0]?.evidence).toMatchObject({ duplicate_of: 0, cluster: 0, cluster_size: 2 });
    expect(() => nearDuplicateDetector.configure?.({ options: { threshold: 2 }, seed: 1 })).toThrow(
      /near-duplicate\.threshold/,
    );
    expect(() => nearDuplicateDetector.configure?.({ options: { bogus: 1 }, seed: 1 })).toThrow(/bogus/);
  });

  it('char shingles catch typo-level edits', () => {
    const a = 'Please summarise the attached quarterly report for the board meeting tomorrow morning.';
    const b = 'Please summarize the attached quarterly report for the board meeting tomorrow morning!';
    expect(run([a, b], { shingle: 'char', threshold: 0.7 })).toHaveLength(1);
  });
});
