import type { DatasetRecord } from '../dataset-record.js';
import type { TextRole } from './linear-text-model.js';

/**
 * Whether a text field is the user's own request (`R`: instruction, prompt,
 * user or system turn) or data the model reads or writes (`D`: inputs,
 * documents, tool results, answers). An instruction is normal in the first
 * and an injection in the second.
 */
const REQUEST_NAMES = new Set([
  'instruction',
  'prompt',
  'question',
  'query',
  'system',
  'system_prompt',
  'user',
  'human',
  'goal',
  'request',
  'task',
]);
const REQUEST_SPEAKERS = new Set(['user', 'human', 'system', 'developer']);

export function roleOfField(record: DatasetRecord, field: string): TextRole {
  const parts = field.split('.');
  const idx = parts.findIndex((p) => /^\d+$/.test(p));
  if (idx > 0 && (parts[0] === 'messages' || parts[0] === 'conversations')) {
    const turn = record.messages?.[Number(parts[idx])];
    if (turn) return REQUEST_SPEAKERS.has(turn.role.toLowerCase()) ? 'R' : 'D';
  }
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i] as string;
    if (/^\d+$/.test(p) || p === 'content' || p === 'value' || p === 'text') continue;
    return REQUEST_NAMES.has(p.toLowerCase()) ? 'R' : 'D';
  }
  // Plain `text` / classification records: the text is data.
  return 'D';
}

const ANSWER_NAMES = new Set(['output', 'response', 'chosen', 'rejected', 'completion', 'answer', 'target']);
const ANSWER_SPEAKERS = new Set(['assistant', 'gpt', 'model', 'bot']);

/**
 * True for the answer side (output, response, chosen/rejected, assistant
 * turns): data, but written by the model being trained, not read by it, so
 * instructions there are rarely injections ("add salt to your sauce").
 */
export function isAnswerField(record: DatasetRecord, field: string): boolean {
  const parts = field.split('.');
  const idx = parts.findIndex((p) => /^\d+$/.test(p));
  if (idx > 0 && (parts[0] === 'messages' || parts[0] === 'conversations')) {
    const turn = record.messages?.[Number(parts[idx])];
    if (turn) return ANSWER_SPEAKERS.has(turn.role.toLowerCase());
  }
  const last = [...parts].reverse().find((p) => !/^\d+$/.test(p) && p !== 'content' && p !== 'value');
  return last !== undefined && ANSWER_NAMES.has(last.toLowerCase());
}

/**
 * A request that embeds a document ("Summarise this e-mail:\n\n<e-mail>") is
 * scored as request for its first paragraph and as data for the rest.
 */
export function splitRequest(text: string): { request: string; data: string; dataOffset: number } {
  if (text.length < 300) return { request: text, data: '', dataOffset: text.length };
  const m = /:\s*\n|\n\s*\n/.exec(text);
  if (!m || m.index > 400) return { request: text, data: '', dataOffset: text.length };
  const cut = m.index + m[0].length;
  return { request: text.slice(0, cut), data: text.slice(cut), dataOffset: cut };
}
