import { mkdtemp, readdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReferenceServer, startReferenceServer } from '../test-support/reference-server.js';
import { CommandProvider } from './command-provider.js';
import { providerConfigFromRef } from './create-provider.js';
import { ModelClient } from './model-client.js';
import { ProviderCallError } from './model-provider.js';
import { completionPrompt, OpenAiProvider } from './openai-provider.js';
import { describeProviderContract } from './provider.contract-test.js';
import { cacheKey, ResponseCache } from './response-cache.js';
import { backoffDelay, parseRetryAfter, type RetryPolicy, withRetries } from './retry-policy.js';

const ECHO = fileURLToPath(new URL('../test-support/echo-model.mjs', import.meta.url));
let server: ReferenceServer;
beforeAll(async () => {
  server = await startReferenceServer();
});
afterAll(async () => {
  await server.close();
});

const openai = (api: 'chat' | 'completions', model = 'echo') =>
  new OpenAiProvider({
    type: 'openai',
    api,
    base_url: server.url,
    model,
    headers: {},
    temperature: 0,
    max_tokens: 64,
  });

describeProviderContract('openai chat', () => openai('chat'), {
  // A port nothing listens on: connection refused.
  makeFailing: () =>
    new OpenAiProvider({
      type: 'openai',
      api: 'chat',
      base_url: 'http://127.0.0.1:9/v1',
      model: 'x',
      headers: {},
      temperature: 0,
      max_tokens: 8,
    }),
});
describeProviderContract('openai completions', () => openai('completions'));
describeProviderContract(
  'command per_request',
  () =>
    new CommandProvider({
      type: 'command',
      command: [process.execPath, ECHO],
      mode: 'per_request',
      model: 'echo',
      env: {},
    }),
  {
    makeFailing: () =>
      new CommandProvider({
        type: 'command',
        command: [process.execPath, ECHO],
        mode: 'per_request',
        model: 'echo',
        env: {},
      }),
  },
);
describeProviderContract(
  'command line',
  () =>
    new CommandProvider({
      type: 'command',
      command: [process.execPath, ECHO, '--line'],
      mode: 'line',
      model: 'echo',
      env: {},
    }),
  {
    makeFailing: () =>
      new CommandProvider({
        type: 'command',
        command: [process.execPath, ECHO, '--line'],
        mode: 'line',
        model: 'echo',
        env: {},
      }),
  },
);

const fast: RetryPolicy = { retries: 3, baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2000 };

describe('retries and timeouts', () => {
  it('retries 429 and 5xx, honouring Retry-After', async () => {
    for (const status of [429, 503]) {
      const flaky = await startReferenceServer({ failures: 2, failureStatus: status });
      try {
        const client = new ModelClient(
          new OpenAiProvider({
            type: 'openai',
            api: 'chat',
            base_url: flaky.url,
            model: 'echo',
            headers: {},
            temperature: 0,
            max_tokens: 8,
          }),
          { retry: fast },
        );
        const r = await client.generate({ messages: [{ role: 'user', content: 'hi' }], sample: 0 });
        expect(r.text).toBe('echo: hi');
        expect(flaky.requests.get('echo')).toBe(3);
        await client.close();
      } finally {
        await flaky.close();
      }
    }
  });

  it('gives up with eval.provider_unavailable after the retry budget', async () => {
    const down = await startReferenceServer({ failures: 100, failureStatus: 500 });
    try {
      const client = new ModelClient(
        new OpenAiProvider({
          type: 'openai',
          api: 'chat',
          base_url: down.url,
          model: 'echo',
          headers: {},
          temperature: 0,
          max_tokens: 8,
        }),
        { retry: fast },
      );
      await expect(
        client.generate({ messages: [{ role: 'user', content: 'hi' }], sample: 0 }),
      ).rejects.toMatchObject({
        code: 'eval.provider_unavailable',
      });
      expect(down.requests.get('echo')).toBe(4);
      await client.close();
    } finally {
      await down.close();
    }
  });

  it('times out slow attempts with AbortController', async () => {
    const slow = await startReferenceServer({ delayMs: 400 });
    try {
      const client = new ModelClient(
        new OpenAiProvider({
          type: 'openai',
          api: 'chat',
          base_url: slow.url,
          model: 'echo',
          headers: {},
          temperature: 0,
          max_tokens: 8,
        }),
        { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 50 } },
      );
      await expect(
        client.generate({ messages: [{ role: 'user', content: 'hi' }], sample: 0 }),
      ).rejects.toMatchObject({
        code: 'eval.provider_timeout',
      });
      await client.close();
    } finally {
      await slow.close();
    }
  });

  it('waits as long as Retry-After asks before retrying', async () => {
    const flaky = await startReferenceServer({ failures: 1, failureStatus: 429, retryAfter: '1' });
    try {
      const client = new ModelClient(
        new OpenAiProvider({
          type: 'openai',
          api: 'chat',
          base_url: flaky.url,
          model: 'echo',
          headers: {},
          temperature: 0,
          max_tokens: 8,
        }),
        // Backoff alone would wait at most 5 ms; the server's 1 s must win.
        { retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5_000, timeoutMs: 5_000 } },
      );
      const started = performance.now();
      const r = await client.generate({ messages: [{ role: 'user', content: 'hi' }], sample: 0 });
      expect(r.text).toBe('echo: hi');
      expect(performance.now() - started).toBeGreaterThanOrEqual(990);
      expect(flaky.requests.get('echo')).toBe(2);
      await client.close();
    } finally {
      await flaky.close();
    }
  });

  it('cancels an in-flight request when the run aborts, without retrying it', async () => {
    const slow = await startReferenceServer({ delayMs: 5_000 });
    try {
      const client = new ModelClient(
        new OpenAiProvider({
          type: 'openai',
          api: 'chat',
          base_url: slow.url,
          model: 'echo',
          headers: {},
          temperature: 0,
          max_tokens: 8,
        }),
        { retry: fast },
      );
      const run = new AbortController();
      const started = performance.now();
      const pending = client.generate({ messages: [{ role: 'user', content: 'hi' }], sample: 0 }, run.signal);
      setTimeout(() => run.abort(new Error('stopped')), 50);
      await expect(pending).rejects.toThrow(/aborted/);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(slow.requests.get('echo')).toBe(1);
      await client.close();
    } finally {
      await slow.close();
    }
  });

  it('does not retry client errors', async () => {
    let calls = 0;
    await expect(
      withRetries('t', fast, async () => {
        calls++;
        throw new ProviderCallError('HTTP 400', false, { status: 400 });
      }),
    ).rejects.toMatchObject({ code: 'eval.provider_failed' });
    expect(calls).toBe(1);
  });

  it('uses full-jitter exponential backoff and parses Retry-After', () => {
    const policy: RetryPolicy = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000, timeoutMs: 1 };
    expect(backoffDelay(0, policy, undefined, () => 0.999)).toBeCloseTo(99.9, 5);
    expect(backoffDelay(3, policy, undefined, () => 0.5)).toBe(400);
    expect(backoffDelay(10, policy, undefined, () => 1)).toBe(1000);
    expect(backoffDelay(0, policy, 3000, () => 0)).toBe(3000);
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('response cache', () => {
  it('serves repeated requests from content-addressed files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-cache-'));
    const cache = new ResponseCache(dir);
    const provider = openai('chat', 'echo');
    const client = new ModelClient(provider, { cache, retry: fast });
    const req = { messages: [{ role: 'user' as const, content: 'cache me' }], sample: 0 };
    const before = server.requests.get('echo') ?? 0;
    const first = await client.generate(req);
    const second = await client.generate(req);
    const otherSample = await client.generate({ ...req, sample: 1 });
    expect([first.cached, second.cached, otherSample.cached]).toEqual([false, true, false]);
    expect(second.text).toBe('echo: cache me');
    expect((server.requests.get('echo') ?? 0) - before).toBe(2);
    const key = cacheKey(provider.identity, req);
    expect(await readdir(join(dir, key.slice(0, 2)))).toContain(`${key}.json`);
    expect((await readdir(join(dir, key.slice(0, 2)))).some((f) => f.endsWith('.tmp'))).toBe(false);
    await client.close();
  });

  it('keys on provider identity, parameters, prompt and sample', () => {
    const m = [{ role: 'user' as const, content: 'a' }];
    const base = cacheKey({ model: 'm', temperature: 0 }, { messages: m, sample: 0 });
    expect(cacheKey({ temperature: 0, model: 'm' }, { messages: m, sample: 0 })).toBe(base);
    expect(cacheKey({ model: 'm', temperature: 1 }, { messages: m, sample: 0 })).not.toBe(base);
    expect(cacheKey({ model: 'n', temperature: 0 }, { messages: m, sample: 0 })).not.toBe(base);
    expect(cacheKey({ model: 'm', temperature: 0 }, { messages: m, sample: 1 })).not.toBe(base);
    expect(
      cacheKey({ model: 'm', temperature: 0 }, { messages: [{ role: 'user', content: 'b' }], sample: 0 }),
    ).not.toBe(base);
  });
});

describe('provider configuration', () => {
  it('reads the API key from the named environment variable and keeps it out of the identity', () => {
    const p = new OpenAiProvider(
      {
        type: 'openai',
        api: 'chat',
        base_url: 'http://x/v1',
        model: 'm',
        api_key_env: 'TG_KEY',
        headers: {},
        temperature: 0,
        max_tokens: 8,
      },
      { env: { TG_KEY: 'sk-secret' } },
    );
    expect(JSON.stringify(p.identity)).not.toContain('sk-secret');
    expect(
      () =>
        new OpenAiProvider(
          {
            type: 'openai',
            api: 'chat',
            base_url: 'http://x/v1',
            model: 'm',
            api_key_env: 'TG_KEY',
            headers: {},
            temperature: 0,
            max_tokens: 8,
          },
          { env: {} },
        ),
    ).toThrow(/TG_KEY/);
  });

  it('sends configured headers, the API key as a bearer token, and the request body', async () => {
    const seen: { headers: http.IncomingHttpHeaders; url: string | undefined; body: string }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        seen.push({ headers: req.headers, url: req.url, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { content: 'ok' }, text: 'ok' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const make = (api: 'chat' | 'completions') =>
      new OpenAiProvider(
        {
          type: 'openai',
          api,
          base_url: `http://127.0.0.1:${port}/v1`,
          model: 'm "quoted"',
          api_key_env: 'TG_KEY',
          headers: { 'x-org': 'acme' },
          temperature: 0.5,
          max_tokens: 8,
          seed: 7,
        },
        { env: { TG_KEY: 'sk-secret' } },
      );
    const chat = make('chat');
    const completions = make('completions');
    const messages = [
      { role: 'system' as const, content: 's' },
      { role: 'user' as const, content: 'x "y"\n' },
    ];
    try {
      expect(await chat.generate({ messages, sample: 2 }, new AbortController().signal)).toBe('ok');
      expect(await completions.generate({ messages, sample: 0 }, new AbortController().signal)).toBe('ok');
      expect(seen[0]?.headers).toMatchObject({
        authorization: 'Bearer sk-secret',
        'x-org': 'acme',
        'content-type': 'application/json',
      });
      expect(seen[0]?.url).toBe('/v1/chat/completions');
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
        model: 'm "quoted"',
        temperature: 0.5,
        max_tokens: 8,
        seed: 9,
        messages,
      });
      expect(seen[1]?.url).toBe('/v1/completions');
      expect(JSON.parse(seen[1]?.body ?? '')).toEqual({
        model: 'm "quoted"',
        temperature: 0.5,
        max_tokens: 8,
        seed: 7,
        prompt: completionPrompt(messages),
      });
    } finally {
      await Promise.all([chat.close(), completions.close()]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('parses --base values', () => {
    expect(providerConfigFromRef('http://h:8000/v1', { model: 'llama', seed: 3 }, '--base')).toMatchObject({
      type: 'openai',
      base_url: 'http://h:8000/v1',
      model: 'llama',
      seed: 3,
      temperature: 0,
    });
    expect(
      providerConfigFromRef('command:python3 model.py --fast', { mode: 'line' }, '--base'),
    ).toMatchObject({
      type: 'command',
      command: ['python3', 'model.py', '--fast'],
      mode: 'line',
    });
    expect(() => providerConfigFromRef('ftp://x', {}, '--candidate')).toThrow(/--candidate/);
    expect(() => providerConfigFromRef('http://h/v1', { temperature: 9 }, '--base')).toThrow(/temperature/);
  });

  it('flattens chat turns for completion endpoints', () => {
    expect(
      completionPrompt([
        { role: 'system', content: 's' },
        { role: 'user', content: 'u' },
      ]),
    ).toBe('System: s\n\nUser: u\n\nAssistant:');
  });
});
