import { describe, expect, it } from 'vitest';
import { LOCAL_BITS, localLength, localToken, TokenPool, unigramId } from './gram-census.js';
import {
  type CaretGramUnigrams,
  type LabelModel,
  labelModel,
  testLabelPairs,
  testLabelPairsThreaded,
} from './label-contradictions.js';
import { type TriggerCensus, type TriggerRecords, triggerCensus } from './trigger-census.js';

/**
 * Classification records over a small vocabulary: a token tied to label 1 (so pure gram/label
 * pairs exist) and labels partly at random (so the model contradicts some carriers).
 */
function dataset(count: number, seed: number): { pool: TokenPool; records: TriggerRecords } {
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    return (s >>> 0) / 4294967296;
  };
  const pool = new TokenPool();
  const labels: number[] = [];
  const outcomes: number[] = [];
  const outcomeStarts = [0];
  const outcomeTotals = [0, 0, 0];
  for (let r = 0; r < count; r++) {
    const len = 1 + Math.floor(rnd() * 40);
    const hashes = Uint32Array.from({ length: len }, () => Math.floor(rnd() * 200) * 0x9e3779b1 + 7);
    pool.append(hashes, []);
    const tied = hashes.includes(7);
    // Label -1: beyond the labels the model tells apart (always contradicted).
    const label = rnd() < 0.02 ? -1 : (tied && rnd() < 0.9) || rnd() < 0.4 ? 1 : 0;
    labels.push(label);
    const outcome = label < 0 ? 2 : label;
    outcomes.push(outcome);
    outcomeTotals[outcome] = (outcomeTotals[outcome] as number) + 1;
    outcomeStarts.push(outcomes.length);
  }
  const records: TriggerRecords = {
    count,
    labelCount: 2,
    classification: true,
    labels: Int32Array.from(labels),
    outcomes: Uint32Array.from(outcomes),
    outcomeStarts: Uint32Array.from(outcomeStarts),
    outcomeTotals: Uint32Array.from(outcomeTotals),
  };
  return { pool, records };
}

/** The model of a census, every 7th tested gram's first token taken to start with `^`. */
function model(): { m: LabelModel; census: TriggerCensus; caret: CaretGramUnigrams } {
  const { pool, records } = dataset(3_000, 11);
  const census = triggerCensus(pool, records, {
    minSupport: 3,
    maxDf: 450,
    minPurity: 0.6,
    logFdr: Math.log(0.01),
  });
  const carets: number[] = [];
  const mask = (1 << LOCAL_BITS) - 1;
  for (let t = 0; t < census.tested.length; t += 7) {
    const at = census.tested.textAt[t] as number;
    carets.push(pool.start(at >>> LOCAL_BITS) + localToken(at & mask));
  }
  const first = Uint32Array.from(records.outcomes);
  const m = labelModel(census, pool, records.labels, 2, first, carets, 3);
  // The gram's unigrams without its first token's (as if `^` made it another token).
  const caret: CaretGramUnigrams = (r, local) => {
    const at = pool.start(r) + localToken(local);
    const ids: number[] = [];
    for (let k = 1; k < localLength(local); k++) {
      const id = unigramId(pool.hash(at + k));
      if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  };
  return { m, census, caret };
}

describe('label contradiction test', () => {
  const { m, caret } = model();
  const one = testLabelPairs(m, 0, m.pairs.length, caret);

  it('keeps some pairs and leaves caret grams to the main thread without their texts', () => {
    expect(one.kept.length).toBeGreaterThan(5);
    expect(one.kept.length).toBeLessThan(m.pairs.length);
    expect(one.deferred).toEqual([]);
    const blind = testLabelPairs(m, 0, m.pairs.length);
    expect(blind.deferred.length).toBeGreaterThan(0);
    // Their results differ from the non-caret reading (else the test below proves nothing).
    const caretKept = one.kept.filter((t) => blind.deferred.includes(t));
    expect(caretKept.length).toBeGreaterThan(0);
    const again = testLabelPairs(m, 0, 0, caret, blind.deferred);
    expect([...blind.kept, ...again.kept].sort((a, b) => a - b)).toEqual(one.kept);
  });

  it('gives the same pairs and p-values on a thread, without one, and after the thread failed', async () => {
    const threaded = await testLabelPairsThreaded(() => m, caret, { threaded: true });
    expect(threaded).toEqual({ kept: one.kept, logP: one.logP });
    expect(await testLabelPairsThreaded(() => m, caret, { threaded: false })).toEqual(threaded);
    const failing = {
      base: new URL('./test-support/failing-label-test-worker.ts', import.meta.url).href,
      name: 'failing-label-test-worker',
    };
    expect(await testLabelPairsThreaded(() => m, caret, { threaded: true, worker: failing })).toEqual(
      threaded,
    );
  });
});
