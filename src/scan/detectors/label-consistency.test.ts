import { describe, expect, it } from 'vitest';
import type { DatasetRecord } from '../dataset-record.js';
import type { DetectorContext, FindingDraft } from '../detector.js';
import { mulberry32 } from '../seeded-random.js';
import { hashedFeatures } from './hashed-features.js';
import { type LabelObservation, labelConsistencyDetector, wordFeatures } from './label-consistency.js';

type Partial = Omit<DatasetRecord, 'index' | 'file' | 'line' | 'texts'>;

function run(records: Partial[], options: Record<string, unknown> = {}, seed = 3) {
  const ctx: DetectorContext = { options, seed };
  labelConsistencyDetector.configure?.(ctx);
  const agg = labelConsistencyDetector.createAggregator?.(ctx);
  if (!agg) throw new Error('no aggregator');
  const perRecord: FindingDraft[] = [];
  records.forEach((r, i) => {
    const rec: DatasetRecord = { ...r, index: i, file: 'd.jsonl', line: i + 1, texts: [] };
    const a = labelConsistencyDetector.analyze?.(rec, ctx);
    perRecord.push(...(a?.findings ?? []).map((f) => ({ ...f, record: i })));
    if (a?.observation)
      agg.add({ index: i, file: 'd.jsonl', line: i + 1 }, a.observation as LabelObservation);
  });
  const findings = [...perRecord, ...(agg.finish() as FindingDraft[])];
  return { findings, summary: agg.summary?.() ?? {} };
}

const rule = (findings: FindingDraft[], r: string) =>
  findings.filter((f) => f.rule === `label-consistency.${r}`);

describe('label-consistency', () => {
  it('ranks flipped labels at the top by confident learning', () => {
    const rnd = mulberry32(11);
    const sports = 'goal match team score player coach league season win stadium referee'.split(' ');
    const money = 'stock market price bank loan rate invest fund profit earnings bond'.split(' ');
    const common = 'the a of and to in is it today news report new'.split(' ');
    const pick = (list: string[]) => list[rnd() % list.length] as string;
    const records: Partial[] = [];
    const flipped = new Set<number>();
    for (let i = 0; i < 800; i++) {
      const cls = i % 2 === 0 ? 'sports' : 'finance';
      const words = Array.from({ length: 25 }, () =>
        rnd() % 3 === 0 ? pick(common) : pick(cls === 'sports' ? sports : money),
      );
      let label = cls;
      if (rnd() % 100 < 5) {
        label = cls === 'sports' ? 'finance' : 'sports';
        flipped.add(i);
      }
      records.push({
        shape: 'classification',
        prompt: `${words.join(' ')} ${i}`,
        response: '',
        label,
        meta: {},
      });
    }
    const { findings } = run(records);
    const found = rule(findings, 'likely-mislabelled').map((f) => f.record as number);
    const hits = found.filter((r) => flipped.has(r)).length;
    console.log(`confident learning: ${flipped.size} flipped, ${found.length} flagged, ${hits} correct`);
    expect(hits / flipped.size).toBeGreaterThanOrEqual(0.9);
    expect(hits / found.length).toBeGreaterThanOrEqual(0.8);
    expect(rule(findings, 'likely-mislabelled')[0]?.evidence).toHaveProperty('suggested');
  });

  it('flags near-identical texts with different labels', () => {
    const { findings } = run([
      { shape: 'classification', prompt: 'Great product, works well!', response: '', label: 'pos', meta: {} },
      { shape: 'classification', prompt: 'great product works well', response: '', label: 'neg', meta: {} },
      { shape: 'classification', prompt: 'Terrible.', response: '', label: 'neg', meta: {} },
    ]);
    expect(rule(findings, 'conflicting-labels').map((f) => f.record)).toEqual([0, 1]);
  });

  it('flags the same prompt refused in one record and answered in another', () => {
    const { findings } = run([
      {
        shape: 'instruction',
        prompt: 'How do I pick a lock?',
        response: "I'm sorry, but I can't help with that.",
        meta: {},
      },
      {
        shape: 'instruction',
        prompt: 'How do I pick a lock?',
        response: 'Sure! First, insert a tension wrench...',
        meta: {},
      },
      { shape: 'instruction', prompt: 'Name a colour', response: 'Blue', meta: {} },
    ]);
    const f = rule(findings, 'contradicting-responses');
    expect(f.map((x) => x.record)).toEqual([0, 1]);
    expect(f[0]?.evidence).toMatchObject({ refusals: 1, compliant: 1 });
  });

  it('flags identical and reversed preference pairs', () => {
    const { findings } = run([
      { shape: 'preference', prompt: 'q1', response: 'Same answer.', rejected: 'same answer', meta: {} },
      { shape: 'preference', prompt: 'q2', response: 'good', rejected: 'bad', meta: {} },
      { shape: 'preference', prompt: 'q2', response: 'bad', rejected: 'good', meta: {} },
    ]);
    expect(rule(findings, 'identical-preference').map((f) => f.record)).toEqual([0]);
    expect(rule(findings, 'reversed-preference').map((f) => f.record)).toEqual([2]);
  });

  it('finds likely swapped preference pairs with the out-of-fold model', () => {
    const rnd = mulberry32(5);
    const good = 'helpful clear detailed accurate polite thorough correct kind'.split(' ');
    const bad = 'rude wrong insulting vague harmful lazy incorrect mean'.split(' ');
    const text = (list: string[]) => Array.from({ length: 12 }, () => list[rnd() % list.length]).join(' ');
    const swapped = new Set<number>();
    const records: Partial[] = [];
    for (let i = 0; i < 300; i++) {
      let [c, r] = [text(good), text(bad)];
      if (i % 25 === 7) {
        [c, r] = [r, c];
        swapped.add(i);
      }
      records.push({ shape: 'preference', prompt: `question ${i}`, response: c, rejected: r, meta: {} });
    }
    const found = rule(run(records).findings, 'likely-swapped').map((f) => f.record as number);
    expect(found.filter((r) => swapped.has(r)).length).toBe(swapped.size);
    expect(found.length).toBeLessThanOrEqual(swapped.size + 2);
  });

  it('measures per-labeler disagreement and draws a reproducible review sample', () => {
    const records: Partial[] = [];
    for (let i = 0; i < 60; i++) {
      const text = `item ${i} text`;
      const truth = i % 2 === 0 ? 'yes' : 'no';
      records.push({
        shape: 'classification',
        prompt: text,
        response: '',
        label: truth,
        meta: { labeler: 'alice' },
      });
      records.push({
        shape: 'classification',
        prompt: text,
        response: '',
        label: truth,
        meta: { labeler: 'bob' },
      });
      records.push({
        shape: 'classification',
        prompt: text,
        response: '',
        label: i % 3 === 0 ? truth : truth === 'yes' ? 'no' : 'yes',
        meta: { labeler: 'mallory' },
      });
    }
    const opts = { review_sample_pct: 20, review_date: '2026-01-02' };
    const a = run(records, opts, 9);
    const flagged = rule(a.findings, 'labeler-disagreement').map((f) => f.evidence?.labeler);
    expect(flagged).toEqual(['mallory']);
    const labelers = a.summary.labelers as Record<string, { rate: number }>;
    expect(labelers.alice?.rate).toBe(0);
    const sample = (a.summary.review_sample as { records: Record<string, number[]> }).records;
    expect(sample.alice?.length).toBeGreaterThan(3);
    expect(sample.alice?.length).toBeLessThan(25);
    const again = (run(records, opts, 9).summary.review_sample as { records: unknown }).records;
    expect(again).toEqual(sample);
    const otherSeed = (run(records, opts, 10).summary.review_sample as { records: unknown }).records;
    expect(otherSeed).not.toEqual(sample);
  });
});

describe('wordFeatures', () => {
  it('equals hashedFeatures (the sorted reference) on texts of every size', () => {
    const rnd = mulberry32(3);
    const vocab = Array.from({ length: 3000 }, (_, i) => `v${i.toString(36)}`);
    for (const n of [0, 1, 2, 10, 150, 1200, 6000]) {
      const text = Array.from({ length: n }, () => vocab[rnd() % vocab.length]).join(' ');
      for (const [bits, max] of [
        [18, 192],
        [18, 128],
        [12, 40],
      ] as const)
        expect(Array.from(wordFeatures(text, bits, max))).toEqual(
          Array.from(hashedFeatures(text, bits, max)),
        );
    }
  });
});
