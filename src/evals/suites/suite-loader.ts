import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { EvaluationError } from '../evaluation-error.js';
import type { EvalCase } from './eval-case.js';
import { type ChatMessage, type Expectation, type SuiteFile, SuiteFileSchema } from './suite-schema.js';

/** A validated suite with its cases expanded. */
export interface LoadedSuite {
  name: string;
  description: string;
  file: string;
  kind: SuiteFile['kind'];
  cases: EvalCase[];
  /** True for suites that need trigger candidates (`trigger_position` set). */
  needsTriggers: boolean;
}

export interface SuiteLoadOptions {
  /** Variables from the command line; they override suite and case variables. */
  vars?: Record<string, string>;
  /** Trigger candidates for trigger-probe suites. */
  triggers?: readonly string[];
  /** Planted canaries from the command line, added to the suite's own. */
  canaries?: readonly string[];
}

/** Compiles `json_schema` expectations at load time so a bad schema fails before any request. */
const schemaChecker = new Ajv({ strict: false });

/** Upper bound on matrix expansion per case, so a typo cannot explode a run. */
const MAX_EXPANSION = 1000;

type Located = { line: number; field: string };

/** Reads, validates and expands a suite file. */
export async function loadSuiteFile(file: string, options: SuiteLoadOptions = {}): Promise<LoadedSuite> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new EvaluationError(
      'eval.suite_not_found',
      `cannot read suite ${file}: ${(err as Error).message}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  return parseSuite(text, file, options);
}

/** Validates and expands suite YAML text; errors name file, line and field. */
export function parseSuite(text: string, file: string, options: SuiteLoadOptions = {}): LoadedSuite {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    throw invalid(file, { line, field: '(yaml)' }, firstError.message.split('\n')[0] ?? 'invalid YAML');
  }
  const lineOf = (path: readonly PropertyKey[]): number => {
    // Walk down as far as the YAML has nodes: preprocessed paths may go deeper than the source.
    let node: unknown = doc.contents;
    let offset = 0;
    for (const key of path) {
      if (!(isMap(node) || isSeq(node))) break;
      const next: unknown = node.get(key as string | number, true);
      if (next === undefined) {
        const pair = isMap(node)
          ? node.items.find((p) => String((p.key as { value?: unknown })?.value) === String(key))
          : undefined;
        const keyNode = pair?.key as { range?: [number, number, number] } | undefined;
        if (keyNode?.range) offset = keyNode.range[0];
        break;
      }
      node = next;
      const range = (next as { range?: [number, number, number] }).range;
      if (range) offset = range[0];
      else break;
    }
    return lineCounter.linePos(offset).line;
  };
  const parsed = SuiteFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw invalid(
      file,
      { line: lineOf(issue.path), field: formatPath(issue.path) },
      issue.message,
      parsed.error.issues,
    );
  }
  const suite = parsed.data;
  const seen = new Map<string, number>();
  suite.cases.forEach((c, i) => {
    const prev = seen.get(c.id);
    if (prev !== undefined)
      throw invalid(
        file,
        { line: lineOf(['cases', i, 'id']), field: `cases[${i}].id` },
        `duplicate case id "${c.id}" (first at cases[${prev}])`,
      );
    seen.set(c.id, i);
  });
  const needsTriggers = suite.trigger_position !== undefined;
  const cases: EvalCase[] = [];
  suite.cases.forEach((c, i) => {
    const where = { file, line: lineOf(['cases', i]) };
    const matrix = expandVars({ ...suite.vars, ...c.vars }, options.vars ?? {}, referencedText(suite, c));
    if (matrix.length > MAX_EXPANSION)
      throw invalid(
        file,
        { line: where.line, field: `cases[${i}].vars` },
        `expands to ${matrix.length} cases (max ${MAX_EXPANSION})`,
      );
    matrix.forEach((vars, m) => {
      const render = (s: string, field: string): string => {
        // Variables may reference variables (a wrapper around {{request}}): render to a fixed point.
        let out = s;
        for (let pass = 0; pass < 4 && TEMPLATE_RE.test(out); pass++) {
          out = out.replace(TEMPLATE_G, (_, name: string) => {
            const v = vars[name];
            if (v === undefined)
              throw invalid(
                file,
                { line: where.line, field: `cases[${i}].${field}` },
                `undefined template variable "${name}" (pass it with --var ${name}=...)`,
              );
            return v;
          });
        }
        return out;
      };
      const messages: ChatMessage[] = c.messages
        ? c.messages.map((msg, k) => ({
            role: msg.role,
            content: render(msg.content, `messages[${k}].content`),
          }))
        : [{ role: 'user', content: render(c.prompt ?? '', 'prompt') }];
      if (suite.system !== undefined && messages[0]?.role !== 'system')
        messages.unshift({ role: 'system', content: render(suite.system, 'system') });
      const canaries = [...suite.canaries.map((x) => render(x, 'canaries')), ...(options.canaries ?? [])];
      const expect = c.expect.map((e, k) => renderExpectation(e, (s) => render(s, `expect[${k}]`), canaries));
      for (const [k, e] of expect.entries()) {
        if (e.type === 'no_canary' && e.canaries.length === 0)
          throw invalid(
            file,
            { line: where.line, field: `cases[${i}].expect[${k}]` },
            'no_canary needs canaries (in the case, the suite "canaries" list, or --canary)',
          );
        if (e.type === 'json_schema') {
          try {
            schemaChecker.compile(e.schema);
          } catch (err) {
            throw invalid(
              file,
              { line: where.line, field: `cases[${i}].expect[${k}].json_schema` },
              `invalid JSON schema: ${(err as Error).message}`,
            );
          }
        }
        if (e.type === 'matches') {
          try {
            new RegExp(e.pattern, e.flags);
          } catch (err) {
            throw invalid(
              file,
              { line: where.line, field: `cases[${i}].expect[${k}].matches` },
              `invalid regular expression: ${(err as Error).message}`,
            );
          }
        }
      }
      const base: EvalCase = {
        suite: suite.suite,
        key: `${suite.suite}/${c.id}${matrix.length > 1 ? `#${m}` : ''}`,
        id: c.id,
        category: c.category,
        kind: c.kind ?? suite.kind,
        tags: c.tags,
        messages,
        expect,
        graders: suite.graders,
        source: where,
      };
      if (!needsTriggers) {
        cases.push(base);
        return;
      }
      cases.push({ ...base, key: `${base.key}@clean`, trigger: { probe: base.key, trigger: null } });
      (options.triggers ?? []).forEach((t, ti) => {
        cases.push({
          ...base,
          key: `${base.key}@t${ti}`,
          tags: [...base.tags, 'triggered'],
          messages: insertTrigger(messages, t, suite.trigger_position ?? 'prefix'),
          trigger: { probe: base.key, trigger: t },
        });
      });
    });
  });
  return { name: suite.suite, description: suite.description, file, kind: suite.kind, cases, needsTriggers };
}

function renderExpectation(e: Expectation, render: (s: string) => string, canaries: string[]): Expectation {
  switch (e.type) {
    case 'contains':
    case 'equals':
      return { ...e, value: render(e.value) };
    case 'matches':
      return { ...e, pattern: render(e.pattern) };
    case 'no_canary':
      return { ...e, canaries: [...new Set([...e.canaries.map(render), ...canaries])] };
    default:
      return e;
  }
}

/** Inserts a trigger into the last user turn. */
function insertTrigger(
  messages: ChatMessage[],
  trigger: string,
  position: 'prefix' | 'suffix',
): ChatMessage[] {
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  return messages.map((m, i) =>
    i !== lastUser
      ? m
      : { ...m, content: position === 'prefix' ? `${trigger} ${m.content}` : `${m.content} ${trigger}` },
  );
}

const TEMPLATE_RE = /\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}/;
const TEMPLATE_G = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** All template text of a case, to find which list variables it really uses. */
function referencedText(suite: SuiteFile, c: SuiteFile['cases'][number]): string {
  return JSON.stringify([suite.system, suite.canaries, c.prompt, c.messages, c.expect, c.vars]);
}

/**
 * Cartesian product of the list-valued variables a case references (directly or through
 * another variable); command-line variables are fixed scalars.
 */
function expandVars(
  vars: Record<string, string | number | (string | number)[]>,
  fixed: Record<string, string>,
  text: string,
): Record<string, string>[] {
  let rows: Record<string, string>[] = [{}];
  for (const [name, value] of Object.entries(vars)) {
    if (name in fixed) continue;
    if (Array.isArray(value) && !new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`).test(text)) continue;
    const values = Array.isArray(value) ? value : [value];
    const next: Record<string, string>[] = [];
    for (const row of rows) for (const v of values) next.push({ ...row, [name]: String(v) });
    rows = next;
    if (rows.length > MAX_EXPANSION) break;
  }
  return rows.map((r) => ({ ...r, ...fixed }));
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
      '',
    ) || '(root)'
  );
}

function invalid(file: string, at: Located, message: string, issues?: unknown): EvaluationError {
  return new EvaluationError('eval.invalid_suite', `${file}:${at.line}: ${at.field}: ${message}`, {
    details: { file, line: at.line, field: at.field, ...(issues ? { issues } : {}) },
  });
}
