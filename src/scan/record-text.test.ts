import { describe, expect, it } from 'vitest';
import type { DatasetRecord } from './dataset-record.js';
import { recordContent, recordContentSummary } from './record-text.js';

function record(parts: Partial<DatasetRecord>): DatasetRecord {
  return {
    index: 0,
    file: 'f',
    line: 1,
    shape: 'instruction',
    prompt: '',
    response: '',
    texts: [],
    meta: {},
    ...parts,
  };
}

describe('recordContentSummary', () => {
  it('gives the length and prefix of recordContent for every shape of content', () => {
    const long = 'x'.repeat(1500);
    const records = [
      record({}),
      record({ prompt: 'short' }),
      record({ prompt: long, response: 'answer' }),
      record({ system: 'be nice', prompt: 'hi', response: long, rejected: 'no' }),
      record({ response: 'only an answer' }),
      record({
        shape: 'chat',
        prompt: 'ignored for chat',
        messages: [
          { role: 'system', content: 'sys' },
          { role: 'user', content: long },
          { role: 'assistant', content: '' },
          { role: 'assistant', content: 'done' },
        ],
      }),
    ];
    for (const r of records) {
      const full = recordContent(r);
      for (const prefix of [0, 1, 5, 1000, 5000]) {
        const s = recordContentSummary(r, prefix);
        expect(s.length).toBe(full.length);
        expect(s.head).toBe(full.slice(0, prefix));
      }
    }
  });
});
