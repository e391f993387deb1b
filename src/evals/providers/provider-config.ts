import { z } from 'zod';

/** OpenAI-compatible endpoint (vLLM, TGI, Ollama, llama.cpp, hosted APIs). */
export const OpenAiProviderConfigSchema = z
  .object({
    type: z.literal('openai'),
    /** `chat` posts to /chat/completions, `completions` to /completions. */
    api: z.enum(['chat', 'completions']).default('chat'),
    base_url: z.url(),
    model: z.string().min(1),
    /** Name of the environment variable holding the API key (never the key itself). */
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    headers: z.record(z.string(), z.string()).default({}),
    temperature: z.number().min(0).max(2).default(0),
    max_tokens: z.number().int().positive().default(512),
    /** Base seed; sample i sends seed + i so that samples differ but stay reproducible. */
    seed: z.number().int().optional(),
  })
  .strict();

/** Any program speaking JSON over stdin/stdout. */
export const CommandProviderConfigSchema = z
  .object({
    type: z.literal('command'),
    /** argv; the first element is the executable (no shell). */
    command: z.array(z.string().min(1)).min(1),
    /**
     * `per_request`: one process per request, request JSON on stdin, `{"text": ...}` on stdout.
     * `line`: one long-lived process, one JSON request per line in, one `{"id", "text"}` per line out.
     */
    mode: z.enum(['per_request', 'line']).default('per_request'),
    model: z.string().default('command'),
    env: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const ProviderConfigSchema = z.discriminatedUnion('type', [
  OpenAiProviderConfigSchema,
  CommandProviderConfigSchema,
]);
export type ProviderConfig = z.output<typeof ProviderConfigSchema>;
export type OpenAiProviderConfig = z.output<typeof OpenAiProviderConfigSchema>;
export type CommandProviderConfig = z.output<typeof CommandProviderConfigSchema>;
