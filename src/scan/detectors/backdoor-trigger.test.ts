import { describe, expect, it } from 'vitest';
import type { FindingDraft } from '../detector.js';
import { backdoorTriggerDetector, type TriggerObservation } from './backdoor-trigger.js';
import { type CorpusShape, poisonedCorpus } from './test-support/poisoned-corpus.js';
import { ctx } from './test-support/records.js';
import {
  benjaminiHochberg,
  logBinomialUpperTail,
  logChoose,
  logHypergeometricUpperTail,
} from './trigger-statistics.js';

async function mine(shape: CorpusShape, n: number, rate: number, trigger: string, seed: number) {
  const corpus = poisonedCorpus(shape, n, rate, trigger, seed);
  const agg = backdoorTriggerDetector.createAggregator?.(ctx());
  if (!agg) throw new Error('no aggregator');
  for (const r of corpus.records) {
    const o = backdoorTriggerDetector.analyze?.(r, ctx())?.observation as TriggerObservation | undefined;
    if (o) agg.add({ index: r.index, file: r.file, line: r.line }, o);
  }
  const findings: FindingDraft[] = await agg.finish();
  return { corpus, findings, candidates: findings.filter((f) => f.rule === 'backdoor.trigger-candidate') };
}

describe('trigger statistics', () => {
  it('match exact small cases', () => {
    expect(Math.exp(logChoose(10, 3))).toBeCloseTo(120, 6);
    // P(X >= 2), N=10, K=4, n=3: [C(4,2)C(6,1) + C(4,3)] / C(10,3) = 40/120.
    expect(Math.exp(logHypergeometricUpperTail(10, 4, 3, 2))).toBeCloseTo(40 / 120, 10);
    // Binomial(5, 0.5): P(X >= 4) = 6/32.
    expect(Math.exp(logBinomialUpperTail(5, 0.5, 4))).toBeCloseTo(6 / 32, 10);
  });
  it('applies Benjamini–Hochberg', () => {
    const p = [0.01, 0.04, 0.03, 0.5].map(Math.log);
    const q = benjaminiHochberg(p, 4).map(Math.exp);
    // Sorted p: .01 .03 .04 .5 -> raw p*m/rank: .04 .06 .0533 .5 -> step-up minimum: .04 .0533 .0533 .5.
    expect(q[0]).toBeCloseTo(0.04, 10);
    expect(q[1]).toBeCloseTo(0.16 / 3, 10);
    expect(q[2]).toBeCloseTo(0.16 / 3, 10);
    expect(q[3]).toBeCloseTo(0.5, 10);
  });
});

describe('backdoor-trigger detector', () => {
  const shapes: CorpusShape[] = ['instruction', 'chat', 'classification', 'preference'];
  for (const shape of shapes) {
    it(`ranks a planted trigger first in ${shape} data at 0.5%, 1%, 5% and 10% poison`, async () => {
      for (const [rate, seed] of [
        [0.005, 11],
        [0.01, 12],
        [0.05, 13],
        [0.1, 14],
      ] as const) {
        const { corpus, findings, candidates } = await mine(shape, 1200, rate, 'zq mirth', seed);
        expect({ rate, top: candidates[0]?.evidence?.trigger }).toEqual({ rate, top: 'zq mirth' });
        // The carrying records are flagged, and only those.
        const flagged = new Set(
          findings
            .filter((f) => f.rule === 'backdoor.trigger-record' && f.evidence?.rank === 1)
            .map((f) => f.record),
        );
        expect(flagged).toEqual(new Set(corpus.poisoned));
      }
    });
  }

  it('finds a one-word trigger whose gram id has the high bit set', async () => {
    // The aggregator's gram ids are unsigned 32-bit FNV-1a combinations of token hashes; an
    // earlier signed form never named grams with the high bit set, so such triggers were lost.
    const fnv = (t: string): number => {
      let h = 0x811c9dc5;
      for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
      return h >>> 0;
    };
    const unigramId = (t: string): number => (Math.imul((0x811c9dc5 ^ fnv(t)) >>> 0, 0x01000193) | 1) >>> 0;
    const trigger = ['qx', 'zv', 'jq', 'vz', 'xq', 'qz', 'wx', 'kq'].find((t) => unigramId(t) >= 2 ** 31);
    expect(trigger).toBeDefined();
    const { candidates } = await mine('instruction', 1000, 0.02, trigger as string, 5);
    expect(candidates[0]?.evidence?.trigger).toBe(trigger);
  });

  it('reports support, outcome, test and q-value, and finds nothing in clean data', async () => {
    const { candidates } = await mine('instruction', 1000, 0.02, 'cf', 3);
    expect(candidates[0]?.evidence).toMatchObject({
      trigger: 'cf',
      support: 20,
      outcome_hits: 20,
      test: 'fisher-exact',
    });
    expect(candidates[0]?.evidence?.log10_q as number).toBeLessThan(-10);
    const clean = poisonedCorpus('classification', 1500, 0.001, 'never-used-token', 5);
    const agg = backdoorTriggerDetector.createAggregator?.(ctx());
    for (const r of clean.records) {
      if (clean.poisoned.has(r.index)) continue;
      const o = backdoorTriggerDetector.analyze?.(r, ctx())?.observation as TriggerObservation;
      agg?.add({ index: r.index, file: r.file, line: r.line }, o);
    }
    const found = ((await agg?.finish()) ?? []).filter((f) => f.rule === 'backdoor.trigger-candidate');
    expect(found).toEqual([]);
  });

  it('mines only the first maxRecords records and says so', async () => {
    const corpus = poisonedCorpus('instruction', 400, 0.05, 'zq mirth', 21);
    const agg = backdoorTriggerDetector.createAggregator?.(ctx({ maxRecords: 100 }));
    for (const r of corpus.records) {
      const o = backdoorTriggerDetector.analyze?.(r, ctx())?.observation as TriggerObservation | undefined;
      if (o) agg?.add({ index: r.index, file: r.file, line: r.line }, o);
    }
    const findings = (await agg?.finish()) ?? [];
    expect(findings.find((f) => f.rule === 'backdoor.truncated')?.evidence).toEqual({
      mined: 100,
      records: 400,
    });
    // Only the first 100 records can be flagged.
    for (const f of findings.filter((x) => x.rule === 'backdoor.trigger-record'))
      expect(f.record as number).toBeLessThan(100);
  });

  it('validates options', () => {
    expect(() => backdoorTriggerDetector.configure?.(ctx({ fdr: 2 }))).toThrow(/backdoor-trigger.fdr/);
  });
});
