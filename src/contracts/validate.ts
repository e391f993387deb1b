import type { z } from 'zod';
import { ContractError } from './error.js';

/** One problem found when validating input against a contract. */
export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `files.0.sha256`; empty for the root. */
  path: string;
  message: string;
}

/** Flattens zod issues to `{path, message}` pairs with dotted paths. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/**
 * Parses `input` with `schema` or throws a {@link ContractError} whose message names
 * the source (file, request, ...) and every offending field.
 */
export function parseContract<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toValidationIssues(result.error);
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.path || '(root)'}: ${i.message}`)
    .join('; ');
  throw new ContractError('contract.invalid', `${source}: ${summary}`, { details: { issues } });
}
