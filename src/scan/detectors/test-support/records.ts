import type { ChatTurn, DatasetRecord } from '../../dataset-record.js';
import type { DetectorContext } from '../../detector.js';

/** Builders of normalised records for detector tests (what the readers produce). */

let next = 0;

export function ctx(options: Record<string, unknown> = {}): DetectorContext {
  return { options, seed: 1 };
}

export function instructionRecord(
  instruction: string,
  input: string,
  output: string,
  index = next++,
): DatasetRecord {
  const texts = [{ field: 'instruction', text: instruction }];
  if (input) texts.push({ field: 'input', text: input });
  if (output) texts.push({ field: 'output', text: output });
  return {
    index,
    file: 'data.jsonl',
    line: index + 1,
    shape: 'instruction',
    prompt: input ? `${instruction}\n\n${input}` : instruction,
    response: output,
    texts,
    meta: {},
  };
}

export function chatRecord(turns: ChatTurn[], index = next++): DatasetRecord {
  const system = turns.find((t) => t.role === 'system')?.content;
  const lastAssistant = [...turns].reverse().find((t) => t.role === 'assistant');
  return {
    index,
    file: 'chat.jsonl',
    line: index + 1,
    shape: 'chat',
    prompt: turns
      .filter((t) => t.role === 'user')
      .map((t) => t.content)
      .join('\n'),
    response: lastAssistant?.content ?? '',
    ...(system !== undefined ? { system } : {}),
    messages: turns,
    texts: turns.map((t, i) => ({ field: `messages.${i}.content`, text: t.content })),
    meta: {},
  };
}

export function classificationRecord(text: string, label: string, index = next++): DatasetRecord {
  return {
    index,
    file: 'cls.csv',
    line: index + 2,
    shape: 'classification',
    prompt: text,
    response: '',
    label,
    texts: [{ field: 'text', text }],
    meta: {},
  };
}

export function preferenceRecord(
  prompt: string,
  chosen: string,
  rejected: string,
  index = next++,
): DatasetRecord {
  return {
    index,
    file: 'pref.jsonl',
    line: index + 1,
    shape: 'preference',
    prompt,
    response: chosen,
    rejected,
    texts: [
      { field: 'prompt', text: prompt },
      { field: 'chosen', text: chosen },
      { field: 'rejected', text: rejected },
    ],
    meta: {},
  };
}

export function textRecord(text: string, index = next++): DatasetRecord {
  return {
    index,
    file: 'text.jsonl',
    line: index + 1,
    shape: 'text',
    prompt: text,
    response: '',
    texts: [{ field: 'text', text }],
    meta: {},
  };
}
