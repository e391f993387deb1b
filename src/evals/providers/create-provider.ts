import { EvaluationError } from '../evaluation-error.js';
import { CommandProvider } from './command-provider.js';
import type { ModelProvider } from './model-provider.js';
import { OpenAiProvider } from './openai-provider.js';
import { type ProviderConfig, ProviderConfigSchema } from './provider-config.js';

/** Builds a provider from validated config. */
export function createProvider(config: ProviderConfig, options: { maxSockets?: number } = {}): ModelProvider {
  return config.type === 'openai' ? new OpenAiProvider(config, options) : new CommandProvider(config);
}

/**
 * Turns a `--base`/`--candidate` value into provider config: an http(s) URL of an
 * OpenAI-compatible API (`.../v1`), or `command:<argv as JSON array or words>`.
 * `overrides` carries model, API kind and sampling settings from flags or config.
 */
export function providerConfigFromRef(
  ref: string,
  overrides: Record<string, unknown>,
  field: string,
): ProviderConfig {
  let raw: Record<string, unknown>;
  if (ref.startsWith('command:')) {
    const spec = ref.slice('command:'.length).trim();
    const command = spec.startsWith('[') ? (JSON.parse(spec) as unknown) : spec.split(/\s+/).filter(Boolean);
    const { model, mode, env } = overrides;
    raw = {
      type: 'command',
      command,
      ...(model ? { model } : {}),
      ...(mode ? { mode } : {}),
      ...(env ? { env } : {}),
    };
  } else if (/^https?:\/\//.test(ref)) {
    raw = { type: 'openai', base_url: ref, model: 'default', ...stripCommandKeys(overrides) };
  } else {
    throw new EvaluationError(
      'eval.invalid_provider',
      `${field}: "${ref}" is neither an http(s) URL nor command:<argv>`,
      {
        details: { field },
      },
    );
  }
  const parsed = ProviderConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EvaluationError(
      'eval.invalid_provider',
      `${field}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid provider'}`,
      { details: { field } },
    );
  }
  return parsed.data;
}

function stripCommandKeys(o: Record<string, unknown>): Record<string, unknown> {
  const { mode: _mode, env: _env, ...rest } = o;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}
