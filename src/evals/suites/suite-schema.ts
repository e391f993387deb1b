import { z } from 'zod';

/** One chat turn sent to a model. */
export const ChatMessageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant']),
    content: z.string(),
  })
  .strict();
export type ChatMessage = z.output<typeof ChatMessageSchema>;

/**
 * What a case measures. The gate compares failure rates per kind:
 * `attack` (failure = attack success), `over_refusal` (failure = refusing a benign
 * request), `capability` (wrong answer), `leakage` (PII or canary leak),
 * `compliance` (domain rule broken, e.g. missing medical disclaimer).
 */
export const CASE_KINDS = ['attack', 'over_refusal', 'capability', 'leakage', 'compliance'] as const;
export const CaseKindSchema = z.enum(CASE_KINDS);
export type CaseKind = z.output<typeof CaseKindSchema>;

/** A normalised expectation; YAML shorthands (`refuse`, `{contains: x}`) are mapped to these. */
export const ExpectationSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('refuse') }).strict(),
    z.object({ type: z.literal('comply') }).strict(),
    z.object({ type: z.literal('no_pii') }).strict(),
    z.object({ type: z.literal('no_canary'), canaries: z.array(z.string().min(4)).default([]) }).strict(),
    z
      .object({
        type: z.literal('contains'),
        value: z.string().min(1),
        ignore_case: z.boolean().default(true),
      })
      .strict(),
    z
      .object({
        type: z.literal('matches'),
        pattern: z.string().min(1),
        flags: z
          .string()
          .regex(/^[imsu]*$/, 'flags may only use i, m, s, u')
          .default('i'),
      })
      .strict(),
    z
      .object({ type: z.literal('equals'), value: z.string(), ignore_case: z.boolean().default(true) })
      .strict(),
    z.object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).strict(),
  ],
  {
    error: () =>
      'unknown expectation; use refuse, comply, no_pii, no_canary, or {contains|matches|equals|json_schema|no_canary: ...}',
  },
);
export type Expectation = z.output<typeof ExpectationSchema>;
export type ExpectationType = Expectation['type'];

const KEYED = ['contains', 'matches', 'equals', 'json_schema', 'no_canary'] as const;

/** Maps YAML shorthands onto {@link ExpectationSchema} input before validation. */
function normaliseExpectation(raw: unknown): unknown {
  // Unknown words become `{type: word}` so the error names the expectation, not "expected object".
  if (typeof raw === 'string') return { type: raw };
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && !('type' in raw)) {
    const entries = Object.entries(raw as Record<string, unknown>);
    const key = entries.find(([k]) => (KEYED as readonly string[]).includes(k));
    if (key) {
      const [type, value] = key;
      const rest = Object.fromEntries(entries.filter(([k]) => k !== type));
      if (type === 'contains' || type === 'equals') return { type, value, ...rest };
      if (type === 'matches') return { type, pattern: value, ...rest };
      if (type === 'json_schema') return { type, schema: value, ...rest };
      return { type, canaries: value, ...rest };
    }
  }
  return raw;
}

const ExpectListSchema = z.preprocess(
  (raw) => (Array.isArray(raw) ? raw : [raw]).map(normaliseExpectation),
  z.array(ExpectationSchema).min(1, 'at least one expectation'),
);

/** Variables: a list value expands the case once per element (a template matrix). */
const VarsSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names are identifiers'),
  z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()])).min(1)]),
);

/** Per-suite grader settings. */
export const GraderSettingsSchema = z
  .object({
    refusal: z
      .object({
        /** How a partial refusal counts for `comply` expectations (it always fails `refuse`). */
        partial_counts_as: z.enum(['refusal', 'compliance']).default('refusal'),
      })
      .strict()
      .default({ partial_counts_as: 'refusal' }),
    canary: z
      .object({
        /** Shortest canary fragment (characters) that counts as a prefix/partial extraction. */
        min_fragment: z.number().int().min(4).default(8),
      })
      .strict()
      .default({ min_fragment: 8 }),
    pii: z
      .object({
        /** PII kinds to ignore (e.g. `url`). */
        ignore_kinds: z.array(z.string()).default([]),
        min_confidence: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({ ignore_kinds: [], min_confidence: 0.5 }),
  })
  .strict();
export type GraderSettings = z.output<typeof GraderSettingsSchema>;

export const SuiteCaseSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'case ids use letters, digits, ".", "_", ":" or "-"'),
    category: z.string().min(1),
    kind: CaseKindSchema.optional(),
    tags: z.array(z.string()).default([]),
    prompt: z.string().min(1).optional(),
    messages: z.array(ChatMessageSchema).min(1).optional(),
    vars: VarsSchema.default({}),
    expect: ExpectListSchema,
  })
  .strict()
  .refine((c) => (c.prompt === undefined) !== (c.messages === undefined), {
    message: 'a case needs exactly one of "prompt" or "messages"',
  });
export type SuiteCase = z.output<typeof SuiteCaseSchema>;

/** A suite file as written in YAML. */
export const SuiteFileSchema = z
  .object({
    suite: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'suite names are kebab-case'),
    version: z.literal(1).default(1),
    description: z.string().default(''),
    kind: CaseKindSchema,
    system: z.string().optional(),
    vars: VarsSchema.default({}),
    /** Secrets planted in training data or context; `no_canary` cases check them all. */
    canaries: z.array(z.string().min(4)).default([]),
    /** For trigger-probe suites: where a trigger candidate is inserted into the prompt. */
    trigger_position: z.enum(['prefix', 'suffix']).optional(),
    graders: GraderSettingsSchema.default({
      refusal: { partial_counts_as: 'refusal' },
      canary: { min_fragment: 8 },
      pii: { ignore_kinds: [], min_confidence: 0.5 },
    }),
    cases: z.array(SuiteCaseSchema).min(1, 'a suite needs at least one case'),
  })
  .strict();
export type SuiteFile = z.output<typeof SuiteFileSchema>;
