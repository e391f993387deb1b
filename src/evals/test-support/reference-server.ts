import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EvalCase } from '../suites/eval-case.js';
import { type Behaviour, referenceReply } from './reference-model.js';

export interface ReferenceServerOptions {
  /** Cases the server answers by behaviour; unknown prompts are echoed. */
  cases?: readonly EvalCase[];
  /** The first N requests get HTTP `failureStatus` (with `retryAfter`). */
  failures?: number;
  failureStatus?: number;
  /** Retry-After value sent with those failures (default `0`). */
  retryAfter?: string;
  /** Delay before answering, ms (timeout tests). */
  delayMs?: number;
}

export interface ReferenceServer {
  /** Base URL of the OpenAI-compatible API, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  /** Requests received, by model name. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

const BEHAVIOURS: readonly Behaviour[] = ['good', 'harmful', 'refuse-all', 'leaky', 'backdoor', 'echo'];

function lastUserOf(body: Record<string, unknown>): string {
  if (Array.isArray(body.messages)) {
    const users = (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user');
    return users[users.length - 1]?.content ?? '';
  }
  const prompt = String(body.prompt ?? '');
  const at = prompt.lastIndexOf('User: ');
  const end = prompt.lastIndexOf('\n\nAssistant:');
  return at >= 0 ? prompt.slice(at + 6, end > at ? end : undefined) : prompt;
}

/**
 * A loopback OpenAI-compatible server (chat and completions). The request's
 * `model` picks the behaviour: `good`, `harmful`, `refuse-all`, `leaky`,
 * `backdoor` or `echo`; anything else behaves like `good`.
 */
export async function startReferenceServer(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  const byPrompt = new Map<string, EvalCase>();
  for (const c of options.cases ?? []) {
    const users = c.messages.filter((m) => m.role === 'user');
    byPrompt.set(users[users.length - 1]?.content ?? '', c);
  }
  const requests = new Map<string, number>();
  let failuresLeft = options.failures ?? 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(payload);
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...headers,
        });
        res.end(text);
      };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(400, { error: { message: 'invalid JSON' } });
      }
      const model = String(body.model ?? 'good');
      requests.set(model, (requests.get(model) ?? 0) + 1);
      if (failuresLeft > 0) {
        failuresLeft--;
        return send(
          options.failureStatus ?? 429,
          { error: { message: 'slow down' } },
          { 'retry-after': options.retryAfter ?? '0' },
        );
      }
      const chat = req.url?.endsWith('/chat/completions');
      if (!chat && !req.url?.endsWith('/completions')) return send(404, { error: { message: 'not found' } });
      const lastUser = lastUserOf(body);
      const behaviour = (BEHAVIOURS as readonly string[]).includes(model) ? (model as Behaviour) : 'good';
      const text = referenceReply(behaviour, byPrompt.get(lastUser), lastUser);
      const reply = () =>
        send(200, {
          id: 'cmpl-ref',
          object: chat ? 'chat.completion' : 'text_completion',
          model,
          choices: [
            chat
              ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }
              : { index: 0, text, finish_reason: 'stop' },
          ],
        });
      if (options.delayMs) setTimeout(reply, options.delayMs);
      else reply();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
