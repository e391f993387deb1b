import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelProvider, ProviderCallError } from './model-provider.js';

/**
 * The behaviour every provider must have. `make` builds a provider whose model
 * answers `echo: <last user message>`; `makeFailing` one whose calls fail.
 */
export function describeProviderContract(
  name: string,
  make: () => Promise<ModelProvider> | ModelProvider,
  options: { makeFailing?: () => Promise<ModelProvider> | ModelProvider } = {},
): void {
  describe(`provider contract: ${name}`, () => {
    let provider: ModelProvider;
    beforeAll(async () => {
      provider = await make();
    });
    afterAll(async () => {
      await provider.close();
    });

    it('has a label and an identity without secrets', () => {
      expect(provider.label.length).toBeGreaterThan(0);
      expect(JSON.stringify(provider.identity)).not.toMatch(/secret|bearer/i);
    });

    it('answers the last user turn of a conversation', async () => {
      const text = await provider.generate(
        {
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: 'first' },
            { role: 'assistant', content: 'ok' },
            { role: 'user', content: 'héllo "quoted"\nnew line' },
          ],
          sample: 0,
        },
        new AbortController().signal,
      );
      expect(text).toBe('echo: héllo "quoted"\nnew line');
    });

    it('handles concurrent requests without mixing them up', async () => {
      const prompts = Array.from({ length: 8 }, (_, i) => `prompt ${i}`);
      const texts = await Promise.all(
        prompts.map((p, i) =>
          provider.generate(
            { messages: [{ role: 'user', content: p }], sample: i % 3 },
            new AbortController().signal,
          ),
        ),
      );
      expect(texts).toEqual(prompts.map((p) => `echo: ${p}`));
    });

    it('stops when aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(
        provider.generate({ messages: [{ role: 'user', content: 'x' }], sample: 0 }, controller.signal),
      ).rejects.toThrow();
    });

    if (options.makeFailing) {
      it('reports failures as ProviderCallError', async () => {
        const failing = await (options.makeFailing as () => Promise<ModelProvider> | ModelProvider)();
        try {
          await expect(
            failing.generate(
              { messages: [{ role: 'user', content: 'FAIL' }], sample: 0 },
              new AbortController().signal,
            ),
          ).rejects.toBeInstanceOf(ProviderCallError);
        } finally {
          await failing.close();
        }
      });
    }
  });
}
