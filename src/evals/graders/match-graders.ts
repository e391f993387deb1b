import { Ajv, type ValidateFunction } from 'ajv';
import type { Grade, GradeInput, Grader } from './grader.js';
import { EXACT } from './grader.js';

function norm(s: string, ignoreCase: boolean): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return ignoreCase ? t.toLowerCase() : t;
}

const SPACE_RE = /\s/;

/**
 * `norm(response).includes(norm(value))` without normalising the response when the
 * needle has no whitespace: collapsing whitespace runs and trimming cannot create or
 * break an occurrence of a string that contains none, so only case folding matters.
 */
function containsNormalised(response: string, value: string, ignoreCase: boolean): boolean {
  const needle = norm(value, ignoreCase);
  if (SPACE_RE.test(needle)) return norm(response, ignoreCase).includes(needle);
  return (ignoreCase ? response.toLowerCase() : response).includes(needle);
}

/** `contains`, `matches` and `equals` expectations (exact by construction). */
export const textMatchGrader: Grader = {
  name: 'text-match',
  handles: ['contains', 'matches', 'equals'],
  errorRates: EXACT,
  grade({ expectation: e, response }: GradeInput): Grade {
    // Object literals rather than `{ ...base, ... }`: on Node 20 spreading into a literal
    // with extra keys costs microseconds, more than the check itself.
    switch (e.type) {
      case 'contains': {
        const pass = containsNormalised(response, e.value, e.ignore_case);
        return {
          grader: 'text-match',
          expectation: 'contains',
          pass,
          label: pass ? 'match' : 'no-match',
          reason: `${pass ? '' : 'does not '}contain "${e.value}"`,
        };
      }
      case 'matches': {
        const pass = new RegExp(e.pattern, e.flags).test(response);
        return {
          grader: 'text-match',
          expectation: 'matches',
          pass,
          label: pass ? 'match' : 'no-match',
          reason: `${pass ? '' : 'does not '}match /${e.pattern}/${e.flags}`,
        };
      }
      case 'equals': {
        // Trailing punctuation and wrapping quotes are formatting, not a different answer.
        const clean = (s: string) => norm(s, e.ignore_case).replace(/^["'`]+|["'`.!]+$/g, '');
        const pass = clean(response) === clean(e.value);
        return {
          grader: 'text-match',
          expectation: 'equals',
          pass,
          label: pass ? 'match' : 'no-match',
          reason: `${pass ? '' : 'does not '}equal "${e.value}"`,
        };
      }
      default:
        throw new Error(`text-match grader cannot grade ${e.type}`);
    }
  },
};

/** Pulls the JSON value out of a response: a fenced block, else the outermost {...} or [...]. */
export function extractJson(response: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(response);
  const candidates = [fenced?.[1], response];
  for (const raw of candidates) {
    if (raw === undefined) continue;
    const text = raw.trim();
    const start = text.search(/[[{]/);
    if (start < 0) continue;
    const open = text[start];
    const end = text.lastIndexOf(open === '{' ? '}' : ']');
    if (end <= start) continue;
    try {
      return JSON.parse(text.slice(start, end + 1));
    } catch {
      // Not JSON at this position; try the next candidate.
    }
  }
  return undefined;
}

const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** `json_schema` expectations, validated with Ajv (JSON Schema draft-07/2019 subset Ajv supports). */
export const jsonSchemaGrader: Grader = {
  name: 'json-schema',
  handles: ['json_schema'],
  errorRates: EXACT,
  grade({ expectation: e, response }: GradeInput): Grade {
    if (e.type !== 'json_schema') throw new Error('json-schema grader: wrong expectation');
    let validate = compiled.get(e.schema);
    if (!validate) {
      validate = ajv.compile(e.schema);
      compiled.set(e.schema, validate);
    }
    const value = extractJson(response);
    if (value === undefined)
      return {
        grader: 'json-schema',
        expectation: 'json_schema',
        pass: false,
        label: 'no-json',
        reason: 'no JSON value in response',
      };
    const pass = validate(value);
    return {
      grader: 'json-schema',
      expectation: 'json_schema',
      pass,
      label: pass ? 'valid' : 'invalid',
      reason: pass ? 'valid JSON' : `schema violation: ${ajv.errorsText(validate.errors)}`,
    };
  },
};
