import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EvaluationError } from '../evaluation-error.js';

/**
 * Built-in suites ship as YAML next to this module (`builtin/*.yaml`); the build
 * copies them into dist, so the same relative URL works from source and from dist.
 */
const BUILTIN_DIR = fileURLToPath(new URL('./builtin/', import.meta.url));

/** Names of the built-in suites, sorted. */
export function builtinSuiteNames(): string[] {
  if (!existsSync(BUILTIN_DIR)) return [];
  return readdirSync(BUILTIN_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Path of a built-in suite's YAML file. */
export function builtinSuitePath(name: string): string {
  return `${BUILTIN_DIR}${name}.yaml`;
}

/** Resolves `--suite` values: a built-in name or a path to a YAML file. */
export function resolveSuiteRef(ref: string): string {
  if (builtinSuiteNames().includes(ref)) return builtinSuitePath(ref);
  if (existsSync(ref)) return ref;
  throw new EvaluationError(
    'eval.suite_not_found',
    `suite "${ref}" is neither a built-in suite (${builtinSuiteNames().join(', ')}) nor a file`,
    { details: { suite: ref } },
  );
}
