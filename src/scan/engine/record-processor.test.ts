import { describe, expect, it } from 'vitest';
import type { Detector } from '../detector.js';
import { createBatchProcessor, type WorkItem } from './record-processor.js';

/** A detector that logs each call and reports the record's instruction length. */
function loggingDetector(id: string, calls: string[]): Detector {
  return {
    id,
    description: `test detector ${id}`,
    defaultSeverity: 'low',
    analyze(record) {
      calls.push(`${id}:${record.index}`);
      const text = record.texts[0]?.text ?? '';
      if (text.includes('boom') && id === 'b') throw new Error('planted failure');
      return {
        findings: [{ detector: id, severity: 'low', message: `${id} saw ${text.length}`, score: 0.5 }],
        observation: { id, length: text.length },
      };
    },
  };
}

function items(): WorkItem[] {
  const json = (i: number, instruction: string) => ({
    file: 'd.jsonl',
    line: i + 1,
    index: i,
    json: JSON.stringify({ instruction, output: `answer ${i}` }),
  });
  return [
    json(0, 'first task'),
    { file: 'd.jsonl', line: 2, index: 1, json: '{broken' },
    json(2, 'a boom task'),
    { file: 'd.jsonl', line: 4, index: 3, json: '42' },
    json(4, 'last task of the batch'),
  ];
}

describe('createBatchProcessor', () => {
  it('runs each detector over the whole batch before the next detector', () => {
    const calls: string[] = [];
    const process = createBatchProcessor(
      [loggingDetector('a', calls), loggingDetector('b', calls)],
      [
        { options: {}, seed: 1 },
        { options: {}, seed: 1 },
      ],
      undefined,
    );
    process(items());
    // Records 1 (invalid JSON) and 3 (not an object) never reach the detectors.
    expect(calls).toEqual(['a:0', 'a:2', 'a:4', 'b:0', 'b:2', 'b:4']);
  });

  it('gives every record the same result as processing it alone, in batch order', () => {
    const make = () =>
      createBatchProcessor(
        [loggingDetector('a', []), loggingDetector('b', [])],
        [
          { options: {}, seed: 1 },
          { options: {}, seed: 1 },
        ],
        undefined,
      );
    const batch = make()(items());
    const alone = items().map((item) => make()([item])[0]);
    expect(batch).toEqual(alone);
    expect(batch.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(batch[1]?.malformed?.rule).toBe('reader.malformed-json');
    expect(batch[3]?.malformed?.rule).toBe('reader.malformed-record');
    // A failing detector is a finding of that record only; the other detector still ran.
    expect(batch[2]?.analyses[1]?.findings?.[0]?.rule).toBe('b.error');
    expect(batch[2]?.analyses[0]?.observation).toEqual({ id: 'a', length: 'a boom task'.length });
    expect(batch[4]?.analyses.map((a) => a?.observation)).toEqual([
      { id: 'a', length: 22 },
      { id: 'b', length: 22 },
    ]);
  });
});
