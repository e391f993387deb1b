import type { ChatTurn, DatasetRecord, RecordShape, TextField } from './dataset-record.js';

export const RECORD_SHAPES: readonly RecordShape[] = [
  'instruction',
  'chat',
  'preference',
  'classification',
  'completion',
  'text',
];

/** Where a record sits in the dataset. */
export interface RecordLocation {
  index: number;
  file: string;
  line: number;
}

/** Thrown (as a plain Error) for a record that cannot be normalised; the engine turns it into a finding. */
export class MalformedRecord extends Error {
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

const CHAT_ROLE: Record<string, string> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  bot: 'assistant',
  model: 'assistant',
  chatgpt: 'assistant',
  system: 'system',
  tool: 'tool',
  function: 'tool',
};

const MAX_TEXT_FIELDS = 256;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Every string inside a value with its dotted path (bounded, for content detectors). */
function collectTexts(value: unknown, path: string, out: TextField[], depth = 0): void {
  if (out.length >= MAX_TEXT_FIELDS || depth > 8) return;
  if (typeof value === 'string') {
    if (value.length > 0) out.push({ field: path, text: value });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++)
      collectTexts(value[i], path ? `${path}.${i}` : String(i), out, depth + 1);
  } else if (value !== null && typeof value === 'object') {
    // Object.keys + indexing: Object.entries allocates a pair per field of every record.
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) collectTexts(o[k], path ? `${path}.${k}` : k, out, depth + 1);
  }
}

function toTurns(list: unknown, field: string): ChatTurn[] {
  if (!Array.isArray(list)) throw new MalformedRecord(`"${field}" must be an array of turns`, field);
  return list.map((t, i) => {
    if (t === null || typeof t !== 'object')
      throw new MalformedRecord(`${field}.${i} is not an object`, `${field}.${i}`);
    const o = t as Record<string, unknown>;
    const roleRaw = str(o.role) ?? str(o.from) ?? str(o.speaker);
    let content = o.content ?? o.value ?? o.text;
    if (Array.isArray(content)) {
      // OpenAI content parts: [{type: 'text', text}, ...]
      content = content
        .map((p) => (typeof p === 'string' ? p : (str((p as Record<string, unknown> | null)?.text) ?? '')))
        .join('');
    }
    if (roleRaw === undefined)
      throw new MalformedRecord(`${field}.${i} has no "role"/"from"`, `${field}.${i}`);
    if (typeof content !== 'string' && content !== null && content !== undefined) {
      throw new MalformedRecord(`${field}.${i}.content is not a string`, `${field}.${i}.content`);
    }
    const role = CHAT_ROLE[roleRaw.toLowerCase()] ?? roleRaw;
    return { role, content: typeof content === 'string' ? content : '' };
  });
}

const HH_TURN = /\n\n(Human|Assistant):[ ]?/g;

/** Parses an hh-rlhf transcript ("\n\nHuman: ...\n\nAssistant: ...") into turns; undefined if it is not one. */
export function parseTranscript(text: string): ChatTurn[] | undefined {
  const src = text.startsWith('Human:') ? `\n\n${text}` : text;
  const marks = [...src.matchAll(HH_TURN)];
  if (marks.length < 2 || marks[0]?.index !== 0) return undefined;
  const turns: ChatTurn[] = [];
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i] as RegExpMatchArray;
    const start = (m.index ?? 0) + m[0].length;
    const end = marks[i + 1]?.index ?? src.length;
    turns.push({ role: m[1] === 'Human' ? 'user' : 'assistant', content: src.slice(start, end).trim() });
  }
  return turns;
}

function lastAssistant(turns: ChatTurn[]): string {
  for (let i = turns.length - 1; i >= 0; i--)
    if (turns[i]?.role === 'assistant') return turns[i]?.content ?? '';
  return '';
}

function userSide(turns: ChatTurn[], uptoLastAssistant: boolean): string {
  let end = turns.length;
  if (uptoLastAssistant) {
    for (let i = turns.length - 1; i >= 0; i--) {
      if (turns[i]?.role === 'assistant') {
        end = i;
        break;
      }
    }
  }
  return turns
    .slice(0, end)
    .filter((t) => t.role === 'user')
    .map((t) => t.content)
    .join('\n');
}

/** Detects the shape of a parsed record from its fields. */
export function detectShape(o: Record<string, unknown>): RecordShape {
  if (Array.isArray(o.messages) || Array.isArray(o.conversations) || Array.isArray(o.conversation))
    return 'chat';
  if ('chosen' in o && 'rejected' in o) return 'preference';
  if ('instruction' in o) return 'instruction';
  if ('prompt' in o && 'completion' in o) return 'completion';
  if (('question' in o && 'answer' in o) || ('prompt' in o && ('response' in o || 'output' in o)))
    return 'instruction';
  if ('label' in o && ('text' in o || 'sentence' in o || 'content' in o)) return 'classification';
  return 'text';
}

const META_SKIP = new Set(['messages', 'conversations', 'conversation', 'chosen', 'rejected']);

function textOf(o: Record<string, unknown>, keys: string[], required: string | null): string {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  if (required) throw new MalformedRecord(`missing text field "${required}"`, required);
  return '';
}

/** The response side of a preference record (a string, an hh transcript or a list of turns). */
function preferenceSide(v: unknown, field: string): { text: string; turns?: ChatTurn[] } {
  if (typeof v === 'string') {
    const turns = parseTranscript(v);
    return turns ? { text: lastAssistant(turns), turns } : { text: v };
  }
  if (Array.isArray(v)) {
    const turns = toTurns(v, field);
    return { text: lastAssistant(turns), turns };
  }
  throw new MalformedRecord(`"${field}" must be a string or a list of turns`, field);
}

/**
 * Normalises one parsed record into a {@link DatasetRecord}. The shape is
 * detected from the fields unless `forced`; fields the shape does not use
 * (labeler id, source, timestamps, ...) are kept in `meta`.
 */
export function normalizeRecord(value: unknown, loc: RecordLocation, forced?: RecordShape): DatasetRecord {
  const base = { index: loc.index, file: loc.file, line: loc.line };
  if (typeof value === 'string') {
    if (forced && forced !== 'text') throw new MalformedRecord(`a bare string cannot be a ${forced} record`);
    return {
      ...base,
      shape: 'text',
      prompt: value,
      response: '',
      texts: [{ field: 'text', text: value }],
      meta: {},
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedRecord(
      `record is ${Array.isArray(value) ? 'an array' : String(value === null ? 'null' : typeof value)}, expected an object`,
    );
  }
  const o = value as Record<string, unknown>;
  const shape = forced ?? detectShape(o);
  const texts: TextField[] = [];
  collectTexts(o, '', texts);
  const used = new Set<string>();
  let rec: DatasetRecord;
  switch (shape) {
    case 'chat': {
      const key = Array.isArray(o.messages)
        ? 'messages'
        : Array.isArray(o.conversations)
          ? 'conversations'
          : 'conversation';
      if (!Array.isArray(o[key]))
        throw new MalformedRecord('chat record needs a "messages" or "conversations" array', 'messages');
      const turns = toTurns(o[key], key);
      used.add(key);
      const system = turns.find((t) => t.role === 'system')?.content ?? str(o.system);
      const hasAssistantLast = turns.length > 0 && turns[turns.length - 1]?.role === 'assistant';
      rec = {
        ...base,
        shape,
        prompt: userSide(turns, hasAssistantLast),
        response: lastAssistant(turns),
        messages: turns,
        ...(system !== undefined ? { system } : {}),
        texts,
        meta: {},
      };
      break;
    }
    case 'preference': {
      if (!('chosen' in o) || !('rejected' in o))
        throw new MalformedRecord('preference record needs "chosen" and "rejected"', 'chosen');
      const chosen = preferenceSide(o.chosen, 'chosen');
      const rejected = preferenceSide(o.rejected, 'rejected');
      used.add('chosen');
      used.add('rejected');
      let prompt = textOf(o, ['prompt', 'question', 'instruction'], null);
      if (prompt === '' && chosen.turns) prompt = userSide(chosen.turns, true);
      for (const k of ['prompt', 'question', 'instruction']) used.add(k);
      rec = {
        ...base,
        shape,
        prompt,
        response: chosen.text,
        rejected: rejected.text,
        ...(chosen.turns ? { messages: chosen.turns } : {}),
        texts,
        meta: {},
      };
      break;
    }
    case 'instruction': {
      const instruction = textOf(o, ['instruction', 'prompt', 'question', 'query'], 'instruction');
      const input = textOf(o, ['input', 'context'], null);
      const response = textOf(o, ['output', 'response', 'answer', 'completion'], null);
      for (const k of [
        'instruction',
        'prompt',
        'question',
        'query',
        'input',
        'context',
        'output',
        'response',
        'answer',
        'completion',
      ])
        used.add(k);
      rec = {
        ...base,
        shape,
        prompt: input ? `${instruction}\n\n${input}` : instruction,
        response,
        texts,
        meta: {},
      };
      break;
    }
    case 'completion': {
      const prompt = textOf(o, ['prompt'], 'prompt');
      const response = textOf(o, ['completion'], 'completion');
      used.add('prompt');
      used.add('completion');
      rec = { ...base, shape, prompt, response, texts, meta: {} };
      break;
    }
    case 'classification': {
      const text = textOf(o, ['text', 'sentence', 'content', 'prompt'], 'text');
      const label = o.label ?? o.labels ?? o.class;
      if (label === undefined || label === null || label === '')
        throw new MalformedRecord('classification record has no "label"', 'label');
      for (const k of ['text', 'sentence', 'content', 'prompt', 'label', 'labels', 'class']) used.add(k);
      rec = {
        ...base,
        shape,
        prompt: text,
        response: '',
        label: typeof label === 'string' ? label : JSON.stringify(label),
        texts,
        meta: {},
      };
      break;
    }
    default: {
      const text =
        textOf(o, ['text', 'content', 'document', 'body', 'prompt'], null) ||
        texts.map((t) => t.text).join('\n');
      if (text === '') throw new MalformedRecord('record has no text field');
      for (const k of ['text', 'content', 'document', 'body']) used.add(k);
      rec = { ...base, shape: 'text', prompt: text, response: '', texts, meta: {} };
    }
  }
  const sys = str(o.system) ?? str(o.system_prompt);
  if (sys !== undefined && rec.system === undefined) rec.system = sys;
  for (const k of Object.keys(o)) {
    if (used.has(k) || META_SKIP.has(k) || k === 'system') continue;
    const v = o[k];
    if (v === null || typeof v !== 'object')
      rec.meta[k] = typeof v === 'string' && v.length > 512 ? `${v.slice(0, 512)}…` : v;
  }
  return rec;
}
