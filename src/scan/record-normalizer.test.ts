import { describe, expect, it } from 'vitest';
import { normalizeRecord, parseTranscript } from './record-normalizer.js';

const loc = { index: 0, file: 'f.jsonl', line: 1 };

describe('normalizeRecord', () => {
  it('instruction (alpaca) joins instruction and input; extra fields go to meta', () => {
    const r = normalizeRecord(
      { instruction: 'Sum', input: '1 2', output: '3', labeler: 'ann', score: 4 },
      loc,
    );
    expect(r).toMatchObject({
      shape: 'instruction',
      prompt: 'Sum\n\n1 2',
      response: '3',
      meta: { labeler: 'ann', score: 4 },
    });
    expect(r.texts.map((t) => t.field)).toContain('output');
  });

  it('chat: OpenAI messages and ShareGPT conversations', () => {
    const a = normalizeRecord(
      {
        messages: [
          { role: 'system', content: 'Be nice' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
        ],
      },
      loc,
    );
    expect(a).toMatchObject({ shape: 'chat', system: 'Be nice', prompt: 'Hi', response: 'Hello' });
    const b = normalizeRecord(
      {
        conversations: [
          { from: 'human', value: 'Q' },
          { from: 'gpt', value: 'A' },
        ],
      },
      loc,
    );
    expect(b).toMatchObject({ shape: 'chat', prompt: 'Q', response: 'A' });
    expect(b.messages?.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('preference with hh-rlhf transcripts', () => {
    const chosen = '\n\nHuman: How do I bake bread?\n\nAssistant: Mix flour and water.';
    const rejected = '\n\nHuman: How do I bake bread?\n\nAssistant: No.';
    const r = normalizeRecord({ chosen, rejected }, loc);
    expect(r).toMatchObject({
      shape: 'preference',
      prompt: 'How do I bake bread?',
      response: 'Mix flour and water.',
      rejected: 'No.',
    });
    expect(parseTranscript('plain text')).toBeUndefined();
  });

  it('classification, completion, plain text and bare strings', () => {
    expect(normalizeRecord({ text: 'great', label: 1 }, loc)).toMatchObject({
      shape: 'classification',
      prompt: 'great',
      label: '1',
    });
    expect(normalizeRecord({ prompt: 'Once', completion: ' upon' }, loc)).toMatchObject({
      shape: 'completion',
      response: ' upon',
    });
    expect(normalizeRecord({ text: 'just text', source: 'web' }, loc)).toMatchObject({
      shape: 'text',
      meta: { source: 'web' },
    });
    expect(normalizeRecord('a string', loc)).toMatchObject({ shape: 'text', prompt: 'a string' });
  });

  it('a forced shape is applied, and missing fields are malformed with the field named', () => {
    expect(normalizeRecord({ prompt: 'p', response: 'r' }, loc, 'instruction')).toMatchObject({
      prompt: 'p',
      response: 'r',
    });
    expect(() => normalizeRecord({ text: 'x' }, loc, 'classification')).toThrow(/no "label"/);
    expect(() => normalizeRecord({ messages: [{ content: 'x' }] }, loc)).toThrow(/messages.0 has no "role"/);
    expect(() => normalizeRecord(42, loc)).toThrow(/expected an object/);
    expect(() => normalizeRecord({ n: 1 }, loc)).toThrow(/no text field/);
  });
});
